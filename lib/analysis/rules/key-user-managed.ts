import type { Rule } from "./rule";
import type { Fix } from "../model";
import { gcloud, plural } from "../fixes";

export const rule: Rule = {
  id: "key-user-managed",
  severity: "medium",
  title: "GSA has user-managed keys",
  why: "A downloadable key is a long-lived password for the account; the migration ends when the last one is deleted. A shared GSA's keys block every workload using it. A disabled key is one step from deletion.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const [email, keys] of ctx.keysByEmail) {
      const user = keys.filter((k) => k.data.keyType === "USER_MANAGED");
      if (!user.length) continue;
      const inSecrets = user.filter((k) => ctx.secretsByKeyId().has(k.data.keyId));
      const enabled = user.filter((k) => !k.data.disabled);
      const disabled = user.filter((k) => k.data.disabled);
      const del = (ks: typeof user) => ks.map((k) => `gcloud iam service-accounts keys delete ${k.data.keyId} --iam-account=${email} --project=${k.data.projectId}`).join("\n");
      // Made when the finding's row is written (FindingDraft.fixes): a command per key.
      const fixes = (): Fix[] => {
        const made: Fix[] = [];
        if (enabled.length) {
          made.push(
            gcloud(
              "When no workload uses them any more: disable, watch for breakage, then delete",
              enabled.map((k) => `gcloud iam service-accounts keys disable ${k.data.keyId} --iam-account=${email} --project=${k.data.projectId}`).join("\n") + "\n# after a quiet period:\n" + del(enabled),
            ),
          );
        }
        if (disabled.length) {
          // Disabling is the reversible half of removing a key: nothing can authenticate with it any more,
          // so nothing to rotate or watch for expiry — what is left is deleting it.
          made.push(gcloud(`Delete the disabled key${disabled.length > 1 ? "s" : ""} once nothing has broken since ${disabled.length > 1 ? "they were" : "it was"} disabled (deleting cannot be undone; enabling can)`, del(disabled)));
        }
        return made;
      };
      out.push({
        subject: `gsa:${email}`,
        state: "open" as const,
        message: `${email} has ${plural(user.length, "user-managed key")}${disabled.length ? ` (${disabled.length === user.length ? (user.length > 1 ? "all disabled" : "disabled") : `${disabled.length} disabled`}: one step from deletion)` : ""}${inSecrets.length ? `, ${inSecrets.length} found in Kubernetes Secrets` : ""}.`,
        evidence: { keys: user.map((k) => ({ keyId: k.data.keyId, created: k.data.validAfterTime, expires: k.data.validBeforeTime, lastUsed: ctx.keyActivity.get(k.data.keyId) ?? null, disabled: k.data.disabled })) },
        gsa: email,
        project: user[0].data.projectId,
        fixes,
      });
    }
    return out;
  },
};
