import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { ANONYMOUS } from "@/lib/auth/authenticate";
import { recordAudit } from "@/lib/store/audit";
import { findSuppression, listSuppressions, parseSuppression, upsertSuppression } from "@/lib/store/suppressions";

export const GET = route(async () => ({ suppressions: await listSuppressions(serverDb()) }));

/** Accepts a finding (admin). With sign-in, the owner is the signed-in person, not a typed name. */
export const POST = route(
  async (req, _params, actor) => {
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      throw badRequest("The request body must be JSON: {rule, subject, reason, owner, expiresAt?}");
    }
    const input = parseSuppression(body, { signedInAs: actor.email === ANONYMOUS ? undefined : actor.email });
    const db = serverDb();
    const existed = await findSuppression(db, input.rule, input.subject);
    const saved = await upsertSuppression(db, input);
    await recordAudit(db, actor, existed ? "suppression.edited" : "suppression.created", `${input.rule} ${input.subject}`, {
      reason: input.reason,
      owner: input.owner,
      expiresAt: input.expiresAt ?? null,
    });
    return saved;
  },
  { role: "admin" },
);
