/**
 * Everything the cluster page answers — "is this cluster migrated, what is left?" — read from the
 * latest analysis: its share done (the same `scan_metric` figures the Overview and Migration pages
 * show, through `migrationProgress`), the eight steps as a checklist (folded from the stored
 * workload statuses by lib/analysis/cluster-checklist.ts), the legacy node pools with the workloads
 * still on them, findings by rule, and each node pool's and namespace's own progress.
 *
 * Sources of this cluster that failed in the last applied scan are returned with the figures they
 * make unknown, so the page can say "unknown (source failed)" instead of a zero.
 */
import type { Db } from "./db";
import { migrationProgress } from "./queries";
import { clusterChecklist, progressOf, type ChecklistPool, type ChecklistStep, type ChecklistWorkload } from "../analysis/cluster-checklist";
import { SEVERITY_ORDER } from "../analysis/model";
import { isSystemNamespace } from "../analysis/context";

const WORKLOAD_FAMILIES = ["k8s.deployments", "k8s.statefulsets", "k8s.daemonsets", "k8s.cronjobs", "k8s.jobs", "k8s.replicasets", "k8s.pods"];

export type ScopeProgress = {
  /** Counted workloads (GKE-managed namespaces excluded, as in every roll-up). */
  workloads: number;
  /** Done: off every legacy path. */
  migrated: number;
  toMigrate: number;
  unknown: number;
  /** migrated / workloads, null with no workloads. */
  share: number | null;
};

export type ClusterOverview = {
  subject: string;
  /** The analysed scan the figures come from (null before the first analysis). */
  scanId: number | null;
  cluster: { name: string; location: string; projectId: string; workloadPool: string | null; autopilot: boolean };
  /** The cluster's roll-up from `scan_metric` (as on the Migration page), or null before any analysis. */
  progress: (ScopeProgress & { keyFileWorkloads: number; nodeIdentityWorkloads: number; keysInSecrets: number }) | null;
  /** Figures the failed sources make unknown: `share` (workloads or pods unread), `keysInSecrets`, `legacyPools`. */
  unknownFigures: string[];
  /** This cluster's sources (and its project's cluster listing) that failed or answered in part in the last applied scan. */
  failedSources: { source: string; family: string; status: string; error: string | null }[];
  steps: ChecklistStep[];
  legacyPools: { subject: string; name: string; serviceAccount: string | null; metadataMode: string | null; pods: number; workloads: { subject: string; migration: string }[] }[];
  /** Findings on this cluster's objects by rule, with counts by severity; open and unverified ones (suppressed ones apart). */
  findingsByRule: { rule: string; title: string; severity: string; open: number; unverified: number; suppressed: number }[];
  nodePools: (ScopeProgress & { subject: string; name: string; servesGkeMetadata: boolean; pods: number })[];
  namespaces: (ScopeProgress & { subject: string; name: string; system: boolean })[];
};

type Row = Record<string, unknown>;

