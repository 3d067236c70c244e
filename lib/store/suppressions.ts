/** Suppressions: a user's acceptance of a finding, with a reason, an owner and an optional expiry. */
import { z } from "zod";
import type { Db } from "./db";
import { badRequest, notFound } from "../api/problem";
import { RULES } from "../analysis/rules";
import { parseSubject } from "../ids";

// PostgreSQL refuses NUL in text, and no rule, subject, reason or owner needs a control character.
const noControl = { message: "must not hold control characters" } as const;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export const SuppressionInput = z.object({
  rule: z.string().refine((r) => RULES.some((x) => x.id === r), { message: `must be a rule id (${RULES.map((r) => r.id).join(", ")})` }),
  subject: z
    .string()
    .max(2000, "must be at most 2000 characters")
    .refine((s) => !CONTROL.test(s), noControl)
    .refine((s) => parseSubject(s) !== null, { message: "must be a subject such as workload:P/L/C/NS/KIND/NAME" }),
  reason: z.string().trim().min(3, "must say why (at least 3 characters)").max(1000).refine((s) => !/\u0000/.test(s), { message: "must not hold a NUL character" }),
  // Without sign-in the owner is typed; with sign-in the route replaces it by the signed-in person.
  owner: z.string().trim().min(1, "must name who accepts it").max(200).refine((s) => !CONTROL.test(s), noControl).optional(),
  expiresAt: z
    .string()
    .datetime({ offset: true, message: "must be an ISO 8601 time" })
    .nullish()
    .refine((v) => !v || Date.parse(v) > Date.now(), { message: "must be in the future" }),
});

/**
 * Validates a suppression. `signedInAs` (the signed-in person, when there is sign-in) becomes its owner
 * whatever the body says, so nobody can accept a finding in someone else's name; without sign-in the
 * body must name an owner, as before.
 */
export function parseSuppression(body: unknown, opts: { signedInAs?: string } = {}): SuppressionData {
  const r = SuppressionInput.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw badRequest(`Field "${i.path.join(".") || "body"}" ${i.message}`, { field: i.path.join(".") });
  }
  const owner = opts.signedInAs ?? r.data.owner;
  if (!owner) throw badRequest(`Field "owner" must name who accepts it`, { field: "owner" });
  return { ...r.data, owner };
}

export type SuppressionData = z.infer<typeof SuppressionInput> & { owner: string };

export async function listSuppressions(db: Db) {
  const rows = await db.prisma.suppression.findMany({ orderBy: [{ createdAt: "desc" }] });
  const now = Date.now();
  return rows.map((s) => ({ ...s, active: !s.expiresAt || s.expiresAt.getTime() > now }));
}

export async function findSuppression(db: Db, rule: string, subject: string) {
  return db.prisma.suppression.findUnique({ where: { rule_subject: { rule, subject } } });
}

export async function upsertSuppression(db: Db, input: SuppressionData) {
  const data = { reason: input.reason, owner: input.owner, expiresAt: input.expiresAt ? new Date(input.expiresAt) : null };
  return db.prisma.suppression.upsert({
    where: { rule_subject: { rule: input.rule, subject: input.subject } },
    create: { rule: input.rule, subject: input.subject, ...data },
    update: { ...data, createdAt: new Date() },
  });
}

export async function deleteSuppression(db: Db, id: number) {
  const rows = await db.pool.query<{ rule: string; subject: string }>(`delete from suppression where id = $1 returning rule, subject`, [id]);
  if (rows.rowCount === 0) throw notFound(`No suppression ${id}`);
  return { deleted: id, rule: rows.rows[0].rule, subject: rows.rows[0].subject };
}
