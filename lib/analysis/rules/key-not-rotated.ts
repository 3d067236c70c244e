import type { Rule } from "./rule";
import { DAY_MS } from "./rule";
import { gcloud } from "../fixes";

export const rule: Rule = {
  id: "key-not-rotated",
  severity: "medium",
  title: "User-managed key older than 90 days",
  why: "Long-lived keys accumulate copies; Google recommends rotating (better: removing) them.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    for (const keys of ctx.keysByEmail.values()) {
      for (const k of keys) {
        // A disabled key is one step from deletion, not a key to rotate (see key-user-managed).
        if (k.data.keyType !== "USER_MANAGED" || !k.data.validAfterTime || k.data.disabled) continue;
        const age = Math.floor((ctx.now.getTime() - Date.parse(k.data.validAfterTime)) / DAY_MS);
        if (age <= 90) continue;
        out.push({
          subject: k.subject,
          state: "open" as const,
          message: `Key ${k.data.keyId} of ${k.data.email} was created ${age} days ago (${k.data.validAfterTime.slice(0, 10)}).`,
          evidence: { validAfterTime: k.data.validAfterTime, ageDays: age },
          gsa: k.data.email,
          fixes: [gcloud("Replace its users with Workload Identity, then delete it", `gcloud iam service-accounts keys delete ${k.data.keyId} --iam-account=${k.data.email} --project=${k.data.projectId}`)],
        });
      }
    }
    return out;
  },
};
