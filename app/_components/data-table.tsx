"use client";
import { Fragment, type ReactNode } from "react";
import { useQuery, keepPreviousData } from "@tanstack/react-query";
import { ApiError, fetchJson } from "./fetch-json";
import { urlValues, useUrlState } from "./use-url-state";
import { BadRequestNotice } from "./bad-request-notice";
import { UnknownValue } from "./source-failure";
import { Cell } from "./cells";
import { rowWhatIf, WhatIfLink } from "./what-if-link";
import { Empty, ErrorBox, Spinner } from "./ui";

export type TablePage = {
  table: string;
  title: string;
  columns: { id: string; label: string; type: string; sortable: boolean; csvOnly: boolean; help?: string }[];
  rows: Record<string, unknown>[];
  total: number;
  page: number;
  pageSize: number;
  sort: string;
  order: "asc" | "desc";
  csv: string;
  /** The file name the CSV downloads as (absent from servers before it existed). */
  csvName?: string;
};

/** Filters that take several values (the URL repeats them). */
const MULTI_KEYS = new Set(["project", "cluster", "namespace", "gsa", "rule", "severity", "state", "owner"]);
const FILTER_KEYS = ["project", "cluster", "namespace", "gsa", "rule", "severity", "state", "owner", "q", "sort", "order", "page", "pageSize"];

