import type { Rule } from "./rule";
import { DAY_MS } from "./rule";
import { gcloud, note } from "../fixes";

export const rule: Rule = {
  id: "gsa-unused",
  severity: "low",
  title: "GSA unused: no KSA, no key in use, no node pool, no authentication in 90 days",
  why: "A dormant account keeps its roles and its keys; delete it (or disable it first) to shrink what can be abused.",
  absence: true,
  evaluate: ({ ctx, usage }) => {
    const out = [];
    const now = ctx.now.getTime();
    // "No key in use" is what Policy Analyzer says; KSAs pointing at it need every cluster's KSA list.
    const allK8s = [
      ...[...ctx.clusters.keys()].flatMap((c) => ctx.k8sLacking(c, "serviceaccounts")),
      // Without a project's cluster list, its clusters' KSAs and node pools are unknown; so are the
      // KSAs of fleet members whose objects no scan reads (attached, on-prem, other clouds).
      ...[...ctx.projects.keys()].flatMap((p) => ctx.lacking(["container.clusters", p], ["gkehub.memberships", p])),
      ...ctx.unreadFleetMembers(),
    ];
    const poolSas = new Set([...ctx.poolsByCluster.values()].flat().map((p) => p.data.serviceAccount));
    for (const g of ctx.gsas.values()) {
      const email = g.data.email;
      const u = usage.get(email);
      if (u && (u.ksas.length || u.keySecrets.length)) continue;
      if (poolSas.has(email)) continue;
      const last = ctx.gsaActivity.get(email) ?? null;
      if (last && now - Date.parse(last) <= 90 * DAY_MS) continue;
      const firstSeen = ctx.input.firstSeen?.get(g.subject) ?? ctx.now;
      const sourceLacking = [...ctx.lacking(["policyanalyzer.serviceAccountLastAuthentication", g.data.projectId]), ...allK8s];
      const lacking = [...sourceLacking];
      let state: "open" | "unverified" = lacking.length ? "unverified" : "open";
      let message: string;
      if (last) message = `${email} last authenticated on ${last.slice(0, 10)}; no KSA, key Secret or node pool uses it.`;
      else if (now - firstSeen.getTime() > 90 * DAY_MS) message = `${email} has no authentication on record and was first seen on ${firstSeen.toISOString().slice(0, 10)}; nothing uses it.`;
      else {
        state = "unverified";
        if (!lacking.length) lacking.push(`authentication history before ${firstSeen.toISOString().slice(0, 10)}`);
        message = `${email} has no authentication on record, but was first seen only on ${firstSeen.toISOString().slice(0, 10)} (IAM has no creation time): nothing uses it in the clusters scanned.`;
      }
      if (sourceLacking.length) message += ` Could not check: ${sourceLacking.join(", ")}.`;
      out.push({
        subject: g.subject,
        state,
        message,
        evidence: { lastAuthenticatedTime: last, firstSeen: firstSeen.toISOString(), disabled: g.data.disabled },
        lacking,
        gsa: email,
        // No removal on an unverified answer: a cluster not read may still use the account.
        fixes:
          state === "open"
            ? [gcloud("Disable it, wait, then delete it", `gcloud iam service-accounts disable ${email} --project=${g.data.projectId}\n# after a quiet period:\ngcloud iam service-accounts delete ${email} --project=${g.data.projectId}`)]
            : [note("Check what could not be read before removing anything", `Not read: ${lacking.join("; ")}.`)],
      });
    }
    return out;
  },
};
