/**
 * One scan end to end: take the scan lock, record the scan, collect every source, then write the
 * inventory and its analysis in a single transaction, so that a cancelled or crashed scan is never
 * half-applied. Exactly one scan runs at a time across every process sharing the database: the lock
 * is a Postgres advisory lock held on one connection for the whole scan, never an in-memory flag.
 */
import os from "node:os";
import type pg from "pg";
import type { ApiName, Config } from "../config";
import { pacedApis } from "../config";
import type { Db } from "../store/db";
import { startSimulator, type Simulator } from "../simulator/server";
import { simulatorClients, googleCloudClients, type GoogleClients } from "../sources/gcp/clients";
import { Caller, CancelledError, SLOT_SPAN_MS } from "../sources/http/caller";
import { collect, type CollectScope, type SourceOutcome } from "./collect";
import { Progress, type ScanProgress } from "./progress";
import { prepareInventory, PENDING_VERSIONS, heldMessage, type WriteStats, type RetirementGuard, type StageSource } from "../store/write-inventory";
import { InventoryStage } from "../store/stage";
import type { ClusterData } from "../inventory/model";
import { gkeEndpoint, type ClusterEndpoint } from "../sources/k8s/clients";
import { log } from "../log";
import { analyzeScan, type AnalysisSummary } from "../analysis/analyze-scan";
import { pruneHistory } from "../store/retention";
import { notifyAfterScan, type ChannelReport } from "../notify/notify-scan";
import { inventoryPathOf, type InventoryPathSetting } from "./inventory-path";

import { SCAN_LOCK_KEY, ScanBusyError } from "./run-scan-lock";
import { expireShardedScans, liveShardedScan } from "./shard-lease";
import { dropShardStages } from "../store/stage";
export { SCAN_LOCK_KEY, ScanBusyError };

export type ScanTrigger = "start" | "schedule" | "manual" | "cli" | "test";
export type ScanStatus = "running" | "succeeded" | "partial" | "failed" | "cancelled" | "crashed";


export type ScanSummary = {
  counts: Record<string, number>;
  sources: Record<string, number>;
  requests: Record<string, number>;
  retries: number;
  /** The longest chain of dependent requests (the scan's floor at any concurrency is chain × latency). */
  chain?: number;
  /** Per API, the milliseconds its requests held a concurrency slot, summed (CallStats.slotMs). */
  slotMs?: Partial<Record<string, number>>;
  /** Per paced API, the milliseconds it ran at its reduced concurrency, yielding to the longest API (CallStats.pacedMs). */
  pacedMs?: Partial<Record<string, number>>;
  /** Where keys and GSA policies came from (`asset`: the keys came from Cloud Asset Inventory). */
  inventoryPath?: "direct" | "asset";
  /** Why, for the Coverage page ("via Cloud Asset Inventory (organizations/N), …" or "asked IAM per account: …"). */
  inventoryPathReason?: string;
  /** What WI_ATLAS_INVENTORY_PATH asked for. */
  inventoryPathSetting?: InventoryPathSetting;
  written: WriteStats;
  durationMs: number;
  /** Wall time of each phase, ms. */
  timings?: { collectMs: number; storeMs: number; analysisMs: number };
  analysis?: AnalysisSummary;
  /** The scan was asked to apply a mass retirement the guard would have held back. */
  acceptedRetirement?: boolean;
  /** A sharded scan (issue 14): how many shards, which applied it, and what each collected. */
  shards?: { count: number; applier: number; perShard: { shard: number; collectMs: number; objects: number; requests: number; maxRssBytes?: number }[] };
};

export type ScanResult = {
  scanId: number;
  status: ScanStatus;
  summary: ScanSummary;
  outcomes: SourceOutcome[];
  error?: string;
  /** What each notification destination did after the scan (issue 13); absent when none is configured. */
  notifications?: ChannelReport[];
};

export type RunScanOptions = {
  db: Db;
  config: Config;
  trigger: ScanTrigger;
  /** Use this simulator instead of starting one (estate mode). */
  simulator?: Simulator;
  /** Overrides config.estatePath (npm run scan -- --estate FILE). */
  estatePath?: string;
  /** Called with the scan id as soon as the scan row exists. */
  onStarted?: (scanId: number) => void;
  onProgress?: (p: ScanProgress) => void;
  /** Cancels from this process; other processes cancel through the scan row. */
  signal?: AbortSignal;
  /** Applies a mass retirement the guard would hold back (`npm run scan -- --accept-retirement`). */
  acceptRetirement?: boolean;
};

