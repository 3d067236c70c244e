/**
 * How the shards of a sharded scan (issue 14) find each other, through PostgreSQL only: the scan row
 * (`shards`, `run_key`, `applier`) and one `scan_shard` row per shard with its lease — a heartbeat the
 * shard renews while it lives. No session holds anything for the whole scan (unlike the single scan's
 * advisory lock), so shards may run on different machines and a retried shard can rejoin.
 *
 * - joining: under a short transaction lock, a shard joins the running sharded scan (same shard count,
 *   same run key when it has one), else claims the web's requested scan, else creates a scan;
 * - a shard whose previous attempt died takes its slot over (attempt + 1) and collects its slice again;
 * - finishing: the shard records its outcomes; the one that makes the count of collected shards reach
 *   N becomes the applier (counted under the scan row's lock, so exactly one does);
 * - expiry: a running shard (or the applier) whose heartbeat is older than the lease, or a shard that
 *   never joined by the scan's deadline, fails the scan — nothing applied — and its stage tables go.
 *   Whoever looks does it: another shard's heartbeat, a new shard, the scanner's reaper, a single scan.
 */
import os from "node:os";
import type pg from "pg";
import { SCAN_LOCK_KEY, ScanBusyError } from "./run-scan-lock";
import type { SourceOutcome } from "./collect";
import type { ScanProgress } from "./progress";

/** Held for the length of a join transaction only (never across a scan). */
const SHARD_JOIN_LOCK = 7_231_504_120;

type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

/** What a shard collected, kept on its row until the applier reads it. */
export type ShardResult = {
  outcomes: Omit<SourceOutcome, "records">[];
  counts: Record<string, number>;
  requests: Record<string, number>;
  retries: number;
  chain: number;
  collectMs: number;
  inventoryPath?: string;
  /** Peak RSS of the shard's process, bytes. */
  maxRssBytes?: number;
};

export type Joined = { scanId: number; attempt: number; created: boolean; acceptRetirement: boolean };

/** A shard could not join (another scan runs, its slot is held, its run already ended): exit 75, try later. */
export class ShardJoinError extends ScanBusyError {
  constructor(message: string) {
    super(null);
    this.message = message;
    this.name = "ShardJoinError";
  }
}

export const runnerName = () => `${os.hostname()}:${process.pid}`;

/**
 * Fails the running sharded scans whose lease ran out: a shard (running, or applying) whose last
 * heartbeat is older than `leaseMs`, or — past the scan's deadline — a shard that never joined.
 * Returns the ids failed. Nothing of theirs was applied (only the applier's transaction applies).
 */
export async function expireShardedScans(db: Queryable, leaseMs: number, timeoutMs: number): Promise<number[]> {
  const stale = await db.query<{ id: number; shards: number; shard: number | null; heartbeat_at: string | null; runner: string | null }>(
    `select s.id, s.shards, sh.shard, sh.heartbeat_at, sh.runner
       from scan s
       left join scan_shard sh on sh.scan_id = s.id
        and (sh.status = 'running' or (sh.status = 'collected' and sh.shard = s.applier))
        and sh.heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)
      where s.status = 'running' and s.shards > 1
        and (sh.shard is not null
             or (s.started_at < now() - make_interval(secs => $2::float8 / 1000)
                 and (select count(*) from scan_shard x where x.scan_id = s.id) < s.shards))
      order by s.id, sh.shard`,
    [leaseMs, timeoutMs],
  );
  const byScan = new Map<number, string>();
  for (const r of stale.rows) {
    if (byScan.has(r.id)) continue;
    byScan.set(
      r.id,
      r.shard !== null
        ? `Shard ${r.shard} of ${r.shards} stopped: no heartbeat from ${r.runner} since ${new Date(r.heartbeat_at!).toISOString()} (lease ${Math.round(leaseMs / 1000)} s, WI_ATLAS_SCAN_LEASE_SECONDS); nothing from this scan was applied`
        : `Not every shard of ${r.shards} joined before the scan's deadline (WI_ATLAS_SCAN_TIMEOUT_MINUTES); nothing from this scan was applied`,
    );
  }
  const failed: number[] = [];
  for (const [id, error] of byScan) {
    const u = await db.query(`update scan set status = 'failed', finished_at = now(), phase = null, error = $2 where id = $1 and status = 'running'`, [id, error]);
    if (u.rowCount) failed.push(id);
  }
  return failed;
}

