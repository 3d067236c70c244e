/**
 * The audit trail: one row per state change (who, with which role, did what, to what, when). Written
 * by the routes that change state, read by the Scans page's Activity table and GET /api/audit.
 */
import type { Db } from "./db";

/** Who acted: the signed-in person and the role they held (see lib/auth). */
export type AuditActor = { email: string; role: string };

export type AuditAction = "scan.requested" | "scan.cancelled" | "scan.retirement-accepted" | "suppression.created" | "suppression.edited" | "suppression.removed" | (string & {});

/** One audit row as the API returns it. */
export type AuditRow = {
  id: number;
  /** ISO 8601, UTC. */
  at: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  detail: Record<string, unknown> | null;
};

/** Records one state change. `detail` must never hold a secret (it is shown to every viewer). */
export async function recordAudit(db: Db, actor: AuditActor, action: AuditAction, target: string, detail?: Record<string, unknown>): Promise<void> {
  await db.pool.query(`insert into audit_event (actor, role, action, target, detail) values ($1, $2, $3, $4, $5)`, [
    actor.email,
    actor.role,
    action,
    target,
    detail === undefined ? null : JSON.stringify(detail),
  ]);
}

/** The newest rows first. */
export async function listAudit(db: Db, opts: { limit?: number } = {}): Promise<AuditRow[]> {
  const r = await db.pool.query<AuditRow>(`select id, at, actor, role, action, target, detail from audit_event order by at desc, id desc limit $1`, [opts.limit ?? 100]);
  return r.rows;
}
