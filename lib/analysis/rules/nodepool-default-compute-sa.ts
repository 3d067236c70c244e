import type { Rule } from "./rule";
import { conditionFlag, gcloud } from "../fixes";
import { policyView } from "../iam";

export const rule: Rule = {
  id: "nodepool-default-compute-sa",
  severity: "medium",
  title: "Node pool runs as the Compute Engine default service account",
  why: "The default account usually holds roles/editor on its project; every pod on a legacy pool acts as it.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const c of ctx.clusters.values()) {
      // The project policy may hold conditional bindings: gcloud then needs --condition=None to run in a loop.
      const condition = conditionFlag(policyView(ctx, `project:${c.data.projectId}`));
      const flag = condition ? ` ${condition}` : "";
      for (const p of ctx.poolsOf(c.subject)) {
        const raw = p.data.serviceAccountRaw;
        if (raw && raw !== "default" && !/-compute@developer\.gserviceaccount\.com$/.test(raw)) continue;
        out.push({
          subject: p.subject,
          state: "open" as const,
          message: `Pool ${p.data.name} runs as ${p.data.serviceAccount}${raw ? "" : " (no service account set)"}.`,
          evidence: { serviceAccount: p.data.serviceAccount, configured: raw, servesGkeMetadata: p.data.servesGkeMetadata },
          gsa: p.data.serviceAccount,
          fixes: [
            gcloud(
              "Create a least-privilege node account (logging, monitoring, artifact pulls) and a pool that uses it",
              `gcloud iam service-accounts create ${c.data.name.slice(0, 20)}-nodes --project=${c.data.projectId}
for ROLE in roles/logging.logWriter roles/monitoring.metricWriter roles/monitoring.viewer roles/stackdriver.resourceMetadata.writer roles/artifactregistry.reader; do
  gcloud projects add-iam-policy-binding ${c.data.projectId} --member="serviceAccount:${c.data.name.slice(0, 20)}-nodes@${c.data.projectId}.iam.gserviceaccount.com" --role="$ROLE"${flag}
done
gcloud container node-pools create ${p.data.name}-v2 --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\
  --service-account=${c.data.name.slice(0, 20)}-nodes@${c.data.projectId}.iam.gserviceaccount.com${c.data.workloadPool ? " --workload-metadata=GKE_METADATA" : ""}`,
            ),
          ],
        });
      }
    }
    return out;
  },
};
