import type { Rule, RuleContext } from "./rule";
import type { Fix } from "../model";
import type { InventoryRecord, WorkloadData } from "../../inventory/model";
import { kubectlCheckFix, workloadPatchFix } from "../fixes";
import { nodeFacts } from "../identity";
import { pinsAwayFromGkeMetadata } from "../scheduling";
import { splitTargetFor } from "../split";

function fixesFor(ctx: RuleContext["ctx"], w: InventoryRecord<WorkloadData>, hostNet: boolean, accounts: (string | null | undefined)[]): Fix[] {
  const cluster = ctx.clusters.get(w.cluster!);
  if (!cluster?.data.workloadPool) return [{ kind: "note", title: "Enable Workload Identity on the cluster first", content: `See cluster-wi-disabled on ${w.cluster}.` }];
  // Annotating `default` would hand the GSA to the whole namespace: each workload gets its own KSA.
  // A shared account (gsa-shared) is split: the KSA and account its split assigns it (its plan says how to create them).
  const split = splitTargetFor(ctx, w.subject, accounts);
  const ksa = split ? split.entry.ksa.slice(split.entry.ksa.indexOf("/") + 1) : w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName;
  const hasGkeNodes = cluster.data.autopilot || (ctx.nodesByCluster.get(w.cluster!) ?? []).some((n) => n.data.gkeMetadataLabel === "true");
  if (!hasGkeNodes) return [{ kind: "note", title: "Create a GKE-metadata node pool first", content: `No node of ${w.cluster!.slice(8)} serves the GKE metadata server yet: see nodepool-legacy-metadata. Moving the workload before that leaves its pods Pending.` }];
  // Every Autopilot node serves GKE metadata: no nodeSelector there (only hostNetwork brings a pod here).
  const patch = workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksa, { nodeSelector: !cluster.data.autopilot, unpin: pinsAwayFromGkeMetadata(ctx, w.cluster!, w.data.template) });
  return [
    hostNet ? { ...patch, title: `${patch.title} — hostNetwork pods bypass the GKE metadata server: drop hostNetwork if the workload allows` } : patch,
    kubectlCheckFix(w.cluster!, w.data.namespace, ksa, split ? split.entry.gsa : "the annotated GSA", { autopilot: cluster.data.autopilot }),
  ];
}

export const rule: Rule = {
  id: "workload-on-legacy-node",
  severity: "high",
  title: "Workload runs on a legacy node pool or with hostNetwork",
  why: "Its pods act as the node's service account, shared by everything on the node, whatever their KSA says (step 4).",
  absence: false,
  evaluate: ({ ctx, statuses }) => {
    const out = [];
    for (const w of ctx.workloads) {
      const st = statuses.get(w.subject)!;
      if (st.system) continue;
      const onLegacy: { pod: string; node: string; pool: string | null; hostNetwork: boolean }[] = [];
      for (const p of ctx.podsOf(w.subject)) {
        if (!p.data.spec.nodeName) continue;
        const f = nodeFacts(ctx, w.cluster!, p.data.spec.nodeName);
        if (p.data.spec.hostNetwork || f.gke === false) onLegacy.push({ pod: p.data.name, node: p.data.spec.nodeName, pool: f.poolName, hostNetwork: p.data.spec.hostNetwork });
      }
      if (!onLegacy.length) continue;
      const nodeIds = st.identity.shares.filter((s) => s.identity.type === "node").map((s) => s.label);
      const hostNet = onLegacy.some((x) => x.hostNetwork);
      out.push({
        subject: w.subject,
        state: "open" as const,
        message: `${onLegacy.length} of ${ctx.podsOf(w.subject).length} pods ${hostNet ? "use hostNetwork" : `run on ${[...new Set(onLegacy.map((x) => x.pool))].join(", ")}`}${nodeIds.length ? ` and act as ${nodeIds.join(", ")}` : ""}.`,
        evidence: { pods: onLegacy, nodeIdentities: nodeIds },
        gsa: nodeIds[0] ?? null,
        // Made when the finding's row is written (FindingDraft.fixes).
        fixes: () => fixesFor(ctx, w, hostNet, [...st.identity.shares.map((x) => x.identity).flatMap((i) => ((i.type === "key-file" || i.type === "workload-identity") && i.email ? [i.email] : [])), ctx.ksa(w.cluster!, w.data.namespace, w.data.template.serviceAccountName)?.data.gsaAnnotation]),
      });
    }
    return out;
  },
};
