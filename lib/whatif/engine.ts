/**
 * "What breaks if…": the same analysis run twice on one slice of the inventory — as it is, and with
 * the changes applied to a copy — and the two compared. Pure: an AnalysisInput (the slice the
 * changes touch, lib/whatif/load-slice.ts), the changes, and the stored migration figures in; the
 * answer out. Where the data cannot tell (a Secret not readable, a cluster not scanned) the answer
 * says `unknown` for those workloads and places, never "nothing breaks".
 */
import type { AnalysisInput } from "../analysis/context";
import type { AnalysisContext } from "../analysis/context";
import type { Identity, WorkloadStatus } from "../analysis/model";
import { runAnalysis, type AnalysisResult, type Rollup } from "../analysis/run-analysis";
import { gsaProject, rolesOf } from "../analysis/iam";
import { parseSubject } from "../ids";
import { applyChanges } from "./apply-changes";
import type { Change } from "./changes";
import { keySafePath, gsaSafePath, type SafeStep } from "./safe-path";

/** What a workload is to Google on one side of the change. */
export type WorkloadSide = {
  /** The effective identity as tables show it (an email, a principal, `mixed`, `pending`, `unknown`). */
  identity: string;
  /** key-file | node | workload-identity | federated | … | mixed | none (gone: its pods were evicted with no place to go). */
  source: string;
  /** Migration status (migrated, federated, no-google-identity-needed, to-migrate, unknown). */
  migration: string;
  /** Whether its pods can get Google tokens: true, false, or null when the data cannot tell. */
  access: boolean | null;
  /** Why access is what it is, one line per distinct identity. */
  accessWhy: string[];
  /** The roles its identity holds (`ROLE on RESOURCE`), sorted. */
  roles: string[];
};

export type Verdict = "breaks" | "changes" | "unknown" | "unchanged";

export type AffectedWorkload = {
  subject: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  before: WorkloadSide;
  after: WorkloadSide;
  /** `breaks`: loses Google access or a role it holds; `changes`: its identity or status changes; `unknown`: the data cannot tell; `unchanged`: at stake, but keeps what it has. */
  verdict: Verdict;
  /** Why, in sentences. */
  reasons: string[];
};

/** A (rule, subject) pair whose finding opens or resolves. */
export type FindingDelta = { rule: string; subject: string; severity: string; state: string; title: string; message: string };

/** A key or account at stake, and what Policy Analyzer says of its last authentication. */
export type CredentialAtStake = {
  subject: string;
  kind: "key" | "gsa";
  email: string;
  keyId: string | null;
  /** Disabled already (in the latest scan). */
  disabled: boolean;
  /** Policy Analyzer's last authentication (day-granular), or null when none is on record. */
  lastAuthenticated: string | null;
  /** Whole days from it to the scan's clock. */
  daysSinceLastAuthentication: number | null;
  /** `recently` (within 30 days), `not-recently`, `never-on-record`, or `unknown` (Policy Analyzer did not answer for its project). */
  authenticates: "recently" | "not-recently" | "never-on-record" | "unknown";
  /** The Policy Analyzer sources that did not answer in full. */
  lacking: string[];
  /** Workloads found using it now (key files, or the account as their identity). */
  usedBy: string[];
};

/** Migration figures as the Migration page shows them. */
export type MigrationFigures = { workloads: number; migrated: number; share: number | null; percent: number | null; toMigrate: number; unknown: number };

export type WhatIfAnswer = {
  changes: Change[];
  /** `breaks` when any workload breaks; `unknown` when any cannot be told; `changes`; or `nothing-breaks`. */
  verdict: "breaks" | "unknown" | "changes" | "nothing-breaks";
  summary: string;
  workloads: AffectedWorkload[];
  findings: { opened: FindingDelta[]; resolved: FindingDelta[] };
  credentials: CredentialAtStake[];
  /** Places whose workloads cannot be told (`cluster:…`, `project:…`), with why. */
  unknown: { scope: string; reason: string }[];
  migration: {
    overall: { before: MigrationFigures; after: MigrationFigures };
    clusters: { scope: string; before: MigrationFigures; after: MigrationFigures }[];
  };
  /** For keys and accounts: disable → watch its last authentication → delete, with the rollback at each step. */
  safePaths: { subject: string; steps: SafeStep[] }[];
  /** What was analysed: the clusters and how many inventory objects. */
  slice: { clusters: string[]; records: number };
};

