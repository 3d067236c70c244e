/**
 * Two-sided reconciliation: every binding on a GSA (and every token-role grant on a project, folder
 * or organization) checked against the clusters using its workload pool. A Workload Identity link is
 * configured twice — the KSA annotation and this binding — and the two drift apart; this is where it shows.
 * Roles count as Google counts them: custom roles by their permissions (a DISABLED or deleted one grants
 * nothing; one that could not be read leaves the row `unverified`), and `deleted:…?uid=…` members as
 * the dead grants they are.
 */
import type { AnalysisContext } from "./context";
import type { BindingRow } from "./model";
import { conditionText, parseDeletedMember, parseWiMember, roleVerdict, type RoleVerdict } from "./iam";

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

type Base = Pick<BindingRow, "gsa" | "role" | "member" | "resource" | "condition" | "iamCondition">;
const noKsa = { pool: null, namespace: null, ksaName: null, ksas: [] as string[] };

/**
 * A row for a `deleted:` member: on a GSA's own policy always; on a project, folder or organization
 * when the role is a token role, or when the member is a deleted service account whose email a live
 * account carries again (the leftover of a GSA deleted and recreated: the new one gets none of it).
 */
function deletedRow(ctx: AnalysisContext, base: Base, d: NonNullable<ReturnType<typeof parseDeletedMember>>, verdict: RoleVerdict, onGsa: boolean): BindingRow | null {
  const live = d.type === "serviceAccount" ? ctx.gsas.get(d.id.toLowerCase()) : undefined;
  if (!onGsa && verdict.kind === "other" && !live) return null;
  const uid = d.uid ? ` (uid ${d.uid})` : "";
  const again = live && live.data.uniqueId !== d.uid ? `; ${d.id} exists again as another account (uid ${live.data.uniqueId}), which does not get this grant` : "";
  return {
    ...base,
    gsa: onGsa ? base.gsa : live ? live.data.email : "*",
    ...noKsa,
    state: "deleted",
    detail: `granted to a deleted ${d.type}${uid}: it grants nothing${again}`,
  };
}

export function reconcileBindings(ctx: AnalysisContext): BindingRow[] {
  const rows: BindingRow[] = [];
  for (const [subject, policy] of ctx.policies) {
    const onGsa = subject.startsWith("gsa:");
    for (const b of policy.data.bindings) {
      const verdict = roleVerdict(ctx, b.role);
      const condition = conditionText(b);
      for (const member of b.members) {
        const base: Base = { gsa: onGsa ? subject.slice(4) : "*", role: b.role, member, resource: subject, condition, iamCondition: b.condition };
        const deleted = parseDeletedMember(member);
        if (deleted) {
          const row = deletedRow(ctx, base, deleted, verdict, onGsa);
          if (row) rows.push(row);
          continue;
        }
        const m = parseWiMember(member);
        const who = { pool: m?.pool ?? null, namespace: m && "ns" in m ? m.ns : null, ksaName: m && "ksa" in m ? m.ksa : null, ksas: [] as string[] };
        if (!onGsa) {
          // A token role on a project, folder or organization covers every GSA there, whoever the member is.
          if (verdict.kind === "token") rows.push({ ...base, ...who, state: "broad", detail: `granted on ${subject}: applies to every service account there, including future ones` });
          else if (verdict.kind === "inactive") rows.push({ ...base, ...who, state: "inactive", detail: verdict.why });
          continue;
        }
        if (!m || verdict.kind === "other") {
          rows.push({ ...base, ...noKsa, pool: m?.pool ?? null, state: "other", detail: m ? `direct role for a Kubernetes identity` : "not a Kubernetes identity" });
          continue;
        }
        if (verdict.kind === "inactive") {
          rows.push({ ...base, ...who, state: "inactive", detail: verdict.why });
          continue;
        }
        // A custom role that could not be read may or may not let the member act as the GSA.
        const unread = verdict.kind === "unknown" ? verdict.lacking : null;
        const roleNote = unread ? `${b.role} could not be read (${unread.join(", ")}), so whether it lets the member act as the GSA cannot be told` : "";
        if (m.kind === "namespace" || m.kind === "cluster" || m.kind === "pool") {
          const set = `every KSA ${m.kind === "namespace" ? `in namespace ${m.ns}` : m.kind === "cluster" ? `in ${m.cluster.slice(8)}` : `in ${m.pool}`}`;
          if (unread) rows.push({ ...base, ...who, state: "unverified", detail: `a principalSet (${set}); ${roleNote}`, lacking: unread });
          else rows.push({ ...base, ...who, state: "broad", detail: `a principalSet: ${set} can act as this GSA` });
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
        let lacking = found.complete ? undefined : found.lacking;
        if (unread) {
          // Whatever the KSA side says, the grant itself is undecided.
          detail = `${detail}; ${roleNote}`;
          lacking = [...new Set([...(lacking ?? []), ...unread])];
          state = "unverified";
        }
        rows.push({ ...base, ...who, ksas: found.ksas, state, detail, lacking });
      }
    }
  }
  return rows.sort((a, b) => (a.resource + a.role + a.member < b.resource + b.role + b.member ? -1 : 1));
}