/** The overview of one cluster, or null when no such cluster is in the inventory. */
export async function clusterOverview(db: Db, subject: string, opts: { limit?: number } = {}): Promise<ClusterOverview | null> {
  const q = <T = Row>(text: string, values: unknown[]) => db.pool.query(text, values).then((r) => r.rows as T[]);
  const [cluster] = await q<{ data: Row }>(`select data from inventory_object where kind = 'cluster' and valid_to is null and subject = $1`, [subject]);
  if (!cluster) return null;
  const path = subject.slice("cluster:".length);
  const c = cluster.data;
  const facts = {
    name: String(c.name),
    location: String(c.location),
    projectId: String(c.projectId),
    workloadPool: (c.workloadPool as string | null) ?? null,
    autopilot: c.autopilot === true,
  };
  const [progressAll, statusRows, poolRows, nsRows, findingRows, failed] = await Promise.all([
    migrationProgress(db),
    q<{ data: ChecklistWorkload }>(`select data from analysis_object where kind = 'workload-status' and valid_to is null and cluster = $1 order by subject`, [subject]),
    q<ChecklistPool>(
      `select o.subject, o.data->>'name' as name, coalesce((o.data->>'servesGkeMetadata')::boolean, false) as "servesGkeMetadata",
         o.data->>'serviceAccount' as "serviceAccount", o.data->>'metadataMode' as "metadataMode",
         (select count(*)::int from inventory_object p where p.kind = 'pod' and p.valid_to is null and p.cluster = o.cluster
            and p.data->'spec'->>'nodeName' in (select n.data->>'name' from inventory_object n where n.kind = 'node' and n.valid_to is null and n.cluster = o.cluster and n.data->>'pool' = o.data->>'name')) as pods
       from inventory_object o where o.kind = 'nodepool' and o.valid_to is null and o.cluster = $1 order by o.subject`,
      [subject],
    ),
    q<{ subject: string; name: string }>(`select subject, data->>'name' as name from inventory_object where kind = 'namespace' and valid_to is null and cluster = $1 order by subject`, [subject]),
    q<{ rule: string; title: string; severity: string; state: string; n: number }>(
      `select o.rule, min(o.data->>'title') as title, o.severity,
         (case when exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now())) then 'suppressed' else o.state end) as state,
         count(*)::int as n
       from analysis_object o where o.kind = 'finding' and o.valid_to is null and o.cluster = $1 group by o.rule, o.severity, 4`,
      [subject],
    ),
    // The last applied scan's outcome for this cluster's Kubernetes sources and its project's cluster listing.
    q<{ source: string; family: string; status: string; error: string | null }>(
      `select source, family, status, error from scan_source
       where scan_id = (select max(id) from scan where status in ('succeeded', 'partial'))
         and status in ('failed', 'partial')
         and ((family like 'k8s.%' and scope = $1) or (family in ('container.clusters', 'gkehub.memberships') and scope = $2))
       order by source`,
      [path, facts.projectId],
    ),
  ]);
  const workloads = statusRows.map((r) => r.data);
  const failedFamilies = [...new Set(failed.map((f) => f.family))];
  const steps = clusterChecklist({ cluster: { subject, workloadPool: facts.workloadPool, autopilot: facts.autopilot }, workloads, pools: poolRows, failedFamilies, limit: opts.limit });

  const scope = progressAll.scopes.find((s) => s.scope === subject) as Record<string, number> | undefined;
  const progress = scope
    ? {
        workloads: scope.workloads ?? 0,
        migrated: scope.migrated ?? 0,
        toMigrate: scope.to_migrate ?? 0,
        unknown: scope.migration_unknown ?? 0,
        share: scope.share_migrated ?? null,
        keyFileWorkloads: scope.key_file_workloads ?? 0,
        nodeIdentityWorkloads: scope.node_identity_workloads ?? 0,
        keysInSecrets: scope.keys_in_secrets ?? 0,
      }
    : null;
  const unknownFigures: string[] = [];
  if (failedFamilies.some((f) => WORKLOAD_FAMILIES.includes(f))) unknownFigures.push("share");
  if (failedFamilies.includes("k8s.secrets")) unknownFigures.push("keysInSecrets");
  if (failedFamilies.some((f) => ["container.clusters", "k8s.pods", "k8s.nodes"].includes(f))) unknownFigures.push("legacyPools");

  const bySubject = new Map(workloads.map((w) => [w.subject, w]));
  const legacyPools = progressAll.legacyPools
    .filter((p: Row) => p.cluster === subject)
    .map((p: Row) => {
      const name = String(p.name);
      return {
        subject: String(p.subject),
        name,
        serviceAccount: (p.serviceAccount as string | null) ?? null,
        metadataMode: (p.metadataMode as string | null) ?? null,
        pods: Number(p.pods),
        workloads: workloads.filter((w) => !w.system && w.nodePools.includes(name)).map((w) => ({ subject: w.subject, migration: bySubject.get(w.subject)!.migration })),
      };
    });

  const findings = new Map<string, ClusterOverview["findingsByRule"][number]>();
  for (const f of findingRows) {
    const key = `${f.rule}|${f.severity}`;
    const e = findings.get(key) ?? { rule: f.rule, title: f.title, severity: f.severity, open: 0, unverified: 0, suppressed: 0 };
    if (f.state === "open" || f.state === "unverified" || f.state === "suppressed") e[f.state] += f.n;
    findings.set(key, e);
  }
  const sev = (s: string) => SEVERITY_ORDER.indexOf(s as (typeof SEVERITY_ORDER)[number]);
  const findingsByRule = [...findings.values()].sort((a, b) => sev(a.severity) - sev(b.severity) || b.open - a.open || (a.rule < b.rule ? -1 : 1));

  const nodePools = poolRows.map((p) => ({ subject: p.subject, name: p.name, servesGkeMetadata: p.servesGkeMetadata, pods: p.pods, ...progressOf(workloads.filter((w) => w.nodePools.includes(p.name))) }));
  const nsNames = new Set([...nsRows.map((n) => n.name), ...workloads.map((w) => w.namespace)]);
  const namespaces = [...nsNames].sort().map((name) => {
    const inNs = workloads.filter((w) => w.namespace === name);
    return {
      subject: `namespace:${path}/${name}`,
      name,
      system: isSystemNamespace(name),
      ...progressOf(inNs),
    };
  });

  return { subject, scanId: progressAll.scanId, cluster: facts, progress, unknownFigures, failedSources: failed, steps, legacyPools, findingsByRule, nodePools, namespaces };
}
