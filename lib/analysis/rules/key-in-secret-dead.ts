import type { Rule } from "./rule";
import { kubectl } from "../fixes";
import { gsaProject } from "../iam";

export const rule: Rule = {
  id: "key-in-secret-dead",
  severity: "medium",
  title: "A Secret holds a JSON key whose key or GSA no longer exists",
  why: "Whatever mounts it is already failing to authenticate — or was forgotten; either way the Secret is debris that still looks like access.",
  absence: true,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const s of ctx.secrets.values()) {
      for (const c of s.data.credentials) {
        // A key: a service_account file, or the service_account source of an impersonated_service_account file.
        if (!c.keyId || !c.clientEmail) continue;
        if (ctx.keysById.has(c.keyId)) continue;
        const project = gsaProject(ctx, c.clientEmail);
        const gsaGone = !ctx.gsas.has(c.clientEmail);
        const lacking =
          !project || !ctx.isProjectScanned(project) ? [`project ${project ?? c.clientEmail} (not in the scan's scope)`] : ctx.lacking(["iam.serviceAccounts", project], ["iam.keys", project]);
        out.push({
          subject: s.subject,
          state: lacking.length ? ("unverified" as const) : ("open" as const),
          message: lacking.length
            ? `Secret ${s.data.namespace}/${s.data.name} holds key ${c.keyId} of ${c.clientEmail}, which could not be checked: ${lacking.join(", ")}.`
            : `Secret ${s.data.namespace}/${s.data.name} holds key ${c.keyId} of ${c.clientEmail}, ${gsaGone ? "an account that no longer exists" : "a key that no longer exists"}.`,
          evidence: { keyId: c.keyId, clientEmail: c.clientEmail, dataKey: c.dataKey, gsaExists: !gsaGone },
          lacking,
          gsa: c.clientEmail,
          fixes: [kubectl("Delete the dead Secret (and whatever still mounts it)", `kubectl --context gke_${s.cluster!.slice(8).replaceAll("/", "_")} -n ${s.data.namespace} delete secret ${s.data.name}`)],
        });
      }
    }
    return out;
  },
};