/** The overall figures stored with the latest scan (scan_metric), to which the slice's change is added. */
export type StoredFigures = { workloads: number; migrated: number; toMigrate: number; unknown: number };

export type WhatIfInput = {
  /** The slice of the current inventory the changes touch, with every source's status. */
  input: AnalysisInput;
  changes: Change[];
  /** Overall figures of the latest analysis; null: use the slice's own. */
  stored: StoredFigures | null;
  /** Every cluster known (subjects), to name those a key or account change cannot see into. */
  allClusters: string[];
};

const DAY = 86_400_000;

function roleList(ctx: AnalysisContext, id: Identity): string[] {
  const email = "email" in id ? id.email : null;
  if (id.type === "federated") return id.grants.map((g) => `${g.role} on ${g.resource}`);
  if (!email) return [];
  const target = id.type === "key-file" && id.impersonates ? id.impersonates : email;
  return rolesOf(ctx, target).map((r) => `${r.role} on ${r.resource}${r.condition ? ` (if ${r.condition})` : ""}`);
}

/** Whether a GSA can authenticate at all: null when its project's accounts were not read. */
function accountWorks(ctx: AnalysisContext, email: string): { ok: boolean | null; why: string } {
  const g = ctx.gsas.get(email);
  if (g) return g.data.disabled ? { ok: false, why: `${email} is disabled` } : { ok: true, why: `${email} is enabled` };
  const project = gsaProject(ctx, email);
  if (project && ctx.isProjectScanned(project) && ctx.sourceStatus("iam.serviceAccounts", project) === "ok") return { ok: false, why: `${email} does not exist` };
  // The Compute Engine default account is not always listed; a node runs as it regardless.
  return { ok: null, why: `${email}: its project's accounts were not read` };
}

function accessOf(ctx: AnalysisContext, id: Identity): { ok: boolean | null; why: string } {
  switch (id.type) {
    case "key-file": {
      if (id.keyExists === false) return { ok: false, why: `key ${id.keyId} of ${id.email} no longer exists` };
      if (id.keyExists === null || !id.email || !id.keyId) return { ok: null, why: `key ${id.keyId ?? "(unknown id)"} of ${id.email ?? "an unknown account"}: its project's keys were not read` };
      const k = ctx.keysById.get(id.keyId);
      if (k?.data.disabled) return { ok: false, why: `key ${id.keyId} of ${id.email} is disabled` };
      const acct = accountWorks(ctx, id.email);
      if (acct.ok !== true) return acct;
      if (id.impersonates) {
        const t = accountWorks(ctx, id.impersonates);
        if (t.ok !== true) return t;
      }
      return { ok: true, why: `key ${id.keyId} of ${id.email} is valid` };
    }
    case "workload-identity":
      if (id.status === "working") return { ok: true, why: `Workload Identity to ${id.email} works` };
      if (id.status === "broken") return { ok: false, why: `Workload Identity to ${id.email} is broken: ${id.reason}` };
      return { ok: null, why: `Workload Identity to ${id.email} is ${id.status}: ${id.reason}` };
    case "node": {
      const acct = accountWorks(ctx, id.email);
      return acct.ok === false ? acct : acct.ok === null ? { ok: null, why: acct.why } : { ok: true, why: `the node's account ${id.email}` };
    }
    case "federated":
      return { ok: true, why: `its own principal ${id.principal}` };
    case "external-account":
      return id.email ? accountWorks(ctx, id.email) : { ok: true, why: `federated as ${id.principal}` };
    case "credential-file":
      return { ok: true, why: `a ${id.credentialType} credential file` };
    case "pending":
      return { ok: false, why: `not running: ${id.reason}` };
    case "unknown-key-file":
      return { ok: null, why: `a credential file that cannot be resolved: ${id.reason}` };
    case "unknown":
      return { ok: null, why: id.reason };
  }
}

