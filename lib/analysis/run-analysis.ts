/**
 * The whole analysis, pure: an AnalysisInput in, every workload's status, the binding reconciliation,
 * GSA usage and scores, the findings, and the migration roll-ups out. No database, no network.
 */
import { credentialClass } from "../inventory/secret-credentials";
import { AnalysisContext, type AnalysisInput } from "./context";
import type { BindingRow, Finding, Fix, GsaUsage, MigrationStatus, WorkloadStatus } from "./model";
import { MIGRATION_STATUSES, SEVERITY_ORDER } from "./model";
import { isKeyish, nodeFacts, workloadIdentity } from "./identity";
import { workloadStatus } from "./migration";
import { reconcileBindings } from "./bindings";
import { usageOf } from "./split";
import { gsaUsers, type GsaUser } from "./gsa-users";
import { RULES } from "./rules";
import type { RuleContext } from "./rules/rule";
import { migrationPlan } from "./plan";

export type Rollup = {
  /** `overall`, `project:ID` or `cluster:P/L/N`. */
  scope: string;
  workloads: number;
  /** Workloads done: off every legacy path (`migrated`, `federated` or `no-google-identity-needed`). */
  migrated: number;
  /** Share done, 0–1 (null with no workloads): 1 − the share still on a legacy path or unknown. */
  share: number | null;
  /** Workloads by migration status (every status present, zeros included). */
  byStatus: Record<MigrationStatus, number>;
  keyFileWorkloads: number;
  nodeIdentityWorkloads: number;
  /** Legacy node pools and how many pods still run there (step 8: delete a pool once it is empty). */
  legacyPools: { pool: string; pods: number }[];
  userManagedKeys: number;
  keysInSecrets: number;
  findings: Record<string, number>;
};

export type AnalysisResult = {
  context: AnalysisContext;
  statuses: WorkloadStatus[];
  bindings: BindingRow[];
  usage: GsaUsage[];
  /** Who uses each GSA, by any path (the GSA page, its audit and the workloads table's `gsa=` read it). */
  gsaUsers: GsaUser[];
  findings: Finding[];
  rollups: Rollup[];
  /**
   * With `deferFixes`, each status's `plan` is left empty and made by this when its row is written
   * (lib/analysis/analyze-scan.ts): nothing else reads a plan, and an org-l's 20,306 plans are 38 MiB
   * of JSON whose objects, made up front, lived through the whole write — copied out of the young
   * generation and marked by every full collection.
   */
  planOf?: (st: WorkloadStatus) => Fix[];
  /** With `deferFixes`, a finding's fixes where its rule gave a function for them (its `fixes` is then empty); as planOf. */
  fixesOf?: (f: Finding) => Fix[];
};

function columnsOf(subject: string): { project: string | null; cluster: string | null; namespace: string | null } {
  const i = subject.indexOf(":");
  const kind = subject.slice(0, i);
  const parts = subject.slice(i + 1).split("/");
  if (["cluster", "nodepool", "namespace", "ksa", "workload", "pod", "secret", "node"].includes(kind)) {
    return { project: parts[0], cluster: `cluster:${parts.slice(0, 3).join("/")}`, namespace: ["namespace", "ksa", "workload", "pod", "secret"].includes(kind) ? parts[3] : null };
  }
  if (kind === "project") return { project: parts[0], cluster: null, namespace: null };
  if (kind === "key" || kind === "gsa") {
    const m = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com/.exec(subject);
    return { project: m?.[1] ?? null, cluster: null, namespace: null };
  }
  return { project: null, cluster: null, namespace: null };
}

/**
 * `deferFixes` (a scan's analysis): plans and the fixes a rule gives as a function are left out of the
 * result's objects and made by `planOf` / `fixesOf` as each row is written (see AnalysisResult).
 */
