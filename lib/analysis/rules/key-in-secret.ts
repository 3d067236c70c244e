import type { Rule } from "./rule";
import { kubectl } from "../fixes";
import { workloadsBySecret } from "../migration";
import { credentialClass, isSecretCredential } from "../../inventory/secret-credentials";
import type { SecretCredential } from "../../inventory/model";

/** What a credential in a Secret is, in the message. */
export function describeCredential(c: SecretCredential): string {
  // A P12 file does not carry its key id; its data key name (and the account, when its friendly name says) is what is known.
  if (c.type === "p12") return `a P12 key${c.keyId ? ` ${c.keyId}` : ""}${c.clientEmail ? ` of ${c.clientEmail}` : ""} (${c.dataKey})`;
  const cls = credentialClass(c);
  if (cls === "key" && c.type === "impersonated_service_account") return `an impersonated_service_account file whose source is key ${c.keyId} of ${c.clientEmail}${c.impersonates ? ` (acting as ${c.impersonates})` : ""}`;
  if (cls === "key" && c.type === "service_account") return `key ${c.keyId} of ${c.clientEmail}`;
  if (cls === "user-token") return `${c.type === "impersonated_service_account" ? `an impersonated_service_account file whose source is ${c.sourceType}` : `${c.type} credentials`} (a person's refresh token)`;
  return `${c.type} credentials${c.sourceType ? ` (source ${c.sourceType})` : ""}`;
}

export const rule: Rule = {
  id: "key-in-secret",
  severity: "critical",
  title: "A JSON key sits in a Kubernetes Secret",
  why: "Anyone who can read Secrets in the namespace holds the account's key; copies multiply and nobody knows where the key is used.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const s of ctx.secrets.values()) {
      // Keys and people's refresh tokens; never a Workload Identity Federation configuration (external_account).
      const creds = s.data.credentials.filter(isSecretCredential);
      if (!creds.length) continue;
      const mountedBy = (workloadsBySecret(ctx).get(s.subject) ?? []).map((w) => w.subject);
      const key = creds.find((c) => c.clientEmail);
      out.push({
        subject: s.subject,
        state: "open" as const,
        message: `Secret ${s.data.namespace}/${s.data.name} holds ${creds.map(describeCredential).join(" and ")}${mountedBy.length ? `, mounted by ${mountedBy.map((w) => w.split("/").slice(-2).join("/")).join(", ")}` : ", mounted by no workload"}.`,
        evidence: { credentials: creds, mountedBy },
        gsa: key?.clientEmail ?? null,
        fixes: [
          kubectl(
            "Once the workloads use Workload Identity: delete the Secret",
            `kubectl --context gke_${s.cluster!.slice(8).replaceAll("/", "_")} -n ${s.data.namespace} delete secret ${s.data.name}`,
          ),
        ],
      });
    }
    return out;
  },
};
