import type { Rule } from "./rule";
import { gcloud } from "../fixes";

export const rule: Rule = {
  id: "key-user-managed",
  severity: "medium",
  title: "GSA has user-managed keys",
  why: "A downloadable key is a long-lived password for the account; the migration ends when the last one is deleted. A shared GSA's keys block every workload using it.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const [email, keys] of ctx.keysByEmail) {
      const user = keys.filter((k) => k.data.keyType === "USER_MANAGED");
      if (!user.length) continue;
      const inSecrets = user.filter((k) => ctx.secretsByKeyId().has(k.data.keyId));
      out.push({
        subject: `gsa:${email}`,
        state: "open" as const,
        message: `${email} has ${user.length} user-managed key${user.length > 1 ? "s" : ""}${inSecrets.length ? `, ${inSecrets.length} found in Kubernetes Secrets` : ""}.`,
        evidence: { keys: user.map((k) => ({ keyId: k.data.keyId, created: k.data.validAfterTime, expires: k.data.validBeforeTime, lastUsed: ctx.keyActivity.get(k.data.keyId) ?? null })) },
        gsa: email,
        project: user[0].data.projectId,
        fixes: [
          gcloud(
            "When no workload uses them any more: disable, watch for breakage, then delete",
            user.map((k) => `gcloud iam service-accounts keys disable ${k.data.keyId} --iam-account=${email} --project=${k.data.projectId}`).join("\n") +
              "\n# after a quiet period:\n" +
              user.map((k) => `gcloud iam service-accounts keys delete ${k.data.keyId} --iam-account=${email} --project=${k.data.projectId}`).join("\n"),
          ),
        ],
      });
    }
    return out;
  },
};