export function runAnalysis(input: AnalysisInput, opts: { deferFixes?: boolean } = {}): AnalysisResult {
  const ctx = new AnalysisContext(input);
  // With deferFixes, what makes a status's plan or a finding's fixes. Weak: a status or finding
  // released by the row stream takes its entry with it.
  const deferred = new WeakMap<WorkloadStatus | Finding, () => Fix[]>();
  const statuses = ctx.workloads.map((w) => {
    const st = workloadStatus(ctx, w, workloadIdentity(ctx, w));
    if (opts.deferFixes) deferred.set(st, () => migrationPlan(ctx, w, st));
    else st.plan = migrationPlan(ctx, w, st);
    return st;
  });
  const statusMap = new Map(statuses.map((s) => [s.subject, s]));
  const bindings = reconcileBindings(ctx);
  const usage = usageOf(ctx);
  const rc: RuleContext = { ctx, statuses: statusMap, bindings, usage: new Map(usage.map((u) => [u.email, u])) };
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const seen = new Set<string>();
    for (const d of rule.evaluate(rc)) {
      if (seen.has(d.subject)) continue; // one finding per rule and subject
      seen.add(d.subject);
      const cols = columnsOf(d.subject);
      const makeFixes = typeof d.fixes === "function" ? d.fixes : undefined;
      const f: Finding = {
        ...d,
        fixes: !makeFixes ? (d.fixes as Fix[]) : opts.deferFixes ? [] : makeFixes(),
        rule: rule.id,
        // A rule may grade its findings (workload-default-ksa: low while nothing is handed out).
        severity: d.severity ?? rule.severity,
        title: rule.title,
        project: d.project ?? cols.project,
        cluster: d.cluster ?? cols.cluster,
        namespace: d.namespace ?? cols.namespace,
        gsa: d.gsa ?? (d.subject.startsWith("gsa:") ? d.subject.slice(4) : d.subject.startsWith("key:") ? d.subject.slice(4, d.subject.lastIndexOf("/")) : null),
        lacking: d.lacking?.length ? d.lacking : undefined,
      };
      if (makeFixes && opts.deferFixes) deferred.set(f, makeFixes);
      findings.push(f);
    }
  }
  findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.subject < b.subject ? -1 : 1));
  const made = opts.deferFixes ? { planOf: (st: WorkloadStatus) => deferred.get(st)?.() ?? st.plan, fixesOf: (f: Finding) => deferred.get(f)?.() ?? f.fixes } : {};
  return { context: ctx, statuses, bindings, usage, gsaUsers: gsaUsers(ctx, statuses, bindings), findings, rollups: rollups(ctx, statuses, findings), ...made };
}

function rollups(ctx: AnalysisContext, statuses: WorkloadStatus[], findings: Finding[]): Rollup[] {
  const scopes = new Map<string, Rollup>();
  const get = (scope: string) => {
    let r = scopes.get(scope);
    if (!r) {
      r = { scope, workloads: 0, migrated: 0, share: null, byStatus: Object.fromEntries(MIGRATION_STATUSES.map((m) => [m, 0])) as Record<MigrationStatus, number>, keyFileWorkloads: 0, nodeIdentityWorkloads: 0, legacyPools: [], userManagedKeys: 0, keysInSecrets: 0, findings: {} };
      scopes.set(scope, r);
    }
    return r;
  };
  get("overall");
  for (const c of ctx.clusters.values()) {
    get(`project:${c.data.projectId}`);
    get(c.subject);
  }
  for (const s of statuses) {
    if (s.system) continue;
    for (const scope of ["overall", `project:${s.project}`, s.cluster]) {
      const r = get(scope);
      r.workloads++;
      if (s.migrated) r.migrated++;
      r.byStatus[s.migration]++;
      if (s.identity.shares.some((x) => isKeyish(x.identity))) r.keyFileWorkloads++;
      if (s.identity.shares.some((x) => x.identity.type === "node")) r.nodeIdentityWorkloads++;
    }
  }
  for (const c of ctx.clusters.values()) {
    for (const p of ctx.poolsOf(c.subject)) {
      if (p.data.servesGkeMetadata) continue;
      const pods = (ctx.podsByCluster().get(c.subject) ?? []).filter((x) => x.data.spec.nodeName && nodeFacts(ctx, c.subject, x.data.spec.nodeName).poolName === p.data.name).length;
      for (const scope of ["overall", `project:${c.data.projectId}`, c.subject]) get(scope).legacyPools.push({ pool: p.subject, pods });
    }
  }
  for (const [email, keys] of ctx.keysByEmail) {
    const n = keys.filter((k) => k.data.keyType === "USER_MANAGED").length;
    get("overall").userManagedKeys += n;
    const proj = keys[0]?.data.projectId;
    if (proj) get(`project:${proj}`).userManagedKeys += n;
    void email;
  }
  for (const s of ctx.secrets.values()) {
    const n = s.data.credentials.filter((c) => c.keyId && credentialClass(c) === "key").length;
    if (!n) continue;
    for (const scope of ["overall", `project:${s.project}`, s.cluster!]) get(scope).keysInSecrets += n;
  }
  for (const f of findings) {
    if (f.state !== "open") continue;
    const scopesOf = ["overall", ...(f.project ? [`project:${f.project}`] : []), ...(f.cluster ? [f.cluster] : [])];
    for (const scope of scopesOf) {
      const r = scopes.get(scope);
      if (r) r.findings[f.severity] = (r.findings[f.severity] ?? 0) + 1;
    }
  }
  for (const r of scopes.values()) r.share = r.workloads ? r.migrated / r.workloads : null;
  return [...scopes.values()].sort((a, b) => (a.scope === "overall" ? -1 : b.scope === "overall" ? 1 : a.scope < b.scope ? -1 : 1));
}