/** A live sharded scan (its lease not expired), if any: a single scan must not start beside it. */
export async function liveShardedScan(db: Queryable): Promise<{ id: number; startedAt: string; trigger: string } | null> {
  const r = await db.query<{ id: number; started_at: string; trigger: string }>(
    `select id, started_at, trigger from scan where status = 'running' and shards > 1 order by id desc limit 1`,
  );
  return r.rows[0] ? { id: r.rows[0].id, startedAt: r.rows[0].started_at, trigger: r.rows[0].trigger } : null;
}

/**
 * Joins (or starts) the sharded scan for shard `index` of `count`. Throws ShardJoinError when the
 * shard cannot take part now: a single scan holds the scan lock, a sharded scan of another shape or
 * run is running, the slot is held by a live runner, or this run's scan already ended.
 */
export async function joinShardedScan(
  client: pg.PoolClient,
  opts: { index: number; count: number; runKey?: string; trigger: string; mode: string; leaseMs: number; timeoutMs: number },
): Promise<Joined> {
  const runner = runnerName();
  await client.query("begin");
  try {
    await client.query("select pg_advisory_xact_lock($1)", [SHARD_JOIN_LOCK]);
    // A single scan holds the scan lock for its whole length: not beside it.
    // Asked a few times over a second: the shard that joined just before us holds the scan lock for
    // its join transaction too, and a commit releases its locks one by one — we can be woken by its
    // join lock while its scan lock is still on the way out. A single scan holds it for minutes.
    for (let attempt = 1; ; attempt++) {
      const free = await client.query<{ ok: boolean }>("select pg_try_advisory_xact_lock($1) as ok", [SCAN_LOCK_KEY]);
      if (free.rows[0].ok) break;
      if (attempt >= 10) throw new ShardJoinError("A single (unsharded) scan is running; not starting a sharded one beside it");
      await new Promise((r) => setTimeout(r, 100));
    }
    // We hold the scan lock for this transaction: a single scan still marked running is dead.
    await client.query(
      `update scan set status = 'crashed', finished_at = now(), error = coalesce(error, 'The process running this scan stopped before it finished') where status = 'running' and shards = 1`,
    );
    // A retried shard of the running scan's run takes its slot over before leases are judged, even
    // while the slot's heartbeat is fresh: the Job runs one pod per index, so a new pod of the same
    // run and index means the previous one is gone (its last heartbeat may be seconds old). Should it
    // still be alive, its next heartbeat finds the slot taken and it stops.
    const tookOver = await client.query(
      `update scan_shard sh set heartbeat_at = now(), runner = $4 from scan s
        where s.id = sh.scan_id and s.status = 'running' and s.shards = $1 and s.run_key is not distinct from $2 and $2 is not null
          and sh.shard = $3 and sh.status = 'running'`,
      [opts.count, opts.runKey ?? null, opts.index, runner],
    );
    await expireShardedScans(client, opts.leaseMs, opts.timeoutMs);
    if (opts.runKey) {
      const ended = await client.query<{ id: number; status: string }>(
        `select id, status from scan where run_key = $1 and status not in ('running', 'requested') order by id desc limit 1`,
        [opts.runKey],
      );
      const running = await client.query(`select 1 from scan where run_key = $1 and status = 'running'`, [opts.runKey]);
      if (ended.rows[0] && !running.rowCount) {
        throw new ShardJoinError(`The scan of run ${opts.runKey} (#${ended.rows[0].id}) already ended (${ended.rows[0].status}); a retried shard does not start another`);
      }
    }
    const cur = await client.query<{ id: number; shards: number; run_key: string | null; accept_retirement: boolean }>(
      `select id, shards, run_key, accept_retirement from scan where status = 'running' order by id desc limit 1`,
    );
    let scanId: number;
    let created = false;
    let acceptRetirement = false;
    const c = cur.rows[0];
    if (c) {
      if (c.shards !== opts.count) throw new ShardJoinError(`Scan #${c.id} is running with ${c.shards} shard${c.shards === 1 ? "" : "s"}; this process was started as shard ${opts.index} of ${opts.count}`);
      if (opts.runKey && c.run_key && c.run_key !== opts.runKey) throw new ShardJoinError(`Scan #${c.id} of another run (${c.run_key}) is still running; not joining it`);
      const slot = await client.query<{ status: string; runner: string; heartbeat_at: string; fresh: boolean }>(
        `select status, runner, heartbeat_at, heartbeat_at >= now() - make_interval(secs => $3::float8 / 1000) as fresh from scan_shard where scan_id = $1 and shard = $2`,
        [c.id, opts.index, opts.leaseMs],
      );
      const s = slot.rows[0];
      if (s?.status === "collected") throw new ShardJoinError(`Shard ${opts.index} of scan #${c.id} has already collected its slice`);
      if (s?.status === "running" && s.fresh && !(tookOver.rowCount ?? 0)) throw new ShardJoinError(`Shard ${opts.index} of scan #${c.id} is held by ${s.runner} (heartbeat ${new Date(s.heartbeat_at).toISOString()})`);
      scanId = c.id;
      acceptRetirement = c.accept_retirement;
    } else {
      const claimed = await client.query<{ id: number; accept_retirement: boolean }>(
        `update scan set status = 'running', mode = $1, phase = 'starting', runner = $2, started_at = now(), shards = $3, run_key = $4
          where status = 'requested' and not cancel_requested returning id, accept_retirement`,
        [opts.mode, runner, opts.count, opts.runKey ?? null],
      );
      if (claimed.rows[0]) {
        scanId = claimed.rows[0].id;
        acceptRetirement = claimed.rows[0].accept_retirement;
      } else {
        const ins = await client.query<{ id: number }>(
          `insert into scan (status, trigger, mode, target, phase, runner, started_at, shards, run_key) values ('running', $1, $2, '', 'starting', $3, now(), $4, $5) returning id`,
          [opts.trigger, opts.mode, runner, opts.count, opts.runKey ?? null],
        );
        scanId = ins.rows[0].id;
      }
      created = true;
    }
    const row = await client.query<{ attempt: number }>(
      `insert into scan_shard (scan_id, shard, status, runner) values ($1, $2, 'running', $3)
       on conflict (scan_id, shard) do update set status = 'running', runner = excluded.runner, attempt = scan_shard.attempt + 1,
         started_at = now(), heartbeat_at = now(), finished_at = null, result = null, error = null
       returning attempt`,
      [scanId, opts.index, runner],
    );
    await client.query("commit");
    return { scanId, attempt: row.rows[0].attempt, created, acceptRetirement };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  }
}

