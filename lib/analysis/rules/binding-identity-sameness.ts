import type { Rule } from "./rule";
import { note, plural } from "../fixes";

export const rule: Rule = {
  id: "binding-identity-sameness",
  severity: "medium",
  title: "A binding's namespace/KSA exists in several clusters sharing the pool",
  why: "Workload Identity identifies a KSA by pool, namespace and name only: the same name in every cluster of the fleet gets the GSA, wanted or not.",
  absence: false,
  evaluate: ({ ctx, bindings }) => {
    const out = [];
    const seen = new Set<string>();
    for (const b of bindings) {
      // An unverified row's role could not be read: whether the KSAs get the GSA at all is open.
      if (b.gsa === "*" || b.ksas.length < 2 || b.state === "unverified") continue;
      const clusters = [...new Set(b.ksas.map((k) => k.slice(4).split("/").slice(0, 3).join("/")))];
      if (clusters.length < 2 || seen.has(b.gsa + b.member)) continue;
      seen.add(b.gsa + b.member);
      out.push({
        subject: `gsa:${b.gsa}`,
        state: "open" as const,
        message: `${b.namespace}/${b.ksaName} exists in ${plural(clusters.length, "cluster")} sharing ${b.pool} (${clusters.join(", ")}); all of them get ${b.gsa}.`,
        evidence: { member: b.member, ksas: b.ksas, clusters },
        gsa: b.gsa,
        fixes: [
          note(
            "Make sure every one of these clusters should have this GSA",
            `If only one should, give the others a distinct namespace or KSA name, or grant through a per-cluster principalSet:\nprincipalSet://iam.googleapis.com/projects/${ctx.projects.get(b.pool!.replace(/\.svc\.id\.goog$/, ""))?.data.projectNumber ?? "POOL_PROJECT_NUMBER"}/locations/global/workloadIdentityPools/${b.pool}/kubernetes.cluster/https://container.googleapis.com/v1/projects/${clusters[0].split("/")[0]}/locations/${clusters[0].split("/")[1]}/clusters/${clusters[0].split("/")[2]}`,
          ),
        ],
      });
    }
    return out;
  },
};
