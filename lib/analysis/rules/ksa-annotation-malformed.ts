import type { Rule } from "./rule";
import { ksaManifestFix } from "../fixes";
import { isValidGsaEmail } from "../iam";
import { GSA_ANNOTATION } from "../../inventory/transform-k8s";

export const rule: Rule = {
  id: "ksa-annotation-malformed",
  severity: "medium",
  title: "The annotation is not a service account email as written",
  why: "The GKE metadata server takes the value verbatim: stray whitespace, quotes, upper case or a truncated address break the link even though it looks right in a diff.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const a = k.data.gsaAnnotation;
      const label = k.data.gsaLabel;
      const bad = a !== null && !isValidGsaEmail(a);
      if (!bad && !(label !== null && a === null)) continue;
      const intended = (a ?? label ?? "").replace(/["'\s]/g, "").toLowerCase();
      out.push({
        subject: k.subject,
        state: "open" as const,
        message: bad
          ? `${k.data.namespace}/${k.data.name} has ${GSA_ANNOTATION}: ${JSON.stringify(a)}, which is not a service account email as written.`
          : `${k.data.namespace}/${k.data.name} sets ${GSA_ANNOTATION} as a label (${JSON.stringify(label)}), not an annotation: it has no effect.`,
        evidence: { annotation: a, label, intended },
        gsa: isValidGsaEmail(intended) ? intended : null,
        fixes: [isValidGsaEmail(intended) ? ksaManifestFix(k.data.namespace, k.data.name, intended) : ksaManifestFix(k.data.namespace, k.data.name, "GSA_EMAIL", { unproven: "the annotation names no account wi-atlas can recognise: which one is yours to choose (GSA_EMAIL)" })],
      });
    }
    return out;
  },
};
