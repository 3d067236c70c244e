import type { Rule } from "./rule";
import { DAY_MS } from "./rule";
import { gcloud } from "../fixes";

export const rule: Rule = {
  id: "key-unused",
  severity: "low",
  title: "User-managed key not used for 90 days",
  why: "An unused key is pure risk: nothing needs it, anyone holding a copy can still use it.",
  absence: true,
  evaluate: ({ ctx }) => {
    const out = [];
    const now = ctx.now.getTime();
    for (const keys of ctx.keysByEmail.values()) {
      for (const k of keys) {
        // A disabled key cannot authenticate: "unused" says nothing new about it (key-user-managed: delete it).
        if (k.data.keyType !== "USER_MANAGED" || !k.data.validAfterTime || k.data.disabled) continue;
        if (now - Date.parse(k.data.validAfterTime) <= 90 * DAY_MS) continue;
        const last = ctx.keyActivity.get(k.data.keyId) ?? null;
        if (last && now - Date.parse(last) <= 90 * DAY_MS) continue;
        // Policy Analyzer's dates are daily and arrive late; only its answer for this project counts.
        const lacking = ctx.lacking(["policyanalyzer.serviceAccountKeyLastAuthentication", k.data.projectId]);
        out.push({
          subject: k.subject,
          state: lacking.length ? ("unverified" as const) : ("open" as const),
          message: lacking.length
            ? `Key ${k.data.keyId} of ${k.data.email}: its last use cannot be told (${lacking.join(", ")}).`
            : last
              ? `Key ${k.data.keyId} of ${k.data.email} last authenticated on ${last.slice(0, 10)}.`
              : `Key ${k.data.keyId} of ${k.data.email} has no authentication on record.`,
          evidence: { lastAuthenticatedTime: last, validAfterTime: k.data.validAfterTime },
          lacking,
          gsa: k.data.email,
          fixes: [
            gcloud(
              "Disable it, watch for breakage, then delete it",
              `gcloud iam service-accounts keys disable ${k.data.keyId} --iam-account=${k.data.email} --project=${k.data.projectId}\ngcloud iam service-accounts keys delete ${k.data.keyId} --iam-account=${k.data.email} --project=${k.data.projectId}`,
            ),
          ],
        });
      }
    }
    return out;
  },
};
