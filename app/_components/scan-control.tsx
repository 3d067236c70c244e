"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { fetchJson, ApiError } from "./fetch-json";
import { Badge } from "./ui";
import { useMe } from "./use-me";

type Progress = { phase: string; sourcesTotal: number; sourcesDone: number; sourcesFailed: number; objects: number; requests: number; errors: string[]; startedAt: string };
type ScanRow = { id: number; status: string; startedAt: string; finishedAt: string | null; trigger: string; error: string | null; progress: Progress | null; summary: { sources?: Record<string, number>; durationMs?: number } | null; cancelRequested?: boolean };
export type Current = { running: ScanRow | null; last: ScanRow | null };

function useCurrentScan() {
  return useQuery({
    queryKey: ["scan-current"],
    queryFn: () => fetchJson<Current>("/api/scans/current"),
    refetchInterval: (q) => (q.state.data?.running ? 1000 : 15_000),
  });
}

function elapsed(from: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(from)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Live progress of the running scan: phase, sources done and left, objects, errors, elapsed time. */
export function ScanProgress({ compact = false }: { compact?: boolean }) {
  const q = useCurrentScan();
  const qc = useQueryClient();
  const isOperator = useMe().can("operator");
  const [, tick] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const running = q.data?.running;
  const wasRunning = useWasRunning(!!running);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [running]);
  useEffect(() => {
    // When a scan finishes, every view refreshes.
    if (wasRunning && !running) void qc.invalidateQueries();
  }, [wasRunning, running, qc]);

  const start = async () => {
    setMessage(null);
    try {
      await fetchJson("/api/scans", { method: "POST" });
      await q.refetch();
    } catch (err) {
      setMessage(err instanceof ApiError && err.status === 409 ? err.message : `Could not start a scan: ${(err as Error).message}`);
    }
  };
  const cancel = async () => {
    if (!running) return;
    await fetchJson(`/api/scans/${running.id}/cancel`, { method: "POST" });
    await q.refetch();
  };

  if (compact) {
    if (!running) {
      if (!isOperator) return null;
      return (
        <button type="button" onClick={() => void start()} className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" title={message ?? "Scan the estate now"}>
          Scan now
        </button>
      );
    }
    const p = running.progress;
    return (
      <a href="/scans" className="flex items-center gap-2 rounded border border-blue-300 px-2 py-1 text-sm hover:no-underline dark:border-blue-800" data-testid="scan-running">
        <span className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-blue-300 border-t-blue-700" aria-hidden />
        Scanning… {p ? `${p.sourcesDone} sources` : ""}
      </a>
    );
  }

  const last = q.data?.last;
  const estimate = Object.values(last?.summary?.sources ?? {}).reduce((a, b) => a + b, 0);
  const p = running?.progress;
  const total = Math.max(p?.sourcesTotal ?? 0, estimate, 1);
  const pct = p ? Math.min(100, Math.round(((p.phase === "done" ? total : p.sourcesDone) / total) * (p.phase === "storing" || p.phase === "analysing" ? 100 : 95))) : 0;
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900" data-testid="scan-progress">
      {running ? (
        <div className="space-y-2 text-sm" aria-live="polite">
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone="blue">{running.status === "requested" ? "requested" : "running"}</Badge>
            <span>
              Scan #{running.id} ({running.trigger}) · {running.status === "requested" ? "waiting for the scanner" : (p?.phase ?? "starting")} · {elapsed(running.startedAt)}
            </span>
            {isOperator && (
            <button type="button" onClick={() => void cancel()} disabled={running.cancelRequested} className="ml-auto rounded border border-red-300 px-2 py-1 text-red-800 disabled:opacity-50 dark:border-red-800 dark:text-red-200">
              {running.cancelRequested ? "Cancelling…" : "Cancel"}
            </button>
            )}
          </div>
          <div className="h-2 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-800" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Scan progress">
            <div className="h-full bg-blue-600 transition-all" style={{ width: `${pct}%` }} />
          </div>
          {p && (
            <p>
              {p.sourcesDone} sources done{estimate ? `, about ${Math.max(0, estimate - p.sourcesDone)} left` : ""} · {p.objects} objects seen · {p.requests} requests ·{" "}
              <span className={p.sourcesFailed ? "text-red-700 dark:text-red-300" : ""}>{p.sourcesFailed} with errors</span>
            </p>
          )}
          {p?.errors.length ? (
            <ul className="max-h-32 overflow-auto text-xs text-red-800 dark:text-red-300">
              {p.errors.slice(-5).map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span>
            {last ? (
              <>
                Last scan #{last.id} <Badge tone={last.status === "succeeded" ? "green" : last.status === "partial" ? "amber" : "red"}>{last.status}</Badge>, finished{" "}
                {last.finishedAt?.slice(0, 19).replace("T", " ")} UTC.
              </>
            ) : (
              "No scan has finished yet."
            )}
          </span>
          {isOperator && (
            <button type="button" onClick={() => void start()} className="rounded bg-slate-900 px-3 py-1 text-white dark:bg-slate-100 dark:text-slate-900">
              Scan now
            </button>
          )}
          {message && (
            <span role="alert" className="text-red-700 dark:text-red-300">
              {message}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

function useWasRunning(running: boolean): boolean {
  const [was, setWas] = useState(false);
  const [prev, setPrev] = useState(running);
  if (prev !== running) {
    setWas(prev);
    setPrev(running);
  }
  return was;
}
