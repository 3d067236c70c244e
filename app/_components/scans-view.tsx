"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { fetchJson, ApiError } from "./fetch-json";
import { Badge, Card, Empty, ErrorBox, PageHeader, Spinner } from "./ui";
import { statusTone } from "./overview";
import { ScanProgress } from "./scan-control";

type Held = { kind: string; wouldClose: number; current: number };
type ScanRow = {
  id: number;
  status: string;
  trigger: string;
  mode: string;
  target: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  summary: { durationMs?: number; written?: { inserted: number; closed: number; held?: Held[] }; acceptedRetirement?: boolean } | null;
};

/**
 * The guard against mass retirement kept objects the last scan no longer saw: say so, and let an
 * admin start a scan that applies the retirement.
 */
// admin only: the button (and POST /api/scans/accept-retirement) is for admins once roles exist.
function HeldRetirement({ scan, message, setMessage }: { scan: ScanRow | undefined; message: string | null; setMessage: (m: string | null) => void }) {
  const qc = useQueryClient();
  const held = scan?.summary?.written?.held ?? [];
  const accept = async () => {
    setMessage(null);
    try {
      const r = await fetchJson<{ scanId: number }>("/api/scans/accept-retirement", { method: "POST" });
      setMessage(`Scan #${r.scanId} started; it applies the retirement (the scanner picks it up within seconds).`);
      await qc.invalidateQueries();
    } catch (err) {
      setMessage(err instanceof ApiError && err.status === 409 ? err.message : `Could not start a scan: ${(err as Error).message}`);
    }
  };
  return (
    <div className="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950" data-testid="held-retirement">
      {/* Once the accepting scan has run nothing is held any more; the message stays so the click has an answer. */}
      {!scan || !held.length ? (
        <span role="status">{message}</span>
      ) : (
        <>
      <p className="font-medium">Scan #{scan.id} kept objects it no longer saw</p>
      <ul className="my-2 list-disc pl-5">
        {held.map((h) => (
          <li key={h.kind}>
            {h.wouldClose} of {h.current} {h.kind} objects ({Math.round((h.wouldClose * 100) / Math.max(1, h.current))}%)
          </li>
        ))}
      </ul>
      <p>More than WI_ATLAS_MAX_RETIRE_PERCENT of a kind disappeared at once, so they were kept. If the clean-up was real, apply it:</p>
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <button type="button" onClick={() => void accept()} className="rounded bg-amber-700 px-3 py-1 text-white">
          Accept retirement
        </button>
        {message && <span role="status">{message}</span>}
      </div>
        </>
      )}
    </div>
  );
}

export function ScansView() {
  const [retireMessage, setRetireMessage] = useState<string | null>(null);
  const q = useQuery({ queryKey: ["scans"], queryFn: () => fetchJson<{ scans: ScanRow[] }>("/api/scans"), refetchInterval: 5000 });
  return (
    <div>
      <PageHeader title="Scans" description="Every scan, newest first: how it ended, how long it took, and how many new versions it wrote (an unchanged rescan writes none). Pick two to compare them." />
      <div className="mb-4">
        <ScanProgress />
      </div>
      {(() => {
        // Only the newest finished scan's hold matters: a later scan applied or re-held it (a scan
        // running or waiting for the scanner has not decided anything yet).
        const last = q.data?.scans.find((s) => s.status !== "running" && s.status !== "requested");
        return last?.summary?.written?.held?.length || retireMessage ? <HeldRetirement scan={last} message={retireMessage} setMessage={setRetireMessage} /> : null;
      })()}
      {q.isPending ? (
        <Spinner />
      ) : q.isError ? (
        <ErrorBox error={q.error} />
      ) : q.data.scans.length === 0 ? (
        <Empty>No scans yet.</Empty>
      ) : (
        <Card>
          <table className="w-full text-sm [&_td]:px-2 [&_th]:px-2" data-testid="scans">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="py-1">#</th>
                <th>Status</th>
                <th>Started</th>
                <th className="text-right">Duration</th>
                <th>Trigger</th>
                <th className="text-right">Versions written</th>
                <th>Note</th>
              </tr>
            </thead>
            <tbody>
              {q.data.scans.map((s) => (
                <tr key={s.id} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="py-1 tabular-nums">{s.id}</td>
                  <td>
                    <Badge tone={statusTone(s.status)}>{s.status}</Badge>
                  </td>
                  <td className="tabular-nums">{s.startedAt.slice(0, 19).replace("T", " ")}</td>
                  <td className="text-right tabular-nums">{s.summary?.durationMs !== undefined ? `${(s.summary.durationMs / 1000).toFixed(1)} s` : "—"}</td>
                  <td>{s.trigger}</td>
                  <td className="text-right tabular-nums">{s.summary?.written ? `${s.summary.written.inserted} new, ${s.summary.written.closed} closed` : "—"}</td>
                  <td className="text-xs">{s.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Activity />
    </div>
  );
}

type AuditRow = { id: number; at: string; actor: string; role: string; action: string; target: string };

/** Who started or cancelled scans and accepted or re-opened findings, newest first (GET /api/audit). */
function Activity() {
  const q = useQuery({ queryKey: ["audit"], queryFn: () => fetchJson<{ events: AuditRow[] }>("/api/audit?limit=50"), refetchInterval: 10_000 });
  return (
    <div className="mt-6">
      <Card title="Activity">
        {q.isPending ? (
          <Spinner />
        ) : q.isError ? (
          <ErrorBox error={q.error} />
        ) : q.data.events.length === 0 ? (
          <Empty>Nobody has started a scan or accepted a finding from the dashboard yet.</Empty>
        ) : (
          <table className="w-full text-sm [&_td]:px-2 [&_th]:px-2" data-testid="activity">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="py-1">When (UTC)</th>
                <th>Who</th>
                <th>Role</th>
                <th>What</th>
                <th>Subject</th>
              </tr>
            </thead>
            <tbody>
              {q.data.events.map((e) => (
                <tr key={e.id} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="py-1 tabular-nums">{e.at.slice(0, 19).replace("T", " ")}</td>
                  <td>{e.actor}</td>
                  <td>{e.role}</td>
                  <td className="mono text-xs">{e.action}</td>
                  <td className="mono text-xs break-all">{e.target}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