/** The scan passed WI_ATLAS_SCAN_TIMEOUT_MINUTES. */
export function deadlineMessage(timeoutMs: number): string {
  const min = timeoutMs / 60_000;
  return `The scan passed its deadline of ${Number.isInteger(min) ? min : min.toFixed(2)} minutes (WI_ATLAS_SCAN_TIMEOUT_MINUTES) and was stopped; nothing from this scan was applied`;
}

async function runningScan(pool: pg.Pool) {
  const r = await pool.query<{ id: number; started_at: string; trigger: string }>(
    `select id, started_at, trigger from scan where status = 'running' order by id desc limit 1`,
  );
  return r.rows[0] ? { id: r.rows[0].id, startedAt: r.rows[0].started_at, trigger: r.rows[0].trigger } : null;
}

export type Target = {
  google: GoogleClients;
  scope: CollectScope;
  endpointFor: (c: ClusterData, raw: Record<string, unknown>) => ClusterEndpoint;
  target: string;
  mode: string;
  /** The clock of the estate being scanned (the simulator's `now`); real time for Google Cloud. */
  clock?: Date;
  /** The simulator's URL (estate mode): notifications publish to its Pub/Sub; undefined means Google. */
  simulatorUrl?: string;
  close: () => Promise<void>;
};

export async function resolveTarget(opts: Pick<RunScanOptions, "config" | "estatePath" | "simulator">): Promise<Target> {
  const { config } = opts;
  if (config.mode === "gcp" && !opts.estatePath) {
    return {
      google: googleCloudClients(),
      scope: { organization: config.organization, folders: config.folders, projects: config.projects, clusters: config.clusters, readSecrets: config.readSecrets, inventoryPath: config.inventoryPath },
      endpointFor: (c, raw) => gkeEndpoint(c, raw),
      target: [
        config.organization ? `organizations/${config.organization}` : "",
        ...config.folders.map((f) => `folders/${f}`),
        ...config.projects.map((p) => `projects/${p}`),
      ]
        .filter(Boolean)
        .join(", "),
      mode: "gcp",
      close: async () => undefined,
    };
  }
  let sim = opts.simulator;
  let url = sim?.url ?? (opts.estatePath ? undefined : config.simulatorUrl);
  let owned: Simulator | undefined;
  if (!url) {
    owned = await startSimulator({ estatePath: opts.estatePath ?? config.estatePath });
    sim = owned;
    url = owned.url;
  }
  // The simulator serves an estate file: fail with its own message when the file became invalid.
  const health = (await (await fetch(`${url}/_sim/health`)).json()) as {
    status: string;
    estate: string;
    estateError?: string;
    organization: string | null;
    now?: string;
    kubernetesPort?: number;
  };
  if (health.status !== "ok" || !health.kubernetesPort) {
    await owned?.close();
    throw new Error(health.estateError ?? (health.status !== "ok" ? "The simulator's estate is invalid" : "The simulator did not say which port its cluster endpoints listen on"));
  }
  const kubernetesPort = health.kubernetesPort;
  const org = health.organization?.replace(/^organizations\//, "");
  return {
    google: simulatorClients(url),
    scope: { organization: org || undefined, folders: [], projects: [], clusters: config.clusters, readSecrets: config.readSecrets, inventoryPath: config.inventoryPath },
    // As on GKE: the cluster's endpoint over TLS, trusting the CA it advertises (the port is the simulator's).
    endpointFor: (c, raw) => gkeEndpoint(c, raw, kubernetesPort),
    target: health.estate,
    mode: config.isDemo && !opts.estatePath ? "demo" : "estate",
    clock: health.now ? new Date(health.now) : undefined,
    simulatorUrl: url,
    close: async () => {
      await owned?.close();
    },
  };
}

function statusOf(outcomes: SourceOutcome[]): ScanStatus {
  if (!outcomes.some((o) => o.status === "ok" || o.status === "partial")) return "failed";
  const discovery = outcomes.filter((o) => o.family.startsWith("crm.projects") || o.family === "crm.organization" || o.family === "crm.folder");
  if (discovery.length && discovery.every((o) => o.status === "failed")) return "failed";
  return outcomes.some((o) => o.status === "failed" || o.status === "partial") ? "partial" : "succeeded";
}

/**
 * Runs the statement that records how a scan ended: on its own session, else on fresh connections
 * (a pool still holding connections the server ended hands out a dead one first; it is then dropped).
 */
async function recordEnd(client: pg.PoolClient, pool: pg.Pool, sql: string, params: unknown[]): Promise<void> {
  try {
    await client.query(sql, params);
    return;
  } catch (err) {
    let last = err;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await pool.query(sql, params);
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    throw last;
  }
}

export async function runScan(opts: RunScanOptions): Promise<ScanResult> {
  const { db } = opts;
  const lockClient = await db.pool.connect();
  let locked = false;
  try {
    const r = await lockClient.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [SCAN_LOCK_KEY]);
    locked = r.rows[0].ok;
    if (!locked) throw new ScanBusyError(await runningScan(db.pool));
    // We hold the lock: any single scan still marked running belongs to a process that died. A
    // sharded scan holds no lock: it is dead only once its lease expired, and else it runs.
    await lockClient.query(
      `update scan set status = 'crashed', finished_at = now(), error = coalesce(error, 'The process running this scan stopped before it finished') where status = 'running' and shards = 1`,
    );
    await expireShardedScans(lockClient, opts.config.scanLeaseMs, opts.config.scanTimeoutMs);
    await dropShardStages(lockClient).catch(() => undefined);
    const sharded = await liveShardedScan(lockClient);
    if (sharded) throw new ScanBusyError(sharded);
    // A scan's statements are bounded by the scan's deadline, not by the web server's per-statement
    // limit (its final transaction writes a whole estate). `set` lasts for this session only; the
    // `reset` below gives the pooled connection its own limit back.
    await lockClient.query("set statement_timeout = 0");
    return await runLocked(opts, lockClient);
  } finally {
    // The lock goes with the session: when the connection was lost, the server has already let it go,
    // and the dead connection is thrown away rather than pooled.
    let healthy = true;
    if (locked) healthy = await lockClient.query("select pg_advisory_unlock($1)", [SCAN_LOCK_KEY]).then(() => true, () => false);
    if (healthy) healthy = await lockClient.query("reset statement_timeout").then(() => true, () => false);
    lockClient.release(healthy ? undefined : new Error("the scan's database connection was lost"));
  }
}

