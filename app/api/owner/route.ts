import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { subjectOwner } from "@/lib/owners/owner-of-subject";

/** GET /api/owner?subject=workload:…|gsa:… — the team the owners file (WI_ATLAS_OWNERS) gives it. */
export const GET = route(async (req) => {
  const subject = new URL(req.url).searchParams.get("subject")?.trim();
  if (!subject) throw badRequest('Query parameter "subject" is required', { parameter: "subject" });
  return subjectOwner(serverDb(), subject);
});
