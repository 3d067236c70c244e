import type { Rule } from "./rule";
import { kubectl } from "../fixes";
import { workloadsBySecret } from "../migration";
import { isSecretCredential } from "../../inventory/secret-credentials";
import { describeCredential } from "./key-in-secret";

/**
 * A key (or a person's refresh token) in a ConfigMap that a pod's credentials come from. The scanner
 * reads only such ConfigMaps (Google's own docs put Workload Identity Federation configurations in
 * ConfigMaps — keyless, and never flagged); a `service_account` key found there is a key.
 */
export const rule: Rule = {
  id: "key-in-configmap",
  severity: "critical",
  title: "A JSON key sits in a ConfigMap",
  why: "ConfigMaps are not secret: the `view` role and most tooling read them. A key there is readable by anyone who can see the namespace's configuration.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const cm of ctx.configMaps.values()) {
      const creds = cm.data.credentials.filter(isSecretCredential);
      if (!creds.length) continue;
      const mountedBy = (workloadsBySecret(ctx).get(cm.subject) ?? []).map((w) => w.subject);
      const key = creds.find((c) => c.clientEmail);
      out.push({
        subject: cm.subject,
        state: "open" as const,
        message: `ConfigMap ${cm.data.namespace}/${cm.data.name} holds ${creds.map(describeCredential).join(" and ")}${mountedBy.length ? `, mounted by ${mountedBy.map((w) => w.split("/").slice(-2).join("/")).join(", ")}` : ""}.`,
        evidence: { credentials: creds, mountedBy },
        gsa: key?.clientEmail ?? null,
        fixes: [
          kubectl(
            "Once the workloads use Workload Identity: delete the key from the ConfigMap (and disable the key: it has been readable by anyone who can read ConfigMaps)",
            `kubectl --context gke_${cm.cluster!.slice(8).replaceAll("/", "_")} -n ${cm.data.namespace} edit configmap ${cm.data.name}`,
          ),
        ],
      });
    }
    return out;
  },
};
