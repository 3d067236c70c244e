/**
 * What the web server may do about scans, through the database only: ask for one (a scan row in
 * status `requested` that a scanner process claims within a second or two), and ask a scan to stop.
 * Nothing here reaches Google or Kubernetes, so the web process needs no Google credentials; keep it
 * that way (no import of run-scan, collect or the API clients).
 */
import type { Db } from "../store/db";

/** A scan that is already running or waiting for a scanner, as the 409 reports it. */
export type PendingScan = { id: number; status: "running" | "requested"; startedAt: string; trigger: string };

/** Thrown when a scan is asked for while another runs or waits; names that scan. */
export class ScanPendingError extends Error {
  constructor(readonly running: PendingScan | null) {
    super(
      running
        ? running.status === "running"
          ? `Scan #${running.id} (started ${running.startedAt}, ${running.trigger}) is still running`
          : `Scan #${running.id} (requested ${running.startedAt}, ${running.trigger}) is waiting for the scanner`
        : "Another scan is running",
    );
    this.name = "ScanPendingError";
  }
}

async function pendingScan(db: Db): Promise<PendingScan | null> {
  const r = await db.pool.query<{ id: number; status: "running" | "requested"; started_at: string; trigger: string }>(
    `select id, status, started_at, trigger from scan where status in ('running', 'requested') order by id desc limit 1`,
  );
  const row = r.rows[0];
  return row ? { id: row.id, status: row.status, startedAt: row.started_at, trigger: row.trigger } : null;
}

/**
 * Asks for a scan: inserts a `requested` row unless one is running or already waiting (then throws
 * ScanPendingError naming it). The unique index on requested rows makes two concurrent asks leave one.
 * The scanner fills in mode, target and the real start time when it claims the row.
 */
export async function requestScan(db: Db, trigger: "manual" = "manual", opts: { acceptRetirement?: boolean } = {}): Promise<{ scanId: number; status: "requested" }> {
  const r = await db.pool.query<{ id: number }>(
    `insert into scan (status, trigger, mode, target, phase, accept_retirement)
       select 'requested', $1, '', '', 'requested', $2
       where not exists (select 1 from scan where status in ('running', 'requested'))
     on conflict do nothing
     returning id`,
    [trigger, opts.acceptRetirement === true],
  );
  if (r.rows[0]) return { scanId: r.rows[0].id, status: "requested" };
  throw new ScanPendingError(await pendingScan(db));
}

/**
 * Asks a scan to stop. A requested scan that no scanner has claimed yet is cancelled on the spot; a
 * running one gets the flag, which whichever process runs it sees within a second.
 */
export async function cancelScan(db: Db, scanId: number): Promise<{ scanId: number; status: string }> {
  const waiting = await db.pool.query(
    `update scan set status = 'cancelled', cancel_requested = true, finished_at = now(), phase = null,
       error = 'Cancelled before a scanner started it' where id = $1 and status = 'requested'`,
    [scanId],
  );
  if (waiting.rowCount) return { scanId, status: "cancelled" };
  const r = await db.pool.query<{ status: string }>(
    `update scan set cancel_requested = true where id = $1 and status = 'running' returning status`,
    [scanId],
  );
  if (r.rowCount) return { scanId, status: "cancelling" };
  const s = await db.pool.query<{ status: string }>(`select status from scan where id = $1`, [scanId]);
  return { scanId, status: s.rows[0]?.status ?? "unknown" };
}
