"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Empty, ErrorBox, PageHeader, Spinner, Time } from "./ui";
import { SOURCE_PERMISSIONS, CLUSTER_ROLE_YAML, GCLOUD_SETUP, CUSTOM_ROLE_SETUP } from "@/lib/scan/permissions";

type Source = { source: string; family: string; scope: string; status: string; httpStatus: number | null; error: string | null; permission: string | null; objects: number; requests: number; durationMs: number };
type Coverage = {
  scan: { id: number; status: string; finishedAt: string | null; target: string; summary?: { inventoryPath?: "direct" | "asset"; inventoryPathReason?: string } | null } | null;
  sources: Source[];
  byFamily: { family: string; total: number; ok: number; partial: number; failed: number; skipped: number }[];
};

const tone = (s: string) => (s === "ok" ? "green" : s === "partial" ? "amber" : s === "skipped" ? "slate" : "red");

export function CoverageView() {
  const q = useQuery({ queryKey: ["coverage"], queryFn: () => fetchJson<Coverage>("/api/coverage") });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} retry={() => q.refetch()} />;
  const d = q.data;
  const problems = d.sources.filter((s) => s.status !== "ok");
  return (
    <div className="space-y-4">
      <PageHeader
        title="Coverage"
        description="Every source the last scan tried — one API call family over one scope — with its outcome. Where one failed, its earlier data is kept and marked stale, and findings that need it are reported unverified instead of guessed."
      />
      {!d.scan ? (
        <Empty>No finished scan yet.</Empty>
      ) : (
        <>
          <p className="text-sm">
            Scan #{d.scan.id} <Badge tone={d.scan.status === "succeeded" ? "green" : d.scan.status === "partial" ? "amber" : "red"}>{d.scan.status}</Badge> finished <Time value={d.scan.finishedAt} />:{" "}
            {d.sources.length} sources, {d.sources.filter((s) => s.status === "ok").length} answered in full.
          </p>
          <InventoryPathLine summary={d.scan.summary} />
          <Card title={`Sources that did not fully answer (${problems.length})`}>
            {problems.length === 0 ? (
              <p className="text-sm text-green-700 dark:text-green-300">None: every source answered.</p>
            ) : (
              // Focusable so a keyboard can scroll it (axe: scrollable-region-focusable).
              <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Sources that did not fully answer">
              <table className="w-full text-sm [&_td]:px-2 [&_th]:px-2" data-testid="coverage-problems">
                <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                  <tr>
                    <th className="py-1">Source</th>
                    <th>Outcome</th>
                    <th>Missing permission</th>
                    <th>What the API said</th>
                  </tr>
                </thead>
                <tbody>
                  {problems.map((s) => (
                    <tr key={s.source} className="border-t border-slate-100 align-top dark:border-slate-800">
                      <td className="mono py-1 pr-2 text-xs break-all">{s.source}</td>
                      <td className="pr-2">
                        <Badge tone={tone(s.status)}>{s.status}</Badge> {s.httpStatus && <span className="text-xs">HTTP {s.httpStatus}</span>}
                      </td>
                      <td className="mono pr-2 text-xs">{s.permission ?? "—"}</td>
                      <td className="text-xs break-words">{s.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              </div>
            )}
          </Card>
          <Card title="By source family">
            <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="By source family">
            <table className="w-full text-sm [&_td]:px-2 [&_th]:px-2" data-testid="coverage-families">
              <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                <tr>
                  <th className="py-1">Family</th>
                  <th>What it reads</th>
                  <th className="text-right">OK</th>
                  <th className="text-right">Partial</th>
                  <th className="text-right">Failed</th>
                  <th className="text-right">Skipped</th>
                  <th>Needs</th>
                </tr>
              </thead>
              <tbody>
                {d.byFamily.map((f) => {
                  const perm = SOURCE_PERMISSIONS.find((p) => p.family === f.family);
                  return (
                    <tr key={f.family} className="border-t border-slate-100 align-top dark:border-slate-800">
                      <td className="mono py-1 text-xs">{f.family}</td>
                      <td className="text-xs">{perm?.what}</td>
                      <td className="text-right tabular-nums">{f.ok}</td>
                      <td className="text-right tabular-nums">{f.partial || ""}</td>
                      <td className="text-right tabular-nums">{f.failed ? <Badge tone="red">{f.failed}</Badge> : ""}</td>
                      <td className="text-right tabular-nums">{f.skipped || ""}</td>
                      <td className="mono text-xs break-words">
                        {perm?.permissions.join(", ")} <span className="text-slate-500 dark:text-slate-400">({perm?.role})</span>
                        {perm?.gkePermissions && <span className="block">or GKE IAM: {perm.gkePermissions.join(", ")}</span>}
                        {perm?.optional && <Badge>optional</Badge>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            </div>
          </Card>
        </>
      )}
      <Card title="Least-privilege setup">
        <p className="mb-2 text-sm">Read-only everywhere. The scanner never needs to create keys, change policies, or read key material.</p>
        <p className="mb-2 text-sm">
          Either one custom role holding exactly the permissions above (deploy/terraform creates it; Kubernetes reads as GKE IAM permissions, so no per-cluster RBAC):
        </p>
        <pre tabIndex={0} className="mono overflow-auto rounded bg-slate-50 p-3 text-xs dark:bg-slate-950" data-testid="custom-role-setup">
          {CUSTOM_ROLE_SETUP}
        </pre>
        <p className="my-2 text-sm">Or predefined roles, with a read-only ClusterRole in each cluster:</p>
        <pre tabIndex={0} className="mono overflow-auto rounded bg-slate-50 p-3 text-xs dark:bg-slate-950">{GCLOUD_SETUP}</pre>
        <pre tabIndex={0} className="mono mt-3 overflow-auto rounded bg-slate-50 p-3 text-xs dark:bg-slate-950">{CLUSTER_ROLE_YAML}</pre>
      </Card>
    </div>
  );
}

/**
 * Where the scan's keys and GSA policies came from (WI_ATLAS_INVENTORY_PATH), and why: Cloud Asset
 * Inventory's index lags by minutes, so a reader weighing a fresh change needs to know. Scans from
 * before the reason was recorded show the path alone; older ones, nothing.
 */
function InventoryPathLine({ summary }: { summary?: { inventoryPath?: "direct" | "asset"; inventoryPathReason?: string } | null }) {
  if (!summary?.inventoryPath) return null;
  const text = summary.inventoryPathReason ?? (summary.inventoryPath === "asset" ? "via Cloud Asset Inventory" : "asked IAM per account");
  return (
    <p className="text-sm" data-testid="inventory-path">
      <span className="font-medium">Keys and GSA policies:</span> {text}
      {summary.inventoryPath === "asset" && <span className="text-slate-600 dark:text-slate-400"> (its index lags the services by minutes: a key created just now may appear only in a later scan)</span>}
    </p>
  );
}
