import type { Rule } from "./rule";
import { ksaManifestFix } from "../fixes";

export const rule: Rule = {
  id: "binding-without-annotation",
  severity: "medium",
  title: "A GSA grants a KSA workloadIdentityUser, but the KSA is not annotated with it",
  why: "The binding was made (step 5) but the KSA side (step 3) was not, or points elsewhere: the workload does not get the GSA, and the grant sits unused.",
  absence: true,
  evaluate: ({ ctx, bindings }) => {
    const out = [];
    for (const b of bindings) {
      if (b.gsa === "*") continue;
      if (b.state === "unverified" && b.ksas.length) {
        // The KSA exists but the role granted to it could not be read: not annotated, it may or may not matter.
        for (const k of b.ksas) {
          const ksa = ctx.ksas.get(k)!;
          if (ksa.data.gsaAnnotation?.trim().toLowerCase() === b.gsa) continue;
          out.push({
            subject: k,
            state: "unverified" as const,
            message: `${b.gsa} grants ${b.role} to ${b.member} and ${ksa.data.namespace}/${ksa.data.name} is ${ksa.data.gsaAnnotation ? `annotated with ${JSON.stringify(ksa.data.gsaAnnotation)}` : "not annotated"}; whether that role lets it act as the GSA cannot be told.`,
            evidence: { binding: { resource: b.resource, role: b.role, member: b.member }, annotation: ksa.data.gsaAnnotation },
            lacking: b.lacking ?? [],
            gsa: b.gsa,
            fixes: [ksaManifestFix(ksa.data.namespace, ksa.data.name, b.gsa)],
          });
        }
        continue;
      }
      if (b.state === "unverified" && b.pool && b.namespace && b.ksaName) {
        // The KSA may exist, unannotated, in a cluster whose KSA list could not be read.
        for (const c of ctx.poolScope(b.pool).clusters) {
          const lacking = ctx.k8sLacking(c, "serviceaccounts");
          if (!lacking.length) continue;
          out.push({
            subject: `ksa:${c.slice(8)}/${b.namespace}/${b.ksaName}`,
            state: "unverified" as const,
            message: `${b.gsa} grants ${b.role} to ${b.member}; whether ${b.namespace}/${b.ksaName} exists and is annotated in ${c.slice(8)} cannot be told.`,
            evidence: { binding: { resource: b.resource, role: b.role, member: b.member } },
            lacking,
            gsa: b.gsa,
            fixes: [ksaManifestFix(b.namespace, b.ksaName, b.gsa)],
          });
        }
        continue;
      }
      if (b.state !== "not-annotated") continue;
      // In a pool not read in full, the binding may serve an annotated KSA of that name in a cluster
      // not read (a fleet member, a filtered cluster): the grant is not known to sit unused.
      const lacking = b.lacking ?? [];
      for (const k of b.ksas) {
        const ksa = ctx.ksas.get(k)!;
        const annotation = ksa.data.gsaAnnotation ? `annotated with ${JSON.stringify(ksa.data.gsaAnnotation)}` : "not annotated";
        out.push({
          subject: k,
          state: lacking.length ? ("unverified" as const) : ("open" as const),
          message: lacking.length
            ? `${b.gsa} grants ${b.role} to ${b.member}; ${ksa.data.namespace}/${ksa.data.name} is ${annotation} here, but other clusters of ${b.pool} were not read.`
            : `${b.gsa} grants ${b.role} to ${b.member}, but ${ksa.data.namespace}/${ksa.data.name} is ${annotation}.`,
          evidence: { binding: { resource: b.resource, role: b.role, member: b.member }, annotation: ksa.data.gsaAnnotation },
          lacking: lacking.length ? lacking : undefined,
          gsa: b.gsa,
          fixes: [ksaManifestFix(ksa.data.namespace, ksa.data.name, b.gsa)],
        });
      }
    }
    return out;
  },
};
