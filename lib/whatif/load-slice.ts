/**
 * Reads the slice of the current inventory a list of changes touches — never the whole estate — and
 * what every source did, as an AnalysisInput for the what-if engine.
 *
 * The slice holds whole clusters (a workload's identity depends on its pods, nodes, pools, KSA,
 * Secrets and ConfigMaps, and the migration figures are per cluster): the clusters of the subjects
 * changed, and every cluster that uses an account at stake (a KSA annotated with it, a Secret holding
 * its key, a node pool running as it) or whose workload pool a changed binding names. On the Google
 * side it holds the organisation tree, project/folder/organization policies, custom roles, deny
 * policies and fleet memberships (all small), and — of the thousands of service accounts — only those
 * the slice's clusters and the changes name, with their keys, own policies and Policy Analyzer dates.
 * Clusters outside the slice keep their cluster record (pools and fleets still resolve), not their
 * contents: a finding that depends on them reads the same before and after the change.
 */
import type pg from "pg";
import type { InventoryRecord } from "../inventory/model";
import type { AnalysisInput, SourceStatus } from "../analysis/context";
import { clusterOfSubject, parseSubject } from "../ids";
import type { Change } from "./changes";
import type { StoredFigures } from "./engine";

type Q = pg.Pool | pg.PoolClient;

export type Slice = {
  input: AnalysisInput;
  /** The latest applied scan. */
  scanId: number;
  stored: StoredFigures | null;
  allClusters: string[];
  /** Clusters whose contents were read. */
  clusters: string[];
};

/** No scan has been applied yet: nothing to ask about. */
export class NoScanError extends Error {}

