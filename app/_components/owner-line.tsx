"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";

type SubjectOwner = { configured: boolean; owner: { team: string; contact?: string } | null };

/**
 * The owner of a workload or GSA from the owners file (WI_ATLAS_OWNERS; issue 13), one short line in
 * a page header. Nothing without an owners file; "no owner" only when the file names no team for it.
 */
export function OwnerLine({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["owner", subject], queryFn: () => fetchJson<SubjectOwner>(`/api/owner?subject=${encodeURIComponent(subject)}`) });
  if (!q.data?.configured) return null;
  const o = q.data.owner;
  return (
    <span data-testid="owner">
      · Owner{" "}
      {o ? (
        <>
          <a href={`/findings?owner=${encodeURIComponent(o.team)}`} className="font-medium">
            {o.team}
          </a>
          {o.contact && <span className="text-slate-600 dark:text-slate-400"> ({o.contact})</span>}
        </>
      ) : (
        <span className="text-slate-600 dark:text-slate-400" title="The owners file names no team for its namespace, GSA or project">none in the owners file</span>
      )}
    </span>
  );
}
