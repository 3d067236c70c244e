import type { Rule } from "./rule";
import { DAY_MS } from "./rule";
import { note } from "../fixes";

export const NO_EXPIRY = "9999-12-31T23:59:59Z";

export const rule: Rule = {
  id: "key-expiring",
  severity: "high",
  title: "Key expires within 90 days, or has expired",
  why: "The ten-year cliff: keys created years ago expire one day, and whatever still uses them stops in production.",
  absence: false,
  evaluate: ({ ctx }) => {
    const out = [];
    const now = ctx.now.getTime();
    for (const keys of ctx.keysByEmail.values()) {
      for (const k of keys) {
        // A disabled key stops nothing when it expires: it is one step from deletion (key-user-managed).
        if (k.data.keyType !== "USER_MANAGED" || k.data.disabled || !k.data.validBeforeTime || k.data.validBeforeTime.startsWith("9999-12-31")) continue;
        const end = Date.parse(k.data.validBeforeTime);
        const days = Math.floor((end - now) / DAY_MS);
        if (days > 90) continue;
        const secrets = (ctx.secretsByKeyId().get(k.data.keyId) ?? []).map((s) => s.subject);
        out.push({
          subject: k.subject,
          state: "open" as const,
          message: days < 0 ? `Key ${k.data.keyId} of ${k.data.email} expired on ${k.data.validBeforeTime.slice(0, 10)}.` : `Key ${k.data.keyId} of ${k.data.email} expires on ${k.data.validBeforeTime.slice(0, 10)}, in ${days} days.`,
          evidence: { validAfterTime: k.data.validAfterTime, validBeforeTime: k.data.validBeforeTime, daysLeft: days, inSecrets: secrets },
          gsa: k.data.email,
          fixes: [note("Move its users to Workload Identity before the date; do not mint another ten-year key", secrets.length ? `It sits in ${secrets.join(", ")}: see key-in-secret.` : "No Secret of the scanned clusters holds it; find its users with key-unused / Policy Analyzer.")],
        });
      }
    }
    return out;
  },
};
