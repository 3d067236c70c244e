"use client";
/**
 * The cluster page's answer to "is this cluster migrated, what is left?" (GET /api/clusters/{subject}):
 * share done, the eight steps as a checklist with what remains under each, the legacy node pools with
 * the workloads still on them, findings by rule, and each node pool's and namespace's progress.
 * Sections only: the object page draws the header. `ScopeProgress` is the one-line version for a node
 * pool's or a namespace's page, from the same answer.
 */
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Empty, ErrorBox, Path, Spinner } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { SEVERITY_TONE } from "./findings-list";
import { WhatIfLink } from "./what-if-link";
import type { ClusterOverview as Overview } from "@/lib/store/cluster-overview";
import { STEP_DEFS } from "@/lib/analysis/model";

/** How many items a step lists before "and N more". */
const SHOWN = 5;

function useClusterOverview(cluster: string) {
  return useQuery({ queryKey: ["cluster-overview", cluster], queryFn: () => fetchJson<Overview>(`/api/clusters/${encodeURIComponent(cluster)}`) });
}

/** "unknown (source failed)", linked to Coverage: never a zero where a source could not be read. */
export function UnknownSourceFailed({ sources }: { sources?: string[] }) {
  return (
    <a href="/coverage" className="text-amber-800 dark:text-amber-300" title={sources?.length ? `Failed in the last scan: ${sources.join(", ")}` : undefined} data-testid="unknown-source-failed">
      unknown (source failed)
    </a>
  );
}

function Bar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(value * 100);
  return (
    <span className="inline-flex items-center gap-2">
      <span className="inline-block h-2 w-24 overflow-hidden rounded bg-slate-200 sm:w-32 dark:bg-slate-800" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label={label}>
        <span className="block h-full bg-green-600" style={{ width: `${pct}%` }} />
      </span>
      <span className="tabular-nums text-sm">{pct}%</span>
    </span>
  );
}

function SubjectLink({ subject }: { subject: string }) {
  return (
    <a href={subjectHref(subject)} className="mono text-xs break-words" title={subject}>
      <Path value={subjectLabel(subject)} />
    </a>
  );
}

const STATE_BADGE: Record<string, { tone: "green" | "red" | "amber" | "slate"; text: string }> = {
  done: { tone: "green", text: "✓ done" },
  todo: { tone: "red", text: "✗ not done" },
  unknown: { tone: "amber", text: "? unknown" },
  "n/a": { tone: "slate", text: "– n/a" },
};

/** Where the full list of a step's remaining items lives (the filtered table). */
function moreHref(cluster: string, n: number): string {
  const c = encodeURIComponent(cluster);
  if (n === 8) return `/clusters?cluster=${c}`;
  // The Migration table, this cluster's workloads with this step's column to do (and unknown) first.
  return `/migration?cluster=${c}&sort=${STEP_DEFS[Math.min(n, 7) - 1].id}&order=desc`;
}

