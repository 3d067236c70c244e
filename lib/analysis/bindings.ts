/**
 * Two-sided reconciliation: every binding on a GSA (and every token-role grant on a project, folder
 * or organization) checked against the clusters using its workload pool. A Workload Identity link is
 * configured twice — the KSA annotation and this binding — and the two drift apart; this is where it shows.
 */
import type { AnalysisContext } from "./context";
import type { BindingRow } from "./model";
import { parseWiMember, TOKEN_ROLES } from "./iam";

/**
 * KSAs matching `ns/ksa` in the clusters using `pool`, and whether the answer is complete: every
 * cluster of the pool — the pool project's clusters and its fleet's members — listed and read in full
 * (ctx.poolScope). `lacking` names what was not read.
 */
export function ksasInPool(ctx: AnalysisContext, pool: string, ns: string, ksa: string): { ksas: string[]; clusters: string[]; complete: boolean; lacking: string[] } {
  const { clusters, lacking } = ctx.poolScope(pool);
  const ksas: string[] = [];
  for (const c of clusters) {
    const k = ctx.ksa(c, ns, ksa);
    if (k) ksas.push(k.subject);
  }
  return { ksas, clusters, complete: lacking.length === 0, lacking };
}

export function reconcileBindings(ctx: AnalysisContext): BindingRow[] {
  const rows: BindingRow[] = [];
  for (const [subject, policy] of ctx.policies) {
    const onGsa = subject.startsWith("gsa:");
    for (const b of policy.data.bindings) {
      if (!onGsa && !TOKEN_ROLES.has(b.role)) continue;
      const condition = b.condition ? b.condition.title || b.condition.expression : null;
      for (const member of b.members) {
        const m = parseWiMember(member);
        const base = { gsa: onGsa ? subject.slice(4) : "*", role: b.role, member, resource: subject, condition };
        if (!onGsa) {
          // A token role on a project, folder or organization covers every GSA there, whoever the member is.
          rows.push({
            ...base,
            pool: m?.pool ?? null,
            namespace: m && "ns" in m ? m.ns : null,
            ksaName: m && "ksa" in m ? m.ksa : null,
            ksas: [],
            state: "broad",
            detail: `granted on ${subject}: applies to every service account there, including future ones`,
          });
          continue;
        }
        if (!m || !TOKEN_ROLES.has(b.role)) {
          rows.push({ ...base, pool: m?.pool ?? null, namespace: null, ksaName: null, ksas: [], state: "other", detail: m ? `direct role for a Kubernetes identity` : "not a Kubernetes identity" });
          continue;
        }
        if (m.kind === "namespace" || m.kind === "cluster" || m.kind === "pool") {
          rows.push({ ...base, pool: m.pool, namespace: m.kind === "namespace" ? m.ns : null, ksaName: null, ksas: [], state: "broad", detail: `a principalSet: every KSA ${m.kind === "namespace" ? `in namespace ${m.ns}` : m.kind === "cluster" ? `in ${m.cluster.slice(8)}` : `in ${m.pool}`} can act as this GSA` });
          continue;
        }
        const found = ksasInPool(ctx, m.pool, m.ns, m.ksa);
        const email = subject.slice(4);
        let state: BindingRow["state"];
        let detail: string;
        if (found.ksas.length) {
          const annotated = found.ksas.filter((k) => ctx.ksas.get(k)?.data.gsaAnnotation?.trim().toLowerCase() === email);
          if (annotated.length) {
            state = "ok";
            detail = `annotated on ${annotated.map((k) => k.slice(4)).join(", ")}`;
          } else {
            state = "not-annotated";
            // Where the pool is not read in full, the KSA may exist annotated in a cluster not read.
            detail = `${found.ksas.map((k) => k.slice(4)).join(", ")} exists but is not annotated with ${email}${found.complete ? "" : `; not read: ${found.lacking.join("; ")}`}`;
          }
        } else if (found.complete) {
          state = "stale";
          detail = found.clusters.length
            ? `${m.ns}/${m.ksa} exists in none of ${found.clusters.map((c) => c.slice(8)).join(", ")}: whoever creates it gets ${email}`
            : `no cluster uses ${m.pool}: whoever creates ${m.ns}/${m.ksa} in a cluster using it gets ${email}`;
        } else {
          state = "unverified";
          detail = `not found, but cannot be ruled out: ${found.lacking.join("; ")}`;
        }
        rows.push({ ...base, pool: m.pool, namespace: m.ns, ksaName: m.ksa, ksas: found.ksas, state, detail, lacking: found.complete ? undefined : found.lacking });
      }
    }
  }
  return rows.sort((a, b) => (a.resource + a.role + a.member < b.resource + b.role + b.member ? -1 : 1));
}
