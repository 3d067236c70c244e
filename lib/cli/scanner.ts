/**
 * `npm run scanner` (built: `node scanner.js`): the long-running scanner. It holds the Google
 * credentials (Application Default Credentials) and the scan lock; the web server only writes
 * requests. Scans on the schedule (WI_ATLAS_SCAN_INTERVAL_MINUTES) and when the web server asks;
 * SIGTERM or Ctrl-C cancels a running scan (nothing from it is applied) and exits 0.
 */
import path from "node:path";
import { loadConfig } from "../config";
import { readOwners } from "../owners/owners-file";
import { openDatabase } from "../store/open-database";
import { startSimulator, type Simulator } from "../simulator/server";
import { startScanner } from "../scan/scanner";
import { log } from "../log";
import { resolveShard, type ShardSetting } from "../scan/shard-slice";
import { EXIT } from "./args";

async function main() {
  let config;
  let sharding: ShardSetting;
  try {
    // A scanner may be one shard of sharded scans (WI_ATLAS_SCAN_SHARDS + WI_ATLAS_SCAN_SHARD, e.g.
    // a StatefulSet's pod index): it then joins every scan as that shard.
    sharding = resolveShard({}, process.env);
    config = loadConfig();
    // A bad owners file (WI_ATLAS_OWNERS) is a configuration error, named with its line and field.
    if (config.ownersPath) readOwners(config.ownersPath);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(EXIT.config);
  }
  const opened = await openDatabase(config, { poolSize: 4 });
  log.info(`Scanner connected to the database (${opened.embedded ? "embedded" : new URL(opened.url).host}); migrations applied`);
  let sim: Simulator | undefined;
  if (config.mode === "estate" && !config.simulatorUrl) {
    sim = await startSimulator({ estatePath: config.estatePath });
    log.info(`API simulator serving ${path.relative(process.cwd(), config.estatePath)} at ${sim.url}`);
  }
  const scanner = startScanner({ db: opened.db, config, simulator: sim, sharding, scheduleDisabled: config.scheduleDisabled });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("Scanner stopping (a running scan is cancelled; nothing from it is applied)…");
    await scanner.stop();
    await sim?.close();
    await opened.close();
    process.exit(EXIT.ok);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((err) => {
  log.error("The scanner could not start:", err);
  process.exit(EXIT.failed);
});
