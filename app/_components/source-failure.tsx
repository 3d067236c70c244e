"use client";
/**
 * Unknown is never shown as none. When a source failed in the last scan (a project's keys list
 * refused, a cluster not reached), the pages that count from it say so: a banner naming the failed
 * sources, and `UnknownValue` in place of a count that would otherwise read 0 or a partial number.
 */
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { fetchJson } from "./fetch-json";

export type SourceOutcome = { source: string; family: string; scope: string; status: string; httpStatus: number | null; error: string | null };
type Coverage = { scan: { id: number } | null; sources: SourceOutcome[] };

/** The sources that failed (or answered only in part) in the last applied scan, optionally of some families only (`iam.keys`, `k8s.pods`…). */
export function useFailedSources(families?: string[]): { scanId: number | null; failed: SourceOutcome[]; isLoaded: boolean } {
  const q = useQuery({ queryKey: ["coverage"], queryFn: () => fetchJson<Coverage>("/api/coverage"), staleTime: 30_000 });
  const failed = (q.data?.sources ?? []).filter((s) => (s.status === "failed" || s.status === "partial") && (!families || families.includes(s.family)));
  return { scanId: q.data?.scan?.id ?? null, failed, isLoaded: q.isSuccess };
}

/** A count or value whose source failed: "unknown (source failed)", linked to Coverage; with what is known, if anything. */
export function UnknownValue({ known, sources, asLink = true }: { known?: ReactNode; sources?: Pick<SourceOutcome, "source">[]; /** false inside another link (a Stat card): the page's banner links to Coverage. */ asLink?: boolean }) {
  const title = sources?.length ? `Failed: ${sources.map((s) => s.source).join(", ")}` : "A source this value needs failed in the last scan";
  const body = (
    <>
      {known !== undefined && known !== null ? <>≥ {known} · </> : null}unknown (source failed)
    </>
  );
  const cls = "text-amber-800 underline decoration-dotted dark:text-amber-300";
  return asLink ? (
    <a href="/coverage" className={cls} title={title} data-testid="unknown-source-failed">
      {body}
    </a>
  ) : (
    <span className={cls} title={title} data-testid="unknown-source-failed">
      {body}
    </span>
  );
}

/** The banner for pages whose numbers depend on sources that failed in the last scan. Renders nothing when none did. */
export function SourceFailureBanner({ families, what = "Some numbers on this page" }: { families?: string[]; what?: string }) {
  const { scanId, failed } = useFailedSources(families);
  if (failed.length === 0) return null;
  const shown = failed.slice(0, 4);
  return (
    <div role="status" data-testid="source-failure-banner" className="mb-3 rounded-md border border-amber-400 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p>
        <span className="font-medium">
          {failed.length} source{failed.length === 1 ? "" : "s"} failed{scanId ? ` in scan #${scanId}` : ""}:
        </span>{" "}
        {shown.map((s, i) => (
          <span key={s.source}>
            {i > 0 && "; "}
            <span className="mono text-xs">{s.source}</span>
            {s.httpStatus ? ` (${s.httpStatus})` : s.status === "partial" ? " (partial)" : ""}
          </span>
        ))}
        {failed.length > shown.length && ` and ${failed.length - shown.length} more`}.
      </p>
      <p className="mt-1">
        {what} may be incomplete: what those sources hold is unknown, not absent. <a href="/coverage">See Coverage</a>.
      </p>
    </div>
  );
}
