import type { Rule, RuleContext } from "./rule";
import type { Fix, WorkloadStatus } from "../model";
import { splitAccountFix, splitTargetFor } from "../split";
import { gcloud, gcloudBindingFix, ksaManifestFix, policyBindingCommand, tfBindingFix, workloadPatchFix } from "../fixes";
import { directGrants, exactCondition, federatedPrincipal, gsaProject, isValidGsaEmail, memberCovers, parseWiMember, policyView, TOKEN_ROLES, type WiMember } from "../iam";
import { pinsAwayFromGkeMetadata } from "../scheduling";

/**
 * Token-role grants on GSAs whose member covers some namespace's `default` KSA, indexed once per
 * analysis: `POOL|NS` for members naming `default` itself, and the principal sets (namespace,
 * cluster, pool) in a short list checked with memberCovers.
 */
function tokenGrantsToDefault(rc: RuleContext): { byNs: Map<string, string[]>; sets: { parsed: WiMember; what: string }[] } {
  return rc.ctx.memo("defaultKsaTokenGrants", () => {
    const byNs = new Map<string, string[]>();
    const sets: { parsed: WiMember; what: string }[] = [];
    for (const b of rc.bindings) {
      if (!TOKEN_ROLES.has(b.role) || !b.resource.startsWith("gsa:")) continue;
      const m = parseWiMember(b.member);
      if (!m) continue;
      const what = `${b.role} on ${b.resource} to ${b.member}`;
      if (m.kind === "ksa" || m.kind === "principal") {
        if (m.ksa !== "default") continue;
        const k = `${m.pool}|${m.ns}`;
        byNs.set(k, [...(byNs.get(k) ?? []), what]);
      } else sets.push({ parsed: m, what });
    }
    return { byNs, sets };
  });
}

/**
 * Why running as `default` is a live risk here, if it is: the default KSA is annotated, or granted (a
 * token role on a GSA, or a role straight to its principal), or the workload's pods still hold a
 * legacy path (whatever fixes it will hand a GSA to `default`). Empty: nothing is handed out yet.
 */
function liveRisk(rc: RuleContext, st: WorkloadStatus): string[] {
  const { ctx } = rc;
  const why: string[] = [];
  const def = ctx.ksa(st.cluster, st.namespace, "default");
  if (def?.data.gsaAnnotation) why.push(`${st.namespace}/default is annotated with ${def.data.gsaAnnotation}`);
  const pool = ctx.clusters.get(st.cluster)?.data.workloadPool;
  if (pool) {
    const idx = tokenGrantsToDefault(rc);
    const tokens = [...(idx.byNs.get(`${pool}|${st.namespace}`) ?? []), ...idx.sets.filter((x) => memberCovers(x.parsed, pool, st.cluster, st.namespace, "default")).map((x) => x.what)];
    for (const t of tokens) why.push(`granted ${t}`);
    const direct = directGrants(ctx, { pool, cluster: st.cluster, ns: st.namespace, ksa: "default" });
    // Grants found elsewhere (e.g. on resources) arrive on the federated identity of its pods.
    const onIdentity = st.identity.shares.flatMap((s) => (s.identity.type === "federated" ? s.identity.grants : []));
    const seen = new Set<string>();
    for (const g of [...direct, ...onIdentity]) {
      const k = `${g.role} on ${g.resource} to ${g.member}`;
      if (seen.has(k)) continue;
      seen.add(k);
      why.push(`granted ${k}`);
    }
  }
  if (st.legacyPaths.length) why.push(`its pods still hold a legacy path (${st.legacyPaths.join("; ")})`);
  else if (st.migration === "unknown") why.push(`what its pods hold could not be told (${st.migrationReason})`);
  return why;
}

