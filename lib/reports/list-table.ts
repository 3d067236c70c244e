/** Serves a declared table as a JSON page or as a CSV stream, from the same query. */
import type { Db } from "../store/db";
import { filtersToQuery, type Filters } from "../api/filters";
import { badRequest } from "../api/problem";
import { allRowsQuery, countQuery, pageQuery, type RowContext, type TableDef } from "./table-def";
import { csvTimeValue, streamCsv } from "./csv";
import { downloadName } from "./download-name";
import { tableCsvCopyStream } from "./csv-copy";

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
  /** The file name that CSV downloads as (the filters in it). */
  csvName: string;
};

/** Without a request (tests, scripts), links point at the default local address. */
const LOCAL: RowContext = { origin: "http://127.0.0.1:3000" };

export async function listTable(db: Db, def: TableDef, f: Filters, ctx: RowContext = LOCAL): Promise<TablePage> {
  const pq = pageQuery(def, f);
  const cq = countQuery(def, f);
  const [rows, count] = await Promise.all([db.pool.query(pq.text, pq.values), db.pool.query<{ n: number }>(cq.text, cq.values)]);
  const total = count.rows[0].n;
  // A page past the end would read "No rows" — as if nothing were wrong. An empty result has one
  // (empty) page, so any page of it is answered as that page.
  const last = Math.max(1, Math.ceil(total / f.pageSize));
  if (total > 0 && f.page > last) {
    throw badRequest(
      `Query parameter "page" (${f.page}) is past the last page: these filters match ${total} row${total === 1 ? "" : "s"}, ${last} page${last === 1 ? "" : "s"} of ${f.pageSize}`,
      { parameter: "page", lastPage: last },
    );
  }
  const { page: _p, pageSize: _s, orderGiven: _o, ...rest } = f;
  if (!f.orderGiven) delete (rest as Partial<Filters>).order;
  return {
    table: def.name,
    title: def.title,
    columns: def.columns.map((c) => ({ id: c.id, label: c.label, type: c.type, sortable: c.sortable !== false, csvOnly: c.csvOnly === true, uiOnly: c.uiOnly === true, help: c.help })),
    rows: def.mapRow ? rows.rows.map((r) => def.mapRow!(r, ctx)) : rows.rows,
    total,
    page: total === 0 ? 1 : f.page,
    pageSize: f.pageSize,
    sort: f.sort ?? def.defaultSort,
    order: f.orderGiven || f.sort ? f.order : (def.defaultOrder ?? f.order),
    csv: `/api/reports/${def.name}.csv${filtersToQuery(rest) ? `?${filtersToQuery(rest)}` : ""}`,
    csvName: downloadName(def.name, f),
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

/** Each CSV row as written: computed cells filled in, time columns to the second. */
export function csvRowMapper(def: TableDef, ctx: RowContext): (row: Record<string, unknown>) => Record<string, unknown> {
  const times = def.columns.filter((c) => c.type === "time" && !c.uiOnly).map((c) => c.id);
  return (row) => {
    const out = def.mapRow ? def.mapRow(row, ctx) : row;
    for (const id of times) out[id] = csvTimeValue(out[id]);
    return out;
  };
}

/**
 * Every row of the view as a CSV. The query is built (and a bad filter, state or sort refused with a
 * 400) before the stream starts. `page` and `pageSize` are not used: a CSV holds every page.
 */
export async function tableCsv(db: Db, def: TableDef, f: Filters, ctx: RowContext = LOCAL): Promise<Response> {
  // Written by PostgreSQL (COPY, every cell formatted in SQL) where the table allows it; the cursor
  // path below is kept for a table with a cell SQL cannot write (csv-copy.ts copyCsvQuery).
  const stream = (await tableCsvCopyStream(db, def, f, ctx)) ?? (await cursorCsvStream(db, def, f, ctx));
  return csvResponse(stream, downloadName(def.name, f));
}

/** The same CSV through a cursor, each row formatted in JavaScript (csv.ts): the reference COPY's output is tested against. */
export async function cursorCsvStream(db: Db, def: TableDef, f: Filters, ctx: RowContext = LOCAL): Promise<ReadableStream<Uint8Array>> {
  return streamCsv(db.pool, allRowsQuery(def, f), csvColumns(def), csvRowMapper(def, ctx));
}