const WI_POOL = /^serviceAccount:([a-z0-9.-]+\.svc\.id\.goog)\[|workloadIdentityPools\/([^/]+)\/|^principalSet:\/\/[^ ]*\/([a-z0-9.-]+\.svc\.id\.goog)\//;

function emailOf(subject: string): string | null {
  const p = parseSubject(subject);
  if (!p) return null;
  if (p.kind === "gsa") return p.id.toLowerCase();
  if (p.kind === "key") return p.id.slice(0, p.id.lastIndexOf("/")).toLowerCase();
  return null;
}

/** What the changes name: clusters directly, accounts, workload pools. */
function seeds(changes: Change[]) {
  const clusters = new Set<string>();
  const emails = new Set<string>();
  const pools = new Set<string>();
  const add = (s: string | undefined) => {
    if (!s) return;
    const c = clusterOfSubject(s);
    if (c) clusters.add(c);
    const e = emailOf(s);
    if (e) emails.add(e);
  };
  for (const c of changes) {
    add(c.subject);
    if (c.type === "move-workload") {
      add(c.pool);
      add(c.ksa);
    }
    if (c.type === "annotate-ksa" && c.gsa) emails.add(c.gsa.toLowerCase());
    if (c.type === "remove-binding" || c.type === "add-binding" || c.type === "remove-role") {
      const m = WI_POOL.exec(c.member);
      const pool = m?.[1] ?? m?.[2] ?? m?.[3];
      if (pool) pools.add(pool);
      const sa = /^serviceAccount:([^[\]\s]+@[^[\]\s]+)$/.exec(c.member);
      if (sa) emails.add(sa[1].toLowerCase());
    }
  }
  return { clusters, emails, pools };
}

/** The source statuses as the latest applied scan left them (as loadAnalysisInput reads them). */
export async function sourcesOf(q: Q, scanId: number): Promise<Map<string, Exclude<SourceStatus, "missing">>> {
  const states = await q.query<{ source: string; last_scan_id: number; last_status: string }>(`select source, last_scan_id, last_status from source_state where retired_scan_id is null`);
  const sources = new Map<string, Exclude<SourceStatus, "missing">>();
  for (const s of states.rows) sources.set(s.source, s.last_scan_id === scanId ? (s.last_status as Exclude<SourceStatus, "missing">) : "skipped");
  return sources;
}

export async function loadSlice(q: Q, changes: Change[]): Promise<Slice> {
  const scan = (await q.query<{ id: number; clock: Date | null; started_at: Date }>(`select id, clock, started_at from scan where status in ('succeeded','partial') order by id desc limit 1`)).rows[0];
  if (!scan) throw new NoScanError("No scan has finished yet: there is no inventory to ask about");
  const now = scan.clock ?? scan.started_at;
  const { clusters, emails, pools } = seeds(changes);

  // In-cluster subjects changed: their own references to accounts are at stake too (an annotation, a key in a Secret, a pool's account).
  const inCluster = changes.map((c) => c.subject).filter((s) => clusterOfSubject(s));
  if (inCluster.length) {
    const r = await q.query<{ e: string | null }>(
      `select lower(btrim(data->>'gsaAnnotation')) as e from inventory_object where valid_to is null and kind = 'ksa' and subject = any($1)
       union select lower(c->>'clientEmail') from inventory_object o, jsonb_array_elements(coalesce(o.data->'credentials','[]'::jsonb)) c where o.valid_to is null and o.kind = 'secret' and o.subject = any($1)
       union select lower(data->>'serviceAccount') from inventory_object where valid_to is null and kind = 'nodepool' and subject = any($1)`,
      [inCluster],
    );
    for (const x of r.rows) if (x.e) emails.add(x.e);
  }

  // Clusters using an account at stake, and those of the pools its own policy grants to.
  if (emails.size) {
    const list = [...emails];
    const r = await q.query<{ cluster: string }>(
      `select distinct cluster from inventory_object where valid_to is null and kind = 'ksa' and lower(btrim(data->>'gsaAnnotation')) = any($1)
       union select distinct o.cluster from inventory_object o where o.valid_to is null and o.kind in ('secret','configmap')
          and exists (select 1 from jsonb_array_elements(coalesce(o.data->'credentials','[]'::jsonb)) c where lower(c->>'clientEmail') = any($1) or lower(c->>'impersonates') = any($1))
       union select distinct cluster from inventory_object where valid_to is null and kind = 'nodepool' and lower(data->>'serviceAccount') = any($1)`,
      [list],
    );
    for (const x of r.rows) if (x.cluster) clusters.add(x.cluster);
    const pol = await q.query<{ member: string }>(
      `select distinct m as member from inventory_object o, jsonb_array_elements(o.data->'bindings') b, jsonb_array_elements_text(b->'members') m
        where o.valid_to is null and o.kind = 'iam-policy' and o.subject = any($1)`,
      [list.map((e) => `gsa:${e}`)],
    );
    for (const x of pol.rows) {
      const m = WI_POOL.exec(x.member);
      const pool = m?.[1] ?? m?.[2] ?? m?.[3];
      if (pool) pools.add(pool);
    }
  }
  if (pools.size) {
    const r = await q.query<{ subject: string }>(`select subject from inventory_object where valid_to is null and kind = 'cluster' and data->>'workloadPool' = any($1)`, [[...pools]]);
    for (const x of r.rows) clusters.add(x.subject);
  }
  const clusterList = [...clusters].sort();

  // Every object of the slice's clusters, the organisation tree and policies above projects, every cluster record.
  const inside = await q.query<InventoryRecord>(
    `select kind, subject, source, project, cluster, namespace, data from inventory_object
      where valid_to is null and (cluster = any($1)
         or kind in ('organization','folder','project','custom-role','deny-policy','membership','resource-policy','cluster')
         or (kind = 'iam-policy' and subject not like 'gsa:%'))`,
    [clusterList],
  );
  const records = inside.rows;
  // The accounts the slice names: annotations, key files, pool accounts, the changes themselves.
  for (const r of records) {
    const d = r.data as Record<string, unknown>;
    if (r.kind === "ksa" && typeof d.gsaAnnotation === "string") emails.add(d.gsaAnnotation.trim().toLowerCase());
    if (r.kind === "nodepool" && typeof d.serviceAccount === "string") emails.add(d.serviceAccount.toLowerCase());
    if ((r.kind === "secret" || r.kind === "configmap") && Array.isArray(d.credentials)) {
      for (const c of d.credentials as { clientEmail?: string | null; impersonates?: string | null }[]) {
        if (c.clientEmail) emails.add(c.clientEmail.toLowerCase());
        if (c.impersonates) emails.add(c.impersonates.toLowerCase());
      }
    }
    if (r.kind === "pod" || r.kind === "workload") {
      // Inline credentials in env values (summaries only) name accounts too.
      const spec = (r.kind === "pod" ? d.spec : d.template) as { containers?: { env?: { inlineCredential?: { credentials?: { clientEmail?: string | null }[] } }[] }[] } | undefined;
      for (const ct of spec?.containers ?? []) for (const e of ct.env ?? []) for (const c of e.inlineCredential?.credentials ?? []) if (c.clientEmail) emails.add(c.clientEmail.toLowerCase());
    }
  }
  const emailList = [...emails];
  const gsaSubjects = emailList.map((e) => `gsa:${e}`);
  const accounts = await q.query<InventoryRecord>(
    `select kind, subject, source, project, cluster, namespace, data from inventory_object
      where valid_to is null and ((kind in ('gsa','gsa-activity','iam-policy') and subject = any($1))
         or (kind in ('key','key-activity') and lower(split_part(substr(subject, 5), '/', 1)) = any($2)))`,
    [gsaSubjects, emailList],
  );
  records.push(...accounts.rows);

  const sources = await sourcesOf(q, scan.id);
  const first = await q.query<{ subject: string; t: string }>(
    `select o.subject, min(s.started_at) as t from inventory_object o join scan s on s.id = o.valid_from where o.kind = 'gsa' and o.subject = any($1) group by o.subject`,
    [gsaSubjects],
  );
  const metrics = await q.query<{ metric: string; value: number }>(
    `select metric, value from scan_metric where scope = 'overall' and scan_id = (select max(scan_id) from scan_metric) and metric in ('workloads','migrated','to_migrate','migration_unknown')`,
  );
  const m = new Map(metrics.rows.map((x) => [x.metric, Number(x.value)]));
  const stored = m.has("workloads") ? { workloads: m.get("workloads")!, migrated: m.get("migrated") ?? 0, toMigrate: m.get("to_migrate") ?? 0, unknown: m.get("migration_unknown") ?? 0 } : null;
  const allClusters = records.filter((r) => r.kind === "cluster").map((r) => r.subject).sort();

  return {
    input: { now: new Date(now), records, sources, firstSeen: new Map(first.rows.map((r) => [r.subject, new Date(r.t)])) },
    scanId: scan.id,
    stored,
    allClusters,
    clusters: clusterList,
  };
}
