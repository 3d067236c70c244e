import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { listSuppressions, parseSuppression, upsertSuppression } from "@/lib/store/suppressions";

export const GET = route(async () => ({ suppressions: await listSuppressions(serverDb()) }));

export const POST = route(async (req) => {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw badRequest("The request body must be JSON: {rule, subject, reason, owner, expiresAt?}");
  }
  return upsertSuppression(serverDb(), parseSuppression(body));
});