function sideOf(ctx: AnalysisContext, s: WorkloadStatus | undefined): WorkloadSide {
  if (!s) return { identity: "gone", source: "none", migration: "unknown", access: false, accessWhy: ["the workload is not there"], roles: [] };
  const acc = s.identity.shares.map((x) => accessOf(ctx, x.identity));
  const access = acc.some((a) => a.ok === false) ? false : acc.some((a) => a.ok === null) || acc.length === 0 ? null : true;
  const roles = [...new Set(s.identity.shares.flatMap((x) => roleList(ctx, x.identity)))].sort();
  return { identity: s.identity.label, source: s.identity.source, migration: s.migration, access, accessWhy: [...new Set(acc.map((a) => a.why))], roles };
}

/** What a workload's pods use that a change may name: keys, accounts, Secrets, KSA, pools. */
function stakesOf(s: WorkloadStatus): Set<string> {
  const out = new Set<string>([s.subject, `ksa:${s.cluster.slice(8)}/${s.namespace}/${s.ksa}`]);
  for (const p of s.nodePools) out.add(`nodepool:${s.cluster.slice(8)}/${p}`);
  for (const { identity: id } of s.identity.shares) {
    if ("email" in id && id.email) out.add(`gsa:${id.email}`);
    if (id.type === "key-file") {
      if (id.email && id.keyId) out.add(`key:${id.email}/${id.keyId}`);
      if (id.impersonates) out.add(`gsa:${id.impersonates}`);
    }
    if ("secret" in id && id.secret) out.add(id.secret);
  }
  return out;
}

function changeTargets(c: Change): string[] {
  const out: string[] = [c.subject];
  // A key's account is at stake with it (workloads acting as the account through the key).
  if (c.type === "delete-key" || c.type === "disable-key") out.push(`gsa:${c.subject.slice(4, c.subject.lastIndexOf("/"))}`);
  if (c.type === "annotate-ksa" && c.gsa) out.push(`gsa:${c.gsa}`);
  return out;
}

function figures(r: Rollup | undefined): MigrationFigures {
  if (!r) return { workloads: 0, migrated: 0, share: null, percent: null, toMigrate: 0, unknown: 0 };
  return { workloads: r.workloads, migrated: r.migrated, share: r.share, percent: r.share === null ? null : Math.round(r.share * 1000) / 10, toMigrate: r.byStatus["to-migrate"], unknown: r.byStatus.unknown };
}

function fromCounts(workloads: number, migrated: number, toMigrate: number, unknown: number): MigrationFigures {
  const share = workloads ? migrated / workloads : null;
  return { workloads, migrated, share, percent: share === null ? null : Math.round(share * 1000) / 10, toMigrate, unknown };
}

const findingKey = (f: { rule: string; subject: string }) => `${f.rule}|${f.subject}`;

function delta(f: AnalysisResult["findings"][number]): FindingDelta {
  return { rule: f.rule, subject: f.subject, severity: f.severity, state: f.state, title: f.title, message: f.message };
}

function verdictOf(before: WorkloadSide, after: WorkloadSide): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  if (before.access !== false && after.access === false) {
    reasons.push(`loses Google access: ${after.accessWhy.join("; ")}`);
    return { verdict: "breaks", reasons };
  }
  const lost = before.roles.filter((r) => !after.roles.includes(r));
  if (lost.length && before.access !== false && after.access !== null) {
    reasons.push(`loses ${lost.length === 1 ? "a role it holds" : `${lost.length} roles it holds`}: ${lost.join(", ")}`);
    if (before.identity !== after.identity) reasons.push(`identity changes from ${before.identity} to ${after.identity}`);
    return { verdict: "breaks", reasons };
  }
  if (after.access === null && (before.access !== null || before.identity !== after.identity || before.migration !== after.migration)) {
    reasons.push(`cannot be told: ${after.accessWhy.join("; ")}`);
    return { verdict: "unknown", reasons };
  }
  if (before.identity !== after.identity) reasons.push(`identity changes from ${before.identity} to ${after.identity}`);
  if (before.migration !== after.migration) reasons.push(`migration status ${before.migration} → ${after.migration}`);
  if (before.access === false && after.access === true) reasons.push("gains Google access");
  const gained = after.roles.filter((r) => !before.roles.includes(r));
  if (gained.length) reasons.push(`gains ${gained.join(", ")}`);
  if (reasons.length) return { verdict: "changes", reasons };
  if (after.access === null) return { verdict: "unknown", reasons: [`cannot be told: ${after.accessWhy.join("; ")}`] };
  return { verdict: "unchanged", reasons: ["keeps its identity, access and roles"] };
}

