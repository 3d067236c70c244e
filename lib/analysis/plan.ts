/**
 * A workload's migration plan: the article's steps that are still to do, as paste-able changes with
 * the real names — cluster and pool first, then the KSA, the binding, the workload patch, the check,
 * and finally removing the key. A workload on its own principal (`federated`, or
 * `no-google-identity-needed`) has nothing to do: there is no GSA to create, annotate or bind.
 */
import type { AnalysisContext } from "./context";
import type { InventoryRecord, WorkloadData } from "../inventory/model";
import type { Fix, WorkloadStatus } from "./model";
import { gcloud, gcloudBindingFix, gsaIdFrom, kubectl, kubectlCheckFix, ksaManifestFix, newPoolAccountFlag, note, tfBindingFix, workloadPatchFix } from "./fixes";
import { gsaProject, isValidGsaEmail, policyView } from "./iam";
import { gsasBindingKsa } from "./migration";
import { pinsAwayFromGkeMetadata } from "./scheduling";
import { splitAccountFix, splitTargetFor } from "./split";

export function migrationPlan(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>, st: WorkloadStatus): Fix[] {
  if (st.migration === "federated" || st.migration === "no-google-identity-needed") return [];
  const c = ctx.clusters.get(w.cluster!);
  if (!c) return [];
  const todo = (n: number) => st.steps[n - 1]?.state === "todo" || st.steps[n - 1]?.state === "unknown";
  // Migrated with a step left (a working link through the namespace's `default` KSA): only that step.
  if (!st.steps.some((x) => x.state === "todo" || x.state === "unknown")) return [];
  const plan: Fix[] = [];
  const pool = c.data.workloadPool ?? `${c.data.projectId}.svc.id.goog`;
  if (todo(1)) plan.push(gcloud("Step 1: enable Workload Identity on the cluster", `gcloud container clusters update ${c.data.name} --location=${c.data.location} --project=${c.data.projectId} --workload-pool=${pool}`));
  if (todo(2))
    plan.push(
      gcloud(
        "Step 2: create a node pool with the GKE metadata server (its node account needs only roles/container.defaultNodeServiceAccount)",
        `gcloud container node-pools create wi-pool --cluster=${c.data.name} --location=${c.data.location} --project=${c.data.projectId} \\\n  --workload-metadata=GKE_METADATA${newPoolAccountFlag(ctx.poolsOf(c.subject))}`,
      ),
    );
  // Which GSA: the annotated one, else the one its key belongs to, else the one already bound to its
  // KSA (half a link: the binding without the annotation), else a new one named after it.
  const ksa = ctx.ksa(w.cluster!, w.data.namespace, st.ksa);
  const annotated = ksa?.data.gsaAnnotation?.trim().toLowerCase();
  const keyEmail = st.identity.shares.map((s) => s.identity).find((i) => i.type === "key-file")?.email ?? undefined;
  const bound = c.data.workloadPool && !annotated ? gsasBindingKsa(ctx, c.data.workloadPool, w.data.namespace, st.ksa) : [];
  const boundEmail = bound.length === 1 ? bound[0] : undefined;
  // The ids taken in the estate, plus what this plan proposes (the shared set stays untouched).
  const existing = ctx.gsaIdsTaken();
  const proposed = new Set<string>();
  const taken = { has: (id: string) => existing.has(id) || proposed.has(id), add: (id: string) => proposed.add(id) };
  // An account shared by several namespaces (gsa-shared) is split: the workload moves to the account
  // and KSA its split assigns it — the same plan the GSA's page, its finding and change sets print.
  const current = [...st.identity.shares.map((s) => s.identity).flatMap((i) => ((i.type === "key-file" || i.type === "workload-identity") && i.email ? [i.email] : [])), annotated];
  const split = splitTargetFor(ctx, w.subject, current);
  const email = split
    ? split.entry.gsa
    : annotated && isValidGsaEmail(annotated)
      ? annotated
      : (keyEmail ?? boundEmail ?? `${gsaIdFrom(w.data.name, taken)}@${c.data.projectId}.iam.gserviceaccount.com`);
  const project = split ? split.split.project : (gsaProject(ctx, email) ?? c.data.projectId);
  const ksaName = split ? split.entry.ksa.slice(split.entry.ksa.indexOf("/") + 1) : st.ksa === "default" ? w.data.name : st.ksa;
  // The binding is there already when the GSA bound to this very KSA is the one it gets annotated with.
  const alreadyBound = ksaName === st.ksa && bound.includes(email);
  if (split) plan.push(splitAccountFix(ctx, split.split, split.entry, w.data.name));
  else if (!ctx.gsas.has(email) && !keyEmail) plan.push(gcloud(`Create ${email} (grant it only what ${w.data.name} needs)`, `gcloud iam service-accounts create ${email.split("@")[0]} --project=${project}`));
  // A split account is new: its KSA is annotated with it even where the old link was in place.
  if (todo(3) || split) plan.push(ksaManifestFix(w.data.namespace, ksaName, email));
  if ((todo(5) || todo(3) || split) && !alreadyBound) plan.push(tfBindingFix(email, project, pool, w.data.namespace, ksaName), gcloudBindingFix({ email, project, pool, ns: w.data.namespace, ksa: ksaName, policy: policyView(ctx, `gsa:${email}`) }));
  // Patched when it must move: onto GKE-metadata nodes, or off `default` onto its own KSA (annotating its own KSA needs no patch).
  if (todo(4) || ksaName !== st.ksa) plan.push(workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksaName, { nodeSelector: !c.data.autopilot && (ctx.hasGkeMetadataNodes(w.cluster!) || todo(2)), unpin: pinsAwayFromGkeMetadata(ctx, w.cluster!, w.data.template) }));
  plan.push(kubectlCheckFix(w.cluster!, w.data.namespace, ksaName, email, { autopilot: c.data.autopilot }));
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
