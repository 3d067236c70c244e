import type { Rule } from "./rule";
import { conditionFlag, gcloud, note } from "../fixes";
import { policyView, rolesOf } from "../iam";

/**
 * Google's least-privilege role for node service accounts (logging, monitoring, metrics): what a node
 * account needs, Standard or Autopilot. Image pulls from private Artifact Registry repositories need
 * roles/artifactregistry.reader on top.
 */
export const NODE_ROLE = "roles/container.defaultNodeServiceAccount";

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
        const account = `${c.data.name.slice(0, 20)}-nodes@${c.data.projectId}.iam.gserviceaccount.com`;
        const held = rolesOf(ctx, p.data.serviceAccount).map((r) => `${r.role} on ${r.resource}`);
        const create = `gcloud iam service-accounts create ${c.data.name.slice(0, 20)}-nodes --project=${c.data.projectId}
gcloud projects add-iam-policy-binding ${c.data.projectId} --member="serviceAccount:${account}" --role="${NODE_ROLE}"${flag}
# only if nodes pull images from private Artifact Registry repositories:
gcloud projects add-iam-policy-binding ${c.data.projectId} --member="serviceAccount:${account}" --role="roles/artifactregistry.reader"${flag}`;
        out.push({
          subject: p.subject,
          state: "open" as const,
          message: c.data.autopilot
            ? `Autopilot cluster ${c.data.name} runs its nodes as ${p.data.serviceAccount}${raw ? "" : " (no service account set)"}. Its pods use Workload Identity, not this account, but system components on every node do.`
            : `Pool ${p.data.name} runs as ${p.data.serviceAccount}${raw ? "" : " (no service account set)"}.`,
          evidence: { serviceAccount: p.data.serviceAccount, configured: raw, servesGkeMetadata: p.data.servesGkeMetadata, autopilot: c.data.autopilot },
          gsa: p.data.serviceAccount,
          fixes: c.data.autopilot
            ? [
                // Autopilot has no node pools to replace: its node account is chosen when the cluster is created.
                gcloud(`Create a node account holding only ${NODE_ROLE}`, create),
                note(
                  "Autopilot picks its node account when the cluster is created",
                  `There is no node pool to replace on Autopilot. New Autopilot clusters take the account at creation:\ngcloud container clusters create-auto CLUSTER_NAME --location=${c.data.location} --project=${c.data.projectId} --service-account=${account}\nUntil ${c.data.name} is replaced, its nodes need only ${NODE_ROLE} from ${p.data.serviceAccount}${held.length ? `, which holds ${held.join(", ")}` : ""}. Other VMs of the project may run as it too: check them before narrowing its roles.`,
                ),
              ]
            : [
                gcloud(
                  `Create a least-privilege node account (${NODE_ROLE}) and a pool that uses it, then retire this pool`,
                  `${create}
gcloud container node-pools create ${p.data.name}-v2 --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\
  --service-account=${account}${c.data.workloadPool ? " --workload-metadata=GKE_METADATA" : ""}
# when no pod runs on ${p.data.name} any more:
gcloud container node-pools delete ${p.data.name} --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId}`,
                ),
              ],
        });
      }
    }
    return out;
  },
};
