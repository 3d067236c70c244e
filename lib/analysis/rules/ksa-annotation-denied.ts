import type { Rule } from "./rule";
import type { DenyHit } from "../model";
import { gcloud, note } from "../fixes";
import { federatedPrincipal, isValidGsaEmail } from "../iam";
import { metadataIdentity } from "../identity";

/** `gcloud iam policies get` for the policy a hit came from (its attachment point written out, as gcloud takes it). */
function showPolicy(h: DenyHit): string {
  const attachment = decodeURIComponent(h.policy.replace(/^policies\//, "").replace(/\/denypolicies\/[^/]+$/, ""));
  return `gcloud iam policies get ${h.policyId} \\\n  --attachment-point=${attachment} --kind=denypolicies --format=json`;
}

export const rule: Rule = {
  id: "ksa-annotation-denied",
  severity: "high",
  title: "A deny policy takes the KSA's workloadIdentityUser grant away",
  why: "IAM checks deny policies before allow policies: a deny rule on iam.googleapis.com/serviceAccounts.getAccessToken for the KSA's principal (or its namespace, pool, or everyone) makes every token request fail with 403, whatever the binding says.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const k of ctx.ksas.values()) {
      const a = k.data.gsaAnnotation;
      if (a === null || !isValidGsaEmail(a)) continue;
      const c = ctx.clusters.get(k.cluster!);
      if (!c?.data.workloadPool) continue;
      const id = metadataIdentity(ctx, k.cluster!, k.data.namespace, k.data.name);
      if (id.type !== "workload-identity" || !id.denied?.length) continue;
      const firm = id.denied.filter((h) => !h.condition);
      const h = firm[0] ?? id.denied[0];
      const policy = `${h.displayName ? `"${h.displayName}" (${h.policyId})` : h.policyId} on ${h.attachedTo}`;
      out.push({
        subject: k.subject,
        // A rule with a denialCondition (resource tags) may or may not apply to this GSA.
        state: firm.length ? ("open" as const) : ("unverified" as const),
        message: firm.length
          ? `${k.data.namespace}/${k.data.name} is granted ${id.email}, but deny policy ${policy} denies ${h.permission} to ${h.principal}: its token requests fail with 403.`
          : `${k.data.namespace}/${k.data.name} is granted ${id.email}, but deny policy ${policy} denies ${h.permission} to ${h.principal} when ${h.condition}; whether that applies to ${id.email} cannot be told.`,
        evidence: { annotation: a, grants: id.grants, denied: id.denied },
        gsa: id.email,
        fixes: [
          gcloud(`Read the deny rule (${h.rule})`, showPolicy(h)),
          note(
            "Decide which side is wrong",
            `If the guardrail is intended, ${k.data.namespace}/${k.data.name} must not act as ${id.email}: remove the annotation (and the binding) and give the workload what it needs another way. If the workload is a legitimate exception, add its principal ${federatedPrincipal(ctx, c.data.workloadPool, k.data.namespace, k.data.name)} to the rule's exceptionPrincipals and apply it with gcloud iam policies update ${h.policyId} --attachment-point=… --kind=denypolicies --policy-file=policy.json --etag=ETAG.`,
          ),
        ],
      });
    }
    return out;
  },
};