/** A server-sorted, server-paginated table whose state is the URL; its CSV link exports the same view. */
export function DataTable({
  table,
  emptyText = "Nothing matches these filters.",
  paramPrefix = "",
  collapse,
}: {
  table: string;
  emptyText?: string;
  /** For a second table on a page: its sort/order/page live under `PREFIXsort` etc.; filters stay shared. */
  paramPrefix?: string;
  /**
   * Columns (by id) folded into one summary cell below the `lg` breakpoint (1024 px), where they
   * would push the table wide: the summary takes the first folded column's place.
   */
  collapse?: { columns: string[]; label: string; render: (row: Record<string, unknown>) => ReactNode };
}) {
  const { params, set: setUrl } = useUrlState();
  const own = (k: string) => (["sort", "order", "page", "pageSize"].includes(k) ? paramPrefix + k : k);
  const set = (changes: Record<string, string | string[] | null>, opts?: { resetPage?: boolean }) =>
    setUrl(Object.fromEntries(Object.entries(changes).map(([k, v]) => [own(k), v])), opts);
  const qs = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    if (MULTI_KEYS.has(k)) {
      for (const v of urlValues(params, k)) qs.append(k, v);
      continue;
    }
    const v = params.get(own(k));
    if (v) qs.set(k, v);
  }
  const query = useQuery({
    queryKey: ["table", table, qs.toString()],
    queryFn: () => fetchJson<TablePage>(`/api/${table}?${qs.toString()}`),
    placeholderData: keepPreviousData,
  });

  if (query.isPending) return <Spinner />;
  if (query.isError) {
    const e = query.error;
    if (e instanceof ApiError && e.status === 400) return <BadRequestNotice error={e} onFix={(p, v) => set({ [p]: v }, { resetPage: false })} />;
    return <ErrorBox error={e} retry={() => query.refetch()} />;
  }
  const data = query.data;
  const cols = data.columns.filter((c) => !c.csvOnly);
  // Keys, node pools, Secrets and bindings each get the question their destructive step raises.
  const hasWhatIf = ["keys", "nodepools", "secrets", "bindings"].includes(data.table);
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const from = data.total === 0 ? 0 : (data.page - 1) * data.pageSize + 1;
  const to = Math.min(data.total, data.page * data.pageSize);
  const folded = (id: string) => (collapse?.columns.includes(id) ? " hidden lg:table-cell" : "");
  const foldsHere = (id: string) => collapse !== undefined && collapse.columns.find((x) => cols.some((c) => c.id === x)) === id;

  return (
    <div>
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="text-slate-600 dark:text-slate-400" data-testid="row-count" aria-live="polite">
          {data.total === 0 ? "No rows" : `${from}–${to} of ${data.total}`}
          {query.isFetching && " · updating…"}
        </span>
        <a href={data.csv} download={data.csvName ?? true} className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 hover:no-underline dark:border-slate-700 dark:hover:bg-slate-800">
          Download CSV
        </a>
      </div>
      {data.rows.length === 0 ? (
        <Empty>{emptyText}</Empty>
      ) : (
        <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="min-w-full text-sm" data-testid={`table-${table}`}>
            <thead className="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-700 dark:bg-slate-800 dark:text-slate-300">
              <tr>
                {cols.map((c) => {
                  const active = data.sort === c.id;
                  const nextOrder = active && data.order === "asc" ? "desc" : "asc";
                  return (
                    <Fragment key={c.id}>
                    {foldsHere(c.id) && (
                      <th scope="col" className="px-2 py-2 font-semibold lg:hidden" data-testid="collapsed-header">
                        {collapse!.label}
                      </th>
                    )}
                    <th scope="col" className={`px-2 py-2 font-semibold lg:px-3${folded(c.id)}`} title={c.help} aria-sort={active ? (data.order === "asc" ? "ascending" : "descending") : undefined}>
                      {c.sortable ? (
                        <button type="button" className="inline-flex items-center gap-1 uppercase hover:underline" onClick={() => set({ sort: c.id, order: nextOrder })}>
                          {c.label}
                          <span aria-hidden>{active ? (data.order === "asc" ? "▲" : "▼") : ""}</span>
                        </button>
                      ) : (
                        c.label
                      )}
                    </th>
                    </Fragment>
                  );
                })}
                {hasWhatIf && (
                  <th scope="col" className="px-3 py-2 font-semibold">
                    What if
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {data.rows.map((row, i) => (
                // A subject repeats across rows (a workload with several findings, a GSA with several
                // bindings): keyed by subject alone, React kept rows of the previous page on a filter change.
                <tr key={`${i}|${String(row.subject ?? "")}`} className="border-t border-slate-100 align-top hover:bg-slate-50 dark:border-slate-800 dark:hover:bg-slate-800/50">
                  {cols.map((c) => (
                    <Fragment key={c.id}>
                    {foldsHere(c.id) && (
                      <td className="px-2 py-1.5 lg:hidden" data-testid="collapsed-cell">
                        {collapse!.render(row)}
                      </td>
                    )}
                    <td className={`px-2 py-1.5 lg:px-3 ${c.type === "text" ? "min-w-[8rem] max-w-[40rem] lg:min-w-[12rem]" : c.type === "subject" || c.type === "gsa" ? "min-w-[8rem] max-w-[26rem] lg:min-w-[10rem]" : ""}${folded(c.id)}`}>
                      {row[`${c.id}__unknown`] ? <UnknownValue sources={[{ source: String(row[`${c.id}__unknown`]) }]} /> : <Cell type={c.type} id={c.id} value={row[c.id]} />}
                    </td>
                    </Fragment>
                  ))}
                  {hasWhatIf && (
                    <td className="px-3 py-1.5">
                      {(() => {
                        const w = rowWhatIf(data.table, row);
                        return w ? (
                          <WhatIfLink compact changes={w.changes}>
                            What breaks {w.label}
                          </WhatIfLink>
                        ) : null;
                      })()}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav className="mt-3 flex items-center gap-2 text-sm" aria-label="Pagination">
          <button type="button" disabled={data.page <= 1} onClick={() => set({ page: String(data.page - 1) }, { resetPage: false })} className="rounded border border-slate-300 px-2 py-1 disabled:opacity-40 dark:border-slate-700">
            Previous
          </button>
          <span>
            Page {data.page} of {pages}
          </span>
          <button type="button" disabled={data.page >= pages} onClick={() => set({ page: String(data.page + 1) }, { resetPage: false })} className="rounded border border-slate-300 px-2 py-1 disabled:opacity-40 dark:border-slate-700">
            Next
          </button>
        </nav>
      )}
    </div>
  );
}
