"use client";
import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Empty, ErrorBox, PageHeader, Path, Spinner } from "./ui";
import { DataTable } from "./data-table";
import { FilterBar } from "./filter-bar";
import { SelectFilter } from "./select-filter";
import { subjectHref, subjectLabel } from "./links";
import { WhatIfLink } from "./what-if-link";
import { STEP_DEFS } from "@/lib/analysis/model";

type Scope = { scope: string; workloads?: number; migrated?: number; share_migrated?: number; to_migrate?: number; migration_unknown?: number; key_file_workloads?: number; node_identity_workloads?: number; user_managed_keys?: number; keys_in_secrets?: number; legacy_pools?: number; legacy_pool_pods?: number };
type Progress = { scanId: number | null; scopes: Scope[]; legacyPools: { subject: string; cluster: string; name: string; serviceAccount: string; metadataMode: string | null; pods: number }[] };

function Bar({ value }: { value: number }) {
  const pct = Math.round(value * 100);
  return (
    <div className="flex items-center gap-2">
      <div className="h-2 w-40 overflow-hidden rounded bg-slate-200 dark:bg-slate-800" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Share done: off every legacy path">
        <div className="h-full bg-green-600" style={{ width: `${pct}%` }} />
      </div>
      <span className="tabular-nums text-sm">{pct}%</span>
    </div>
  );
}

/**
 * The seven step columns as one status cell, for narrow screens: which steps are left (✗) or could
 * not be told (?), or "all done" — each step still named, so nothing is lost by folding.
 */
function StepsSummary({ row }: { row: Record<string, unknown> }) {
  const by = (state: string) => STEP_DEFS.filter((s) => row[s.id] === state).map((s) => s.n);
  const todo = by("todo");
  const unknown = by("unknown");
  if (!todo.length && !unknown.length) return <Badge tone="green">✓ all done</Badge>;
  return (
    <span className="flex flex-wrap gap-1" data-testid="steps-summary">
      {todo.length > 0 && (
        <Badge tone="red" title={todo.map((n) => `step ${n}: ${STEP_DEFS[n - 1].title}`).join("; ")}>
          ✗ {todo.join(", ")}
        </Badge>
      )}
      {unknown.length > 0 && (
        <Badge tone="amber" title={unknown.map((n) => `step ${n}: ${STEP_DEFS[n - 1].title}`).join("; ")}>
          ? {unknown.join(", ")}
        </Badge>
      )}
    </span>
  );
}

const STEP_COLLAPSE = { columns: STEP_DEFS.map((s) => s.id as string), label: "Steps left", render: (row: Record<string, unknown>) => <StepsSummary row={row} /> };

export function MigrationView() {
  const q = useQuery({ queryKey: ["migration-progress"], queryFn: () => fetchJson<Progress>("/api/migration-progress") });
  return (
    <div className="space-y-4">
      <PageHeader
        title="Migration"
        description="Done means off every legacy path (no key file, no node account, no broken link, no mounted key): on Workload Identity to its GSA (migrated), on its own principal with direct grants (federated), or needing no Google identity at all. The article's steps per workload — 1 workload pool · 2 GKE-metadata pool · 3 own KSA, annotated · 4 on GKE-metadata nodes · 5 binding · 6 identity is the GSA · 7 no key file — and 8: delete legacy pools once nothing runs there. Workloads in GKE-managed namespaces are not counted."
      />
      {q.isPending ? (
        <Spinner />
      ) : q.isError ? (
        <ErrorBox error={q.error} />
      ) : q.data.scopes.length === 0 ? (
        <Empty>No analysed scan yet.</Empty>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <Card title="Progress">
            <div className="overflow-x-auto">
            <table className="w-full text-sm [&_th]:pr-2" data-testid="progress">
              <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                <tr>
                  <th className="py-1">Scope</th>
                  <th>Done</th>
                  <th className="text-right">Workloads</th>
                  <th className="text-right" title="Still on a key file, a node account, a broken link or a mounted key (or Pending)">To migrate</th>
                  <th className="text-right" title="What its pods hold could not be told">Unknown</th>
                  <th className="text-right">Key files</th>
                  <th className="text-right">Node SA</th>
                </tr>
              </thead>
              <tbody>
                {q.data.scopes.map((s) => (
                  <tr key={s.scope} className="border-t border-slate-100 dark:border-slate-800">
                    <td className="py-1 pr-2">
                      {s.scope === "overall" ? (
                        <strong>Overall</strong>
                      ) : (
                        <a href={s.scope.startsWith("cluster:") ? `/migration?cluster=${encodeURIComponent(s.scope.slice(8))}` : `/migration?project=${s.scope.slice(8)}`} className="mono text-xs">
                          <Path value={subjectLabel(s.scope)} />
                        </a>
                      )}
                    </td>
                    <td>{s.share_migrated !== undefined ? <Bar value={s.share_migrated} /> : <span className="text-slate-500 dark:text-slate-400">—</span>}</td>
                    <td className="text-right tabular-nums">
                      {s.migrated ?? 0}/{s.workloads ?? 0}
                    </td>
                    <td className="text-right tabular-nums">{s.to_migrate ? <Badge tone="red">{s.to_migrate}</Badge> : 0}</td>
                    <td className="text-right tabular-nums">{s.migration_unknown ? <Badge tone="amber">{s.migration_unknown}</Badge> : 0}</td>
                    <td className="text-right tabular-nums">{s.key_file_workloads ? <Badge tone="red">{s.key_file_workloads}</Badge> : 0}</td>
                    <td className="text-right tabular-nums">{s.node_identity_workloads ? <Badge tone="amber">{s.node_identity_workloads}</Badge> : 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </Card>
          <Card title="Step 8: legacy node pools">
            {q.data.legacyPools.length === 0 ? (
              <Empty>No legacy node pool left.</Empty>
            ) : (
              <ul className="space-y-1 text-sm">
                {q.data.legacyPools.map((p) => (
                  <li key={p.subject} className="flex flex-wrap items-center gap-2">
                    <a href={subjectHref(p.subject)} className="mono text-xs">
                      <Path value={subjectLabel(p.subject)} />
                    </a>
                    {p.pods === 0 ? <Badge tone="green">empty: delete it</Badge> : <Badge tone="amber">{p.pods} pods still run here</Badge>}
                    <span className="text-xs text-slate-600 dark:text-slate-400">as {p.serviceAccount}</span>
                    <WhatIfLink compact changes={[{ type: "delete-nodepool", subject: p.subject }]}>
                      What breaks if deleted
                    </WhatIfLink>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      )}
      <Suspense fallback={<Spinner />}>
        <FilterBar
          extra={<SelectFilter name="state" label="Status" options={["migrated", "federated", "no-google-identity-needed", "to-migrate", "unknown"].map((v) => ({ value: v }))} />}
        />
        <DataTable table="migration" emptyText="No workloads match." collapse={STEP_COLLAPSE} />
      </Suspense>
    </div>
  );
}
