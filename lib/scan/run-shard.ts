/**
 * One shard of a sharded scan (issue 14): join the scan through the database (lib/scan/shard-lease.ts),
 * collect this shard's slice of the estate (lib/scan/shard-slice.ts) into its own UNLOGGED stage table
 * while renewing its lease, record its outcomes — and, if it is the shard that completed the set,
 * apply the whole scan in one transaction exactly as a single scan does (applyScan). A shard that
 * fails or is cancelled fails the scan: nothing is applied, and the other shards stop at their next
 * heartbeat.
 */
import type { Db } from "../store/db";
import type { Config } from "../config";
import { pacedApis } from "../config";
import type { Simulator } from "../simulator/server";
import { Caller, CancelledError } from "../sources/http/caller";
import { collect, type SourceOutcome } from "./collect";
import { Progress } from "./progress";
import { InventoryStage, shardStages, dropShardStages } from "../store/stage";
import { applyScan, deadlineMessage, resolveTarget, type ScanResult, type ScanSummary, type ScanTrigger, type Target } from "./run-scan";
import { failShard, finishShard, heartbeat, joinShardedScan, mergeShardProgress, readShardResults, type ShardResult } from "./shard-lease";
import type { ShardSlice } from "./shard-slice";
import { log } from "../log";
import { inventoryPathOf } from "./inventory-path";

export type RunShardOptions = {
  db: Db;
  config: Config;
  trigger: ScanTrigger;
  slice: ShardSlice;
  /** The run the shard belongs to (a Job's controller-uid, CLOUD_RUN_EXECUTION): a retried shard rejoins its scan. */
  runKey?: string;
  simulator?: Simulator;
  estatePath?: string;
  onStarted?: (scanId: number, attempt: number) => void;
  signal?: AbortSignal;
  acceptRetirement?: boolean;
};

export type ShardRunResult = {
  scanId: number;
  shard: number;
  shards: number;
  attempt: number;
  /** `collected`: this shard's slice is recorded and another shard applies the scan; else the scan's end. */
  status: "collected" | ScanResult["status"];
  /** Shards collected so far (when this one finished). */
  collected?: number;
  /** What this shard collected. */
  shardResult?: ShardResult;
  /** The applied scan, when this shard applied it. */
  applied?: ScanResult;
  error?: string;
};

