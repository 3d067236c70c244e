import type { Rule } from "./rule";
import { gcloudBindingFix } from "../fixes";
import { gsaProject, policyView } from "../iam";

export const rule: Rule = {
  id: "binding-stale",
  severity: "high",
  title: "A workloadIdentityUser binding names a KSA that exists in no cluster",
  why: "A dormant grant: whoever creates that namespace and KSA in any cluster sharing the pool silently gets the GSA.",
  absence: true,
  evaluate: ({ ctx, bindings }) => {
    const byGsa = new Map<string, typeof bindings>();
    for (const b of bindings) {
      // Unverified rows whose KSA was found are not about staleness (their role could not be read).
      if ((b.state !== "stale" && !(b.state === "unverified" && b.ksas.length === 0)) || b.gsa === "*") continue;
      const list = byGsa.get(b.gsa) ?? [];
      list.push(b);
      byGsa.set(b.gsa, list);
    }
    const out = [];
    for (const [gsa, rows] of byGsa) {
      const stale = rows.filter((r) => r.state === "stale");
      const project = gsaProject(ctx, gsa) ?? "PROJECT";
      const lacking = [...new Set(rows.filter((r) => r.state === "unverified").flatMap((r) => r.lacking ?? []))];
      out.push({
        subject: `gsa:${gsa}`,
        state: stale.length ? ("open" as const) : ("unverified" as const),
        message: stale.length
          ? `${gsa} grants ${[...new Set(stale.map((r) => r.pool))].map((pool) => `${stale.filter((r) => r.pool === pool).map((r) => `${r.namespace}/${r.ksaName}`).join(", ")} in ${pool}`).join("; ")}, which exist${stale.length === 1 ? "s" : ""} in no cluster using ${stale.length === 1 || new Set(stale.map((r) => r.pool)).size === 1 ? "the pool" : "their pools"}.`
          : `${gsa} grants ${rows.map((r) => `${r.namespace}/${r.ksaName}`).join(", ")}, not found in the clusters scanned; cannot be ruled out.`,
        evidence: { members: rows.map((r) => ({ member: r.member, state: r.state, detail: r.detail })) },
        lacking: stale.length ? undefined : lacking,
        gsa,
        // A removal only for members whose pool was read in full: every cluster, fleet members included.
        fixes: stale.map((r) => gcloudBindingFix({ email: gsa, project, pool: r.pool!, ns: r.namespace!, ksa: r.ksaName!, verb: "remove", policy: policyView(ctx, r.resource), condition: r.iamCondition })),
      });
    }
    return out;
  },
};
