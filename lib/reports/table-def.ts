/**
 * A table is declared once — its columns, their SQL, and what each filter means for it — and serves
 * the page (JSON, paginated, sorted server-side) and the CSV (streamed with a cursor) from the same
 * query, so a table and its CSV always agree for the same URL.
 */
import type { Filters } from "../api/filters";
import { badRequest } from "../api/problem";
import { assertKnownOwner } from "../owners/current-owners";

export type ColumnType = "text" | "int" | "bool" | "time" | "subject" | "gsa" | "list" | "json" | "rule" | "severity" | "state" | "step" | "identity-source" | "binding-state" | "migration-status";

export type Column = {
  /** snake_case id: the CSV header and the `sort` value. */
  id: string;
  /** Header in the UI. */
  label: string;
  /** SQL expression (the main row is `o`). */
  sql: string;
  /** What to order by when sorting on this column, if not `sql` (e.g. severity by rank). */
  sortSql?: string;
  type: ColumnType;
  sortable?: boolean;
  /** Shown in the CSV only. */
  csvOnly?: boolean;
  /** Shown in the page only (not a CSV column). */
  uiOnly?: boolean;
  /** One-line explanation, shown as the header's tooltip and in the README. */
  help?: string;
  /**
   * SQL giving why this cell cannot be known (a source it counts from failed), or null. When it
   * gives a reason the cell is null — never a 0 that reads as none — and the page row carries the
   * reason as `ID__unknown` (shown as "unknown (source failed)"); the CSV cell is empty.
   */
  unknownIf?: string;
  /**
   * This cell's SQL in a CSV export, for a cell `mapRow` computes in JavaScript for the page: the CSV
   * is written by PostgreSQL (`COPY … TO STDOUT`, lib/reports/csv-copy.ts). Given the SQL literal of
   * the dashboard's origin.
   */
  csvSql?: (originSql: string) => string;
};

export type FilterSql = Partial<Record<"project" | "cluster" | "namespace" | "gsa" | "rule" | "severity" | "state" | "owner", (p: string) => string>>;

export type TableDef = {
  name: string;
  title: string;
  /** FROM … WHERE … for the current rows (without the filter conditions). */
  from: string;
  columns: Column[];
  /** SQL condition per filter, given the parameter placeholder. Filters a table does not list are ignored. */
  filters: FilterSql;
  /** The values `state` may take for this table (a 400 names them otherwise). */
  states?: string[];
  /** Expressions `q` searches (ILIKE). */
  search: string[];
  defaultSort: string;
  /** Order when the URL names none (default asc). */
  defaultOrder?: "asc" | "desc";
  /** Tie-breaker for a stable order across pages. */
  tiebreak: string;
  /**
   * Cells computed after the query, from the row and the request (an absolute link needs the
   * dashboard's origin, which SQL does not know). Applied to pages and CSVs alike.
   */
  mapRow?: (row: Record<string, unknown>, ctx: RowContext) => Record<string, unknown>;
};

/** What a computed cell may know of the request. */
export type RowContext = {
  /** The dashboard's origin (`https://HOST[:PORT]`): WI_ATLAS_PUBLIC_URL when set, else the request's. */
  origin: string;
};

/** Marks a row whose source failed or was not refreshed by the last scan, with the reason. */
export const STALE_SQL = `(select case when ss.source is null then null
    when ss.last_status <> 'ok' then coalesce(ss.last_error, 'its source did not answer in the last scan')
    when ss.last_scan_id < (select max(id) from scan where status in ('succeeded', 'partial')) then 'not refreshed by the last scan (source not reached)'
    end from source_state ss where ss.source = o.source)`;

export const staleColumn: Column = {
  id: "stale",
  label: "Stale",
  sql: STALE_SQL,
  type: "text",
  help: "Why this row may be out of date: its source failed or was not reached in the last scan (earlier data is kept, never deleted).",
};

export type BuiltQuery = { text: string; values: unknown[] };

/**
 * `bind` gives the SQL for a filter value (default: the next `$N` placeholder, the value kept in
 * `values`); the CSV's COPY, which takes no parameters, passes one that writes a literal.
 */
