/**
 * A workload's migration plan: the article's steps that are still to do, as paste-able changes with
 * the real names — cluster and pool first, then the KSA, the binding, the workload patch, the check,
 * and finally removing the key.
 */
import type { AnalysisContext } from "./context";
import type { InventoryRecord, WorkloadData } from "../inventory/model";
import type { Fix, WorkloadStatus } from "./model";
import { gcloud, gcloudBindingFix, gsaIdFrom, kubectl, kubectlCheckFix, ksaManifestFix, note, tfBindingFix, workloadPatchFix } from "./fixes";
import { gsaProject, isValidGsaEmail, policyView } from "./iam";

export function migrationPlan(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>, st: WorkloadStatus): Fix[] {
  if (st.migrated) return [];
  const c = ctx.clusters.get(w.cluster!);
  if (!c) return [];
  const todo = (n: number) => st.steps[n - 1]?.state === "todo" || st.steps[n - 1]?.state === "unknown";
  const plan: Fix[] = [];
  const pool = c.data.workloadPool ?? `${c.data.projectId}.svc.id.goog`;
  if (todo(1)) plan.push(gcloud("Step 1: enable Workload Identity on the cluster", `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} --workload-pool=${pool}`));
  if (todo(2))
    plan.push(
      gcloud(
        "Step 2: create a node pool with the GKE metadata server",
        `gcloud container node-pools create wi-pool --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA --service-account=SERVICE_ACCOUNT_EMAIL`,
      ),
    );
  // Which GSA: the annotated one, else the one its key belongs to, else a new one named after it.
  const ksa = ctx.ksa(w.cluster!, w.data.namespace, st.ksa);
  const annotated = ksa?.data.gsaAnnotation?.trim().toLowerCase();
  const keyEmail = st.identity.shares.map((s) => s.identity).find((i) => i.type === "key-file")?.email ?? undefined;
  // The ids taken in the estate, plus what this plan proposes (the shared set stays untouched).
  const existing = ctx.gsaIdsTaken();
  const proposed = new Set<string>();
  const taken = { has: (id: string) => existing.has(id) || proposed.has(id), add: (id: string) => proposed.add(id) };
  const email = annotated && isValidGsaEmail(annotated) ? annotated : (keyEmail ?? `${gsaIdFrom(w.data.name, taken)}@${c.data.projectId}.iam.gserviceaccount.com`);
  const project = gsaProject(ctx, email) ?? c.data.projectId;
  const ksaName = st.ksa === "default" ? w.data.name : st.ksa;
  if (!ctx.gsas.has(email) && !keyEmail) plan.push(gcloud(`Create ${email} (grant it only what ${w.data.name} needs)`, `gcloud iam service-accounts create ${email.split("@")[0]} --project=${project}`));
  if (todo(3)) plan.push(ksaManifestFix(w.data.namespace, ksaName, email));
  if (todo(5) || todo(3)) plan.push(tfBindingFix(email, project, pool, w.data.namespace, ksaName), gcloudBindingFix({ email, project, pool, ns: w.data.namespace, ksa: ksaName, policy: policyView(ctx, `gsa:${email}`) }));
  if (todo(4) || todo(3)) plan.push(workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksaName, { nodeSelector: !c.data.autopilot && (ctx.hasGkeMetadataNodes(w.cluster!) || todo(2)) }));
  plan.push(kubectlCheckFix(w.cluster!, w.data.namespace, ksaName, email));
  if (todo(7)) {
    plan.push(
      kubectl(
        "Step 7: remove the key: the GOOGLE_APPLICATION_CREDENTIALS env, the Secret volume and its mount; then the Secret",
        `kubectl --context gke_${w.cluster!.slice(8).replaceAll("/", "_")} -n ${w.data.namespace} edit ${w.data.kind.toLowerCase()} ${w.data.name}`,
      ),
      note("Then delete the key itself", "Once no workload uses it (a shared GSA's key blocks every workload using it): see key-user-managed on the GSA."),
    );
  }
  return plan;
}
