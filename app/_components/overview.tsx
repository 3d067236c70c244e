"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Email, Empty, ErrorBox, PageHeader, Spinner, Stat, Time } from "./ui";
import { subjectHref } from "./links";
import { SourceFailureBanner, UnknownValue } from "./source-failure";

type Overview = {
  counts: Record<string, number>;
  user_keys: number;
  keys_in_secrets: number;
  secrets_with_keys: number;
  pending_pods: number;
  gke_pools: number;
  legacy_pools: number;
  wi_clusters: number;
  lastApplied: { id: number } | null;
  lastScan: { id: number; status: string; startedAt: string; finishedAt: string | null; error: string | null; target: string; mode: string; summary: { durationMs?: number } | null } | null;
  running: { id: number; startedAt: string; phase: string | null; progress: { sourcesDone: number; sourcesTotal: number; objects: number } | null } | null;
  failures: { source: string; status: string; httpStatus: number | null; error: string | null; permission: string | null }[];
  mostShared: { email: string; ksas: number; secrets: number; namespaces: number; clusters: number }[];
  findings: { severity: string; state: string; n: number }[];
  migration: Record<string, number>;
};

export function statusTone(status: string) {
  return status === "succeeded" ? "green" : status === "partial" ? "amber" : status === "running" || status === "requested" ? "blue" : "red";
}

