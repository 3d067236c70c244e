/**
 * `npm run scan [-- --estate FILE] [-- --json] [-- --shards N --shard I]`: one scan into the configured
 * database, a summary on stdout, and an exit code scripts can test: 0 succeeded, 2 partial (some
 * sources failed; their earlier data was kept), 1 failed, 75 another scan is running, 78 bad
 * configuration or estate file.
 *
 * With `--shards N` (or WI_ATLAS_SCAN_SHARDS, or in an Indexed Job / Cloud Run job) this process is
 * one shard of a sharded scan (issue 14): it collects its slice and exits 0 once the slice is
 * recorded; the shard that finishes last applies the scan and exits with the scan's code.
 */
import { loadConfig, ConfigError } from "../config";
import { readOwners } from "../owners/owners-file";
import { openDatabase } from "../store/open-database";
import { runScan, ScanBusyError } from "../scan/run-scan";
import { runShard } from "../scan/run-shard";
import { resolveShard, type ShardSetting } from "../scan/shard-slice";
import type { Db } from "../store/db";
import type { Config } from "../config";
import { EstateError } from "../simulator/load-estate";
import { EXIT, parseCliArgs } from "./args";
import { logToStderr } from "../log";

const USAGE = `Usage: npm run scan [-- --estate FILE] [-- --json] [-- --accept-retirement] [-- --shards N --shard I]
  --estate FILE          scan the simulator serving FILE instead of the configured target
  --json                 print the result as JSON
  --shards N             split the scan into N shards run as separate processes (WI_ATLAS_SCAN_SHARDS;
                         Cloud Run jobs: CLOUD_RUN_TASK_COUNT)
  --shard I              this process's shard, 0 … N-1 (WI_ATLAS_SCAN_SHARD; an Indexed Job sets
                         JOB_COMPLETION_INDEX, a Cloud Run job CLOUD_RUN_TASK_INDEX)
  --run-key KEY          the run the shards belong to; a retried shard rejoins its scan
                         (WI_ATLAS_SCAN_RUN_KEY; Cloud Run jobs: CLOUD_RUN_EXECUTION)
  --accept-retirement    apply the scan even when it retires more than WI_ATLAS_MAX_RETIRE_PERCENT
                         of a kind's objects (a clean-up that really happened)`;

