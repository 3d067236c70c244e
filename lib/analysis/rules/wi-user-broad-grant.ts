import type { Rule } from "./rule";
import { conditionFlag, gcloud, policyBindingCommand } from "../fixes";
import { gsaProject, policyView } from "../iam";

const withFlag = (cmd: string, flag: string) => (flag ? `${cmd} ${flag}` : cmd);

export const rule: Rule = {
  id: "wi-user-broad-grant",
  severity: "high",
  title: "workloadIdentityUser or serviceAccountTokenCreator granted broadly",
  why: "Granted on a project, folder or organization it covers every GSA there, future ones included; granted to a principalSet it covers every KSA of a namespace, cluster or pool. Custom roles holding iam.serviceAccounts.getAccessToken count the same.",
  absence: false,
  evaluate: ({ ctx, bindings }) => {
    const bySubject = new Map<string, typeof bindings>();
    for (const b of bindings) {
      if (b.state !== "broad") continue;
      const subject = b.resource.startsWith("gsa:") ? b.resource : b.resource;
      const list = bySubject.get(subject) ?? [];
      list.push(b);
      bySubject.set(subject, list);
    }
    const out = [];
    for (const [subject, rows] of bySubject) {
      const onGsa = subject.startsWith("gsa:");
      const kind = subject.slice(0, subject.indexOf(":"));
      const id = subject.slice(subject.indexOf(":") + 1);
      out.push({
        subject,
        state: "open" as const,
        message: onGsa
          ? `${id} grants ${rows.map((r) => `${r.role} to ${r.member}`).join("; ")}.`
          : `${rows.map((r) => `${r.role} to ${r.member}`).join("; ")} on ${subject}: every service account there, including future ones.`,
        evidence: { grants: rows.map((r) => ({ role: r.role, member: r.member, condition: r.condition, detail: r.detail })) },
        gsa: onGsa ? id : null,
        project: kind === "project" ? id : undefined,
        fixes: rows.map((r) =>
          onGsa
            ? gcloud(`Grant the KSAs that need it one by one, then remove ${r.member}`, withFlag(`gcloud iam service-accounts remove-iam-policy-binding ${id}${gsaProject(ctx, id) ? ` --project=${gsaProject(ctx, id)}` : ""} --role=${r.role} \\\n  --member="${r.member}"`, conditionFlag(policyView(ctx, subject), { condition: r.iamCondition, member: r.member, role: r.role })))
            : gcloud(
                `Grant ${r.role} on the one GSA it is for, then remove it from ${subject}`,
                policyBindingCommand("remove", subject, r.member, r.role, { policy: policyView(ctx, subject), condition: r.iamCondition }),
              ),
        ),
      });
    }
    return out;
  },
};
