"use client";
import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { useUrlState } from "./use-url-state";
import { FilterBar } from "./filter-bar";
import { Empty, ErrorBox, PageHeader, Spinner } from "./ui";
import { subjectHref } from "./links";

type Row = { subject: string; namespace_subject: string; cluster: string; ksas: number; workloads: number; key_secrets: number };

const MAX_COLUMNS = 40;

function Grid() {
  const { params } = useUrlState();
  const qs = new URLSearchParams();
  for (const k of ["project", "cluster", "namespace", "gsa", "q"]) if (params.get(k)) qs.set(k, params.get(k)!);
  qs.set("pageSize", "500");
  const q = useQuery({ queryKey: ["matrix", qs.toString()], queryFn: () => fetchJson<{ rows: Row[]; total: number; csv: string }>(`/api/gsa-namespace-matrix?${qs}`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const rows = q.data.rows;
  if (!rows.length) return <Empty>No GSA is used from Kubernetes with these filters.</Empty>;
  const nsUse = new Map<string, number>();
  for (const r of rows) nsUse.set(r.namespace_subject, (nsUse.get(r.namespace_subject) ?? 0) + 1);
  const cols = [...nsUse.keys()].sort((a, b) => nsUse.get(b)! - nsUse.get(a)! || (a < b ? -1 : 1)).slice(0, MAX_COLUMNS).sort();
  const gsas = new Map<string, Map<string, Row>>();
  for (const r of rows) {
    const m = gsas.get(r.subject) ?? new Map<string, Row>();
    m.set(r.namespace_subject, r);
    gsas.set(r.subject, m);
  }
  const order = [...gsas.keys()].sort((a, b) => gsas.get(b)!.size - gsas.get(a)!.size || (a < b ? -1 : 1));
  return (
    <div>
      <div className="mb-2 flex items-center justify-between text-sm">
        <span className="text-slate-600 dark:text-slate-400">
          {gsas.size} GSAs × {nsUse.size} namespaces{nsUse.size > MAX_COLUMNS ? ` (the ${MAX_COLUMNS} most used shown; filter to see others)` : ""}. Rows with many cells are shared accounts.
        </span>
        <a href={q.data.csv} download className="rounded border border-slate-300 px-2 py-1 hover:no-underline dark:border-slate-700">
          Download CSV
        </a>
      </div>
      <div className="overflow-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <table className="text-xs" data-testid="matrix">
          <thead>
            <tr>
              <th className="sticky left-0 bg-slate-100 px-2 py-1 text-left dark:bg-slate-800">GSA \ namespace</th>
              {cols.map((c) => (
                <th key={c} className="h-40 bg-slate-100 px-1 align-bottom dark:bg-slate-800" scope="col">
                  <a href={subjectHref(c)} className="mono inline-block whitespace-nowrap [writing-mode:vertical-rl] rotate-180" title={c}>
                    {c.slice(10).split("/").slice(2).join("/")}
                  </a>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {order.map((g) => (
              <tr key={g} className="border-t border-slate-100 dark:border-slate-800">
                <th scope="row" className="sticky left-0 bg-white px-2 py-1 text-left font-normal dark:bg-slate-900">
                  <a href={`/graph?focus=${encodeURIComponent(g)}`} className="mono whitespace-nowrap">
                    {g.slice(4)}
                  </a>
                </th>
                {cols.map((c) => {
                  const r = gsas.get(g)!.get(c);
                  if (!r) return <td key={c} className="border-l border-slate-100 dark:border-slate-800" />;
                  const bad = r.key_secrets > 0;
                  return (
                    <td
                      key={c}
                      className={`border-l border-slate-100 px-1 text-center tabular-nums dark:border-slate-800 ${bad ? "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200" : "bg-blue-100 text-blue-900 dark:bg-blue-950 dark:text-blue-200"}`}
                      title={`${g.slice(4)} in ${c.slice(10)}: ${r.ksas} KSAs annotated, ${r.workloads} workloads acting as it, ${r.key_secrets} Secrets with its keys`}
                    >
                      {r.workloads || r.ksas}
                      {bad && <sup className="ml-0.5 font-semibold">key</sup>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">Cells: workloads acting as the GSA (or KSAs annotated with it); red with “key”: a Secret there holds one of its keys.</p>
    </div>
  );
}

export function MatrixView() {
  return (
    <div>
      <PageHeader title="GSA × namespace" description="Who uses which account where — the shared-account audit at a glance." />
      <Suspense fallback={<Spinner />}>
        <FilterBar />
        <Grid />
      </Suspense>
    </div>
  );
}