export async function runShard(opts: RunShardOptions): Promise<ShardRunResult> {
  const { db, config, slice } = opts;
  const started = Date.now();
  const mode = config.mode === "gcp" && !opts.estatePath ? "gcp" : config.isDemo && !opts.estatePath ? "demo" : "estate";
  const client = await db.pool.connect();
  let healthy = true;
  client.on("error", () => (healthy = false));
  try {
    await client.query("set statement_timeout = 0");
    const joined = await joinShardedScan(client, {
      index: slice.index,
      count: slice.count,
      runKey: opts.runKey,
      trigger: opts.trigger,
      mode,
      leaseMs: config.scanLeaseMs,
      timeoutMs: config.scanTimeoutMs,
    });
    const { scanId, attempt } = joined;
    opts.onStarted?.(scanId, attempt);
    log.info(`Scan #${scanId}: shard ${slice.index} of ${slice.count}${attempt > 1 ? ` (attempt ${attempt})` : ""} ${joined.created ? "started it" : "joined"}`);

    const abort = new AbortController();
    opts.signal?.addEventListener("abort", () => abort.abort(), { once: true });
    let timedOut = false;
    let stopReason: string | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, config.scanTimeoutMs);
    const progress = new Progress(async (p) => {
      await db.pool.query(`update scan_shard set progress = $3 where scan_id = $1 and shard = $2`, [scanId, slice.index, JSON.stringify(p)]).catch(() => undefined);
      await mergeShardProgress(db.pool, scanId).catch(() => undefined);
    });
    // The lease: renewed a few times per lease period; the scan failing elsewhere (another shard, an
    // expired lease, a cancel) stops this shard too.
    const beat = setInterval(() => {
      heartbeat(db.pool, scanId, slice.index, { leaseMs: config.scanLeaseMs, timeoutMs: config.scanTimeoutMs })
        .then((h) => {
          if (!h.goOn && !abort.signal.aborted) {
            stopReason = h.reason;
            abort.abort();
          }
        })
        .catch((err) => log.warn(`Scan #${scanId} shard ${slice.index}: could not renew its lease:`, err));
    }, Math.max(1000, Math.floor(config.scanLeaseMs / 4)));

    let target: Target | undefined;
    let stage: InventoryStage | undefined;
    try {
      target = await resolveTarget(opts);
      const clock = target.clock ?? new Date(started);
      if (joined.created) await client.query(`update scan set target = $2, mode = $3, clock = $4 where id = $1`, [scanId, target.target, target.mode, clock.toISOString()]);
      const caller = new Caller({ limits: config.apiLimits, timeoutMs: config.requestTimeoutMs, signal: abort.signal, pace: pacedApis(config) });
      stage = await InventoryStage.openShard(client, scanId, slice.index);
      const outcomes = await collect({ ...target.scope, shard: slice }, { google: target.google, caller, endpointFor: target.endpointFor, progress, signal: abort.signal, stage, k8sWorker: config.k8sWorker });
      await stage.flush();
      if (abort.signal.aborted) throw new CancelledError();
      const result: ShardResult = {
        outcomes: outcomes.map(({ records: _records, ...o }) => o),
        counts: { ...stage.counts },
        requests: { ...caller.stats.requests },
        retries: caller.stats.retries,
        chain: caller.stats.chain,
        collectMs: Date.now() - started,
        inventoryPath: target.scope.inventoryPath ?? "direct",
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      progress.update((p) => (p.phase = "done"));
      await progress.flush();
      const fin = await finishShard(client, scanId, slice.index, result);
      log.info(`Scan #${scanId}: shard ${slice.index} of ${slice.count} collected its slice (${fin.collected} of ${fin.shards} shards done)`);
      if (!fin.applier) return { scanId, shard: slice.index, shards: slice.count, attempt, status: "collected", collected: fin.collected, shardResult: result };

      // The last shard in applies the whole scan. Its clock is the scan's (the first shard set it).
      const scanRow = await client.query<{ clock: string | null; started_at: string; accept_retirement: boolean }>(`select clock, started_at, accept_retirement from scan where id = $1`, [scanId]);
      const scanClock = scanRow.rows[0].clock ? new Date(scanRow.rows[0].clock) : clock;
      const scanStarted = Date.parse(scanRow.rows[0].started_at);
      const { results, outcomes: all } = await readShardResults(client, scanId);
      const summary: ScanSummary = {
        counts: {},
        sources: {},
        requests: {},
        retries: 0,
        chain: 0,
        written: { inserted: 0, closed: 0, unchanged: 0, retiredSources: [] },
        durationMs: 0,
        timings: { collectMs: Date.now() - scanStarted, storeMs: 0, analysisMs: 0 },
        shards: { count: slice.count, applier: slice.index, perShard: results.map((r, i) => ({ shard: i, collectMs: r.collectMs, objects: Object.values(r.counts).reduce((s, n) => s + n, 0), requests: Object.values(r.requests).reduce((s, n) => s + n, 0), maxRssBytes: r.maxRssBytes })) },
      };
      for (const r of results) {
        for (const [k, n] of Object.entries(r.counts)) summary.counts[k] = (summary.counts[k] ?? 0) + n;
        for (const [k, n] of Object.entries(r.requests)) summary.requests[k] = (summary.requests[k] ?? 0) + n;
        summary.retries += r.retries;
        summary.chain = Math.max(summary.chain ?? 0, r.chain);
      }
      for (const o of all) summary.sources[o.status] = (summary.sources[o.status] ?? 0) + 1;
      // Where keys and GSA policies came from, judged on every shard's outcomes.
      Object.assign(summary, inventoryPathOf(target.scope, all));
      const applied = await applyScan({
        db,
        config,
        client,
        scanId,
        outcomes: all as SourceOutcome[],
        summary,
        progress: new Progress(async (p) => {
          await db.pool.query(`update scan set progress = $2, phase = $3 where id = $1`, [scanId, JSON.stringify(p), p.phase]).catch(() => undefined);
        }),
        signal: abort.signal,
        clock: scanClock,
        acceptRetirement: opts.acceptRetirement === true || scanRow.rows[0].accept_retirement,
        started: scanStarted,
        simulatorUrl: target.simulatorUrl,
        stage: shardStages(scanId, slice.count),
      });
      await dropShardStages(db.pool).catch(() => undefined);
      return { scanId, shard: slice.index, shards: slice.count, attempt, status: applied.status, collected: slice.count, shardResult: result, applied };
    } catch (err) {
      const cancelled = !timedOut && !stopReason && (err instanceof CancelledError || abort.signal.aborted);
      const message = timedOut
        ? deadlineMessage(config.scanTimeoutMs)
        : stopReason
          ? `Stopped: ${stopReason}`
          : cancelled
            ? "Cancelled; nothing from this scan was applied"
            : (err as Error).message;
      if (!cancelled && !stopReason) log.error(`Scan #${scanId} shard ${slice.index} failed:`, err);
      if (!stopReason) await failShard(db.pool, scanId, slice.index, slice.count, cancelled ? "cancelled" : "failed", message).catch((e) => log.error(`Scan #${scanId}: could not record that shard ${slice.index} failed:`, e));
      await dropShardStages(db.pool).catch(() => undefined);
      return { scanId, shard: slice.index, shards: slice.count, attempt, status: cancelled ? "cancelled" : "failed", error: message };
    } finally {
      clearTimeout(deadline);
      clearInterval(beat);
      progress.stop();
      await target?.close();
    }
  } finally {
    if (healthy) healthy = await client.query("reset statement_timeout").then(() => true, () => false);
    client.release(healthy ? undefined : new Error("the shard's database connection was lost"));
  }
}
