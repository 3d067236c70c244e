import { serverDb } from "@/lib/store/db";
import { parseFilters } from "@/lib/api/filters";
import { route } from "@/lib/api/respond";
import { notFound } from "@/lib/api/problem";
import { tableCsv } from "@/lib/reports/list-table";
import { tableByName, TABLES } from "@/lib/reports/tables";

export const GET = route<{ report: string }>(async (req, { report }) => {
  const m = /^([a-z-]+)\.csv$/.exec(report);
  const def = m ? tableByName(m[1]) : undefined;
  if (!def) throw notFound(`No report ${report}; reports are ${Object.keys(TABLES).map((t) => `${t}.csv`).join(", ")}`);
  return tableCsv(serverDb(), def, parseFilters(new URL(req.url).searchParams));
});
