/**
 * `npm start`: the database (embedded unless DATABASE_URL is set), migrations, the API simulator (unless
 * scanning real Google Cloud), the Next.js server on PORT (default 3000), and a first scan so the
 * dashboard has something to show. Ctrl-C stops everything cleanly, the embedded database included.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { loadConfig } from "../config";
import { openDatabase } from "../store/open-database";
import { startSimulator, type Simulator } from "../simulator/server";
import { runScan, ScanBusyError } from "../scan/run-scan";
import { log } from "../log";
import { onShutdown, shutdown } from "./shutdown";
import { EXIT } from "./args";

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
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(EXIT.config);
  }
  if (!existsSync(path.resolve(".next", "BUILD_ID"))) {
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

  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(config.port)], {
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: opened.url, ...(simulatorUrl ? { WI_ATLAS_SIMULATOR_URL: simulatorUrl } : {}), NODE_ENV: "production" },
  });

  let stopping = false;
  let halted: Promise<void> | undefined;
  const halt = () =>
    (halted ??= (async () => {
      stopping = true;
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

  const base = `http://localhost:${config.port}`;
  await waitForHealth(`${base}/api/health`, child);
  log.info(`wi-atlas is running at ${base} (${config.mode === "gcp" ? "Google Cloud" : config.isDemo ? "demo estate" : "estate " + config.estatePath}); Ctrl-C to stop`);

  // A first scan, so that a fresh start has something to show.
  try {
    const r = await runScan({ db: opened.db, config, trigger: "start", simulator: sim });
    log.info(`Scan #${r.scanId} ${r.status}${r.error ? `: ${r.error}` : ""} (${(r.summary.durationMs / 1000).toFixed(1)} s, ${Object.values(r.summary.counts).reduce((a, b) => a + b, 0)} objects)`);
  } catch (err) {
    if (err instanceof ScanBusyError) log.info(err.message);
    else log.error("The first scan failed:", err);
  }
}

main().catch((err) => {
  log.error(err);
  void shutdown(EXIT.failed);
});
