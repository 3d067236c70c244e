import type { Rule } from "./rule";
import { note } from "../fixes";
import { gsaProject, isValidGsaEmail } from "../iam";

export const rule: Rule = {
  id: "ksa-cross-project-gsa",
  severity: "low",
  title: "KSA linked to a GSA of another project",
  why: "Legitimate in shared-services setups, but the grant lives in a project the cluster's owners may not watch; deleting either side silently breaks the other.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const a = k.data.gsaAnnotation;
      if (a === null || !isValidGsaEmail(a)) continue;
      const gp = gsaProject(ctx, a.toLowerCase());
      if (!gp || gp === k.project) continue;
      out.push({
        subject: k.subject,
        state: "open" as const,
        message: `${k.data.namespace}/${k.data.name} in ${k.project} uses ${a}, a service account of ${gp}.`,
        evidence: { ksaProject: k.project, gsaProject: gp },
        gsa: a.toLowerCase(),
        fixes: [note("Keep it if intended", `Record the dependency on ${gp}; or create the GSA in ${k.project} and move the roles it needs.`)],
      });
    }
    return out;
  },
};
