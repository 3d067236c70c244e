import type { Rule } from "./rule";
import { gcloud, policyBindingCommand, recommenderCommand } from "../fixes";
import { isAdminLikeRole, isBasicRole, exactCondition, policyView, rolesOf } from "../iam";

export const rule: Rule = {
  id: "gsa-broad-role",
  severity: "high",
  title: "A GSA used by workloads holds a basic or administrative role",
  why: "roles/owner, roles/editor, *Admin roles and the service-account-user/token-creator/key-admin roles turn any compromised pod into a project takeover.",
  absence: false,
  evaluate: ({ ctx, statuses }) => {
    // Accounts workloads act as: effective identities (keys, node accounts, Workload Identity), annotated GSAs.
    const used = new Map<string, Set<string>>();
    const add = (email: string, w: string) => {
      const set = used.get(email) ?? new Set<string>();
      set.add(w);
      used.set(email, set);
    };
    for (const st of statuses.values()) {
      for (const s of st.identity.shares) {
        const id = s.identity;
        if (id.type === "key-file" && id.email) add(id.email, st.subject);
        if (id.type === "node" || id.type === "workload-identity") add(id.email, st.subject);
      }
    }
    const out = [];
    for (const [email, workloads] of used) {
      const broad = rolesOf(ctx, email).filter((r) => isBasicRole(r.role) || isAdminLikeRole(r.role));
      if (!broad.length) continue;
      out.push({
        subject: `gsa:${email}`,
        state: "open" as const,
        message: `${email} holds ${broad.map((r) => `${r.role} on ${r.resource}`).join(", ")} and ${workloads.size} workload${workloads.size > 1 ? "s act" : " acts"} as it.`,
        evidence: { roles: broad, workloads: [...workloads].sort() },
        gsa: email,
        fixes: broad.map((r) =>
          gcloud(
            `Replace ${r.role} with the narrow roles its workloads need (Policy Intelligence role recommendations help)`,
            `${recommenderCommand(r.resource)}\n${policyBindingCommand("remove", r.resource, `serviceAccount:${email}`, r.role, { policy: policyView(ctx, r.resource), condition: exactCondition(ctx, r, `serviceAccount:${email}`) })}`,
          ),
        ),
      });
    }
    return out;
  },
};
