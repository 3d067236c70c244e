import type { Rule } from "./rule";
import { gcloudBindingFix, kubectlCheckFix, note, tfBindingFix } from "../fixes";
import { splitTargetFor } from "../split";
import { gsaProject, isValidGsaEmail, policyView } from "../iam";
import { metadataIdentity } from "../identity";

export const rule: Rule = {
  id: "ksa-annotation-unbound",
  severity: "high",
  title: "KSA annotated with a GSA that does not grant it workloadIdentityUser",
  why: "Pods running as this KSA on GKE-metadata nodes show the GSA's email but every token request fails with 403: the link is configured on one side only (step 5).",
  absence: true,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const a = k.data.gsaAnnotation;
      if (a === null || !isValidGsaEmail(a)) continue;
      const c = ctx.clusters.get(k.cluster!);
      if (!c?.data.workloadPool) continue;
      const email = a.toLowerCase();
      const gsa = ctx.gsas.get(email);
      if (!gsa || gsa.data.disabled) continue; // ksa-annotation-gsa-missing / -disabled say it better
      const id = metadataIdentity(ctx, k.cluster!, k.data.namespace, k.data.name);
      if (id.type !== "workload-identity" || (id.status !== "broken" && id.status !== "unknown")) continue;
      if (id.denied?.length) continue; // granted, but a deny policy takes it away: ksa-annotation-denied

      const project = gsaProject(ctx, email)!;
      const fixes = [
        tfBindingFix(email, project, c.data.workloadPool, k.data.namespace, k.data.name),
        gcloudBindingFix({ email, project, pool: c.data.workloadPool, ns: k.data.namespace, ksa: k.data.name, policy: policyView(ctx, `gsa:${email}`) }),
        kubectlCheckFix(k.cluster!, k.data.namespace, k.data.name, email, { autopilot: c.data.autopilot }),
      ];
      // A shared account's KSA: binding restores the link today; the split's plan moves its workloads on.
      const moves = (ctx.workloadsByKsa().get(`${k.cluster}|${k.data.namespace}/${k.data.name}`) ?? []).flatMap((w) => {
        const t = splitTargetFor(ctx, w.subject, [email]);
        return t ? [`${w.data.name} → ${t.entry.gsa} (KSA ${t.entry.ksa})`] : [];
      });
      if (moves.length) fixes.push(note(`${email} is shared: its split (gsa-shared) gives this KSA's workloads accounts of their own`, `The binding above restores the link the annotation asks for; each workload's plan then moves it on: ${moves.join("; ")}.`));
      out.push({
        subject: k.subject,
        state: id.status === "broken" ? ("open" as const) : ("unverified" as const),
        message:
          id.status === "broken"
            ? `${k.data.namespace}/${k.data.name} is annotated with ${email}, which does not grant roles/iam.workloadIdentityUser to ${c.data.workloadPool}[${k.data.namespace}/${k.data.name}]${/^granted only /.test(id.reason) ? ` (${id.reason.replace(/: token requests fail with 403$/, "")})` : ""}.`
            : `${k.data.namespace}/${k.data.name} is annotated with ${email}; whether it is granted cannot be told: ${id.reason}.`,
        evidence: { annotation: a, pool: c.data.workloadPool, grantsFound: id.grants },
        lacking: id.lacking,
        gsa: email,
        fixes,
      });
    }
    return out;
  },
};