/** Where the data cannot tell whether a key or account is in use: clusters whose Secrets, pods or workloads were not read in full. */
function blindClusters(ctx: AnalysisContext, clusters: string[], what: string): { scope: string; reason: string }[] {
  const out: { scope: string; reason: string }[] = [];
  for (const c of clusters) {
    const lacking = ctx.k8sLacking(c, "secrets", "pods");
    if (lacking.length) out.push({ scope: c, reason: `${lacking.join(", ")} not read in full: its workloads may use ${what}` });
  }
  return out;
}

export function answerWhatIf({ input, changes, stored, allClusters }: WhatIfInput): WhatIfAnswer {
  const before = runAnalysis(input);
  const after = runAnalysis({ ...input, records: applyChanges(input.records, changes) });
  const bctx = before.context;
  const actx = after.context;

  // ---- workloads
  const targets = new Set(changes.flatMap(changeTargets));
  const beforeBy = new Map(before.statuses.map((s) => [s.subject, s]));
  const afterBy = new Map(after.statuses.map((s) => [s.subject, s]));
  const workloads: AffectedWorkload[] = [];
  const deletedSecrets = new Set(changes.flatMap((c) => (c.type === "delete-secret" ? [c.subject] : [])));
  const keyOrAccountChange = changes.some((c) => ["delete-key", "disable-key", "disable-gsa", "delete-gsa", "remove-binding", "remove-role"].includes(c.type));
  for (const subject of new Set([...beforeBy.keys(), ...afterBy.keys()])) {
    const b = beforeBy.get(subject);
    const a = afterBy.get(subject);
    const s = (b ?? a)!;
    const bs = sideOf(bctx, b);
    const as = sideOf(actx, a);
    const same = bs.identity === as.identity && bs.migration === as.migration && bs.access === as.access && bs.roles.join("\n") === as.roles.join("\n");
    const stakes = stakesOf(s);
    const atStake = [...stakes].some((x) => targets.has(x)) || (a ? [...stakesOf(a)].some((x) => targets.has(x)) : false);
    // A workload whose credentials cannot be told may be using the key or account at stake.
    const blind = keyOrAccountChange && bs.access === null && s.identity.shares.some((x) => x.identity.type === "unknown-key-file" || x.identity.type === "unknown");
    if (same && !atStake && !blind) continue;
    let v = verdictOf(bs, as);
    // A deleted Secret the pods read their key from: new pods cannot start (their volume's Secret is
    // missing) and running ones lose the key at their next restart — whatever the rescan can tell of the file.
    const goneSecrets = b ? b.identity.shares.flatMap((x) => ("secret" in x.identity && deletedSecrets.has(x.identity.secret) ? [x.identity.secret] : [])) : [];
    if (goneSecrets.length && v.verdict !== "breaks") v = { verdict: "breaks", reasons: [`its pods read their credentials from ${[...new Set(goneSecrets)].join(", ")}, which the change deletes: new pods cannot start and running ones lose the file at their next restart`, ...v.reasons.filter((r) => !r.startsWith("cannot be told"))] };
    if (v.verdict === "unchanged" && blind) v = { verdict: "unknown", reasons: [`its credentials cannot be told (${bs.accessWhy.join("; ")}): it may use what the change removes`] };
    workloads.push({ subject, cluster: s.cluster, namespace: s.namespace, kind: s.kind, name: s.name, before: bs, after: as, ...v });
  }
  const order: Record<Verdict, number> = { breaks: 0, unknown: 1, changes: 2, unchanged: 3 };
  workloads.sort((x, y) => order[x.verdict] - order[y.verdict] || (x.subject < y.subject ? -1 : 1));

  // ---- findings
  const bf = new Map(before.findings.map((f) => [findingKey(f), f]));
  const af = new Map(after.findings.map((f) => [findingKey(f), f]));
  const opened = after.findings.filter((f) => !bf.has(findingKey(f))).map(delta);
  const resolved = before.findings.filter((f) => !af.has(findingKey(f))).map(delta);

  // ---- keys and accounts at stake
  const credentials: CredentialAtStake[] = [];
  const safePaths: { subject: string; steps: SafeStep[] }[] = [];
  const usedBy = (pred: (id: Identity) => boolean) => before.statuses.filter((s) => s.identity.shares.some((x) => pred(x.identity))).map((s) => s.subject);
  const authOf = (last: string | null, lacking: string[]) => {
    const days = last ? Math.floor((bctx.now.getTime() - Date.parse(last)) / DAY) : null;
    const authenticates: CredentialAtStake["authenticates"] = lacking.length ? "unknown" : last === null ? "never-on-record" : days! <= 30 ? "recently" : "not-recently";
    return { lastAuthenticated: last, daysSinceLastAuthentication: days, authenticates, lacking };
  };
  const seen = new Set<string>();
  for (const c of changes) {
    if ((c.type === "delete-key" || c.type === "disable-key") && !seen.has(c.subject)) {
      seen.add(c.subject);
      const k = [...bctx.keysById.values()].find((x) => x.subject === c.subject);
      if (!k) continue;
      const lacking = bctx.lacking(["policyanalyzer.serviceAccountKeyLastAuthentication", k.data.projectId]);
      credentials.push({
        subject: k.subject,
        kind: "key",
        email: k.data.email,
        keyId: k.data.keyId,
        disabled: k.data.disabled,
        ...authOf(bctx.keyActivity.get(k.data.keyId) ?? null, lacking),
        usedBy: usedBy((id) => id.type === "key-file" && id.keyId === k.data.keyId),
      });
      safePaths.push({ subject: k.subject, steps: keySafePath(k.data) });
    }
    if ((c.type === "delete-gsa" || c.type === "disable-gsa") && !seen.has(c.subject)) {
      seen.add(c.subject);
      const g = bctx.gsas.get(c.subject.slice(4));
      if (!g) continue;
      const lacking = bctx.lacking(["policyanalyzer.serviceAccountLastAuthentication", g.data.projectId]);
      credentials.push({
        subject: g.subject,
        kind: "gsa",
        email: g.data.email,
        keyId: null,
        disabled: g.data.disabled,
        ...authOf(bctx.gsaActivity.get(g.data.email) ?? null, lacking),
        usedBy: usedBy((id) => ("email" in id && id.email === g.data.email) || (id.type === "key-file" && id.impersonates === g.data.email)),
      });
      for (const k of bctx.keysByEmail.get(g.data.email) ?? []) {
        if (k.data.keyType !== "USER_MANAGED") continue;
        const kl = bctx.lacking(["policyanalyzer.serviceAccountKeyLastAuthentication", k.data.projectId]);
        credentials.push({ subject: k.subject, kind: "key", email: k.data.email, keyId: k.data.keyId, disabled: k.data.disabled, ...authOf(bctx.keyActivity.get(k.data.keyId) ?? null, kl), usedBy: usedBy((id) => id.type === "key-file" && id.keyId === k.data.keyId) });
      }
      safePaths.push({ subject: g.subject, steps: gsaSafePath(g.data) });
    }
  }

  // ---- where the data cannot tell
  const unknown: { scope: string; reason: string }[] = [];
  for (const c of changes) {
    const p = parseSubject(c.subject);
    if (!p) continue;
    if (c.type === "delete-key" || c.type === "disable-key" || c.type === "delete-gsa" || c.type === "disable-gsa") {
      // A key file may sit in any cluster's Secrets; an account may be any cluster's annotation.
      unknown.push(...blindClusters(bctx, allClusters, c.subject));
      if (c.type === "delete-gsa" || c.type === "disable-gsa") {
        for (const pool of bctx.clustersByPool.keys()) {
          for (const l of bctx.poolScope(pool).lacking) if (l.startsWith("fleet member ") || l.startsWith("project ")) unknown.push({ scope: pool, reason: `${l}: its workloads may act as ${c.subject.slice(4)}` });
        }
      }
    }
    if (c.type === "remove-binding" || c.type === "remove-role" || c.type === "add-binding") {
      const m = /^serviceAccount:([a-z0-9.-]+\.svc\.id\.goog)\[/.exec(c.member) ?? /workloadIdentityPools\/([^/]+)\//.exec(c.member);
      if (m) for (const l of bctx.poolScope(m[1]).lacking) unknown.push({ scope: m[1], reason: `${l}: the member's workloads there cannot be told` });
    }
  }
  const uniq = new Map(unknown.map((u) => [`${u.scope}|${u.reason}`, u]));

  // ---- migration figures: the slice holds whole clusters, so the overall figure moves by the slice's change
  const bo = before.rollups.find((r) => r.scope === "overall");
  const ao = after.rollups.find((r) => r.scope === "overall");
  const fb = figures(bo);
  const fa = figures(ao);
  const base = stored ?? { workloads: fb.workloads, migrated: fb.migrated, toMigrate: fb.toMigrate, unknown: fb.unknown };
  const overall = {
    before: fromCounts(base.workloads, base.migrated, base.toMigrate, base.unknown),
    after: fromCounts(base.workloads + fa.workloads - fb.workloads, base.migrated + fa.migrated - fb.migrated, base.toMigrate + fa.toMigrate - fb.toMigrate, base.unknown + fa.unknown - fb.unknown),
  };
  const clusterScopes = [...new Set(workloads.map((w) => w.cluster))].sort();
  const clusters = clusterScopes.map((scope) => ({ scope, before: figures(before.rollups.find((r) => r.scope === scope)), after: figures(after.rollups.find((r) => r.scope === scope)) }));

  const breaks = workloads.filter((w) => w.verdict === "breaks").length;
  const unknowns = workloads.filter((w) => w.verdict === "unknown").length;
  const changed = workloads.filter((w) => w.verdict === "changes").length;
  const verdict = breaks ? "breaks" : unknowns || uniq.size ? "unknown" : changed ? "changes" : "nothing-breaks";
  const parts = [
    breaks ? `${breaks} workload${breaks === 1 ? "" : "s"} break${breaks === 1 ? "s" : ""}` : null,
    unknowns ? `${unknowns} cannot be told` : null,
    changed ? `${changed} change${changed === 1 ? "s" : ""} identity or status` : null,
    uniq.size ? `${uniq.size} place${uniq.size === 1 ? "" : "s"} the scan could not see into` : null,
    `${opened.length} finding${opened.length === 1 ? "" : "s"} open, ${resolved.length} resolve${resolved.length === 1 ? "s" : ""}`,
    overall.before.percent !== null ? `migration ${overall.before.percent}% → ${overall.after.percent}%` : null,
  ].filter(Boolean);
  const summary = verdict === "nothing-breaks" ? `Nothing found that breaks: ${parts.join("; ")}.` : `${parts.join("; ")}.`;

  return {
    changes,
    verdict,
    summary: summary.charAt(0).toUpperCase() + summary.slice(1),
    workloads,
    findings: { opened, resolved },
    credentials,
    unknown: [...uniq.values()],
    migration: { overall, clusters },
    safePaths,
    slice: { clusters: [...bctx.clusters.keys()].filter((c) => (bctx.podsByCluster().get(c)?.length ?? 0) > 0 || (bctx.ksasByCluster.get(c)?.length ?? 0) > 0).sort(), records: input.records.length },
  };
}
