import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { trends } from "@/lib/store/queries";

/** GET /api/trends?scope=overall|project:ID|cluster:P/L/N — one point per analysed scan. */
export const GET = route(async (req) => {
  const scope = new URL(req.url).searchParams.get("scope") ?? "overall";
  if (!/^(overall|project:[a-z0-9-]+|cluster:[^/]+\/[^/]+\/[^/]+)$/.test(scope)) throw badRequest(`Query parameter "scope" ("${scope}") must be overall, project:ID or cluster:P/L/N`, { parameter: "scope" });
  return trends(serverDb(), scope);
});
