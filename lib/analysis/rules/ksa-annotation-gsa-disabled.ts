import type { Rule } from "./rule";
import { gcloud } from "../fixes";
import { gsaProject } from "../iam";

export const rule: Rule = {
  id: "ksa-annotation-gsa-disabled",
  severity: "high",
  title: "Annotation names a disabled GSA",
  why: "Token requests for a disabled account fail with 403: the workload's Google calls break.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const email = k.data.gsaAnnotation?.trim().toLowerCase();
      const gsa = email ? ctx.gsas.get(email) : undefined;
      if (!gsa?.data.disabled) continue;
      out.push({
        subject: k.subject,
        state: "open" as const,
        message: `${k.data.namespace}/${k.data.name} is annotated with ${email}, which is disabled.`,
        evidence: { annotation: k.data.gsaAnnotation, disabled: true },
        gsa: email,
        fixes: [
          gcloud("Enable the account again, or point the KSA at a live one", `gcloud iam service-accounts enable ${email} --project=${gsaProject(ctx, email!)}`),
        ],
      });
    }
    return out;
  },
};
