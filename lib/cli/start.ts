/**
 * `npm start`: the database (embedded unless DATABASE_URL is set), migrations, the API simulator (unless
 * scanning real Google Cloud), the Next.js server on WI_ATLAS_LISTEN:PORT (default 127.0.0.1:3000), and
 * the scanner in this process, starting with a first scan so the dashboard has something to show.
 * The web server runs as a child without Google credentials: it asks this process for scans through
 * the database. Ctrl-C stops everything cleanly, the embedded database included.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { existsSync } from "node:fs";
import { loadConfig, assertSafeListen, DEMO_OWNERS } from "../config";
import { readOwners } from "../owners/owners-file";
import { openDatabase } from "../store/open-database";
import { startSimulator, type Simulator } from "../simulator/server";
import { startScanner, type Scanner } from "../scan/scanner";
import { log } from "../log";
import { onShutdown, shutdown } from "./shutdown";
import { EXIT } from "./args";
import { addStaticFiles, standaloneAppDir } from "./standalone";

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The web server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`The web server did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function main() {
  let config;
  try {
    config = loadConfig();
    assertSafeListen(config);
    // The demo shows its owners (issue 13) unless told otherwise; a bad owners file stops the start.
    if (!config.ownersPath && config.isDemo) config.ownersPath = path.resolve(DEMO_OWNERS);
    if (config.ownersPath) readOwners(config.ownersPath);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(EXIT.config);
  }
  let webDir: string;
  try {
    if (!existsSync(path.resolve(".next", "BUILD_ID"))) throw new Error("no .next/BUILD_ID");
    // Next's standalone server, the one the image runs, with the static files beside it.
    webDir = standaloneAppDir(path.resolve(".next", "standalone"));
    addStaticFiles(process.cwd(), webDir);
  } catch {
    process.stderr.write("No production build found: run `npm run build` first (`npm start` does both).\n");
    process.exit(EXIT.failed);
  }
  const opened = await openDatabase(config, { poolSize: 4 });
  let sim: Simulator | undefined;
  if (config.mode === "estate" && !config.simulatorUrl) {
    sim = await startSimulator({ estatePath: config.estatePath });
    log.info(`API simulator serving ${path.relative(process.cwd(), config.estatePath)} at ${sim.url}`);
  }
  const simulatorUrl = config.simulatorUrl ?? sim?.url;

  // The web server never scans, so it gets no Google credentials (Application Default Credentials
  // from a key file; on GKE the scanner's identity belongs to the scanner's own pod).
  const webEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opened.url,
    ...(simulatorUrl ? { WI_ATLAS_SIMULATOR_URL: simulatorUrl } : {}),
    ...(config.ownersPath ? { WI_ATLAS_OWNERS: config.ownersPath } : {}),
    NODE_ENV: "production",
  };
  delete webEnv.GOOGLE_APPLICATION_CREDENTIALS;
  // server.js listens on $HOSTNAME:$PORT; HOSTNAME comes from WI_ATLAS_LISTEN, never from the machine.
  Object.assign(webEnv, { HOSTNAME: config.listen, PORT: String(config.port) });
  const child = spawn(process.execPath, [path.join(webDir, "server.js")], { stdio: "inherit", env: webEnv });
  let scanner: Scanner | undefined;

  let stopping = false;
  let halted: Promise<void> | undefined;
  const halt = () =>
    (halted ??= (async () => {
      stopping = true;
      await scanner?.stop();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
          }, 10_000);
          child.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      await sim?.close();
      await opened.close();
    })());
  const stop = async (code: number) => {
    if (stopping) return;
    await halt();
    process.exit(code);
  };
  // An error after this point (the web server never became healthy…) stops all of it too.
  onShutdown("wi-atlas", halt);
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  child.once("exit", (code) => {
    if (!stopping) {
      log.error(`The web server exited (code ${code}); stopping.`);
      void stop(code ?? 1);
    }
  });

  const host = config.listen === "0.0.0.0" || config.listen === "::" ? "localhost" : config.listen.includes(":") ? `[${config.listen}]` : config.listen;
  const base = `http://${host}:${config.port}`;
  await waitForHealth(`${base}/api/health`, child);
  log.info(`wi-atlas is running at ${base} (${config.mode === "gcp" ? "Google Cloud" : config.isDemo ? "demo estate" : "estate " + config.estatePath}); Ctrl-C to stop`);

  // The scanner, in this process: a first scan at once (so a fresh start has something to show), then
  // the schedule and the scans asked for from the web.
  if (!stopping) {
    scanner = startScanner({ db: opened.db, config, simulator: sim, firstScan: "start", scheduleDisabled: config.scheduleDisabled });
  }
}

main().catch((err) => {
  log.error(err);
  void shutdown(EXIT.failed);
});
