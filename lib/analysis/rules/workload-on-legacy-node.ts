import type { Rule } from "./rule";
import { kubectlCheckFix, workloadPatchFix } from "../fixes";
import { nodeFacts } from "../identity";

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
      const cluster = ctx.clusters.get(w.cluster!);
      out.push({
        subject: w.subject,
        state: "open" as const,
        message: `${onLegacy.length} of ${ctx.podsOf(w.subject).length} pods ${hostNet ? "use hostNetwork" : `run on ${[...new Set(onLegacy.map((x) => x.pool))].join(", ")}`}${nodeIds.length ? ` and act as ${nodeIds.join(", ")}` : ""}.`,
        evidence: { pods: onLegacy, nodeIdentities: nodeIds },
        gsa: nodeIds[0] ?? null,
        fixes: hostNet
          ? [
              workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, w.data.template.serviceAccountName, { nodeSelector: true }),
              kubectlCheckFix(w.cluster!, w.data.namespace, w.data.template.serviceAccountName, "the annotated GSA"),
            ].map((f, i) => (i === 0 ? { ...f, title: `${f.title} — hostNetwork pods bypass the GKE metadata server: drop hostNetwork if the workload allows` } : f))
          : cluster?.data.workloadPool
            ? [
                workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName, { nodeSelector: true }),
                kubectlCheckFix(w.cluster!, w.data.namespace, w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName, "the annotated GSA"),
              ]
            : [{ kind: "note" as const, title: "Enable Workload Identity on the cluster first", content: `See cluster-wi-disabled on ${w.cluster}.` }],
      });
    }
    return out;
  },
};