/**
 * Renews the shard's lease and says whether the scan goes on: false once the scan is no longer
 * running (failed by another shard or an expired lease, cancelled) or a cancel was asked for.
 */
export async function heartbeat(db: Queryable, scanId: number, shard: number, lease: { leaseMs: number; timeoutMs: number }, progress?: ScanProgress): Promise<{ goOn: boolean; reason?: string }> {
  // A shard that stopped renewing its lease fails the scan: the living ones stop rather than collect
  // what cannot be applied.
  await expireShardedScans(db, lease.leaseMs, lease.timeoutMs);
  const mine = await db.query<{ runner: string }>(
    `update scan_shard set heartbeat_at = case when runner = $4 then now() else heartbeat_at end, progress = case when runner = $4 then coalesce($3, progress) else progress end
      where scan_id = $1 and shard = $2 returning runner`,
    [scanId, shard, progress ? JSON.stringify(progress) : null, runnerName()],
  );
  const holder = mine.rows[0]?.runner;
  if (holder && holder !== runnerName()) return { goOn: false, reason: `shard ${shard} was taken over by ${holder} (a retry of the same run)` };
  const r = await db.query<{ status: string; cancel_requested: boolean; error: string | null }>(`select status, cancel_requested, error from scan where id = $1`, [scanId]);
  const s = r.rows[0];
  if (!s) return { goOn: false, reason: "the scan row is gone" };
  if (s.cancel_requested) return { goOn: false, reason: "cancelled" };
  if (s.status !== "running") return { goOn: false, reason: s.error ?? `the scan is ${s.status}` };
  return { goOn: true };
}

