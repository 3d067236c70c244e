import type { Rule } from "./rule";
import { GKE_MD_LABEL, gcloud } from "../fixes";

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
      const wantsGke = w.data.template.nodeSelector[GKE_MD_LABEL] === "true";
      if (!pending.length || !wantsGke) continue;
      const nodes = ctx.nodesByCluster.get(w.cluster!) ?? [];
      if (nodes.some((n) => n.data.gkeMetadataLabel === "true")) continue;
      if (ctx.k8sLacking(w.cluster!, "nodes").length) continue;
      const c = ctx.clusters.get(w.cluster!)!;
      // Autopilot provisions a node for a Pending pod, and every Autopilot node serves GKE metadata:
      // there is no pool to create (and no node-pool command runs there).
      if (c.data.autopilot) continue;
      out.push({
        subject: w.subject,
        state: "open" as const,
        message: `${pending.length} pods are Pending: their nodeSelector ${GKE_MD_LABEL}: "true" matches none of the ${nodes.length} nodes.`,
        evidence: { pendingPods: pending.map((p) => p.data.name), nodes: nodes.length, workloadPool: c.data.workloadPool },
        fixes: [
          gcloud(
            c.data.workloadPool ? "Create a GKE-metadata node pool (step 2)" : "Enable Workload Identity (step 1), then create a GKE-metadata pool (step 2)",
            `${c.data.workloadPool ? "" : `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} --workload-pool=${c.data.projectId}.svc.id.goog\n`}gcloud container node-pools create wi-pool --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA --service-account=SERVICE_ACCOUNT_EMAIL`,
          ),
        ],
      });
    }
    return out;
  },
};