async function runLocked(opts: RunScanOptions, client: pg.PoolClient): Promise<ScanResult> {
  const { db, config } = opts;
  const started = Date.now();
  const mode = config.mode === "gcp" && !opts.estatePath ? "gcp" : config.isDemo && !opts.estatePath ? "demo" : "estate";
  const runner = `${os.hostname()}:${process.pid}`;
  // A scan of the configured target answers the waiting request, if any (its id is what the web
  // handed out); it keeps the request's trigger. A scan of another estate (--estate) leaves it waiting.
  const claimed = opts.estatePath
    ? { rows: [] as { id: number; accept_retirement: boolean }[] }
    : await client.query<{ id: number; accept_retirement: boolean }>(
        `update scan set status = 'running', mode = $1, phase = 'starting', runner = $2, started_at = now()
         where status = 'requested' and not cancel_requested returning id, accept_retirement`,
        [mode, runner],
      );
  const ins = claimed.rows[0]
    ? claimed
    : await client.query<{ id: number }>(
        `insert into scan (status, trigger, mode, target, phase, runner, started_at) values ('running', $1, $2, $3, 'starting', $4, now()) returning id`,
        [opts.trigger, mode, "", runner],
      );
  const scanId = ins.rows[0].id;
  // "Accept retirement" from the web travels on the request it claimed.
  const acceptRetirement = opts.acceptRetirement === true || claimed.rows[0]?.accept_retirement === true;
  opts.onStarted?.(scanId);
  const abort = new AbortController();
  opts.signal?.addEventListener("abort", () => abort.abort(), { once: true });
  // The whole scan's deadline: past it the scan stops exactly as a cancel does, and is marked failed.
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, config.scanTimeoutMs);
  // The scan's session holds its lock and its stage table: once it is gone the scan cannot finish,
  // so it stops at once rather than collecting an estate it could not apply.
  let connectionLost: Error | undefined;
  const onConnectionLost = (err: Error) => {
    connectionLost ??= err;
    abort.abort();
  };
  client.on("error", onConnectionLost);
  const progress = new Progress(async (p) => {
    opts.onProgress?.(p);
    await db.pool.query(`update scan set progress = $2, phase = $3 where id = $1`, [scanId, JSON.stringify(p), p.phase]).catch(() => undefined);
  });
  // Other processes cancel by setting cancel_requested on the row.
  const poll = setInterval(() => {
    db.pool
      .query<{ c: boolean }>(`select cancel_requested as c from scan where id = $1`, [scanId])
      .then((r) => {
        if (r.rows[0]?.c) abort.abort();
      })
      .catch(() => undefined);
  }, 1000);

  let target: Target | undefined;
  let stage: InventoryStage | undefined;
  const summary: ScanSummary = { counts: {}, sources: {}, requests: {}, retries: 0, written: { inserted: 0, closed: 0, unchanged: 0, retiredSources: [] }, durationMs: 0 };
  let outcomes: SourceOutcome[] = [];
  try {
    target = await resolveTarget(opts);
    const clock = target.clock ?? new Date(started);
    await client.query(`update scan set target = $2, mode = $3, clock = $4 where id = $1`, [scanId, target.target, target.mode, clock.toISOString()]);
    const caller = new Caller({ limits: config.apiLimits, timeoutMs: config.requestTimeoutMs, signal: abort.signal, pace: pacedApis(config) });
    const collectStarted = Date.now();
    stage = await InventoryStage.open(client);
    outcomes = await collect(target.scope, { google: target.google, caller, endpointFor: target.endpointFor, progress, signal: abort.signal, stage, k8sWorker: config.k8sWorker });
    await stage.flush();
    if (abort.signal.aborted) throw new CancelledError();
    summary.requests = { ...caller.stats.requests };
    summary.retries = caller.stats.retries;
    summary.chain = caller.stats.chain;
    summary.slotMs = Object.fromEntries(Object.entries(caller.stats.slotMs).filter(([, ms]) => ms > 0).map(([api, ms]) => [api, Math.round(ms)]));
    caller.endPacing();
    if (caller.stats.pacedMs) summary.pacedMs = Object.fromEntries(Object.entries(caller.stats.pacedMs).map(([api, ms]) => [api, Math.round(ms ?? 0)]));
    Object.assign(summary, inventoryPathOf(target.scope, outcomes));
    const timings = { collectMs: Date.now() - collectStarted, storeMs: 0, analysisMs: 0 };
    const mem = () => `rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`;
    log.debug(`scan #${scanId}: collected in ${timings.collectMs} ms; ${mem()}`);
    // The API that set the collect's length, and how its requests fared over it (slot time per 5 s).
    const busiest = (Object.entries(caller.stats.slotMs) as [ApiName, number][]).reduce((a, b) => (b[1] > a[1] ? b : a));
    if (busiest[1] > 0) log.debug(`scan #${scanId}: ${busiest[0]} requests per ${SLOT_SPAN_MS / 1000} s (count × ms each in a slot): ${caller.slotTimeline(busiest[0]).map((t) => `${t.fromMs / 1000}s ${t.requests}×${t.msEach.toFixed(1)}`).join(", ")}`);
    summary.timings = timings;
    for (const o of outcomes) summary.sources[o.status] = (summary.sources[o.status] ?? 0) + 1;
    summary.counts = { ...stage.counts };
    return await applyScan({ db, config, client, scanId, outcomes, summary, progress, signal: abort.signal, clock, acceptRetirement, started, simulatorUrl: target.simulatorUrl });
  } catch (err) {
    const cancelled = !timedOut && !connectionLost && (err instanceof CancelledError || abort.signal.aborted);
    const message = timedOut
      ? deadlineMessage(config.scanTimeoutMs)
      : connectionLost
        ? `The scan's database connection was lost (${connectionLost.message}); nothing from this scan was applied`
        : cancelled
          ? "Cancelled; nothing from this scan was applied"
          : (err as Error).message;
    if (!cancelled) log.error(`Scan #${scanId} failed:`, timedOut || connectionLost ? message : err);
    summary.durationMs = Date.now() - started;
    const status = cancelled ? "cancelled" : "failed";
    const params = [scanId, status, message, JSON.stringify(summary), JSON.stringify(progress.state)];
    const sql = `update scan set status = $2, finished_at = now(), error = $3, summary = $4, progress = $5 where id = $1 and status = 'running'`;
    // The scan's own connection may be what failed (the server restarted, the session was killed):
    // then a fresh one from the pool records the outcome; if the server is gone altogether, the next
    // scan (or the reaper) marks this one crashed.
    await recordEnd(client, db.pool, sql, params).catch((e) => log.error(`Scan #${scanId}: could not record that it ${status}:`, e));
    // A cancel is somebody's choice, not news; a failure is (a connection lost may also lose this).
    const notifications = cancelled
      ? []
      : await notifyAfterScan({ pool: db.pool, config, scanId, status, clock: new Date(), error: message, simulatorUrl: target?.simulatorUrl ?? opts.simulator?.url ?? config.simulatorUrl });
    return { scanId, status, summary, outcomes, error: message, ...(notifications.length ? { notifications } : {}) };
  } finally {
    clearTimeout(deadline);
    client.off("error", onConnectionLost);
    clearInterval(poll);
    progress.stop();
    await stage?.drop();
    await target?.close();
  }
}

