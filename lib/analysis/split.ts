/**
 * The split proposal for each shared account ("common-batch"): one new GSA per workload, each on its
 * own KSA. It is THE plan for every workload of such an account: the gsa-shared finding prints it,
 * each workload's migration plan (plan.ts) moves the workload to the account it assigns, and change
 * sets (lib/changeset/targets.ts) read it from the finding's evidence. Computed once per analysis.
 */
import type { AnalysisContext } from "./context";
import type { Fix, GsaUsage } from "./model";
import { gcloud, gsaIdFrom, policyBindingCommand } from "./fixes";
import { exactCondition, policyView, rolesOf } from "./iam";
import { workloadsBySecret } from "./migration";
import { gsaUsage } from "./usage";

/** One account of a split: the workloads (or, with no workload, KSAs) it is for, on one KSA. */
export type SplitEntry = {
  /** Workload subjects (KSA subjects when the shared account has KSAs but no workload runs as them). */
  users: string[];
  /** The proposed account's email. */
  gsa: string;
  /** The KSA it goes on, `namespace/name`. */
  ksa: string;
  /** The workload (or KSA) name the account is named after. */
  name: string;
};

/** A shared account's proposed split. */
export type SharedSplit = {
  email: string;
  project: string;
  /** Its usage (namespaces, pools, score) as the gsa-shared rule reports it. */
  usage: GsaUsage;
  entries: SplitEntry[];
};

/** GSA usage, computed once per analysis (rules, plans and the split all read it). */
export function usageOf(ctx: AnalysisContext): GsaUsage[] {
  return ctx.memo("gsaUsage", () => gsaUsage(ctx));
}

/**
 * Every shared account's split, by email: an account used from two or more namespaces (as Workload
 * Identity counts them: once per workload pool) whose users fall on two or more KSAs once split.
 */
export function sharedAccountSplits(ctx: AnalysisContext): Map<string, SharedSplit> {
  return ctx.memo("sharedAccountSplits", () => {
    const out = new Map<string, SharedSplit>();
    for (const u of usageOf(ctx)) {
      // Distinct namespaces as Workload Identity sees them: the same namespace in every cluster of a
      // fleet (one workload pool) is one — one app deployed to five clusters is one user.
      if (u.poolNamespaces.length < 2) continue;
      const split = splitOf(ctx, u);
      if (split) out.set(u.email, split);
    }
    return out;
  });
}

function splitOf(ctx: AnalysisContext, u: GsaUsage): SharedSplit | null {
  // Who uses it: workloads running as an annotated KSA, or mounting a Secret with its key.
  const userSet = new Set<(typeof ctx.workloads)[number]>();
  for (const k of u.ksas) {
    const rest = k.slice(4).split("/");
    for (const w of ctx.workloadsByKsa().get(`cluster:${rest.slice(0, 3).join("/")}|${rest[3]}/${rest.slice(4).join("/")}`) ?? []) userSet.add(w);
  }
  for (const sec of u.keySecrets) for (const w of workloadsBySecret(ctx).get(sec) ?? []) userSet.add(w);
  const users = [...userSet].sort((a, b) => (a.subject < b.subject ? -1 : 1));
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
      const [kProject, , , ns, name] = k.slice(4).split("/");
      const c = ctx.clusters.get(`cluster:${k.slice(4).split("/").slice(0, 3).join("/")}`);
      const key = `${c?.data.workloadPool ?? `${kProject}.svc.id.goog`}|${ns}/${name}`;
      const e = byKsa.get(key) ?? { ksa: `${ns}/${name}`, name, users: [] };
      e.users.push(k);
      byKsa.set(key, e);
    }
  // A split into one account is no split: every user would share the new account just as they
  // share this one (one app across a fleet, or the same-named workloads a future pool will merge).
  if (byKsa.size < 2) return null;
  const entries = [...byKsa.values()].map((e) => ({ users: e.users, gsa: `${gsaIdFrom(e.name, ids)}@${project}.iam.gserviceaccount.com`, ksa: e.ksa, name: e.name }));
  return { email: u.email, project, usage: u, entries };
}

/**
 * The split entry a workload moves to, when an account it uses now (a key's, an annotation's) is
 * split: the one place plans and fixes ask "is this workload's account shared, and where does it go?".
 */
export function splitTargetFor(ctx: AnalysisContext, workload: string, emails: (string | null | undefined)[]): { split: SharedSplit; entry: SplitEntry } | null {
  const splits = sharedAccountSplits(ctx);
  // Every workload asks, and a shared account has thousands of users: each split's entries are
  // indexed by user once (the first entry naming a user wins, as a scan of the entries would find).
  const byUser = ctx.memo("splitEntryByUser", () => new Map<string, Map<string, SplitEntry>>());
  for (const raw of emails) {
    const email = raw?.trim().toLowerCase();
    if (!email) continue;
    const split = splits.get(email);
    if (!split) continue;
    let index = byUser.get(email);
    if (!index) {
      index = new Map();
      for (const e of split.entries) for (const u of e.users) if (!index.has(u)) index.set(u, e);
      byUser.set(email, index);
    }
    const entry = index.get(workload);
    if (entry) return { split, entry };
  }
  return null;
}

/**
 * The commands that create one account of a split and give it the shared account's roles, each
 * marked TO NARROW: printed by the gsa-shared finding for every entry, and by the plan and fixes of
 * the workload the entry is for, so both pages say the same thing.
 */
export function splitAccountCommands(ctx: AnalysisContext, split: SharedSplit, entry: SplitEntry): string {
  const roles = rolesOf(ctx, split.email);
  const workload = entry.users.join(", ");
  return (
    `gcloud iam service-accounts create ${entry.gsa.split("@")[0]} --project=${split.project} --display-name="${workload.split("/").slice(-1)[0]} (split from ${split.email.split("@")[0]})"` +
    roles.map((r) => `\n${policyBindingCommand("add", r.resource, `serviceAccount:${entry.gsa}`, r.role, { policy: policyView(ctx, r.resource), condition: exactCondition(ctx, r, `serviceAccount:${split.email}`) })}  # TO NARROW`).join("")
  );
}

/** The fix that creates a workload's split account: the first step of its plan and of its findings' fixes. */
export function splitAccountFix(ctx: AnalysisContext, split: SharedSplit, entry: SplitEntry, workloadName: string): Fix {
  const roles = rolesOf(ctx, split.email);
  return gcloud(
    `Create ${entry.gsa} — the account the split of shared ${split.email} (gsa-shared) gives ${workloadName}${roles.length ? `, starting with ${split.email.split("@")[0]}'s ${roles.length === 1 ? "role" : "roles"} marked TO NARROW` : ""}`,
    splitAccountCommands(ctx, split, entry),
  );
}
