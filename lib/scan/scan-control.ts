/**
 * Starting scans in a scanner process: start one in the background (the caller gets its id as soon
 * as it exists, or a ScanBusyError naming the running one), and mark scans whose process died as
 * crashed. The web server does not use this module: it asks for scans through scan-request.ts.
 */
import type { Db } from "../store/db";
import type { Config } from "../config";
import { runScan, ScanBusyError, SCAN_LOCK_KEY, type ScanTrigger } from "./run-scan";
import { log } from "../log";
import { expireShardedScans } from "./shard-lease";
import { dropShardStages } from "../store/stage";

/** Starts a scan and resolves with its id once recorded; the scan goes on in the background. */
export function startScan(db: Db, config: Config, trigger: ScanTrigger, opts: { acceptRetirement?: boolean } = {}): Promise<{ scanId: number }> {
  return new Promise((resolve, reject) => {
    let started = false;
    runScan({
      db,
      config,
      trigger,
      acceptRetirement: opts.acceptRetirement,
      onStarted: (scanId) => {
        started = true;
        resolve({ scanId });
      },
    })
      .then((r) => {
        log.info(`Scan #${r.scanId} (${trigger}) ${r.status}${r.error ? `: ${r.error}` : ""} in ${(r.summary.durationMs / 1000).toFixed(1)} s`);
      })
      .catch((err) => {
        if (!started) reject(err);
        else log.error("Scan failed:", err);
      });
  });
}

/**
 * A scan marked running whose lock is free belongs to a process that died: mark it crashed. Safe to
 * call from any replica at any time (the lock tells a live scan from a dead one).
 */
export async function reapCrashedScans(db: Db, config: Pick<Config, "scanLeaseMs" | "scanTimeoutMs"> = { scanLeaseMs: 60_000, scanTimeoutMs: 120 * 60_000 }): Promise<number> {
  const client = await db.pool.connect();
  try {
    const r = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [SCAN_LOCK_KEY]);
    if (!r.rows[0].ok) return 0;
    try {
      const u = await client.query(
        `update scan set status = 'crashed', finished_at = now(), error = coalesce(error, 'The process running this scan stopped before it finished') where status = 'running' and shards = 1`,
      );
      // Sharded scans hold no lock: theirs is a lease, and an expired one fails the scan (issue 14).
      const expired = await expireShardedScans(client, config.scanLeaseMs, config.scanTimeoutMs);
      await dropShardStages(client).catch(() => undefined);
      return (u.rowCount ?? 0) + expired.length;
    } finally {
      await client.query("select pg_advisory_unlock($1)", [SCAN_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

export { ScanBusyError };
export { cancelScan } from "./scan-request";
