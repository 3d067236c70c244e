import type { Rule } from "./rule";
import type { Fix } from "../model";
import { gsaIdFrom, note, plural, policyBindingCommand, tfModuleFix, unproven } from "../fixes";

/** Split commands written out in full; a larger split lists the rest by name. */
export const SPLIT_SHOWN = 50;
/** Items of each evidence list kept in the finding (the counts say how many in all). */
const EVIDENCE_LIST = 200;
import { workloadsBySecret } from "../migration";
import { exactCondition, policyView, rolesOf } from "../iam";

/** "2 workload pools", "1 cluster without a workload pool", "1 workload pool and 2 clusters without one". */
function domains(pools: string[]): string {
  const pooled = pools.filter((p) => !p.startsWith("cluster:")).length;
  const alone = pools.length - pooled;
  if (!alone) return plural(pooled, "workload pool");
  if (!pooled) return plural(alone, "cluster without a workload pool", "clusters without a workload pool");
  return `${plural(pooled, "workload pool")} and ${plural(alone, "cluster without one", "clusters without one")}`;
}

export const rule: Rule = {
  id: "gsa-shared",
  severity: "high",
  title: "One GSA serves several namespaces or clusters (a \"common-batch\" account)",
  why: "Every user gets the union of everyone's permissions, nobody knows what needs what, and its keys end up everywhere. Split it: one GSA per workload.",
  absence: false,
  evaluate: ({ ctx, usage }) => {
    const out = [];
    for (const u of usage.values()) {
      // Distinct namespaces as Workload Identity sees them: the same namespace in every cluster of a
      // fleet (one workload pool) is one — one app deployed to five clusters is one user.
      if (u.poolNamespaces.length < 2) continue;
      // Who uses it: workloads running as an annotated KSA, or mounting a Secret with its key.
      const userSet = new Set<(typeof ctx.workloads)[number]>();
      for (const k of u.ksas) {
        const rest = k.slice(4).split("/");
        for (const w of ctx.workloadsByKsa().get(`cluster:${rest.slice(0, 3).join("/")}|${rest[3]}/${rest.slice(4).join("/")}`) ?? []) userSet.add(w);
      }
      for (const sec of u.keySecrets) for (const w of workloadsBySecret(ctx).get(sec) ?? []) userSet.add(w);
      const users = [...userSet].sort((a, b) => (a.subject < b.subject ? -1 : 1));
      const roles = rolesOf(ctx, u.email);
      const project = u.project ?? "PROJECT";
      // Ids proposed for this split, on top of those taken in the estate.
      const existing = ctx.gsaIdsTaken();
      const proposed = new Set<string>();
      const ids = { has: (id: string) => existing.has(id) || proposed.has(id), add: (id: string) => proposed.add(id) };
      // One GSA per workload, each on its own KSA: a workload keeps its KSA when nothing else runs as
      // it, else (default, or shared) it gets one named after it. A KSA carries one annotation, so
      // workloads that still share a KSA across a fleet (same pool, namespace and name) share the GSA.
      const ksaUsers = { get: (k: string) => ctx.workloadsByKsa().get(k)?.length ?? 0 };
      const byKsa = new Map<string, { ksa: string; name: string; users: string[] }>();
      for (const w of users) {
        const current = w.data.template.serviceAccountName;
        const own = current !== "default" && ksaUsers.get(`${w.cluster}|${w.data.namespace}/${current}`) === 1;
        const ksaName = own ? current : w.data.name;
        // A cluster without Workload Identity will get its project's pool: group it with that pool's fleet.
        const pool = ctx.clusters.get(w.cluster!)?.data.workloadPool ?? `${w.project}.svc.id.goog`;
        const key = `${pool}|${w.data.namespace}/${ksaName}`;
        const e = byKsa.get(key) ?? { ksa: `${w.data.namespace}/${ksaName}`, name: w.data.name, users: [] };
        e.users.push(w.subject);
        byKsa.set(key, e);
      }
      if (!users.length)
        for (const k of u.ksas) {
          const [project, , , ns, name] = k.slice(4).split("/");
          const c = ctx.clusters.get(`cluster:${k.slice(4).split("/").slice(0, 3).join("/")}`);
          const key = `${c?.data.workloadPool ?? `${project}.svc.id.goog`}|${ns}/${name}`;
          const e = byKsa.get(key) ?? { ksa: `${ns}/${name}`, name, users: [] };
          e.users.push(k);
          byKsa.set(key, e);
        }
      // A split into one account is no split: every user would share the new account just as they
      // share this one (one app across a fleet, or the same-named workloads a future pool will merge).
      if (byKsa.size < 2) continue;
      const split = [...byKsa.values()].map((e) => {
        const id = gsaIdFrom(e.name, ids);
        return { workload: e.users.join(", "), gsa: `${id}@${project}.iam.gserviceaccount.com`, ksa: e.ksa };
      });
      const fixes: Fix[] = [];
      // A very shared account (hundreds of users) gets the commands for the first SPLIT_SHOWN; the rest
      // follow the same pattern and are listed in the evidence (names only) and in the audit report.
      const shown = split.slice(0, SPLIT_SHOWN);
      if (split.length) {
        fixes.push({
          kind: "gcloud",
          title: `Split into ${split.length} accounts, one per workload on its own KSA; each starts with the current roles, marked to narrow${split.length > shown.length ? ` (commands for the first ${shown.length})` : ""}`,
          content: shown
            .map(
              (s) =>
                `gcloud iam service-accounts create ${s.gsa.split("@")[0]} --project=${project} --display-name="${s.workload.split("/").slice(-1)[0]} (split from ${u.email.split("@")[0]})"\n` +
                roles.map((r) => `${policyBindingCommand("add", r.resource, `serviceAccount:${s.gsa}`, r.role, { policy: policyView(ctx, r.resource), condition: exactCondition(ctx, r, `serviceAccount:${u.email}`) })}  # TO NARROW`).join("\n"),
            )
            .join("\n\n"),
        });
        for (const s of shown) fixes.push(tfModuleFix(s.gsa, project, [s.ksa]));
        // The accounts and bindings alone change nothing: the finding goes once each workload runs as its own account.
        fixes.push(
          note(
            "Then move each workload onto its account, and narrow the roles",
            `Annotate each KSA with its new account (each workload's page prints the manifest and patch), check that it gets a token, then narrow the roles marked TO NARROW. ${unproven("which roles each workload needs is yours to decide, and the split resolves this finding only once every workload runs as its own account", { comment: false })}`,
          ),
        );
        if (split.length > shown.length) {
          fixes.push(note(`…and ${split.length - shown.length} more accounts`, `The same two steps for each of the other ${split.length - shown.length} workloads; the full proposed split (names only) is in this finding's evidence and in the account's audit report.`));
        }
      }
      out.push({
        subject: `gsa:${u.email}`,
        state: "open" as const,
        message: `${u.email} is used from ${plural(u.poolNamespaces.length, "namespace")} in ${domains(u.pools)} (${plural(u.identities.length, "KSA identity", "KSA identities")}, ${plural(u.keyPlaces.length, "key Secret")}${u.clusters.length > u.pools.length ? `; ${plural(u.clusters.length, "cluster")} in all` : ""}); shared-account score ${u.score}.`,
        evidence: {
          ksas: u.ksas.slice(0, EVIDENCE_LIST),
          keySecrets: u.keySecrets.slice(0, EVIDENCE_LIST),
          namespaces: u.namespaces.slice(0, EVIDENCE_LIST),
          clusters: u.clusters.slice(0, EVIDENCE_LIST),
          identities: u.identities.slice(0, EVIDENCE_LIST),
          poolNamespaces: u.poolNamespaces.slice(0, EVIDENCE_LIST),
          pools: u.pools.slice(0, EVIDENCE_LIST),
          counts: {
            ksas: u.ksas.length,
            keySecrets: u.keySecrets.length,
            namespaces: u.namespaces.length,
            clusters: u.clusters.length,
            identities: u.identities.length,
            poolNamespaces: u.poolNamespaces.length,
            pools: u.pools.length,
            keyPlaces: u.keyPlaces.length,
            proposedSplit: split.length,
          },
          score: u.score,
          scoreParts: u.scoreParts,
          proposedSplit: split,
          rolesToNarrow: roles,
        },
        gsa: u.email,
        project: u.project,
        fixes,
      });
    }
    return out;
  },
};
