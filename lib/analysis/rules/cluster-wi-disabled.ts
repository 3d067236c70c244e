import type { Rule } from "./rule";
import { gcloud, terraform, tfName } from "../fixes";

export const rule: Rule = {
  id: "cluster-wi-disabled",
  severity: "high",
  title: "Cluster has no workload pool",
  why: "Without Workload Identity every pod acts as its node's service account or needs a JSON key; no workload on it can be migrated until it is enabled (step 1).",
  absence: false,
  evaluate: ({ ctx }) =>
    [...ctx.clusters.values()]
      .filter((c) => !c.data.workloadPool)
      .map((c) => {
        // A cluster whose pods were not read (WI_ATLAS_CLUSTERS, a failed list) has no count to give.
        const podsRead = ctx.k8sLacking(c.subject, "pods").length === 0;
        const pods = podsRead ? (ctx.podsByCluster().get(c.subject)?.length ?? 0) : null;
        // Annotations do nothing without a pool; once it exists they are links to check, and a missing
        // binding shows (ksa-annotation-unbound). Said up front so nobody reads it as the fix breaking them.
        const prefix = `ksa:${c.subject.slice("cluster:".length)}/`;
        const annotated = [...ctx.ksas.values()].filter((k) => k.subject.startsWith(prefix) && k.data.gsaAnnotation).length;
        const warning = annotated
          ? `\n# Once the pool is on, the ${annotated} KSA${annotated === 1 ? "" : "s"} annotated with a GSA become links to check: any whose binding is\n# missing shows as ksa-annotation-unbound (bind them before moving their pods; pods keep the node's identity until then).`
          : "";
        return {
          subject: c.subject,
          state: "open" as const,
          message: `${c.data.name} (${c.data.location}) has no workload pool: ${pods === null ? "its pods (not read) use" : `its ${pods} pods use`} node service accounts or keys.`,
          evidence: { workloadPool: null, autopilot: c.data.autopilot, pods },
          fixes: [
            gcloud(
              "Enable Workload Identity on the cluster (existing node pools keep GCE metadata until updated)",
              `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-pool=${c.data.projectId}.svc.id.goog${warning}`,
            ),
            terraform(
              "Terraform: in the google_container_cluster",
              `resource "google_container_cluster" "${tfName(c.data.name)}" {\n  # …\n  workload_identity_config {\n    workload_pool = "${c.data.projectId}.svc.id.goog"\n  }\n}\n`,
            ),
          ],
        };
      }),
};