export function OverviewView() {
  const q = useQuery({ queryKey: ["overview"], queryFn: () => fetchJson<Overview>("/api/overview"), refetchInterval: (query) => (query.state.data?.running ? 2000 : 30_000) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} retry={() => q.refetch()} />;
  const o = q.data;
  const c = (k: string) => o.counts[k] ?? 0;
  // A count whose source failed in the last scan is "unknown (source failed)" with what is known — never a bare 0.
  const failedOf = (...families: string[]) => o.failures.filter((f) => f.status !== "skipped" && families.some((fam) => f.source.startsWith(`${fam}:`)));
  const orUnknown = (value: number, ...families: string[]) => {
    const failed = failedOf(...families);
    return failed.length ? <UnknownValue known={value || undefined} sources={failed} asLink={false} /> : value;
  };
  return (
    <div>
      <PageHeader
        title="Overview"
        description="Which Kubernetes workloads use which Google service accounts, where JSON keys still live, and how far the move to Workload Identity has come."
      />
      <SourceFailureBanner what="Counts on this page" />
      {o.running && (
        <div role="status" className="mb-4 rounded-md border border-blue-300 bg-blue-50 p-3 text-sm dark:border-blue-800 dark:bg-blue-950">
          Scan #{o.running.id} is running ({o.running.phase ?? "starting"}
          {o.running.progress ? `, ${o.running.progress.sourcesDone} sources done, ${o.running.progress.objects} objects seen` : ""}).
        </div>
      )}
      {!o.lastScan && !o.running ? (
        <Empty>No scan has finished yet. Start one with <code className="mono">npm run scan</code>.</Empty>
      ) : (
        <>
          <div className="mb-3 grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-6">
            <Stat
              label="Workloads off legacy paths"
              value={o.migration.workloads ? `${Math.round((o.migration.share_migrated ?? 0) * 100)}%` : "—"}
              hint={`${o.migration.migrated ?? 0} of ${o.migration.workloads ?? 0}${o.migration.to_migrate ? `; ${o.migration.to_migrate} to migrate` : ""}`}
              href="/migration"
              tone={o.migration.share_migrated === 1 ? "green" : undefined}
            />
            <Stat label="On key files" value={o.migration.key_file_workloads ?? 0} hint="workloads" href="/findings?rule=workload-uses-key-file" tone={o.migration.key_file_workloads ? "red" : "green"} />
            <Stat label="On node accounts" value={o.migration.node_identity_workloads ?? 0} hint="workloads" href="/findings?rule=workload-on-legacy-node" tone={o.migration.node_identity_workloads ? "amber" : "green"} />
            {(["critical", "high", "medium"] as const).map((sev) => {
              const n = o.findings.filter((f) => f.severity === sev && f.state === "open").reduce((a, f) => a + f.n, 0);
              return <Stat key={sev} label={`${sev} findings`} value={n} href={`/findings?severity=${sev}&state=open`} tone={n ? (sev === "medium" ? "amber" : "red") : "green"} />;
            })}
          </div>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-8">
            <Stat label="Projects" value={c("project")} />
            <Stat label="GSAs" value={orUnknown(c("gsa"), "iam.serviceAccounts")} href="/gsas" />
            <Stat label="User-managed keys" value={orUnknown(o.user_keys, "iam.keys", "asset.keys")} href="/keys" tone={o.user_keys ? "amber" : failedOf("iam.keys", "asset.keys").length ? undefined : "green"} />
            <Stat label="Keys in Secrets" value={orUnknown(o.keys_in_secrets, "k8s.secrets")} hint={`${o.secrets_with_keys} Secrets`} href="/secrets" tone={o.keys_in_secrets ? "red" : failedOf("k8s.secrets").length ? undefined : "green"} />
            <Stat label="Clusters" value={orUnknown(c("cluster"), "container.clusters")} hint={`${o.wi_clusters} with Workload Identity`} href="/clusters" />
            <Stat label="Node pools" value={c("nodepool")} hint={`${o.legacy_pools} legacy, ${o.gke_pools} GKE metadata`} href="/clusters" />
            <Stat label="KSAs" value={c("ksa")} href="/ksas" />
            <Stat label="Workloads" value={orUnknown(c("workload"), "k8s.deployments", "k8s.statefulsets", "k8s.daemonsets", "k8s.cronjobs", "k8s.jobs", "k8s.pods")} hint={`${c("pod")} pods, ${o.pending_pods} pending`} href="/workloads" />
          </div>
          <div className="mt-6 grid gap-4 lg:grid-cols-2">
            <Card title="Most-shared service accounts">
              {o.mostShared.length === 0 ? (
                <Empty>No GSA is used from Kubernetes yet.</Empty>
              ) : (
                <table className="w-full text-sm">
                  <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                    <tr>
                      <th className="py-1 pr-3">Service account</th>
                      <th className="px-2 py-1 text-right">Namespaces</th>
                      <th className="px-2 py-1 text-right">Clusters</th>
                      <th className="px-2 py-1 text-right">KSAs</th>
                      <th className="py-1 pl-2 text-right">Key Secrets</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.mostShared.map((s) => (
                      <tr key={s.email} className="border-t border-slate-100 dark:border-slate-800">
                        <td className="py-1">
                          <a href={`/graph?focus=${encodeURIComponent(`gsa:${s.email}`)}`} className="mono text-xs" data-testid="most-shared-gsa" title="Show in the graph">
                            <Email value={s.email} />
                          </a>{" "}
                          <a href={subjectHref(`gsa:${s.email}`)} className="text-xs text-slate-500 dark:text-slate-400" aria-label={`${s.email} details`}>
                            details
                          </a>
                        </td>
                        <td className="px-2 py-1 text-right tabular-nums">{s.namespaces}</td>
                        <td className="px-2 py-1 text-right tabular-nums">{s.clusters}</td>
                        <td className="px-2 py-1 text-right tabular-nums">{s.ksas}</td>
                        <td className="py-1 text-right tabular-nums">{s.secrets ? <Badge tone="red">{s.secrets}</Badge> : 0}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Last scan">
              {o.lastScan ? (
                <div className="space-y-2 text-sm">
                  <div className="flex flex-wrap items-center gap-2">
                    <Badge tone={statusTone(o.lastScan.status)}>{o.lastScan.status}</Badge>
                    <span>
                      #{o.lastScan.id} · finished <Time value={o.lastScan.finishedAt} /> {o.lastScan.finishedAt?.slice(11, 19)} UTC
                      {o.lastScan.summary?.durationMs !== undefined && ` · ${(o.lastScan.summary.durationMs / 1000).toFixed(1)} s`}
                    </span>
                  </div>
                  <div className="text-slate-600 dark:text-slate-400">
                    {o.lastScan.mode === "gcp" ? "Google Cloud" : o.lastScan.mode === "demo" ? "Built-in demo estate (simulator)" : "Estate file (simulator)"}:{" "}
                    <span className="mono text-xs break-all">{o.lastScan.target}</span>
                  </div>
                  {o.lastScan.error && <p className="text-red-700 dark:text-red-300">{o.lastScan.error}</p>}
                  {o.lastScan.status === "failed" && o.lastApplied && (
                    <p className="text-sm">The pages show what scan #{o.lastApplied.id} found; nothing of the failed scan was applied.</p>
                  )}
                  {o.failures.length > 0 ? (
                    <div>
                      <p className="font-medium">
                        {o.failures.length} source{o.failures.length > 1 ? "s" : ""} did not fully answer — their earlier data is kept and marked stale.{" "}
                        <a href="/coverage">Coverage</a>
                      </p>
                      <ul className="mt-1 space-y-1">
                        {o.failures.slice(0, 6).map((f) => (
                          <li key={f.source} className="text-xs">
                            <Badge tone={f.status === "failed" ? "red" : "amber"}>{f.status}</Badge> <span className="mono">{f.source}</span>
                            {f.permission && (
                              <>
                                {" "}
                                — missing <span className="mono">{f.permission}</span>
                              </>
                            )}
                          </li>
                        ))}
                      </ul>
                    </div>
                  ) : (
                    <p className="text-green-700 dark:text-green-300">Every source answered.</p>
                  )}
                </div>
              ) : (
                <Empty>No finished scan yet.</Empty>
              )}
            </Card>
          </div>
        </>
      )}
    </div>
  );
}
