/**
 * Retention: drop what only scans older than WI_ATLAS_RETENTION_DAYS can see, without breaking the
 * timelines that remain. Versions that ended before the oldest kept scan go; versions still valid
 * in a kept scan stay whole (their first-seen scan row is kept, marked pruned, so "first seen" still
 * reads right); per-source outcomes and trend points of pruned scans go.
 */
import type { Db } from "./db";

export type PruneResult = { cutoffScanId: number | null; scansPruned: number; versionsDeleted: number };

export async function pruneHistory(db: Db, retentionDays: number): Promise<PruneResult> {
  if (retentionDays <= 0) return { cutoffScanId: null, scansPruned: 0, versionsDeleted: 0 };
  const client = await db.pool.connect();
  try {
    await client.query("begin");
    // The oldest scan to keep: the first one inside the window (never the latest finished one).
    const c = await client.query<{ id: number | null }>(
      `select min(id) as id from scan where started_at >= now() - make_interval(days => $1)
         or id = (select max(id) from scan where status in ('succeeded', 'partial'))`,
      [retentionDays],
    );
    const cutoff = c.rows[0].id;
    if (!cutoff) {
      await client.query("commit");
      return { cutoffScanId: null, scansPruned: 0, versionsDeleted: 0 };
    }
    const inv = await client.query(`delete from inventory_object where valid_to is not null and valid_to <= $1`, [cutoff]);
    const ana = await client.query(`delete from analysis_object where valid_to is not null and valid_to <= $1`, [cutoff]);
    await client.query(`delete from scan_source where scan_id < $1`, [cutoff]);
    await client.query(`delete from scan_metric where scan_id < $1`, [cutoff]);
    const s = await client.query(`update scan set pruned_at = now(), progress = null where id < $1 and pruned_at is null`, [cutoff]);
    await client.query("commit");
    return { cutoffScanId: cutoff, scansPruned: s.rowCount ?? 0, versionsDeleted: (inv.rowCount ?? 0) + (ana.rowCount ?? 0) };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
