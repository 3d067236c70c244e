import type { Rule } from "./rule";
import type { Fix } from "../model";
import { note, plural } from "../fixes";

/**
 * What to do about it, never by widening the grant: a cluster's or a namespace's principalSet would
 * hand the GSA to every KSA there, not to one. Identity sameness is Google's design — the pool names a
 * KSA by namespace and name only, which is what lets one binding serve an app replicated across a
 * fleet — so the choices are to keep it (nothing to change), to make the identities differ (a distinct
 * namespace or KSA name where the GSA is not wanted), or to put the clusters in separate pools.
 */
function samenessFixes(gsa: string, pool: string, ns: string, ksa: string, clusters: string[]): Fix[] {
  const others = clusters.slice(1).map((c) => `${c}: ${ns}/${ksa}-${c.split("/")[2]}`);
  return [
    note(
      "If every one of these clusters should act as this GSA: nothing to change",
      `Workload Identity names a KSA by pool, namespace and name only: ${ns}/${ksa} in every cluster of ${pool} is one identity, by Google's design. That is what lets one binding serve an app replicated across a fleet. Accept (suppress) this finding, naming why.`,
    ),
    note(
      "If only some should: make the identities differ, keep the grant as narrow as it is",
      `Keep ${ns}/${ksa} only in the cluster(s) that need ${gsa}; elsewhere run the workload under another KSA name (or namespace), e.g.\n${others.join("\n")}\nand give that name a GSA of its own only if it needs one. Trade-off: the per-cluster names must be carried in manifests and bindings from then on.`,
    ),
    note(
      "Or separate the pools",
      `Clusters that must never share identities belong in different workload pools — another project (its own PROJECT_ID.svc.id.goog) or another fleet. Trade-off: every KSA there becomes a new identity, so each binding to it must be made again. Do not replace the KSA member with a cluster or namespace principalSet: that grants ${gsa} to every KSA there, not to ${ns}/${ksa}.`,
    ),
  ];
}

export const rule: Rule = {
  id: "binding-identity-sameness",
  severity: "medium",
  title: "A binding's namespace/KSA exists in several clusters sharing the pool",
  why: "Workload Identity identifies a KSA by pool, namespace and name only: the same name in every cluster of the fleet gets the GSA, wanted or not.",
  absence: false,
  evaluate: ({ bindings }) => {
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
        fixes: samenessFixes(b.gsa, b.pool!, b.namespace!, b.ksaName!, clusters),
      });
    }
    return out;
  },
};
