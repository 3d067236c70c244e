import type { Rule } from "./rule";
import { kubectl } from "../fixes";
import { workloadsBySecret } from "../migration";

export const rule: Rule = {
  id: "key-in-secret",
  severity: "critical",
  title: "A JSON key sits in a Kubernetes Secret",
  why: "Anyone who can read Secrets in the namespace holds the account's key; copies multiply and nobody knows where the key is used.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const s of ctx.secrets.values()) {
      const creds = s.data.credentials.filter((c) => c.type === "service_account" || c.type === "authorized_user");
      if (!creds.length) continue;
      const mountedBy = (workloadsBySecret(ctx).get(s.subject) ?? []).map((w) => w.subject);
      const key = creds.find((c) => c.type === "service_account");
      out.push({
        subject: s.subject,
        state: "open" as const,
        message: `Secret ${s.data.namespace}/${s.data.name} holds ${creds.map((c) => (c.type === "service_account" ? `key ${c.keyId} of ${c.clientEmail}` : `${c.type} credentials`)).join(" and ")}${mountedBy.length ? `, mounted by ${mountedBy.map((w) => w.split("/").slice(-2).join("/")).join(", ")}` : ", mounted by no workload"}.`,
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
