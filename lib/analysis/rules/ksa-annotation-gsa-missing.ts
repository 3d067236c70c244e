import type { Rule } from "./rule";
import { gcloud, ksaManifestFix, note, saPolicyBindingCommand } from "../fixes";
import { gsaProject, isValidGsaEmail } from "../iam";

export const rule: Rule = {
  id: "ksa-annotation-gsa-missing",
  severity: "high",
  title: "Annotation names a GSA that does not exist",
  why: "A typo, or a GSA deleted while KSAs still point at it: token requests fail, and whoever later creates a GSA of that name silently gets these workloads.",
  absence: true,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const a = k.data.gsaAnnotation;
      if (a === null || !isValidGsaEmail(a)) continue;
      const email = a.toLowerCase();
      if (ctx.gsas.has(email)) continue;
      const project = gsaProject(ctx, email);
      const pool = ctx.clusters.get(k.cluster!)?.data.workloadPool;
      const lacking = !project || !ctx.isProjectScanned(project) ? [`project ${project ?? email} (not in the scan's scope)`] : ctx.lacking(["iam.serviceAccounts", project]);
      out.push({
        subject: k.subject,
        state: lacking.length ? ("unverified" as const) : ("open" as const),
        message: lacking.length
          ? `${k.data.namespace}/${k.data.name} is annotated with ${email}, which could not be checked: ${lacking.join(", ")}.`
          : `${k.data.namespace}/${k.data.name} is annotated with ${email}, which does not exist in ${project}.`,
        evidence: { annotation: a, project },
        lacking,
        gsa: email,
        fixes: [
          /-compute@developer\.gserviceaccount\.com$/.test(email)
            ? note(
                "The Compute Engine default account is not created by hand",
                `Undelete it within 30 days of its deletion (gcloud iam service-accounts undelete UNIQUE_ID — the id is in the audit log of the deletion), or point the KSA at a dedicated account of ${project}.`,
              )
            : // Created alone, the account would leave the KSA annotated but unbound (ksa-annotation-unbound): the binding comes with it.
              gcloud(
                "Create the GSA it names and let the KSA act as it (or correct the annotation)",
                [
                  `gcloud iam service-accounts create ${email.split("@")[0]} --project=${project}`,
                  ...(pool ? [saPolicyBindingCommand("add", email, `serviceAccount:${pool}[${k.data.namespace}/${k.data.name}]`, "roles/iam.workloadIdentityUser", { project: project ?? undefined, policy: { bindings: [] } })] : []),
                ].join("\n"),
              ),
          ksaManifestFix(k.data.namespace, k.data.name, "EXISTING_GSA_EMAIL", { title: `Or point ${k.data.namespace}/${k.data.name} at an existing GSA`, unproven: "which account is yours to choose (EXISTING_GSA_EMAIL)" }),
        ],
      });
    }
    return out;
  },
};
