import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { compareScans } from "@/lib/store/changes";
import { latestTwoScans } from "@/lib/store/changes-params";

/** GET /api/changes?from=SCAN&to=SCAN (default: the last two finished scans). */
export const GET = route(async (req) => {
  const { from, to } = await latestTwoScans(serverDb(), new URL(req.url).searchParams);
  return compareScans(serverDb(), from, to);
});
