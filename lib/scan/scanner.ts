/**
 * The scanner process's loop (`npm run scanner`, and inside `npm start`): scheduled scans every
 * WI_ATLAS_SCAN_INTERVAL_MINUTES, and the scans the web server asks for (a `requested` scan row,
 * looked for every second). Every replica may run it: the scan lock lets exactly one scan run at a
 * time, and whichever replica takes it claims the waiting request. Dead scans (their process gone,
 * their lock free) are marked crashed on every schedule check.
 *
 * Polling, not LISTEN/NOTIFY: one indexed query a second per replica costs nothing, survives a lost
 * connection without reconnect logic, and works through transaction-mode poolers (PgBouncer, Cloud SQL
 * connectors) where LISTEN does not.
 */
import type { Db } from "../store/db";
import type { Config } from "../config";
import type { Simulator } from "../simulator/server";
import { runScan, ScanBusyError, type ScanResult, type ScanTrigger } from "./run-scan";
import { reapCrashedScans } from "./scan-control";
import { runShard } from "./run-shard";
import type { ShardSetting } from "./shard-slice";
import { log } from "../log";

export type ScannerOptions = {
  db: Db;
  config: Config;
  /** The simulator this process already runs (estate mode), so each scan does not start its own. */
  simulator?: Simulator;
  /** Run one scan at once with this trigger (`npm start`'s first scan). */
  firstScan?: ScanTrigger;
  /** Scheduled scans off for this process (WI_ATLAS_DISABLE_SCHEDULER=1); requests are still served. */
  scheduleDisabled?: boolean;
  /** How often to look for a requested scan, ms (default 1000). */
  pollMs?: number;
  /** Called after each scan this process ran (as a shard: after each scan it applied). */
  onScan?: (r: ScanResult) => void;
  /**
   * This scanner is one shard of sharded scans (issue 14): it starts or joins a sharded scan on the
   * schedule and on the web's request, and joins any running one that lacks its shard.
   */
  sharding?: ShardSetting;
};

export type Scanner = {
  /** Stops the loop; a running scan is cancelled (nothing from it is applied) and awaited. */
  stop: () => Promise<void>;
};

export function startScanner(opts: ScannerOptions): Scanner {
  const { db, config } = opts;
  const slice = opts.sharding?.slice;
  const pollMs = opts.pollMs ?? 1000;
  const intervalMs = config.scanIntervalMinutes * 60_000;
  const isScheduled = intervalMs > 0 && !opts.scheduleDisabled;
  // Check the schedule (and reap) at most once a minute, or as often as the interval asks.
  const checkMs = isScheduled ? Math.min(60_000, intervalMs) : 60_000;
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  // A little jitter so replicas started together do not all knock at once on the schedule.
  let nextCheck = Date.now() + (opts.firstScan ? 0 : 2_000 + Math.floor(Math.random() * 3_000));
  let pendingFirst = opts.firstScan;

  const due = async (): Promise<ScanTrigger | undefined> => {
    if (pendingFirst) {
      const t = pendingFirst;
      pendingFirst = undefined;
      return t;
    }
    const req = await db.pool.query(`select 1 from scan where status = 'requested' and not cancel_requested limit 1`);
    if (req.rowCount) return "manual";
    if (slice) {
      // A sharded scan another shard started, waiting for this one.
      const waiting = await db.pool.query(
        `select 1 from scan s where s.status = 'running' and s.shards = $1 and not exists (select 1 from scan_shard x where x.scan_id = s.id and x.shard = $2) limit 1`,
        [slice.count, slice.index],
      );
      if (waiting.rowCount) return "schedule";
    }
    if (Date.now() < nextCheck) return undefined;
    nextCheck = Date.now() + checkMs;
    const reaped = await reapCrashedScans(db, config);
    if (reaped) log.warn(`Marked ${reaped} scan(s) crashed: the process running them stopped before they finished`);
    if (!isScheduled) return undefined;
    const r = await db.pool.query<{ t: string | null }>(`select max(started_at) as t from scan where status not in ('crashed', 'requested')`);
    const last = r.rows[0].t ? Date.parse(r.rows[0].t) : 0;
    return Date.now() - last >= intervalMs ? "schedule" : undefined;
  };

  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        const trigger = await due();
        if (trigger) {
          if (slice) {
            const s = await runShard({ db, config, trigger, slice, runKey: opts.sharding?.runKey, simulator: opts.simulator, signal: abort.signal });
            log.info(`Scan #${s.scanId} (${trigger}), shard ${s.shard} of ${s.shards}: ${s.status}${s.error ? `: ${s.error}` : ""}`);
            if (s.applied) opts.onScan?.(s.applied);
            continue;
          }
          const r = await runScan({ db, config, trigger, simulator: opts.simulator, signal: abort.signal });
          log.info(`Scan #${r.scanId} (${trigger}) ${r.status}${r.error ? `: ${r.error}` : ""} in ${(r.summary.durationMs / 1000).toFixed(1)} s`);
          opts.onScan?.(r);
          continue;
        }
      } catch (err) {
        // Another replica holds the lock (it will claim any request), or the database is away for
        // a moment: both are for the next turn, not a reason to stop scanning.
        if (err instanceof ScanBusyError) log.debug(err.message);
        else log.error("The scanner could not check for or run a scan:", err);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  const running = loop();
  log.info(
    `Scanner ready: ${isScheduled ? `scans every ${config.scanIntervalMinutes} min` : "scheduled scans off"} and when the web server asks (looking every ${pollMs / 1000} s)`,
  );
  return {
    stop: async () => {
      abort.abort();
      wake?.();
      await running;
    },
  };
}