/**
 * After a change of at least this many rows the planner's statistics are refreshed at once rather
 * than at autovacuum's leisure (applyScan).
 */
const STATS_MIN_CHANGES = 5000;

/**
 * ANALYZE inside the scan's transaction, under a savepoint: the rows the transaction inserted count
 * as live and the versions it closed as dead (PostgreSQL samples its own transaction's work as it
 * will be once committed), and the statistics are committed with the scan. A failure is logged and
 * undone to the savepoint, never failing the scan (statistics are an optimisation); true when it ran.
 */
export async function analyseInTransaction(client: pg.PoolClient, table: string, columns: string): Promise<boolean> {
  await client.query("savepoint wi_atlas_stats");
  try {
    await client.query(`analyze ${table} (${columns})`);
    await client.query("release savepoint wi_atlas_stats");
    return true;
  } catch (err) {
    log.warn(`analyze of ${table} during the scan failed (refreshed after it instead):`, err);
    await client.query("rollback to savepoint wi_atlas_stats");
    await client.query("release savepoint wi_atlas_stats");
    return false;
  }
}

/** The columns whose statistics the planner uses (everything but the documents). */
const STATS_COLUMNS = {
  inventory: "id, kind, subject, source, project, cluster, namespace, valid_from, valid_to, first_seen",
  analysis: "id, kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, target, valid_from, valid_to, first_seen",
};

