import type { Rule } from "./rule";
import { directGrants } from "../iam";
import { gcloud } from "../fixes";

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
        fixes: [
          gcloud(
            "Nothing to fix — review these grants where they live (they appear on no GSA)",
            [...new Set(grants.map((g) => g.resource))]
              .map((r) =>
                r.startsWith("resource:")
                  ? // Buckets, topics, secrets…: Cloud Asset Inventory shows their policies in one place.
                    `gcloud asset search-all-iam-policies --scope=${ctx.resourcePolicies.find((p) => `resource:${p.data.resource}` === r)?.data.project ?? "projects/PROJECT"} \\\n  --query='resource=${r.slice(9)}'`
                  : `gcloud ${r.startsWith("project:") ? "projects" : r.startsWith("folder:") ? "resource-manager folders" : "organizations"} get-iam-policy ${r.slice(r.indexOf(":") + 1)} \\\n  --flatten="bindings[].members" --format="table(bindings.role, bindings.members)" \\\n  --filter='${[...new Set(grants.filter((g) => g.resource === r).map((g) => g.member))].map((m) => `bindings.members="${m}"`).join(" OR ")}'`,
              )
              .join("\n"),
          ),
        ],
      });
    }
    return out;
  },
};
