/**
 * Scheduled scans in the web server. Every replica runs this loop; the decision to scan is read from
 * the database (the last scan's start), and the scan lock lets exactly one replica run it. Dead scans
 * (their process gone, their lock free) are marked crashed on every tick.
 */
import type { Db } from "../store/db";
import type { Config } from "../config";
import { reapCrashedScans, startScan, ScanBusyError } from "./scan-control";
import { log } from "../log";

const TICK_MS = 60_000;

export function startScheduler(db: Db, config: Config): () => void {
  if (config.scanIntervalMinutes <= 0) {
    log.info("Scheduled scans are off (WI_ATLAS_SCAN_INTERVAL_MINUTES=0)");
    return () => undefined;
  }
  const intervalMs = config.scanIntervalMinutes * 60_000;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await reapCrashedScans(db);
      const r = await db.pool.query<{ t: string | null }>(`select max(started_at) as t from scan where status <> 'crashed'`);
      const last = r.rows[0].t ? Date.parse(r.rows[0].t) : 0;
      if (Date.now() - last >= intervalMs) {
        const { scanId } = await startScan(db, config, "schedule");
        log.info(`Scheduled scan #${scanId} started (every ${config.scanIntervalMinutes} min)`);
      }
    } catch (err) {
      if (!(err instanceof ScanBusyError)) log.error("Scheduled scan could not start:", err);
    } finally {
      busy = false;
    }
  };
  // A little jitter so replicas started together do not all knock at once.
  const first = setTimeout(() => void tick(), 5_000 + Math.floor(Math.random() * 5_000));
  const every = setInterval(() => void tick(), Math.min(TICK_MS, intervalMs));
  log.info(`Scheduled scans every ${config.scanIntervalMinutes} min`);
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