export const rule: Rule = {
  id: "workload-default-ksa",
  severity: "medium",
  severityNote: "low when the default KSA is not annotated, not granted, and the workload holds no legacy path",
  title: "Workload runs as its namespace's default KSA",
  why: "Everything in the namespace that does not name a KSA shares `default`; annotating or granting it hands the access to all of them (step 3). While `default` holds nothing and the workload needs no Google identity, that is a latent risk (low).",
  absence: false,
  evaluate: (rc) =>
    rc.ctx.workloads
      .filter((w) => w.data.template.serviceAccountName === "default" && !rc.statuses.get(w.subject)!.system)
      .map((w) => {
        const { ctx, statuses } = rc;
        const st = statuses.get(w.subject)!;
        const live = liveRisk(rc, st);
        const def = ctx.ksa(w.cluster!, w.data.namespace, "default");
        // The GSA it should keep on its own KSA: the one `default` is annotated with, the one its key
        // belongs to, or one to pick — none when it lives on its own principal (done, or needing nothing).
        const keyEmail = st.identity.shares.map((s) => s.identity).find((i) => i.type === "key-file")?.email;
        const onPrincipal = st.migration === "federated" || st.migration === "no-google-identity-needed";
        // A shared account (gsa-shared) is split: the workload moves to the account its split assigns it.
        const split = onPrincipal ? null : splitTargetFor(ctx, w.subject, [keyEmail, def?.data.gsaAnnotation]);
        const email = onPrincipal ? null : split ? split.entry.gsa : def?.data.gsaAnnotation?.trim().toLowerCase() || keyEmail || "GSA_EMAIL";
        const ksaName = split ? split.entry.ksa.slice(split.entry.ksa.indexOf("/") + 1) : w.data.name;
        // Made when the finding's row is written (FindingDraft.fixes): several kB of text per workload.
        const fixes = (): Fix[] => {
          const patch = workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksaName, {
            nodeSelector: ctx.hasGkeMetadataNodes(w.cluster!) && !ctx.clusters.get(w.cluster!)?.data.autopilot,
            unpin: pinsAwayFromGkeMetadata(ctx, w.cluster!, w.data.template),
          });
          const pool = ctx.clusters.get(w.cluster!)?.data.workloadPool;
          const out: Fix[] = [...(split ? [splitAccountFix(ctx, split.split, split.entry, w.data.name)] : []), email === "GSA_EMAIL" ? ksaManifestFix(w.data.namespace, w.data.name, email, { unproven: "nothing in the estate says which account this workload needs: it is yours to choose (GSA_EMAIL)" }) : ksaManifestFix(w.data.namespace, ksaName, email)];
          // The new KSA is a new identity: without its binding, moving the workload onto it would break
          // a working link (token requests fail with 403). Bind first, then patch.
          if (email && isValidGsaEmail(email) && pool) {
            const project = split ? split.split.project : (gsaProject(ctx, email) ?? w.project!);
            out.push(tfBindingFix(email, project, pool, w.data.namespace, ksaName), gcloudBindingFix({ email, project, pool, ns: w.data.namespace, ksa: ksaName, policy: policyView(ctx, `gsa:${email}`) }));
          }
          out.push(patch);
          const granted = st.identity.shares.flatMap((s) => (s.identity.type === "federated" ? s.identity.grants : []));
          if (onPrincipal && pool && granted.length) {
            // Its roles follow it to its own principal, each with its exact condition (copied without it, a
            // conditional grant would widen). Other workloads of the namespace may still need default's: never removed here.
            const own = federatedPrincipal(ctx, pool, w.data.namespace, w.data.name);
            const onPolicies = granted.filter((g) => /^(project|folder|organization):/.test(g.resource));
            const plain = onPolicies.filter((g) => !g.condition || exactCondition(ctx, g, g.member));
            const other = granted.filter((g) => !plain.includes(g));
            out.push(
              gcloud(
                `Give ${w.data.namespace}/${w.data.name}'s own principal the roles ${w.data.namespace}/default holds`,
                [
                  ...plain.map((g) => policyBindingCommand("add", g.resource, own, g.role, { policy: policyView(ctx, g.resource), condition: exactCondition(ctx, g, g.member) })),
                  ...other.map((g) => `# ${g.role} on ${g.resource}${g.condition ? ` (condition: ${g.condition})` : ""}: grant it to ${own} the same way`),
                  `# then, once no other workload of ${w.data.namespace} runs as default and needs them, remove them from ${w.data.namespace}/default's principal`,
                ].join("\n"),
              ),
            );
          }
          return out;
        };
        return {
          subject: w.subject,
          state: "open" as const,
          severity: live.length ? ("medium" as const) : ("low" as const),
          message: live.length
            ? `${w.data.kind} ${w.data.name} runs as ${w.data.namespace}/default: ${live.join("; ")}.`
            : `${w.data.kind} ${w.data.name} runs as ${w.data.namespace}/default, which is not annotated and holds no grant, and the workload holds no legacy path: nothing is handed out yet (low). Annotating or granting default later would give it to every workload of the namespace.`,
          evidence: { serviceAccountName: "default", effectiveIdentity: st.identity.label, migration: st.migration, liveRisk: live },
          fixes,
        };
      }),
};
