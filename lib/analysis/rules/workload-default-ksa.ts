import type { Rule } from "./rule";
import { ksaManifestFix, workloadPatchFix } from "../fixes";

export const rule: Rule = {
  id: "workload-default-ksa",
  severity: "medium",
  title: "Workload runs as its namespace's default KSA",
  why: "Everything in the namespace that does not name a KSA shares `default`; annotating it hands its GSA to all of them (step 3).",
  absence: false,
  evaluate: ({ ctx, statuses }) =>
    ctx.workloads
      .filter((w) => w.data.template.serviceAccountName === "default" && !statuses.get(w.subject)!.system)
      .map((w) => {
        const st = statuses.get(w.subject)!;
        const email = st.identity.shares.map((s) => s.identity).find((i) => i.type === "key-file")?.email ?? "GSA_EMAIL";
        return {
          subject: w.subject,
          state: "open" as const,
          message: `${w.data.kind} ${w.data.name} runs as ${w.data.namespace}/default.`,
          evidence: { serviceAccountName: "default", effectiveIdentity: st.identity.label },
          fixes: [
            ksaManifestFix(w.data.namespace, w.data.name, email),
            workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, w.data.name, {
              nodeSelector: ctx.hasGkeMetadataNodes(w.cluster!) && !ctx.clusters.get(w.cluster!)?.data.autopilot,
            }),
          ],
        };
      }),
};