const args = parseCliArgs(
  {
    estate: { type: "string" },
    json: { type: "boolean" },
    "accept-retirement": { type: "boolean" },
    shards: { type: "string" },
    shard: { type: "string" },
    "run-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  USAGE,
);
if (args.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
// With --json, stdout carries only the result.
if (args.json) logToStderr();

/** CPU this process has spent so far (user + system), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

async function main(): Promise<number> {
  let config;
  let sharding: ShardSetting;
  try {
    sharding = resolveShard({ shards: args.shards, shard: args.shard, runKey: args["run-key"] });
    config = loadConfig();
    // A bad owners file (WI_ATLAS_OWNERS) is a configuration error, named with its line and field.
    if (config.ownersPath) readOwners(config.ownersPath);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return EXIT.config;
  }
  const opened = await openDatabase(config, { poolSize: 4 });
  const abort = new AbortController();
  const onSignal = () => {
    process.stderr.write("\nCancelling the scan (nothing from it will be applied)…\n");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (sharding.slice) return await shard(opened.db, config, sharding, abort.signal);
    let lastLine = "";
    const result = await runScan({
      db: opened.db,
      config,
      trigger: "cli",
      estatePath: args.estate,
      signal: abort.signal,
      acceptRetirement: args["accept-retirement"] === true,
      onStarted: (id) => !args.json && process.stderr.write(`Scan #${id} started\n`),
      onProgress: (p) => {
        if (args.json || !process.stderr.isTTY) return;
        const line = `  ${p.phase}: ${p.sourcesDone}/${p.sourcesTotal} sources, ${p.objects} objects, ${p.requests} requests, ${p.sourcesFailed} with errors`;
        if (line !== lastLine) process.stderr.write(`\r${line}`.padEnd(100));
        lastLine = line;
      },
    });
    if (!args.json && process.stderr.isTTY) process.stderr.write("\n");
    if (args.json) {
      process.stdout.write(
        JSON.stringify(
          {
            scan: result.scanId,
            status: result.status,
            error: result.error,
            summary: result.summary,
            // Peak resident memory of this process (the scanner), for the benchmark.
            maxRssBytes: process.resourceUsage().maxRSS * 1024,
            // CPU this process spent (user + system, ms), for the benchmark's CPU per request.
            cpuMs: cpuMs(),
            failures: result.outcomes.filter((o) => o.status !== "ok").map((o) => ({ source: o.source, status: o.status, httpStatus: o.httpStatus, permission: o.permission, error: o.error })),
          },
          null,
          2,
        ) + "\n",
      );
    } else {
      const s = result.summary;
      const out: string[] = [];
      out.push(`Scan #${result.scanId}: ${result.status}${result.error ? ` — ${result.error}` : ""} in ${(s.durationMs / 1000).toFixed(1)} s`);
      const kinds = Object.entries(s.counts).sort(([a], [b]) => a.localeCompare(b));
      if (kinds.length) out.push("Objects seen:", ...kinds.map(([k, n]) => `  ${k.padEnd(14)} ${String(n).padStart(7)}`));
      out.push(`Sources: ${Object.entries(s.sources).map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`);
      out.push(`Requests: ${Object.entries(s.requests).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(", ")}${s.retries ? ` (${s.retries} retried)` : ""}`);
      out.push(`Stored: ${s.written.inserted} new versions, ${s.written.closed} closed, ${s.written.unchanged} unchanged`);
      if (s.analysis) {
        const a = s.analysis;
        const sev = ["critical", "high", "medium", "low", "info"].filter((k) => a.bySeverity[k]).map((k) => `${a.bySeverity[k]} ${k}`).join(", ");
        out.push(`Findings: ${a.open} open${sev ? ` (${sev})` : ""}, ${a.unverified} unverified`);
        out.push(`Migration: ${a.migrated} of ${a.workloads} workloads migrated (off every legacy path)`);
      }
      const failed = result.outcomes.filter((o) => o.status === "failed" || o.status === "partial");
      if (failed.length) {
        out.push(`Did not fully answer (earlier data kept, marked stale):`);
        for (const f of failed) out.push(`  ${f.status.padEnd(8)} ${f.source}${f.permission ? ` — missing ${f.permission}` : ""}\n           ${f.error ?? ""}`);
      }
      process.stdout.write(out.join("\n") + "\n");
    }
    return result.status === "succeeded" ? EXIT.ok : result.status === "partial" ? EXIT.partial : EXIT.failed;
  } catch (err) {
    if (err instanceof ScanBusyError) {
      // Includes a shard that cannot join now (ShardJoinError): its message says why.
      process.stderr.write(`${err.message}; not starting another.\n`);
      return EXIT.busy;
    }
    if (err instanceof EstateError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.config;
    }
    throw err;
  } finally {
    await opened.close();
  }
}

/** One shard of a sharded scan: 0 once its slice is recorded; the applier exits with the scan's code. */
async function shard(db: Db, config: Config, sharding: ShardSetting, signal: AbortSignal): Promise<number> {
  const slice = sharding.slice!;
  const r = await runShard({
    db,
    config,
    trigger: "cli",
    slice,
    runKey: sharding.runKey,
    estatePath: args.estate,
    signal,
    acceptRetirement: args["accept-retirement"] === true,
    onStarted: (id, attempt) => !args.json && process.stderr.write(`Scan #${id}: shard ${slice.index} of ${slice.count} started${attempt > 1 ? ` (attempt ${attempt})` : ""}\n`),
  });
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  if (args.json) {
    const a = r.applied;
    process.stdout.write(
      JSON.stringify(
        {
          scan: r.scanId,
          shard: r.shard,
          shards: r.shards,
          attempt: r.attempt,
          status: r.status,
          collected: r.collected,
          error: r.error ?? a?.error,
          shardResult: r.shardResult ? { counts: r.shardResult.counts, requests: r.shardResult.requests, collectMs: r.shardResult.collectMs, sources: r.shardResult.outcomes.length } : undefined,
          summary: a?.summary,
          maxRssBytes,
          failures: a?.outcomes.filter((o) => o.status !== "ok").map((o) => ({ source: o.source, status: o.status, httpStatus: o.httpStatus, permission: o.permission, error: o.error })),
        },
        null,
        2,
      ) + "\n",
    );
  } else if (r.status === "collected") {
    const objects = Object.values(r.shardResult?.counts ?? {}).reduce((s, n) => s + n, 0);
    process.stdout.write(`Scan #${r.scanId}: shard ${r.shard} of ${r.shards} collected its slice (${objects} objects, ${r.shardResult?.outcomes.length ?? 0} sources); ${r.collected} of ${r.shards} shards done — the last one applies the scan\n`);
  } else {
    process.stdout.write(`Scan #${r.scanId}: ${r.status}${r.error ? ` — ${r.error}` : r.applied?.error ? ` — ${r.applied.error}` : ""}${r.applied ? ` (applied by shard ${r.shard} of ${r.shards}) in ${(r.applied.summary.durationMs / 1000).toFixed(1)} s` : ""}\n`);
  }
  const status = r.status;
  return status === "collected" || status === "succeeded" ? EXIT.ok : status === "partial" ? EXIT.partial : EXIT.failed;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(EXIT.failed);
  },
);
