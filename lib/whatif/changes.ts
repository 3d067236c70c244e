/**
 * The changes a "what breaks if…" question is made of, as `POST /api/what-if` takes them and as the
 * shareable page carries them (`/what-if?changes=` holds the same JSON list, base64url-encoded).
 * Every change names its target by the product's subject ids (lib/ids.ts), plus the fields its type
 * needs. This list is an interface users script against: extend it, never rename a type or a field.
 *
 *   delete-key             subject key:EMAIL/KEY_ID
 *   disable-key            subject key:EMAIL/KEY_ID
 *   disable-gsa            subject gsa:EMAIL
 *   delete-gsa             subject gsa:EMAIL
 *   remove-binding         subject gsa:EMAIL (or project:ID / folder:ID / organization:ID), member, role (default roles/iam.workloadIdentityUser)
 *   add-binding            subject gsa:EMAIL (or project:ID / …), member, role (default roles/iam.workloadIdentityUser)
 *   annotate-ksa           subject ksa:P/L/C/NS/NAME, gsa (EMAIL, or null to remove the annotation)
 *   set-nodepool-metadata  subject nodepool:P/L/C/POOL, mode GKE_METADATA | GCE_METADATA
 *   delete-nodepool        subject nodepool:P/L/C/POOL
 *   move-workload          subject workload:P/L/C/NS/KIND/NAME, pool (nodepool:… subject) and/or ksa (ksa:… subject, same namespace)
 *   delete-secret          subject secret:P/L/C/NS/NAME
 *   remove-role            subject project:ID / folder:ID / organization:ID / gsa:EMAIL (where the grant sits), member, role
 */
import { z } from "zod";
import { parseSubject, type SubjectKind } from "../ids";

// The pages import this module (the What breaks if… links, the /what-if page): in the browser, zod's
// object schemas would probe `new Function` as they are built, which the dashboard's CSP reports as a
// violation even though zod catches it. Without the JIT nothing else changes.
if (typeof window !== "undefined") z.config({ jitless: true });

export const CHANGE_TYPES = [
  "delete-key",
  "disable-key",
  "disable-gsa",
  "delete-gsa",
  "remove-binding",
  "add-binding",
  "annotate-ksa",
  "set-nodepool-metadata",
  "delete-nodepool",
  "move-workload",
  "delete-secret",
  "remove-role",
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser";

const subjectOf = (...kinds: SubjectKind[]) =>
  z.string().refine((s) => {
    const p = parseSubject(s);
    return !!p && kinds.includes(p.kind);
  }, `must be a subject id of kind ${kinds.join(" or ")} (e.g. ${kinds[0]}:…)`);

const email = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^@\s]+@[^@\s]+$/, "must be a service account email");
const member = z.string().regex(/^[a-zA-Z]+:\S+$/, "must be an IAM member (serviceAccount:P.svc.id.goog[NS/KSA], principal://…, user:…)");
const role = z.string().regex(/^(roles\/[A-Za-z0-9_.]+|projects\/[^/]+\/roles\/[A-Za-z0-9_.]+|organizations\/[0-9]+\/roles\/[A-Za-z0-9_.]+)$/, "must be a role name (roles/…, projects/P/roles/…, organizations/O/roles/…)");
const grantHolder = subjectOf("gsa", "project", "folder", "organization");

export const changeSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("delete-key"), subject: subjectOf("key") }).strict(),
  z.object({ type: z.literal("disable-key"), subject: subjectOf("key") }).strict(),
  z.object({ type: z.literal("disable-gsa"), subject: subjectOf("gsa") }).strict(),
  z.object({ type: z.literal("delete-gsa"), subject: subjectOf("gsa") }).strict(),
  z.object({ type: z.literal("remove-binding"), subject: grantHolder, member, role: role.default(WORKLOAD_IDENTITY_USER) }).strict(),
  z.object({ type: z.literal("add-binding"), subject: grantHolder, member, role: role.default(WORKLOAD_IDENTITY_USER) }).strict(),
  z.object({ type: z.literal("annotate-ksa"), subject: subjectOf("ksa"), gsa: email.nullable() }).strict(),
  z.object({ type: z.literal("set-nodepool-metadata"), subject: subjectOf("nodepool"), mode: z.enum(["GKE_METADATA", "GCE_METADATA"]) }).strict(),
  z.object({ type: z.literal("delete-nodepool"), subject: subjectOf("nodepool") }).strict(),
  z
    .object({ type: z.literal("move-workload"), subject: subjectOf("workload"), pool: subjectOf("nodepool").optional(), ksa: subjectOf("ksa").optional() })
    .strict()
    .refine((c) => c.pool !== undefined || c.ksa !== undefined, "move-workload needs a pool (nodepool:…) or a ksa (ksa:…)"),
  z.object({ type: z.literal("delete-secret"), subject: subjectOf("secret") }).strict(),
  z.object({ type: z.literal("remove-role"), subject: grantHolder, member, role }).strict(),
]);
export type Change = z.infer<typeof changeSchema>;

export const MAX_CHANGES = 50;
export const changesSchema = z.array(changeSchema).min(1, "give at least one change").max(MAX_CHANGES, `at most ${MAX_CHANGES} changes at once`);

/** Parses a change list; the error names the change and the field at fault. */
export function parseChanges(value: unknown): { ok: true; changes: Change[] } | { ok: false; error: string } {
  const r = changesSchema.safeParse(value);
  if (r.success) return { ok: true, changes: r.data };
  const issue = r.error.issues[0];
  // `changes[0]`, `changes[0].subject` (a whole-change issue has a one-element path).
  const [index, ...rest] = issue.path;
  const where = index === undefined ? "changes" : `changes[${String(index)}]${rest.map((p) => `.${String(p)}`).join("")}`;
  if (issue.code === "invalid_union" || (issue.code as string) === "invalid_union_discriminator") {
    return { ok: false, error: `${where}: type must be one of ${CHANGE_TYPES.join(", ")}` };
  }
  return { ok: false, error: `${where}: ${issue.message}` };
}

// base64url of UTF-8 text, written to run in the browser as well as in Node (no Buffer).
function toBase64url(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromBase64url(value: string): string {
  const b64 = value.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The `changes=` value of a shareable `/what-if` URL: the JSON list, base64url-encoded. */
export function encodeChanges(changes: Change[]): string {
  return toBase64url(JSON.stringify(changes));
}

/** Reads a `changes=` value back; a clear error names what is wrong with it. */
export function decodeChanges(value: string): { ok: true; changes: Change[] } | { ok: false; error: string } {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value)) return { ok: false, error: "changes= must be base64url (A–Z, a–z, 0–9, - and _)" };
  let json: unknown;
  try {
    json = JSON.parse(fromBase64url(value));
  } catch {
    return { ok: false, error: "changes= does not decode to a JSON list" };
  }
  return parseChanges(json);
}

/** The page URL that asks the question (relative). */
export function whatIfPath(changes: Change[]): string {
  return `/what-if?changes=${encodeChanges(changes)}`;
}