function Steps({ o }: { o: Overview }) {
  return (
    <Card title="The eight steps">
      <ol className="space-y-3" data-testid="cluster-checklist">
        {o.steps.map((s) => {
          const badge = STATE_BADGE[s.state];
          const left = s.todo + s.unknown;
          const shown = s.remaining.slice(0, SHOWN);
          return (
            <li key={s.n} data-testid={`step-${s.n}`} data-state={s.state} className="border-t border-slate-100 pt-2 first:border-0 first:pt-0 dark:border-slate-800">
              <div className="flex flex-wrap items-center gap-2">
                <span className="w-5 text-right font-semibold tabular-nums">{s.n}.</span>
                <span className="font-medium">{s.title}</span>
                <Badge tone={badge.tone}>{badge.text}</Badge>
                {s.todo > 0 && <span className="text-xs text-slate-600 dark:text-slate-400">{s.todo} left{s.unknown ? `, ${s.unknown} unknown` : ""}</span>}
                {s.todo === 0 && s.unknown > 0 && <span className="text-xs text-slate-600 dark:text-slate-400">{s.unknown} could not be told</span>}
                {s.failedSources.length > 0 && (
                  <span className="text-xs">
                    {s.todo ? "and possibly more: " : ""}
                    <UnknownSourceFailed sources={s.failedSources} />
                  </span>
                )}
              </div>
              {shown.length > 0 && (
                <ul className="mt-1 ml-7 space-y-1 text-sm">
                  {shown.map((r) => (
                    <li key={r.subject}>
                      {r.state === "unknown" && <Badge tone="amber">unknown</Badge>} <SubjectLink subject={r.subject} />
                      <span className="text-xs text-slate-600 dark:text-slate-400"> — {r.detail}</span>
                      {r.workloads && r.workloads.length > 0 && s.n !== 8 && (
                        <span className="text-xs text-slate-600 dark:text-slate-400">
                          {" "}
                          (used by{" "}
                          {r.workloads.slice(0, 3).map((w, i) => (
                            <span key={w}>
                              {i > 0 && ", "}
                              <a href={subjectHref(w)} className="mono" title={w}>
                                {w.split("/").pop()}
                              </a>
                            </span>
                          ))}
                          {r.workloads.length > 3 && ` and ${r.workloads.length - 3} more`})
                        </span>
                      )}
                    </li>
                  ))}
                  {left > shown.length && (
                    <li>
                      <a href={moreHref(o.subject, s.n)} className="text-xs" data-testid={`step-${s.n}-more`}>
                        and {left - shown.length} more
                      </a>
                    </li>
                  )}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </Card>
  );
}

function Figure({ label, children, unknown, sources }: { label: string; children: ReactNode; unknown?: boolean; sources?: string[] }) {
  return (
    <div>
      <div className="text-xs font-medium uppercase tracking-wide text-slate-600 dark:text-slate-400">{label}</div>
      <div className="mt-0.5 text-lg font-semibold tabular-nums">{unknown ? <span className="text-sm font-normal"><UnknownSourceFailed sources={sources} /></span> : children}</div>
    </div>
  );
}

function Progress({ o }: { o: Overview }) {
  const p = o.progress;
  const failed = o.failedSources.map((f) => f.source);
  const c = encodeURIComponent(o.subject);
  return (
    <Card title="Migration progress">
      {!p ? (
        <Empty>No analysed scan covers this cluster yet.</Empty>
      ) : (
        <div className="space-y-3" data-testid="cluster-progress">
          <div className="flex flex-wrap items-center gap-3">
            {o.unknownFigures.includes("share") ? (
              <span>
                Share done: <UnknownSourceFailed sources={failed} />
              </span>
            ) : p.share === null ? (
              <span className="text-sm">No workloads counted (GKE-managed namespaces are not counted).</span>
            ) : (
              <>
                <Bar value={p.share} label="Share of this cluster's workloads done: off every legacy path" />
                <span className="text-sm">
                  <strong className="tabular-nums">
                    {p.migrated} of {p.workloads}
                  </strong>{" "}
                  workloads done
                </span>
              </>
            )}
            <a href={`/migration?cluster=${c}`} className="text-sm">
              Migration table for this cluster
            </a>
          </div>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-5">
            <Figure label="To migrate" unknown={o.unknownFigures.includes("share")} sources={failed}>
              <a href={`/migration?cluster=${c}&state=to-migrate`}>{p.toMigrate}</a>
            </Figure>
            <Figure label="Unknown" unknown={o.unknownFigures.includes("share")} sources={failed}>
              <a href={`/migration?cluster=${c}&state=unknown`}>{p.unknown}</a>
            </Figure>
            <Figure label="On key files" unknown={o.unknownFigures.includes("share")} sources={failed}>
              {p.keyFileWorkloads}
            </Figure>
            <Figure label="On the node's account" unknown={o.unknownFigures.includes("share")} sources={failed}>
              {p.nodeIdentityWorkloads}
            </Figure>
            <Figure label="Keys in Secrets" unknown={o.unknownFigures.includes("keysInSecrets")} sources={failed}>
              <a href={`/secrets?cluster=${c}`}>{p.keysInSecrets}</a>
            </Figure>
          </div>
        </div>
      )}
    </Card>
  );
}

function LegacyPools({ o }: { o: Overview }) {
  const unknown = o.unknownFigures.includes("legacyPools");
  return (
    <Card title="Step 8: legacy node pools">
      {o.legacyPools.length === 0 ? (
        unknown ? (
          <p className="text-sm">
            Legacy node pools: <UnknownSourceFailed sources={o.failedSources.map((f) => f.source)} />
          </p>
        ) : (
          <Empty>No legacy node pool: every pool serves the GKE metadata server{o.cluster.autopilot ? " (Autopilot)" : ""}.</Empty>
        )
      ) : (
        <ul className="space-y-3 text-sm" data-testid="legacy-pools">
          {o.legacyPools.map((p) => (
            <li key={p.subject}>
              <div className="flex flex-wrap items-center gap-2">
                <SubjectLink subject={p.subject} />
                {p.pods === 0 ? <Badge tone="green">empty: delete it</Badge> : <Badge tone="amber">{p.pods} pods still run here</Badge>}
                <span className="text-xs break-all text-slate-600 dark:text-slate-400">as {p.serviceAccount ?? "an unknown account"}{p.metadataMode ? ` · ${p.metadataMode}` : ""}</span>
                <WhatIfLink compact changes={[{ type: "delete-nodepool", subject: p.subject }]}>
                  What breaks if deleted
                </WhatIfLink>
              </div>
              {p.workloads.length > 0 && (
                <ul className="mt-1 ml-4 list-disc space-y-0.5 pl-4">
                  {p.workloads.map((w) => (
                    <li key={w.subject}>
                      <SubjectLink subject={w.subject} /> <Badge tone={w.migration === "to-migrate" ? "red" : w.migration === "unknown" ? "amber" : "green"}>{w.migration}</Badge>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function FindingsByRule({ o }: { o: Overview }) {
  const c = encodeURIComponent(o.subject);
  return (
    <Card title="Findings by rule">
      {o.findingsByRule.length === 0 ? (
        <Empty>No finding on this cluster's objects.</Empty>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="cluster-findings">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="py-1 pr-3">Rule</th>
                <th className="pr-3">Severity</th>
                <th className="pr-3 text-right">Open</th>
                <th className="pr-3 text-right">Unverified</th>
                <th className="text-right">Suppressed</th>
              </tr>
            </thead>
            <tbody>
              {o.findingsByRule.map((f) => (
                <tr key={`${f.rule}|${f.severity}`} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <td className="py-1 pr-3">
                    <a href={`/findings?cluster=${c}&rule=${encodeURIComponent(f.rule)}`} className="mono text-xs">
                      {f.rule}
                    </a>
                    <span className="block text-xs text-slate-600 dark:text-slate-400">{f.title}</span>
                  </td>
                  <td className="pr-3">
                    <Badge tone={SEVERITY_TONE[f.severity] ?? "slate"}>{f.severity}</Badge>
                  </td>
                  <td className="pr-3 text-right tabular-nums">{f.open}</td>
                  <td className="pr-3 text-right tabular-nums">{f.unverified || ""}</td>
                  <td className="text-right tabular-nums">{f.suppressed || ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function ProgressCell({ share, migrated, workloads }: { share: number | null; migrated: number; workloads: number }) {
  if (share === null) return <span className="text-xs text-slate-500 dark:text-slate-400">no counted workloads</span>;
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Bar value={share} label="Share done" />
      <span className="text-xs tabular-nums">
        {migrated}/{workloads}
      </span>
    </span>
  );
}

function PoolsAndNamespaces({ o }: { o: Overview }) {
  const c = encodeURIComponent(o.subject);
  const unknown = o.unknownFigures.includes("share");
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Card title="Node pools">
        {o.nodePools.length === 0 ? (
          <Empty>{o.cluster.autopilot ? "Autopilot: Google manages the nodes." : "No node pool was read for this cluster."}</Empty>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="cluster-pools">
              <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                <tr>
                  <th className="py-1 pr-3">Pool</th>
                  <th className="pr-3">GKE metadata</th>
                  <th className="pr-3 text-right">Pods</th>
                  <th>Workloads done</th>
                </tr>
              </thead>
              <tbody>
                {o.nodePools.map((p) => (
                  <tr key={p.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                    <td className="py-1 pr-3">
                      <a href={subjectHref(p.subject)} className="mono text-xs" title={p.subject}>
                        {p.name}
                      </a>
                    </td>
                    <td className="pr-3">{p.servesGkeMetadata ? <Badge tone="green">yes</Badge> : <Badge tone="red">no: legacy</Badge>}</td>
                    <td className="pr-3 text-right tabular-nums">{p.pods}</td>
                    <td>{unknown ? <UnknownSourceFailed /> : <ProgressCell {...p} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Namespaces">
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="cluster-namespaces">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="py-1 pr-3">Namespace</th>
                <th className="pr-3">Workloads done</th>
                <th className="pr-3 text-right">To migrate</th>
                <th className="text-right">Unknown</th>
              </tr>
            </thead>
            <tbody>
              {o.namespaces.map((n) => (
                <tr key={n.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <td className="py-1 pr-3">
                    <a href={subjectHref(n.subject)} className="mono text-xs" title={n.subject}>
                      {n.name}
                    </a>
                    {n.system && <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">(GKE-managed, not counted)</span>}
                  </td>
                  <td className="pr-3">{n.system ? "" : unknown ? <UnknownSourceFailed /> : <ProgressCell {...n} />}</td>
                  <td className="pr-3 text-right tabular-nums">{n.toMigrate ? <a href={`/migration?cluster=${c}&namespace=${encodeURIComponent(n.name)}&state=to-migrate`}>{n.toMigrate}</a> : n.system ? "" : 0}</td>
                  <td className="text-right tabular-nums">{n.unknown ? <a href={`/migration?cluster=${c}&namespace=${encodeURIComponent(n.name)}&state=unknown`}>{n.unknown}</a> : n.system ? "" : 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

/** The cluster page's sections, below its header. */
export function ClusterOverview({ subject }: { subject: string }) {
  const q = useClusterOverview(subject);
  if (q.isPending) return <Spinner label="Loading the cluster's migration…" />;
  if (q.isError) return <ErrorBox error={q.error} retry={() => q.refetch()} />;
  const o = q.data;
  return (
    <div className="space-y-4" data-testid="cluster-overview">
      {o.failedSources.length > 0 && (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200" data-testid="cluster-failed-sources">
          The last scan could not fully read {o.failedSources.length === 1 ? "one source" : `${o.failedSources.length} sources`} of this cluster:{" "}
          {o.failedSources.map((f, i) => (
            <span key={f.source}>
              {i > 0 && ", "}
              <span className="mono text-xs break-all">{f.source}</span> ({f.status}
              {f.error ? `: ${f.error.length > 90 ? `${f.error.slice(0, 90)}…` : f.error}` : ""})
            </span>
          ))}
          . Figures that need it read <UnknownSourceFailed sources={o.failedSources.map((f) => f.source)} />; see <a href="/coverage">Coverage</a>.
        </div>
      )}
      <Progress o={o} />
      <Steps o={o} />
      <LegacyPools o={o} />
      <FindingsByRule o={o} />
      <PoolsAndNamespaces o={o} />
    </div>
  );
}

/** One line on a node pool's or a namespace's page: its own share done, from its cluster's overview. */
export function ScopeProgress({ subject }: { subject: string }) {
  const kind = subject.slice(0, subject.indexOf(":"));
  const parts = subject.slice(kind.length + 1).split("/");
  const cluster = `cluster:${parts.slice(0, 3).join("/")}`;
  const q = useClusterOverview(cluster);
  if (kind !== "nodepool" && kind !== "namespace") return null;
  if (q.isPending) return <Spinner label="Loading progress…" />;
  if (q.isError) return null; // the rest of the page still answers; the cluster page names the error
  const o = q.data;
  const row = kind === "nodepool" ? o.nodePools.find((p) => p.subject === subject) : o.namespaces.find((n) => n.subject === subject);
  if (!row) return null;
  const c = encodeURIComponent(cluster);
  const href = kind === "namespace" ? `/migration?cluster=${c}&namespace=${encodeURIComponent(parts[3])}` : `/objects/${c}`;
  return (
    <p className="flex flex-wrap items-center gap-2 text-sm" data-testid="scope-progress">
      <span>Migration:</span>
      {"system" in row && row.system ? (
        <span>GKE-managed namespace, not counted.</span>
      ) : o.unknownFigures.includes("share") ? (
        <UnknownSourceFailed sources={o.failedSources.map((f) => f.source)} />
      ) : (
        <>
          <ProgressCell share={row.share} migrated={row.migrated} workloads={row.workloads} />
          <span className="text-xs text-slate-600 dark:text-slate-400">
            workloads {kind === "nodepool" ? "running on it" : "in it"} done{row.toMigrate ? `, ${row.toMigrate} to migrate` : ""}
            {row.unknown ? `, ${row.unknown} unknown` : ""}
          </span>
        </>
      )}
      <a href={href} className="text-xs">
        {kind === "namespace" ? "its workloads in the Migration table" : "the cluster's checklist"}
      </a>
    </p>
  );
}
