import type { Rule } from "./rule";
import { gcloud, newPoolAccountFlag, note } from "../fixes";

export const rule: Rule = {
  id: "nodepool-legacy-metadata",
  severity: "medium",
  title: "Node pool does not serve GKE metadata",
  why: "Pods on this pool get the node's service account from the GCE metadata server, whatever their KSA says (steps 2, 4 and 8).",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const c of ctx.clusters.values()) {
      for (const p of ctx.poolsOf(c.subject)) {
        if (p.data.servesGkeMetadata) continue;
        const nodes = (ctx.nodesByCluster.get(c.subject) ?? []).filter((n) => n.data.pool === p.data.name).map((n) => n.data.name);
        const onPool = new Set(nodes);
        const pods = (ctx.podsByCluster().get(c.subject) ?? []).filter((x) => x.data.spec.nodeName && onPool.has(x.data.spec.nodeName));
        // Pods and nodes of a cluster that was not read (WI_ATLAS_CLUSTERS, a failed list) are not counted as none.
        const read = ctx.k8sLacking(c.subject, "nodes", "pods").length === 0;
        out.push({
          subject: p.subject,
          state: "open" as const,
          message: `Pool ${p.data.name} runs with ${p.data.metadataMode ?? "no workload metadata mode"}${c.data.workloadPool ? "" : " in a cluster without Workload Identity"}; ${read ? `${pods.length} pods still run there` : "its pods (not read) run there"} as ${p.data.serviceAccount}.`,
          evidence: { metadataMode: p.data.metadataMode, serviceAccount: p.data.serviceAccount, nodes: read ? nodes.length : null, pods: read ? pods.length : null },
          fixes: c.data.workloadPool
            ? [
                gcloud(
                  "Create a GKE-metadata pool beside it, move workloads, then delete this one (step 8)",
                  `gcloud container node-pools create ${p.data.name}-wi --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA${newPoolAccountFlag(ctx.poolsOf(c.subject), p.data.name)}\n# when no pod runs on ${p.data.name} any more:\ngcloud container node-pools delete ${p.data.name} --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId}`,
                ),
                gcloud(
                  "Or switch this pool in place (recreates its nodes)",
                  `gcloud container node-pools update ${p.data.name} --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA`,
                ),
              ]
            : [
                // GKE accepts --workload-metadata=GKE_METADATA only on a cluster with a workload pool: no
                // pool command can run before step 1.
                gcloud(
                  "Enable Workload Identity on the cluster first: GKE refuses GKE_METADATA on a pool of a cluster without a workload pool",
                  `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-pool=${c.data.projectId}.svc.id.goog`,
                ),
                note(
                  "Then move this pool's workloads to GKE metadata",
                  `Enabling it leaves existing pools on GCE metadata; new pools get GKE metadata. Once ${c.data.name} has its workload pool, the next scan gives the pool commands here (see cluster-wi-disabled on ${c.subject}).`,
                ),
              ],
        });
      }
    }
    return out;
  },
};