export type ApplyOptions = {
  db: Db;
  config: Config;
  /** The session the scan's transaction runs on (statement timeout lifted). */
  client: pg.PoolClient;
  scanId: number;
  /** Every source's outcome (records already staged). */
  outcomes: SourceOutcome[];
  /** Filled in: counts, sources, requests, timings… come in set; written, analysis and duration are added. */
  summary: ScanSummary;
  progress: Progress;
  signal: AbortSignal;
  clock: Date;
  acceptRetirement: boolean;
  /** When the scan started (its duration is measured from there). */
  started: number;
  simulatorUrl?: string;
  /** Where the staged records are: the session's stage table by default; a sharded scan's are its shards' tables. */
  stage?: StageSource;
};

/**
 * Applies a collected scan in one transaction — the inventory's new versions, its analysis and the
 * scan's end — then refreshes statistics, prunes history and notifies. Used by the single scan and by
 * the shard that applies a sharded one. Throws (nothing applied) on failure or cancel.
 */
export async function applyScan(o: ApplyOptions): Promise<ScanResult> {
  const { db, config, client, scanId, summary, progress, clock, acceptRetirement, started } = o;
  const outcomes = o.outcomes;
  const timings = summary.timings ?? (summary.timings = { collectMs: 0, storeMs: 0, analysisMs: 0 });
  const mem = () => `rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`;
  let status = statusOf(outcomes);
  let heldNote: string | undefined;
  let inventoryAnalysed = false;
  let analysisAnalysed = false;
  /** Rows the scan changed, inventory and analysis (set once the analysis is written). */
  let changed = 0;

  progress.update((p) => (p.phase = "storing"));
  await progress.flush();
  await client.query("begin");
  try {
    let t0 = Date.now();
    const guard: RetirementGuard = { maxPercent: config.maxRetirePercent, minObjects: 50, accept: acceptRetirement };
    // The new versions are inserted while the analysis computes (analyzeScan's `alongside`); the
    // analysis reads them from the stage, with the current rows.
    const prepared = await prepareInventory(client, scanId, outcomes, guard, o.stage);
    summary.written = prepared.stats;
    if (acceptRetirement) summary.acceptedRetirement = true;
    // Kept objects make the scan partial: what it saw was applied, but not that they are gone.
    if (summary.written.held?.length) {
      if (status === "succeeded") status = "partial";
      heldNote = summary.written.held.map((h) => heldMessage(h, guard)).join("\n");
    }
    timings.storeMs = Date.now() - t0;
    log.debug(`scan #${scanId}: stored in ${timings.storeMs} ms; ${mem()}`);
    progress.update((p) => (p.phase = "analysing"));
    await progress.flush();
    t0 = Date.now();
    summary.analysis = await analyzeScan(client, scanId, clock, {
      pending: PENDING_VERSIONS,
      alongside: async () => {
        const t = Date.now();
        await prepared.insert();
        log.debug(`scan #${scanId}: new inventory versions inserted in ${Date.now() - t} ms, beside the analysis`);
        // The inventory's statistics too, while this process still computes: the database is otherwise
        // idle until the analysis's rows come (see analyseInTransaction).
        if (prepared.stats.inserted + prepared.stats.closed >= STATS_MIN_CHANGES) {
          const t1 = Date.now();
          inventoryAnalysed = await analyseInTransaction(client, "inventory_object", STATS_COLUMNS.inventory);
          log.debug(`scan #${scanId}: inventory statistics refreshed in ${Date.now() - t1} ms, beside the analysis`);
        }
      },
    });
    timings.analysisMs = Date.now() - t0;
    log.debug(`scan #${scanId}: analysed in ${timings.analysisMs} ms; ${mem()}`);
    // The analysis's statistics, inside the transaction as well: after the commit, an autovacuum
    // worker drawn by the new rows could hold the table (a manual ANALYZE then waits for it to be
    // cancelled, deadlock_timeout later), and the first reads of rows just committed set their hint
    // bits, dirtying the pages ANALYZE samples; this transaction's own rows need neither.
    changed = summary.written.inserted + summary.written.closed + (summary.analysis?.written.inserted ?? 0) + (summary.analysis?.written.closed ?? 0);
    if (changed >= STATS_MIN_CHANGES) {
      const t1 = Date.now();
      analysisAnalysed = await analyseInTransaction(client, "analysis_object", STATS_COLUMNS.analysis);
      log.debug(`scan #${scanId}: analysis statistics refreshed in ${Date.now() - t1} ms`);
    }
    if (o.signal.aborted) throw new CancelledError();
    summary.durationMs = Date.now() - started;
    progress.update((p) => (p.phase = "done"));
    await client.query(
      `update scan set status = $2, finished_at = clock_timestamp(), summary = $3, progress = $4, phase = 'done', error = $5 where id = $1`,
      [
        scanId,
        status,
        JSON.stringify(summary),
        JSON.stringify(progress.state),
        status === "failed"
          ? outcomes.find((o) => o.status === "failed")?.error ?? "every source failed"
          : (heldNote ?? null),
      ],
    );
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  }
  // After a large change, the planner's statistics are refreshed at once rather than at
  // autovacuum's leisure: the first pages read after a first scan of a big estate depend on them.
  // Normally inside the transaction (above); here only a table whose refresh there failed.
  if (changed >= STATS_MIN_CHANGES && !(inventoryAnalysed && analysisAnalysed)) {
    const t0 = Date.now();
    // Each table on its own connection, and only the columns queries filter, join and sort on:
    // sampling `data` meant reading and decompressing the largest values of both tables (at org-l
    // the refresh took 2.4 s of the scan, then about half). Expression indexes on data keep what
    // statistics they had until autovacuum's next analyze (lookups on them are by equality, which
    // the planner serves from the index either way).
    await Promise.all([
      inventoryAnalysed ? undefined : db.pool.query(`analyze inventory_object (${STATS_COLUMNS.inventory})`),
      analysisAnalysed ? undefined : db.pool.query(`analyze analysis_object (${STATS_COLUMNS.analysis})`),
    ]).catch((err) => log.warn("analyze after the scan failed:", err));
    log.debug(`scan #${scanId}: statistics refreshed in ${Date.now() - t0} ms`);
    summary.durationMs = Date.now() - started;
    await db.pool.query(`update scan set summary = $2 where id = $1`, [scanId, JSON.stringify(summary)]).catch(() => undefined);
  }
  // Retention runs after each applied scan, outside its transaction (a failure here loses nothing).
  await pruneHistory(db, config.retentionDays).catch((err) => log.error("Pruning old scans failed:", err));
  // Told after the scan is applied, so a message never announces what the pages do not show yet.
  const notifications = await notifyAfterScan({ pool: db.pool, config, scanId, status, clock, error: heldNote, simulatorUrl: o.simulatorUrl });
  return { scanId, status, summary, outcomes, ...(heldNote ? { error: heldNote } : {}), ...(notifications.length ? { notifications } : {}) };
}
