"use client";
import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fetchJson } from "./fetch-json";
import { useUrlState } from "./use-url-state";
import { Card, Empty, ErrorBox, PageHeader, Spinner } from "./ui";

type Trends = { scope: string; scopes: string[]; points: ({ scanId: number; startedAt: string } & Record<string, number | string>)[] };

const SERIES: { title: string; lines: { key: string; label: string; color: string }[] }[] = [
  {
    title: "The burn-down: what is left to migrate",
    lines: [
      { key: "not_migrated", label: "workloads not done (to migrate or unknown)", color: "#dc2626" },
      { key: "to_migrate", label: "workloads still on a legacy path", color: "#be123c" },
      { key: "key_file_workloads", label: "workloads on key files", color: "#d97706" },
      { key: "node_identity_workloads", label: "workloads on node accounts", color: "#7c3aed" },
    ],
  },
  {
    title: "Keys",
    lines: [
      { key: "user_managed_keys", label: "user-managed keys", color: "#d97706" },
      { key: "keys_in_secrets", label: "keys in Secrets", color: "#dc2626" },
    ],
  },
  {
    title: "Open findings by severity",
    lines: [
      { key: "findings_critical", label: "critical", color: "#991b1b" },
      { key: "findings_high", label: "high", color: "#dc2626" },
      { key: "findings_medium", label: "medium", color: "#d97706" },
      { key: "findings_low", label: "low", color: "#2563eb" },
    ],
  },
];

function View() {
  const { params, set } = useUrlState();
  const scope = params.get("scope") ?? "overall";
  const q = useQuery({ queryKey: ["trends", scope], queryFn: () => fetchJson<Trends>(`/api/trends?scope=${encodeURIComponent(scope)}`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const data = q.data.points.map((p) => ({ ...p, label: `#${p.scanId} ${String(p.startedAt).slice(5, 16).replace("T", " ")}` }));
  return (
    <div className="space-y-4">
      <label className="flex items-center gap-1 text-sm">
        <span className="text-slate-600 dark:text-slate-400">Scope</span>
        <select aria-label="Scope" value={scope} onChange={(e) => set({ scope: e.target.value })} className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
          {q.data.scopes.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {data.length === 0 ? (
        <Empty>No analysed scans for {scope} yet.</Empty>
      ) : (
        <div className="grid gap-4 xl:grid-cols-2">
          {SERIES.map((s) => (
            <Card key={s.title} title={s.title}>
              <div className="h-64" data-testid={`trend-${s.lines[0].key}`}>
                <ResponsiveContainer width="100%" height="100%">
                  <LineChart data={data} margin={{ top: 5, right: 20, bottom: 5, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#94a3b833" />
                    <XAxis dataKey="label" tick={{ fontSize: 11 }} />
                    <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
                    <Tooltip />
                    <Legend />
                    {s.lines.map((l) => (
                      <Line key={l.key} type="monotone" dataKey={l.key} name={l.label} stroke={l.color} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
                    ))}
                  </LineChart>
                </ResponsiveContainer>
              </div>
              {/* A table ignores width: 1px: the sr-only wrapper clips it (else it widened the page). */}
              <div className="sr-only">
                <table>
                  <caption>{s.title}</caption>
                  <thead>
                    <tr>
                      <th>Scan</th>
                      {s.lines.map((l) => (
                        <th key={l.key}>{l.label}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((p) => (
                      <tr key={p.scanId}>
                        <td>{p.label}</td>
                        {s.lines.map((l) => (
                          <td key={l.key}>{String((p as Record<string, unknown>)[l.key] ?? "")}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          ))}
        </div>
      )}
    </div>
  );
}

export function TrendsView() {
  return (
    <div>
      <PageHeader title="Trends" description="The migration over time, one point per scan: what is left to migrate, keys, and open findings. Pick a project or cluster to see its own burn-down." />
      <Suspense fallback={<Spinner />}>
        <View />
      </Suspense>
    </div>
  );
}
