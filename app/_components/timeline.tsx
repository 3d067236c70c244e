"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Spinner } from "./ui";

type Timeline = { subject: string; current: boolean; events: { scanId: number; at: string; kind: string; event: string; fields: string[]; detail: string }[] };

const TONE: Record<string, "green" | "red" | "amber" | "slate" | "blue"> = { "first seen": "blue", changed: "amber", gone: "red", "finding opened": "red", "finding resolved": "green" };

/** An object's own history: first seen, each change, findings opened and resolved, last seen. */
export function TimelineCard({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["timeline", subject], queryFn: () => fetchJson<Timeline>(`/api/objects/${encodeURIComponent(subject)}/timeline`) });
  return (
    <Card title="Timeline">
      {q.isPending ? (
        <Spinner />
      ) : q.isError ? (
        <p className="text-sm">No history.</p>
      ) : (
        <ol className="space-y-1 text-sm" data-testid="timeline">
          {q.data.events.map((e, i) => (
            <li key={i} className="flex flex-wrap items-baseline gap-2">
              <span className="w-36 shrink-0 tabular-nums text-xs text-slate-600 dark:text-slate-400">
                #{e.scanId} · {e.at.slice(0, 16).replace("T", " ")}
              </span>
              <Badge tone={TONE[e.event] ?? "slate"}>{e.event}</Badge>
              <span className="text-xs text-slate-600 dark:text-slate-400">{e.kind.startsWith("finding:") ? e.kind.slice(8) : e.kind}</span>
              <span className="break-words">{e.detail}</span>
            </li>
          ))}
          {q.data.current && <li className="text-xs text-slate-600 dark:text-slate-400">…still present in the latest scan.</li>}
        </ol>
      )}
    </Card>
  );
}
