import { serverDb } from "@/lib/store/db";
import { parseFilters } from "@/lib/api/filters";
import { route } from "@/lib/api/respond";
import { notFound } from "@/lib/api/problem";
import { tableCsv } from "@/lib/reports/list-table";
import { tableByName, TABLES } from "@/lib/reports/tables";
import { compareScans } from "@/lib/store/changes";
import { latestTwoScans } from "@/lib/store/changes-params";
import { toCsv } from "@/lib/reports/csv";
import { publicOrigin } from "@/lib/api/origin";

export const GET = route<{ report: string }>(async (req, { report }) => {
  if (report === "changes.csv") {
    const db = serverDb();
    const { from, to } = await latestTwoScans(db, new URL(req.url).searchParams);
    const c = await compareScans(db, from, to);
    const text = await toCsv(["subject", "category", "change", "detail", "from_scan", "to_scan"], c.changes.map((x) => ({ ...x, from_scan: from, to_scan: to })));
    return new Response(text, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="wi-atlas-changes-${from}-${to}.csv"` } });
  }
  const m = /^([a-z-]+)\.csv$/.exec(report);
  const def = m ? tableByName(m[1]) : undefined;
  if (!def) throw notFound(`No report ${report}; reports are ${[...Object.keys(TABLES), "changes"].map((t) => `${t}.csv`).join(", ")}`);
  return tableCsv(serverDb(), def, parseFilters(new URL(req.url).searchParams), { origin: publicOrigin(req) });
});
