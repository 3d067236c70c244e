/** Serves a declared table as a JSON page or as a CSV stream, from the same query. */
import type { Db } from "../store/db";
import { filtersToQuery, type Filters } from "../api/filters";
import { allRowsQuery, countQuery, pageQuery, type TableDef } from "./table-def";
import { streamCsv } from "./csv";

export type TablePage = {
  table: string;
  title: string;
  columns: { id: string; label: string; type: string; sortable: boolean; csvOnly: boolean; uiOnly: boolean; help?: string }[];
  rows: Record<string, unknown>[];
  total: number;
  page: number;
  pageSize: number;
  sort: string;
  order: "asc" | "desc";
  /** The CSV of exactly this view (all pages). */
  csv: string;
};

export async function listTable(db: Db, def: TableDef, f: Filters): Promise<TablePage> {
  const pq = pageQuery(def, f);
  const cq = countQuery(def, f);
  const [rows, count] = await Promise.all([db.pool.query(pq.text, pq.values), db.pool.query<{ n: number }>(cq.text, cq.values)]);
  const { page: _p, pageSize: _s, orderGiven: _o, ...rest } = f;
  if (!f.orderGiven) delete (rest as Partial<Filters>).order;
  return {
    table: def.name,
    title: def.title,
    columns: def.columns.map((c) => ({ id: c.id, label: c.label, type: c.type, sortable: c.sortable !== false, csvOnly: c.csvOnly === true, uiOnly: c.uiOnly === true, help: c.help })),
    rows: rows.rows,
    total: count.rows[0].n,
    page: f.page,
    pageSize: f.pageSize,
    sort: f.sort ?? def.defaultSort,
    order: f.orderGiven || f.sort ? f.order : (def.defaultOrder ?? f.order),
    csv: `/api/reports/${def.name}.csv${filtersToQuery(rest) ? `?${filtersToQuery(rest)}` : ""}`,
  };
}

export function csvResponse(stream: ReadableStream<Uint8Array>, filename: string): Response {
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}

export function csvColumns(def: TableDef): string[] {
  return def.columns.filter((c) => !c.uiOnly).map((c) => c.id);
}

export async function tableCsv(db: Db, def: TableDef, f: Filters): Promise<Response> {
  const q = allRowsQuery(def, f);
  const stream = await streamCsv(db.pool, q, csvColumns(def));
  return csvResponse(stream, `wi-atlas-${def.name}.csv`);
}
