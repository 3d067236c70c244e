import type { Rule } from "./rule";
import { GKE_MD_LABEL, gcloud, newPoolAccountFlag } from "../fixes";
import { demandsGkeMetadata, landing, withoutGkeMetadataDemand } from "../scheduling";

export const rule: Rule = {
  id: "workload-pending-no-wi-node",
  severity: "high",
  title: "Pods Pending: they ask for a GKE-metadata node that does not exist",
  why: "The workload was moved (step 4) before its cluster had a GKE-metadata pool (step 2): it does not run at all.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const w of ctx.workloads) {
      const pending = ctx.podsOf(w.subject).filter((p) => p.data.phase === "Pending" && !p.data.spec.nodeName);
      if (!pending.length || !demandsGkeMetadata(w.data.template)) continue;
      // Where the template could land, from the node pools' own config (a pool at zero nodes scales up;
      // with node auto-provisioning or on Autopilot, GKE creates a pool): if anywhere, something else keeps it Pending.
      const where = landing(ctx, w.cluster!, w.data.template);
      if (where === null || where.autoprovision || where.pools.length || where.nodes.length) continue;
      if (where.basis === "nodes" && ctx.k8sLacking(w.cluster!, "nodes").length) continue;
      // It is the GKE-metadata demand that keeps it Pending when no place serves GKE metadata at all, or
      // when the template would fit somewhere without that demand.
      const pools = ctx.poolsOf(w.cluster!);
      const nodes = ctx.nodesByCluster.get(w.cluster!) ?? [];
      const anyGke = where.basis === "pools" ? pools.some((p) => p.data.servesGkeMetadata) : nodes.some((n) => n.data.gkeMetadataLabel === "true");
      const without = landing(ctx, w.cluster!, withoutGkeMetadataDemand(w.data.template));
      if (anyGke && !(without && (without.pools.length || without.nodes.length))) continue;
      const c = ctx.clusters.get(w.cluster!)!;
      // Autopilot provisions a node for a Pending pod, and every Autopilot node serves GKE metadata:
      // there is no pool to create (and no node-pool command runs there).
      if (c.data.autopilot) continue;
      const gkePools = pools.filter((p) => p.data.servesGkeMetadata).map((p) => p.data.name);
      out.push({
        subject: w.subject,
        state: "open" as const,
        message: anyGke
          ? `${pending.length} pods are Pending: their nodeSelector ${GKE_MD_LABEL}: "true" matches only ${where.basis === "pools" ? `node pools ${gkePools.join(", ")}` : "nodes"} that their other node selectors, affinity or tolerations rule out.`
          : `${pending.length} pods are Pending: their nodeSelector ${GKE_MD_LABEL}: "true" matches none of the ${where.basis === "pools" ? `${pools.length} node pools (${nodes.length} nodes)` : `${nodes.length} nodes`}.`,
        evidence: { pendingPods: pending.map((p) => p.data.name), nodePools: pools.map((p) => p.data.name), gkeMetadataPools: gkePools, nodes: nodes.length, workloadPool: c.data.workloadPool },
        fixes: [
          gcloud(
            c.data.workloadPool ? `Create a GKE-metadata node pool (step 2)${anyGke ? " that fits the workload (its labels and taints)" : ""}` : "Enable Workload Identity (step 1), then create a GKE-metadata pool (step 2)",
            `${c.data.workloadPool ? "" : `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} --workload-pool=${c.data.projectId}.svc.id.goog\n`}gcloud container node-pools create wi-pool --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA${newPoolAccountFlag(pools)}`,
          ),
        ],
      });
    }
    return out;
  },
};
