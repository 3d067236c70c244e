import type { Rule } from "./rule";
import type { Fix } from "../model";
import { gsaIdFrom, tfModuleFix } from "../fixes";
import { mountedCredentialSecrets } from "../migration";
import { rolesOf } from "../iam";

export const rule: Rule = {
  id: "gsa-shared",
  severity: "high",
  title: "One GSA serves several namespaces or clusters (a \"common-batch\" account)",
  why: "Every user gets the union of everyone's permissions, nobody knows what needs what, and its keys end up everywhere. Split it: one GSA per workload.",
  absence: false,
  evaluate: ({ ctx, usage }) => {
    const out = [];
    for (const u of usage.values()) {
      if (u.namespaces.length < 2 && u.clusters.length < 2) continue;
      // Who uses it: workloads running as an annotated KSA, or mounting a Secret with its key.
      const users = ctx.workloads.filter(
        (w) =>
          u.ksas.includes(`ksa:${w.cluster!.slice(8)}/${w.data.namespace}/${w.data.template.serviceAccountName}`) ||
          mountedCredentialSecrets(ctx, w).some((m) => u.keySecrets.includes(m.secret)),
      );
      const roles = rolesOf(ctx, u.email);
      const taken = new Set<string>(ctx.gsas.keys());
      const project = u.project ?? "PROJECT";
      const split = users.map((w) => {
        const id = gsaIdFrom(w.data.name, new Set([...taken].map((e) => e.split("@")[0])));
        taken.add(`${id}@${project}.iam.gserviceaccount.com`);
        return { workload: w.subject, gsa: `${id}@${project}.iam.gserviceaccount.com`, ksa: `${w.data.namespace}/${w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName}` };
      });
      const fixes: Fix[] = [];
      if (split.length) {
        fixes.push({
          kind: "gcloud",
          title: `Split into ${split.length} accounts, one per workload; each starts with the current roles, marked to narrow`,
          content: split
            .map(
              (s) =>
                `gcloud iam service-accounts create ${s.gsa.split("@")[0]} --project=${project} --display-name="${s.workload.split("/").slice(-1)[0]} (split from ${u.email.split("@")[0]})"\n` +
                roles.map((r) => `gcloud projects add-iam-policy-binding ${r.resource.replace(/^project:/, "")} --member="serviceAccount:${s.gsa}" --role="${r.role}"  # TO NARROW`).join("\n"),
            )
            .join("\n\n"),
        });
        for (const s of split) fixes.push(tfModuleFix(s.gsa, project, [s.ksa]));
      }
      out.push({
        subject: `gsa:${u.email}`,
        state: "open" as const,
        message: `${u.email} is used from ${u.namespaces.length} namespaces in ${u.clusters.length} clusters (${u.ksas.length} KSAs, ${u.keySecrets.length} key Secrets); shared-account score ${u.score}.`,
        evidence: { ksas: u.ksas, keySecrets: u.keySecrets, namespaces: u.namespaces, clusters: u.clusters, score: u.score, scoreParts: u.scoreParts, proposedSplit: split, rolesToNarrow: roles },
        gsa: u.email,
        project: u.project,
        fixes,
      });
    }
    return out;
  },
};