export function buildWhere(def: TableDef, f: Filters, bind?: (value: string) => string): { where: string; values: unknown[] } {
  const badState = def.states ? f.state?.find((s) => !def.states!.includes(s)) : undefined;
  if (badState !== undefined) {
    throw badRequest(`Query parameter "state" ("${badState}") must be one of ${def.states!.join(", ")} for ${def.name}`, { parameter: "state", value: badState });
  }
  if (f.owner?.length && def.filters.owner) for (const o of f.owner) assertKnownOwner(o);
  const values: unknown[] = [];
  const conds: string[] = [];
  for (const key of ["project", "cluster", "namespace", "gsa", "rule", "severity", "state", "owner"] as const) {
    const wanted = f[key];
    const sql = def.filters[key];
    if (!wanted?.length || !sql) continue;
    // Several values mean any of them: one condition per value, OR-ed (PostgreSQL folds `x = $1 or
    // x = $2` into `x = any(…)`; conditions that are not plain equalities keep their own shape).
    const ors = wanted.map((v) => {
      if (bind) return `(${sql(bind(v))})`;
      values.push(v);
      return `(${sql(`$${values.length}`)})`;
    });
    conds.push(ors.length === 1 ? ors[0] : `(${ors.join(" or ")})`);
  }
  if (f.q) {
    const pattern = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    let p: string;
    if (bind) p = bind(pattern);
    else {
      values.push(pattern);
      p = `$${values.length}`;
    }
    conds.push(`(${def.search.map((s) => `${s} ilike ${p}`).join(" or ")})`);
  }
  return { where: conds.length ? ` and ${conds.join(" and ")}` : "", values };
}

export function orderBy(def: TableDef, f: Filters): string {
  const sortId = f.sort ?? def.defaultSort;
  const col = def.columns.find((c) => c.id === sortId && c.sortable !== false);
  if (!col) {
    const allowed = def.columns.filter((c) => c.sortable !== false).map((c) => c.id);
    throw badRequest(`Query parameter "sort" ("${sortId}") is not a sortable column of ${def.name}; use one of ${allowed.join(", ")}`, { parameter: "sort" });
  }
  const order = f.orderGiven ? f.order : f.sort ? f.order : (def.defaultOrder ?? f.order);
  return `order by ${col.sortSql ?? col.sql} ${order === "desc" ? "desc" : "asc"} nulls last, ${def.tiebreak}`;
}

export function selectList(def: TableDef): string {
  return def.columns
    .map((c) => (c.unknownIf ? `case when (${c.unknownIf}) is null then ${c.sql} end as "${c.id}", (${c.unknownIf}) as "${c.id}__unknown"` : `${c.sql} as "${c.id}"`))
    .join(",\n  ");
}

/** Why a source that is not retired did not answer in full, or null (`sourceSql` names one source). */
export const sourceFailedSql = (sourceSql: string) =>
  `(select coalesce(ss.last_error, ss.source || ' ' || ss.last_status) from source_state ss where ss.source = ${sourceSql} and ss.last_status <> 'ok' and ss.retired_scan_id is null)`;

/** The sources of a family that did not answer in full, listed, or null (a count over every cluster). */
export const familyFailedSql = (family: string) =>
  `(select string_agg(ss.source, ', ' order by ss.source) from source_state ss where ss.family = '${family}' and ss.last_status <> 'ok' and ss.retired_scan_id is null)`;

export function pageQuery(def: TableDef, f: Filters): BuiltQuery {
  const { where, values } = buildWhere(def, f);
  const text = `select ${selectList(def)} ${def.from}${where} ${orderBy(def, f)} limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`;
  return { text, values };
}

export function countQuery(def: TableDef, f: Filters): BuiltQuery {
  const { where, values } = buildWhere(def, f);
  return { text: `select count(*)::int as n ${def.from}${where}`, values };
}

/** Every matching row in the page's order, for the CSV stream. */
export function allRowsQuery(def: TableDef, f: Filters): BuiltQuery {
  const { where, values } = buildWhere(def, f);
  return { text: `select ${selectList(def)} ${def.from}${where} ${orderBy(def, f)}`, values };
}
