import { serverDb } from "@/lib/store/db";
import { decodeParam, route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { gsaDetail, GSA_DETAIL_LIMIT, type GsaDetailView } from "@/lib/store/queries";
import { cachedJsonPerScan } from "@/lib/store/scan-cache";

/**
 * GET /api/gsas/{gsa:EMAIL|EMAIL}?limit=N|all&view=full|page — lists hold `limit` items (default 100),
 * `totals` the counts; `view=page` (what the GSA page asks) also cuts usage's identity lists to `limit`.
 */
export const GET = route<{ subject: string }>(async (req, { subject }) => {
  const value = decodeParam(subject, "a GSA subject (gsa:EMAIL) or email").trim();
  const email = value.replace(/^gsa:/, "").toLowerCase();
  if (!/^[^@\s]+@[a-z0-9.-]+$/.test(email)) throw badRequest(`"${value}" is not a GSA subject (gsa:EMAIL) or email`);
  const raw = new URL(req.url).searchParams.get("limit");
  let limit = GSA_DETAIL_LIMIT;
  if (raw !== null) {
    if (raw === "all") limit = 1_000_000;
    else if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 100_000) limit = Number(raw);
    else throw badRequest(`Query parameter "limit" ("${raw}") must be a whole number from 1 to 100000, or "all"`, { parameter: "limit" });
  }
  const viewRaw = new URL(req.url).searchParams.get("view");
  if (viewRaw !== null && viewRaw !== "full" && viewRaw !== "page") throw badRequest(`Query parameter "view" ("${viewRaw}") must be full or page`, { parameter: "view" });
  const view: GsaDetailView = viewRaw ?? "full";
  // The same until the next scan (or a suppression): computed once, then served from memory.
  const db = serverDb();
  return cachedJsonPerScan(db, `gsa|${email}|${limit}|${view}`, () => gsaDetail(db, email, { limit, view }));
});
