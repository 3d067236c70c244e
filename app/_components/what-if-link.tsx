"use client";
/**
 * The **What breaks if…** actions: each a plain link to `/what-if?changes=…` holding the one change
 * the object's page (or a table's row) is about, so the question is one click and can be shared.
 */
import { useQuery } from "@tanstack/react-query";
import { whatIfPath, WORKLOAD_IDENTITY_USER, type Change } from "@/lib/whatif/changes";
import { parseSubject } from "@/lib/ids";
import { fetchJson } from "./fetch-json";

export function WhatIfLink({ changes, children, compact = false }: { changes: Change[]; children: React.ReactNode; compact?: boolean }) {
  return (
    <a href={whatIfPath(changes)} data-testid="what-if-link" className={compact ? "text-xs whitespace-nowrap" : "rounded border border-amber-400 px-2 py-0.5 text-sm whitespace-nowrap text-amber-900 hover:bg-amber-50 hover:no-underline dark:text-amber-200 dark:hover:bg-amber-950"}>
      {children}
    </a>
  );
}

/** The actions of an object page, by the subject's kind and what the scan holds of it. */
export function ObjectWhatIf({ subject, data }: { subject: string; data?: unknown }) {
  const kind = parseSubject(subject)?.kind;
  const d = (data ?? {}) as { servesGkeMetadata?: boolean; disabled?: boolean };
  if (kind === "key")
    return (
      <>
        <WhatIfLink changes={[{ type: "delete-key", subject }]}>What breaks if… I delete this key</WhatIfLink>
        {!d.disabled && <WhatIfLink changes={[{ type: "disable-key", subject }]}>… I disable it</WhatIfLink>}
      </>
    );
  if (kind === "gsa")
    return (
      <>
        {!d.disabled && <WhatIfLink changes={[{ type: "disable-gsa", subject }]}>What breaks if… I disable this account</WhatIfLink>}
        <WhatIfLink changes={[{ type: "delete-gsa", subject }]}>{d.disabled ? "What breaks if… I delete this account" : "… I delete it"}</WhatIfLink>
      </>
    );
  if (kind === "secret") return <WhatIfLink changes={[{ type: "delete-secret", subject }]}>What breaks if… I delete this Secret</WhatIfLink>;
  if (kind === "nodepool")
    return (
      <>
        <WhatIfLink changes={[{ type: "delete-nodepool", subject }]}>What breaks if… I delete this pool</WhatIfLink>
        <WhatIfLink changes={[{ type: "set-nodepool-metadata", subject, mode: d.servesGkeMetadata ? "GCE_METADATA" : "GKE_METADATA" }]}>
          … I set it to {d.servesGkeMetadata ? "GCE_METADATA" : "GKE_METADATA"}
        </WhatIfLink>
      </>
    );
  return null;
}

type PoolRow = { subject: string; serves_gke_metadata: boolean | null };

/** A workload's action: move it to its cluster's GKE-metadata pool (the article's step 4). */
export function WorkloadWhatIf({ subject, currentPools }: { subject: string; currentPools: string[] }) {
  const cluster = `cluster:${subject.slice("workload:".length).split("/").slice(0, 3).join("/")}`;
  const q = useQuery({
    queryKey: ["what-if-pools", cluster],
    queryFn: () => fetchJson<{ rows: PoolRow[] }>(`/api/nodepools?cluster=${encodeURIComponent(cluster)}&pageSize=100`),
  });
  const names = new Set(currentPools);
  const target = q.data?.rows.find((r) => r.serves_gke_metadata && !names.has(r.subject.split("/").pop()!));
  if (!target) return null;
  return <WhatIfLink changes={[{ type: "move-workload", subject, pool: target.subject }]}>What breaks if… I move it to {target.subject.split("/").pop()} (GKE metadata)</WhatIfLink>;
}

/** The question a table's row asks (keys, node pools, Secrets, bindings), or null. */
export function rowWhatIf(table: string, row: Record<string, unknown>): { changes: Change[]; label: string } | null {
  const subject = typeof row.subject === "string" ? row.subject : null;
  if (!subject) return null;
  if (table === "keys" && subject.startsWith("key:")) return { changes: [{ type: "delete-key", subject }], label: "… if deleted" };
  if (table === "nodepools" && subject.startsWith("nodepool:")) return { changes: [{ type: "delete-nodepool", subject }], label: "… if deleted" };
  if (table === "secrets" && subject.startsWith("secret:")) return { changes: [{ type: "delete-secret", subject }], label: "… if deleted" };
  if (table === "bindings" && typeof row.member === "string" && /^[a-zA-Z]+:\S+$/.test(row.member) && /^(gsa|project|folder|organization):/.test(subject)) {
    const role = typeof row.role === "string" ? row.role : WORKLOAD_IDENTITY_USER;
    return { changes: [{ type: "remove-binding", subject, member: row.member, role }], label: "… if removed" };
  }
  return null;
}
