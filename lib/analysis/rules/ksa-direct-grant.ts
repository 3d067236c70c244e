import type { Rule } from "./rule";
import { directGrants } from "../iam";
import { note } from "../fixes";

export const rule: Rule = {
  id: "ksa-direct-grant",
  severity: "info",
  title: "A KSA gets roles directly through principal:// or principalSet:// members",
  why: "Google's preferred end state — no GSA, no key — but these grants live on resources, not on a GSA, so they are easy to miss in a review.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const c = ctx.clusters.get(k.cluster!);
      if (!c?.data.workloadPool) continue;
      const grants = directGrants(ctx, { pool: c.data.workloadPool, cluster: c.subject, ns: k.data.namespace, ksa: k.data.name });
      if (!grants.length) continue;
      out.push({
        subject: k.subject,
        state: "open" as const,
        message: `${k.data.namespace}/${k.data.name} holds ${grants.map((g) => `${g.role} on ${g.resource}`).join(", ")} directly.`,
        evidence: { grants },
        fixes: [note("Nothing to fix", "Review these grants with the resources they are on; they do not appear on any GSA.")],
      });
    }
    return out;
  },
};
