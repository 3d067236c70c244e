import { z } from "zod";
import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { listAudit } from "@/lib/store/audit";

const Limit = z.coerce.number().int().min(1).max(1000).default(100);

/** The audit trail, newest first: `?limit=` (1–1000, default 100). */
export const GET = route(async (req) => {
  const raw = new URL(req.url).searchParams.get("limit");
  const limit = Limit.safeParse(raw === null || raw.trim() === "" ? undefined : raw);
  if (!limit.success) throw badRequest(`Query parameter "limit" ("${raw}") must be a whole number from 1 to 1000`, { parameter: "limit" });
  return { events: await listAudit(serverDb(), { limit: limit.data }) };
});