/** The scan's progress, summed over its shards (what the Scans page shows). */
export async function mergeShardProgress(db: Queryable, scanId: number): Promise<void> {
  const r = await db.query<{ progress: ScanProgress | null }>(`select progress from scan_shard where scan_id = $1 order by shard`, [scanId]);
  const parts = r.rows.map((x) => x.progress).filter((p): p is ScanProgress => !!p);
  if (!parts.length) return;
  const order: ScanProgress["phase"][] = ["starting", "discovering", "collecting", "storing", "analysing", "done"];
  const merged: ScanProgress = {
    phase: parts.map((p) => p.phase).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0],
    sourcesTotal: 0,
    sourcesDone: 0,
    sourcesFailed: 0,
    objects: 0,
    requests: 0,
    errors: [],
    startedAt: parts.map((p) => p.startedAt).sort()[0],
    updatedAt: parts.map((p) => p.updatedAt).sort().at(-1)!,
  };
  for (const p of parts) {
    merged.sourcesTotal += p.sourcesTotal;
    merged.sourcesDone += p.sourcesDone;
    merged.sourcesFailed += p.sourcesFailed;
    merged.objects += p.objects;
    merged.requests += p.requests;
    for (const e of p.errors) if (merged.errors.length < 50) merged.errors.push(e);
  }
  await db.query(`update scan set progress = $2, phase = $3 where id = $1 and status = 'running'`, [scanId, JSON.stringify(merged), merged.phase]);
}

/**
 * Records the shard's slice as collected; returns true when this shard is the one that completed the
 * set (it applies the scan). Counted under the scan row's lock, so exactly one shard gets true.
 */
export async function finishShard(client: pg.PoolClient, scanId: number, shard: number, result: ShardResult): Promise<{ applier: boolean; collected: number; shards: number }> {
  await client.query("begin");
  try {
    const s = await client.query<{ shards: number; applier: number | null; status: string }>(`select shards, applier, status from scan where id = $1 for update`, [scanId]);
    const scan = s.rows[0];
    if (!scan || scan.status !== "running") throw new Error(`scan #${scanId} is ${scan?.status ?? "gone"}; shard ${shard}'s slice was not recorded`);
    await client.query(`update scan_shard set status = 'collected', finished_at = now(), heartbeat_at = now(), result = $3 where scan_id = $1 and shard = $2`, [
      scanId,
      shard,
      JSON.stringify(result),
    ]);
    const n = await client.query<{ n: number }>(`select count(*)::int as n from scan_shard where scan_id = $1 and status = 'collected'`, [scanId]);
    const collected = n.rows[0].n;
    const applier = collected === scan.shards && scan.applier === null;
    if (applier) await client.query(`update scan set applier = $2, runner = $3 where id = $1`, [scanId, shard, runnerName()]);
    await client.query("commit");
    return { applier, collected, shards: scan.shards };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  }
}

/** Every shard's result, for the applier: outcomes merged (a source read by several shards counted once). */
export async function readShardResults(db: Queryable, scanId: number): Promise<{ results: ShardResult[]; outcomes: SourceOutcome[] }> {
  const r = await db.query<{ shard: number; result: ShardResult }>(`select shard, result from scan_shard where scan_id = $1 and status = 'collected' order by shard`, [scanId]);
  const results = r.rows.map((x) => x.result);
  const rank = { ok: 0, partial: 1, skipped: 2, failed: 3 } as const;
  const bySource = new Map<string, SourceOutcome>();
  for (const res of results) {
    for (const o of res.outcomes) {
      const prev = bySource.get(o.source);
      if (!prev || rank[o.status] < rank[prev.status]) bySource.set(o.source, { ...o, records: [] });
    }
  }
  return { results, outcomes: [...bySource.values()] };
}

/** Marks the shard (and so the scan) failed: the others see it at their next heartbeat and stop. */
export async function failShard(db: Queryable, scanId: number, shard: number, count: number, status: "failed" | "cancelled", message: string): Promise<void> {
  await db.query(`update scan_shard set status = 'failed', finished_at = now(), error = $3 where scan_id = $1 and shard = $2`, [scanId, shard, message]);
  await db.query(`update scan set status = $2, finished_at = now(), phase = null, error = $3 where id = $1 and status = 'running'`, [
    scanId,
    status,
    status === "cancelled" ? message : `Shard ${shard} of ${count}: ${message}`,
  ]);
}
