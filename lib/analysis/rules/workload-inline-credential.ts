import type { Rule } from "./rule";
import type { FindingDraft } from "../model";
import type { ContainerEssentials, SecretCredential } from "../../inventory/model";
import { kubectl } from "../fixes";
import { credentialClass } from "../../inventory/secret-credentials";
import { describeCredential } from "./key-in-secret";

/** One variable that held a credential: where, and what (never the value: the transform dropped it). */
type Hit = { container: string; variable: string; credentials: SecretCredential[]; credentialTypes: string[] };

function hits(containers: ContainerEssentials[]): Hit[] {
  const out: Hit[] = [];
  for (const c of containers) {
    for (const e of c.env) if (e.inlineCredential) out.push({ container: c.name, variable: e.name, ...e.inlineCredential });
  }
  return out;
}

function what(h: Hit): string {
  if (h.credentials.length) return h.credentials.map(describeCredential).join(" and ");
  return h.credentialTypes.includes("pem-private-key") ? "a PEM private key" : h.credentialTypes.join(", ");
}

/**
 * A credential pasted into a pod template's environment (`GOOGLE_CREDENTIALS={…}`, a key in
 * GOOGLE_APPLICATION_CREDENTIALS, a PEM block): the transform dropped the value and kept what it was.
 * Only a Workload Identity Federation configuration, which holds no secret, is graded low.
 */
export const rule: Rule = {
  id: "workload-inline-credential",
  severity: "critical",
  severityNote: "low when every value found is a keyless federation configuration (external_account)",
  title: "A credential is pasted into a workload's environment",
  why: "An env value is stored in the workload's manifest: anyone who can read Deployments (the `view` role, GitOps repositories, `kubectl describe`, audit logs) holds the key. Secrets are for secrets; Workload Identity needs none.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out: FindingDraft[] = [];
    for (const w of ctx.workloads) {
      const t = w.data.template;
      const found = hits([...t.initContainers, ...t.containers, ...t.ephemeralContainers]);
      if (!found.length) continue;
      const keyless = found.every((h) => h.credentials.length > 0 && h.credentials.every((c) => credentialClass(c) === "keyless"));
      const key = found.flatMap((h) => h.credentials).find((c) => c.clientEmail);
      const context = `kubectl --context gke_${w.cluster!.slice(8).replaceAll("/", "_")} -n ${w.data.namespace}`;
      out.push({
        subject: w.subject,
        state: "open",
        ...(keyless ? { severity: "low" as const } : {}),
        message: `${w.data.kind} ${w.data.name} has ${found.map((h) => `${what(h)} in ${h.variable} (container ${h.container})`).join("; ")}.`,
        evidence: { variables: found },
        gsa: key?.clientEmail ?? null,
        fixes: [
          kubectl(
            "Remove the variable from the pod template (then disable or delete the key: it has been readable by anyone who can read the workload)",
            found.map((h) => `${context} set env ${w.data.kind.toLowerCase()}/${w.data.name} -c ${h.container} ${h.variable}-`).join("\n"),
          ),
        ],
      });
    }
    return out;
  },
};
