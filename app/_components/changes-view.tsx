"use client";
import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { useUrlState } from "./use-url-state";
import { Badge, Card, Empty, ErrorBox, PageHeader, Path, Spinner } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { ScanProgress } from "./scan-control";

type Change = { category: string; change: string; subject: string; detail: string };
type Changes = { from: number; to: number; changes: Change[]; counts: Record<string, number> };
type ScanRow = { id: number; status: string; startedAt: string; prunedAt: string | null };

const CATEGORY: Record<string, string> = {
  migration: "Workloads moved (or not) to Workload Identity",
  finding: "Findings opened and resolved",
  key: "Keys",
  "key-in-secret": "Keys found in (or gone from) Secrets",
  binding: "IAM bindings",
  annotation: "KSA annotations",
  gsa: "Google service accounts",
  workload: "Workloads",
  cluster: "Clusters",
  nodepool: "Node pools",
};
const ORDER = Object.keys(CATEGORY);
const TONE: Record<string, "green" | "red" | "amber" | "slate"> = { appeared: "green", disappeared: "red", changed: "amber", unknown: "slate" };

function View() {
  const { params, set } = useUrlState();
  const scans = useQuery({ queryKey: ["scans"], queryFn: () => fetchJson<{ scans: ScanRow[] }>("/api/scans") });
  const qs = new URLSearchParams();
  if (params.get("from")) qs.set("from", params.get("from")!);
  if (params.get("to")) qs.set("to", params.get("to")!);
  const usable = (scans.data?.scans ?? []).filter((s) => ["succeeded", "partial"].includes(s.status) && !s.prunedAt);
  // Fewer than two finished scans is where every installation starts, not an error: say what is
  // needed and offer the scan, instead of asking the server a question it cannot answer yet.
  const needsScans = scans.isSuccess && usable.length < 2 && !qs.toString();
  const q = useQuery({ queryKey: ["changes", qs.toString()], queryFn: () => fetchJson<Changes>(`/api/changes?${qs}`), enabled: scans.isSuccess && !needsScans });
  if (needsScans) {
    return (
      <div className="space-y-4" data-testid="changes-need-scans">
        <Card title="Changes need two scans">
          <p className="text-sm">
            This page compares two finished scans: what appeared, disappeared or changed between them.{" "}
            {usable.length === 0
              ? "No scan has finished yet."
              : `There is one so far (scan #${usable[0].id}, ${usable[0].startedAt.slice(0, 16).replace("T", " ")} UTC); the next scan will be compared with it.`}
          </p>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">Scans also run on their own every WI_ATLAS_SCAN_INTERVAL_MINUTES when a schedule is set.</p>
        </Card>
        <ScanProgress />
      </div>
    );
  }
  const pick = (name: "from" | "to", current: number | undefined) => (
    <label className="flex items-center gap-1 text-sm">
      <span className="text-slate-600 dark:text-slate-400">{name === "from" ? "From scan" : "to scan"}</span>
      <select aria-label={name === "from" ? "From scan" : "To scan"} value={current ?? ""} onChange={(e) => set({ [name]: e.target.value })} className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
        {usable.map((s) => (
          <option key={s.id} value={s.id}>
            #{s.id} · {s.startedAt.slice(0, 16).replace("T", " ")}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        {pick("from", q.data?.from)}
        {pick("to", q.data?.to)}
        {q.data && (
          <a href={`/api/reports/changes.csv?from=${q.data.from}&to=${q.data.to}`} download className="rounded border border-slate-300 px-2 py-1 text-sm hover:no-underline dark:border-slate-700">
            Download CSV
          </a>
        )}
      </div>
      {q.isPending ? (
        <Spinner />
      ) : q.isError ? (
        <ErrorBox error={q.error} />
      ) : q.data.changes.length === 0 ? (
        <Empty>
          Nothing changed between scan #{q.data.from} and scan #{q.data.to}.
        </Empty>
      ) : (
        ORDER.filter((c) => q.data.changes.some((x) => x.category === c)).map((c) => {
          const list = q.data.changes.filter((x) => x.category === c);
          return (
            <Card key={c} title={`${CATEGORY[c]} (${list.length})`}>
              <ul className="space-y-1 text-sm" data-testid={`changes-${c}`}>
                {list.map((x, i) => (
                  <li key={i} className="flex flex-wrap items-baseline gap-2">
                    <Badge tone={TONE[x.change]}>{x.change}</Badge>
                    <a href={subjectHref(x.subject)} className="mono text-xs">
                      <Path value={subjectLabel(x.subject)} />
                    </a>
                    <span>{x.detail}</span>
                  </li>
                ))}
              </ul>
            </Card>
          );
        })
      )}
    </div>
  );
}

export function ChangesView() {
  return (
    <div>
      <PageHeader
        title="Changes between scans"
        description="What appeared, disappeared or changed. An object whose source failed in either scan is shown unknown — never disappeared."
      />
      <Suspense fallback={<Spinner />}>
        <View />
      </Suspense>
    </div>
  );
}
