/**
 * Read queries behind the pages. Only current rows (valid_to is null) unless a scan is named.
 */
import { currentOwners } from "../owners/current-owners";
import type { Db } from "./db";
import { notFound } from "../api/problem";
import { tfModuleFix } from "../analysis/fixes";
import { keyUsage, lastVersion, objectRelations } from "./object-page";

export type LastScan = {
  id: number;
  status: string;
  trigger: string;
  mode: string;
  target: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  phase: string | null;
  progress: unknown;
  summary: unknown;
} | null;

const SCAN_COLUMNS = `id, status, trigger, mode, target, started_at as "startedAt", finished_at as "finishedAt", error, phase, progress, summary`;

export async function lastScan(db: Db, opts: { finishedOnly?: boolean; applied?: boolean } = {}): Promise<LastScan> {
  const where = opts.applied ? "where status in ('succeeded','partial')" : opts.finishedOnly ? "where status in ('succeeded','partial','failed')" : "";
  const r = await db.pool.query(`select ${SCAN_COLUMNS} from scan ${where} order by id desc limit 1`);
  return (r.rows[0] as LastScan) ?? null;
}

export async function listScans(db: Db, limit = 100) {
  const r = await db.pool.query(`select ${SCAN_COLUMNS}, cancel_requested as "cancelRequested", pruned_at as "prunedAt" from scan order by id desc limit $1`, [limit]);
  return r.rows;
}

export async function overview(db: Db) {
  const counts = await db.pool.query<{ kind: string; n: number }>(
    `select kind, count(*)::int as n from inventory_object where valid_to is null group by kind`,
  );
  const byKind = Object.fromEntries(counts.rows.map((r) => [r.kind, r.n]));
  const extra = await db.pool.query<{ user_keys: number; keys_in_secrets: number; secrets_with_keys: number; pending_pods: number; gke_pools: number; legacy_pools: number; wi_clusters: number }>(
    `select
      (select count(*)::int from inventory_object where kind = 'key' and valid_to is null and data->>'keyType' = 'USER_MANAGED') as user_keys,
      -- A key: a service_account file, or the service_account source of an impersonation file (both carry its keyId).
      (select count(distinct c->>'keyId')::int from inventory_object s, jsonb_array_elements(s.data->'credentials') c
         where s.kind = 'secret' and s.valid_to is null and c->>'keyId' is not null) as keys_in_secrets,
      -- A federation configuration (external_account, or an impersonation over one) holds no key.
      (select count(*)::int from inventory_object s where s.kind = 'secret' and s.valid_to is null and exists (select 1 from jsonb_array_elements(s.data->'credentials') c
         where c->>'type' <> 'external_account' and not (c->>'type' = 'impersonated_service_account' and c->>'sourceType' = 'external_account'))) as secrets_with_keys,
      (select count(*)::int from inventory_object where kind = 'pod' and valid_to is null and data->>'phase' = 'Pending') as pending_pods,
      (select count(*)::int from inventory_object where kind = 'nodepool' and valid_to is null and (data->>'servesGkeMetadata')::boolean) as gke_pools,
      (select count(*)::int from inventory_object where kind = 'nodepool' and valid_to is null and not (data->>'servesGkeMetadata')::boolean) as legacy_pools,
      (select count(*)::int from inventory_object where kind = 'cluster' and valid_to is null and data->>'workloadPool' is not null) as wi_clusters`,
  );
  const scan = await lastScan(db, { finishedOnly: true });
  const lastApplied = await lastScan(db, { applied: true });
  const running = await db.pool.query(`select ${SCAN_COLUMNS} from scan where status in ('running', 'requested') order by id desc limit 1`);
  const failures = lastApplied
    ? (
        await db.pool.query(
          `select source, family, scope, status, http_status as "httpStatus", error, permission from scan_source
           where scan_id = $1 and status in ('failed', 'partial') order by source`,
          [lastApplied.id],
        )
      ).rows
    : [];
  // Most-shared GSAs: used from the most places (KSAs annotated with it, Secrets holding its keys).
  const shared = await db.pool.query(
    `with uses as (
       select lower(btrim(k.data->>'gsaAnnotation')) as email, k.cluster, k.namespace, 'ksa' as via from inventory_object k
         where k.kind = 'ksa' and k.valid_to is null and k.data->>'gsaAnnotation' is not null
       union all
       select c->>'clientEmail', s.cluster, s.namespace, 'secret' from inventory_object s, jsonb_array_elements(s.data->'credentials') c
         where s.kind = 'secret' and s.valid_to is null and c->>'clientEmail' is not null
     )
     select email, count(*) filter (where via = 'ksa')::int as ksas, count(*) filter (where via = 'secret')::int as secrets,
       count(distinct cluster || '/' || namespace)::int as namespaces, count(distinct cluster)::int as clusters
     from uses group by email order by count(distinct cluster || '/' || namespace) desc, count(*) desc, email limit 10`,
  );
  const findings = await db.pool.query<{ severity: string; state: string; n: number }>(
    `select o.severity, (case when exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now())) then 'suppressed' else o.state end) as state, count(*)::int as n
     from analysis_object o where o.kind = 'finding' and o.valid_to is null group by 1, 2`,
  );
  const migration = await db.pool.query<{ metric: string; value: number }>(
    `select metric, value from scan_metric where scope = 'overall' and scan_id = (select max(scan_id) from scan_metric)`,
  );
  return {
    counts: byKind,
    ...extra.rows[0],
    lastScan: scan,
    lastApplied,
    running: running.rows[0] ?? null,
    failures,
    mostShared: shared.rows,
    findings: findings.rows,
    migration: Object.fromEntries(migration.rows.map((m) => [m.metric, m.value])),
  };
}

export async function facets(db: Db) {
  const r = await db.pool.query<{ kind: string; value: string }>(
    `select distinct 'project' as kind, project as value from inventory_object where valid_to is null and kind = 'project'
     union select distinct 'cluster', subject from inventory_object where valid_to is null and kind = 'cluster'
     union select distinct 'namespace', namespace from inventory_object where valid_to is null and kind = 'namespace'
     order by 1, 2`,
  );
  const out: Record<string, string[]> = { project: [], cluster: [], namespace: [] };
  for (const row of r.rows) out[row.kind].push(row.value);
  // The owners file's teams, in file order (none without WI_ATLAS_OWNERS): the Owner filter's choices.
  out.owner = currentOwners()?.teams.map((t) => t.team) ?? [];
  return out;
}

type Row = Record<string, unknown>;

/**
 * `full` (the default): the answer as documented, usage's identity lists whole. `page`: what the GSA
 * page shows, every list of `usage` cut to `limit` as well, and without `acting`, `mountedBy` and
 * `bindings`, which it does not show (`totals` still counts them) (opt-in: `?view=page`).
 */
export type GsaDetailView = "full" | "page";

/** How many items each list of the GSA page holds by default; `totals` says how many there are. */
export const GSA_DETAIL_LIMIT = 100;

/**
 * Everything the GSA page shows: the 1:N view of who points at it, who its bindings name, keys, roles.
 * Lists hold at most `limit` items (problems first) with their full counts in `totals`: a shared
 * account can have thousands of KSAs, and the tables (filtered by `gsa=`) page through all of them.
 */
export async function gsaDetail(db: Db, email: string, opts: { limit?: number; view?: GsaDetailView } = {}) {
  const limit = opts.limit ?? GSA_DETAIL_LIMIT;
  const q = (text: string, values: unknown[] = [email]) => db.pool.query<Row>(text, values).then((r) => r.rows);
  const stale = `(select case when ss.last_status <> 'ok' then coalesce(ss.last_error, 'source failed')
      when ss.last_scan_id < (select max(id) from scan where status in ('succeeded','partial')) then 'not refreshed by the last scan' end
      from source_state ss where ss.source = o.source)`;
  const gsaP = q(`select o.subject, o.project, o.data, ${stale} as stale from inventory_object o where o.kind = 'gsa' and o.valid_to is null and o.data->>'email' = $1`);
  // Inexact annotations (they fail at runtime) first.
  const ksasAnnotatedP = q(
    `select o.subject, o.cluster, o.namespace, o.data->>'name' as name, o.data->>'gsaAnnotation' as annotation,
       (o.data->>'gsaAnnotation') = $1 as exact, ${stale} as stale,
       (select count(*)::int from inventory_object p where p.kind = 'pod' and p.valid_to is null and p.cluster = o.cluster and p.namespace = o.namespace and p.data->'spec'->>'serviceAccountName' = o.data->>'name') as pods
     from inventory_object o where o.kind = 'ksa' and o.valid_to is null and lower(btrim(o.data->>'gsaAnnotation')) = $1
     order by (o.data->>'gsaAnnotation') = $1, o.subject limit $2`,
    [email, limit],
  );
  const policyP = q(`select o.data, ${stale} as stale from inventory_object o where o.kind = 'iam-policy' and o.valid_to is null and o.subject = 'gsa:' || $1`);
  const keysP = q(
    `select o.subject, o.data, ${stale} as stale,
       (select a.data->>'lastAuthenticatedTime' from inventory_object a where a.kind = 'key-activity' and a.valid_to is null and a.subject = o.subject) as "lastAuthenticatedTime",
       coalesce((select json_agg(s.subject order by s.subject) from inventory_object s where s.kind = 'secret' and s.valid_to is null
         and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('keyId', o.data->>'keyId'))), '[]') as secrets
     from inventory_object o where o.kind = 'key' and o.valid_to is null and o.data->>'email' = $1 order by o.data->>'validAfterTime'`,
  );
  const secretsP = q(
    `select o.subject, o.cluster, o.namespace, o.data->>'name' as name,
       (select json_agg(c) from jsonb_array_elements(o.data->'credentials') c where c->>'clientEmail' = $1) as credentials, ${stale} as stale
     from inventory_object o where o.kind = 'secret' and o.valid_to is null
       and o.data->'credentials' @> jsonb_build_array(jsonb_build_object('clientEmail', $1::text)) order by o.subject limit $2`,
    [email, limit],
  );
  const rolesP = q(
    `select o.subject as resource, b->>'role' as role, b->'condition' as condition
     from inventory_object o, jsonb_array_elements(o.data->'bindings') b
     where o.kind = 'iam-policy' and o.valid_to is null and (o.subject like 'project:%' or o.subject like 'folder:%' or o.subject like 'organization:%')
       and b->'members' ? ('serviceAccount:' || $1) order by o.subject, b->>'role'`,
  );
  const nodePoolsP = q(
    `select o.subject, o.data->>'metadataMode' as "metadataMode" from inventory_object o where o.kind = 'nodepool' and o.valid_to is null and o.data->>'serviceAccount' = $1 order by o.subject`,
  );
  const activityP = q(`select o.data->>'lastAuthenticatedTime' as t from inventory_object o where o.kind = 'gsa-activity' and o.valid_to is null and o.subject = 'gsa:' || $1`);
  // Independent reads, at once.
  const [[gsa], ksasAnnotated, [policy], keys, secrets, roles, nodePools, [activity]] = await Promise.all([gsaP, ksasAnnotatedP, policyP, keysP, secretsP, rolesP, nodePoolsP, activityP]);
  const everSeen = gsa ? [] : await q(`select o.subject, o.valid_to as "validTo" from inventory_object o where o.kind = 'gsa' and o.data->>'email' = $1 order by o.valid_from desc limit 1`);
  if (!gsa && ksasAnnotated.length === 0 && keys.length === 0 && secrets.length === 0 && everSeen.length === 0) {
    throw notFound(`No service account ${email} is known, and nothing points at it`);
  }
  const usageP = q(`select data from analysis_object where kind = 'gsa-usage' and valid_to is null and key = $1`);
  const bindingRowsP = q(`select data from analysis_object where kind = 'binding' and valid_to is null and gsa = $1 order by key`);
  // Every KSA annotated with it (light: names and pools only), for the drift and the module input.
  const poolsP = q(
    `select k.subject, k.namespace, k.data->>'name' as name, c.data->>'workloadPool' as pool
     from inventory_object k left join inventory_object c on c.kind = 'cluster' and c.valid_to is null and c.subject = k.cluster
     where k.kind = 'ksa' and k.valid_to is null and lower(btrim(k.data->>'gsaAnnotation')) = $1`,
  );
  // The article's module input, derived from the annotations that point at this GSA, against its live bindings.
  const findingsP = findingsFor(db, [`gsa:${email}`, ...keys.map((k) => k.subject as string)]);
  // Workloads that really act as this account (effective identity), however they get it.
  const actingP = q(
    `select e.subject as workload, e.data->>'label' as how, e.state, w.data->>'identity' as identity,
       (w.data->>'migrated')::boolean as migrated, w.data->>'migration' as migration
     from analysis_object e left join analysis_object w on w.kind = 'workload-summary' and w.valid_to is null and w.key = e.subject
     where e.kind = 'graph-edge' and e.valid_to is null and e.data->>'kind' = 'effective-identity' and e.target = 'gsa:' || $1
     order by (w.data->>'migrated')::boolean nulls first, e.subject limit $2`,
    [email, limit],
  );
  const countsP = q(
    `select
       (select count(*)::int from inventory_object o where o.kind = 'secret' and o.valid_to is null
          and o.data->'credentials' @> jsonb_build_array(jsonb_build_object('clientEmail', $1::text))) as secrets,
       (select count(*)::int from analysis_object e where e.kind = 'graph-edge' and e.valid_to is null
          and e.data->>'kind' = 'effective-identity' and e.target = 'gsa:' || $1) as acting`,
  );
  const mountedByP = q(
    `select e.subject as secret, e.target as workload from analysis_object e
     where e.kind = 'graph-edge' and e.valid_to is null and e.data->>'kind' = 'secret-mounted' and e.subject = any($1::text[]) order by 1, 2`,
    [secrets.map((s) => s.subject as string)],
  );
  const usersP = gsaUsersOf(db, email, limit);
  const [[usage], bindingRows, pools, findings, acting, [counts], mountedBy, users] = await Promise.all([usageP, bindingRowsP, poolsP, findingsP, actingP, countsP, mountedByP, usersP]);
  const annotated = new Map<string, { pool: string | null; ksas: string[] }>();
  for (const k of pools) {
    const key = `${k.namespace}/${k.name}`;
    const e = annotated.get(key) ?? { pool: (k.pool as string | null) ?? null, ksas: [] };
    e.ksas.push(k.subject as string);
    annotated.set(key, e);
  }
  const bound = new Map<string, { state: string; member: string; role: string }>();
  for (const r of bindingRows) {
    const b = r.data as { namespace: string | null; ksaName: string | null; state: string; member: string; role: string };
    if (b.namespace && b.ksaName && b.role === "roles/iam.workloadIdentityUser") bound.set(`${b.namespace}/${b.ksaName}`, { state: b.state, member: b.member, role: b.role });
  }
  const keysAll = [...new Set([...annotated.keys(), ...bound.keys()])].sort();
  const driftAll = keysAll.map((k) => ({
    ksa: k,
    annotated: annotated.has(k),
    bound: bound.has(k),
    bindingState: bound.get(k)?.state ?? null,
    pool: annotated.get(k)?.pool ?? null,
  }));
  // Where the two sides disagree first.
  const agrees = (x: (typeof driftAll)[number]) => x.annotated && x.bound && x.bindingState !== "stale";
  const driftMismatched = driftAll.filter((x) => !agrees(x)).length;
  const drift = [...driftAll.filter((x) => !agrees(x)), ...driftAll.filter(agrees)].slice(0, limit);
  const project = (gsa?.project as string | undefined) ?? email.match(/@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/)?.[1] ?? "PROJECT";
  const moduleInput = annotated.size ? tfModuleFix(email, project, [...annotated.keys()].sort()) : null;
  // The account's own policy, with each binding's members cut to `limit` (a shared account's
  // workloadIdentityUser binding can name up to 1,500 principals).
  const policyOut = policy
    ? {
        ...policy,
        data: {
          ...(policy.data as object),
          bindings: ((policy.data as { bindings?: { members: string[] }[] }).bindings ?? []).map((b) => ({ ...b, members: b.members.slice(0, limit), membersTotal: b.members.length })),
        },
      }
    : null;
  const u = usage?.data as { ksas?: string[]; keySecrets?: string[]; namespaces?: string[]; clusters?: string[]; projects?: string[] } | undefined;
  const usageOut = u ? { ...u, ksas: u.ksas?.slice(0, limit), keySecrets: u.keySecrets?.slice(0, limit), namespaces: u.namespaces?.slice(0, limit), clusters: u.clusters?.slice(0, limit) } : null;
  // The page's view: usage's other lists cut to `limit` too (a hub account's are a third of its answer,
  // and the page shows only the score, namespaces and clusters); `totals` keeps their counts.
  const ux = u as { identities?: string[]; poolNamespaces?: string[]; keyPlaces?: string[]; pools?: string[]; projects?: string[] } | undefined;
  const pageView = opts.view === "page";
  if (usageOut && ux && pageView) {
    Object.assign(usageOut, { identities: ux.identities?.slice(0, limit), poolNamespaces: ux.poolNamespaces?.slice(0, limit), keyPlaces: ux.keyPlaces?.slice(0, limit), pools: ux.pools?.slice(0, limit), projects: ux.projects?.slice(0, limit) });
  }
  const bindingsAll = bindingRows.map((r) => r.data as { state?: string });
  return {
    limit,
    totals: {
      ksasAnnotated: pools.length,
      drift: driftAll.length,
      driftMismatched,
      secrets: counts.secrets as number,
      acting: counts.acting as number,
      bindings: bindingsAll.length,
      usageKsas: u?.ksas?.length ?? 0,
      usageNamespaces: u?.namespaces?.length ?? 0,
      usageClusters: u?.clusters?.length ?? 0,
      usageKeySecrets: u?.keySecrets?.length ?? 0,
      usageIdentities: ux?.identities?.length ?? 0,
      usagePoolNamespaces: ux?.poolNamespaces?.length ?? 0,
      usageKeyPlaces: ux?.keyPlaces?.length ?? 0,
      usagePools: ux?.pools?.length ?? 0,
      usageProjects: ux?.projects?.length ?? 0,
    },
    // Lists the GSA page does not show are left out of its view (absent, not empty: `totals` counts them).
    ...(pageView ? {} : { acting }),
    /** Who uses it, by any path (analysis `gsa-user` rows): the list `/workloads?gsa=` pages through. */
    users,
    ...(pageView ? {} : { mountedBy }),
    usage: usageOut,
    ...(pageView ? {} : { bindings: [...bindingsAll.filter((b) => b.state !== "ok"), ...bindingsAll.filter((b) => b.state === "ok")].slice(0, limit) }),
    drift,
    moduleInput,
    findings,
    email,
    gsa: gsa ?? null,
    /** Set when the GSA was seen in an earlier scan but not the current one (deleted). */
    deletedInScan: everSeen[0]?.validTo ?? null,
    lastAuthenticatedTime: activity?.t ?? null,
    policy: policyOut,
    ksasAnnotated,
    keys,
    secrets,
    roles,
    nodePools,
  };
}

/** Kubernetes and IAM sources whose failure hides users of an account: a cluster's Secrets, pods, workloads, KSAs, ConfigMaps, nodes. */
const USER_SOURCES = ["k8s.secrets", "k8s.pods", "k8s.serviceaccounts", "k8s.configmaps", "k8s.nodes", "k8s.deployments", "k8s.statefulsets", "k8s.daemonsets", "k8s.jobs", "k8s.cronjobs", "k8s.replicasets", "container.clusters", "iam.serviceAccountPolicies"];

/**
 * Who uses a GSA (the `gsa-user` rows of lib/analysis/gsa-users.ts) — not yet migrated first, at most
 * `limit` — with the counts by path and cluster, and the "possible users": sources that failed in
 * the last scan (a cluster whose Secrets could not be read may hold the account's key), each with the
 * workloads there whose identity could not be told.
 */
export async function gsaUsersOf(db: Db, email: string, limit: number) {
  const q = (text: string, values: unknown[]) => db.pool.query<Row>(text, values).then((r) => r.rows);
  // The account's rows, read once through their index (gsa, subject): the first `limit` for the
  // list, the counts by path and the totals are all taken from them in one statement.
  const [[users], failed] = await Promise.all([
    q(
      `with u as materialized (
         select u.subject, u.cluster, u.namespace, u.state, u.data from analysis_object u where u.kind = 'gsa-user' and u.valid_to is null and u.gsa = $1
       )
       select
         (select coalesce(json_agg(l order by l.migrated, l.workload), '[]') from (
            select u.subject as workload, u.cluster, u.namespace, u.state, (u.data->>'migrated')::boolean as migrated, u.data->'paths' as paths
            from u order by (u.data->>'migrated')::boolean, u.subject limit $2) l) as list,
         (select coalesce(json_agg(b order by b.path), '[]') from (
            select p->>'path' as path, count(distinct u.subject)::int as workloads from u, jsonb_array_elements(u.data->'paths') p group by 1 order by 1) b) as "byPath",
         (select count(*)::int from u) as workloads,
         (select count(distinct u.cluster)::int from u) as clusters`,
      [email, limit],
    ),
    q(
      `select ss.source, ss.family, ss.scope, ss.last_error as error,
         case when ss.scope like '%/%/%' then 'cluster:' || ss.scope end as cluster,
         case when ss.scope like '%/%/%' then (select coalesce(json_agg(s.key order by s.key), '[]') from (select s.key from analysis_object s where s.kind = 'workload-summary' and s.valid_to is null
           and s.cluster = 'cluster:' || ss.scope and s.data->>'identity' in ('unknown', 'unknown (key file)') order by s.key limit 20) s) else '[]' end as unknown,
         case when ss.scope like '%/%/%' then (select count(*)::int from analysis_object s where s.kind = 'workload-summary' and s.valid_to is null
           and s.cluster = 'cluster:' || ss.scope and s.data->>'identity' in ('unknown', 'unknown (key file)')) else 0 end as "unknownTotal"
       from source_state ss
       where ss.family = any($1::text[]) and ss.last_status <> 'ok' and ss.retired_scan_id is null
         and (ss.family <> 'iam.serviceAccountPolicies' or ss.scope = split_part(split_part($2, '@', 2), '.', 1))
       order by ss.scope, ss.family`,
      [USER_SOURCES, email],
    ),
  ]);
  const list = users.list as Row[];
  const byPath = users.byPath as Row[];
  const totals = { workloads: users.workloads, clusters: users.clusters };
  return {
    list: list as { workload: string; cluster: string; namespace: string; state: string | null; migrated: boolean; paths: { path: string; state: string; detail: string; via: string | null }[] }[],
    total: (totals?.workloads as number) ?? 0,
    clusters: (totals?.clusters as number) ?? 0,
    byPath: byPath as { path: string; workloads: number }[],
    possible: failed as { source: string; family: string; scope: string; error: string | null; cluster: string | null; unknown: string[]; unknownTotal: number }[],
  };
}

export async function coverage(db: Db) {
  // The last scan that collected anything: a scan that failed outright (an invalid estate, no
  // credentials) has no sources to show; the overview reports it.
  const scan = await lastScan(db, { applied: true });
  if (!scan) return { scan: null, sources: [], byFamily: [] };
  const sources = await db.pool.query(
    `select source, family, scope, status, http_status as "httpStatus", error, permission, objects, requests, duration_ms as "durationMs"
     from scan_source where scan_id = $1 order by case status when 'failed' then 0 when 'partial' then 1 when 'skipped' then 2 else 3 end, source`,
    [scan.id],
  );
  const byFamily = await db.pool.query(
    `select family, count(*)::int as total, count(*) filter (where status = 'ok')::int as ok,
       count(*) filter (where status = 'partial')::int as partial, count(*) filter (where status = 'failed')::int as failed,
       count(*) filter (where status = 'skipped')::int as skipped
     from scan_source where scan_id = $1 group by family order by family`,
    [scan.id],
  );
  return { scan, sources: sources.rows, byFamily: byFamily.rows };
}

/** Any object by subject: its current record(s), its versions, and the objects that sit directly under or beside it. */
export async function objectDetail(db: Db, subj: string) {
  const current = await db.pool.query<Row>(
    `select o.kind, o.subject, o.source, o.project, o.cluster, o.namespace, o.data, o.valid_from as "validFrom",
       (select case when ss.last_status <> 'ok' then coalesce(ss.last_error, 'source failed')
          when ss.last_scan_id < (select max(id) from scan where status in ('succeeded','partial')) then 'not refreshed by the last scan' end
        from source_state ss where ss.source = o.source) as stale
     from inventory_object o where o.subject = $1 and o.valid_to is null order by o.kind`,
    [subj],
  );
  const versions = await db.pool.query<Row>(
    `select o.kind, o.valid_from as "validFrom", o.valid_to as "validTo",
       (select started_at from scan where id = o.valid_from) as "fromTime", (select started_at from scan where id = o.valid_to) as "toTime"
     from inventory_object o where o.subject = $1 order by o.valid_from, o.kind`,
    [subj],
  );
  if (current.rows.length === 0 && versions.rows.length === 0) throw notFound(`Nothing is known about ${subj}`);
  const kind = subj.slice(0, subj.indexOf(":"));
  let related: Row[] = [];
  const rel = (text: string, values: unknown[]) => db.pool.query<Row>(text, values).then((r) => r.rows);
  const main = current.rows[0];
  if (kind === "cluster") {
    related = await rel(
      `select kind, subject from inventory_object where valid_to is null and cluster = $1 and kind in ('nodepool', 'namespace') order by kind, subject`,
      [subj],
    );
  } else if (kind === "namespace" && main) {
    related = await rel(
      `select kind, subject from inventory_object where valid_to is null and cluster = $1 and namespace = $2 and kind in ('ksa', 'workload', 'secret') order by kind, subject`,
      [main.cluster, main.namespace],
    );
  } else if (kind === "ksa" && main) {
    related = await rel(
      `select kind, subject from inventory_object where valid_to is null and cluster = $1 and namespace = $2 and kind = 'workload'
         and data->'template'->>'serviceAccountName' = $3 order by subject`,
      [main.cluster, main.namespace, (main.data as { name: string }).name],
    );
  } else if (kind === "secret" && main) {
    related = await rel(
      `select kind, subject from inventory_object w where valid_to is null and cluster = $1 and namespace = $2 and kind = 'workload'
         and exists (select 1 from jsonb_array_elements(w.data->'template'->'volumes') v where v->'secret'->>'secretName' = $3
           or exists (select 1 from jsonb_array_elements(coalesce(v->'projected'->'sources', '[]'::jsonb)) ps where ps->'secret'->>'name' = $3))
         order by subject`,
      [main.cluster, main.namespace, (main.data as { name: string }).name],
    );
  } else if (kind === "nodepool" && main) {
    related = await rel(
      `select kind, subject from inventory_object where valid_to is null and cluster = $1 and kind = 'node' and data->>'pool' = $2 order by subject`,
      [main.cluster, (main.data as { name: string }).name],
    );
  } else if (kind === "project") {
    related = await rel(
      `select kind, subject from inventory_object where valid_to is null and project = $1 and kind in ('gsa', 'cluster') order by kind, subject`,
      [subj.slice(8)],
    );
  }
  // Grouped by meaning for the page (lib/store/object-page.ts); `related` stays for API clients.
  const mainOfKind = current.rows.find((r) => r.kind === kind) ?? null;
  // A subject that is gone keeps its page: its last record still says what it related to.
  const gone = current.rows.length === 0 ? await lastVersion(db, subj) : null;
  const relations = await objectRelations(db, subj, (mainOfKind ?? (gone ? { kind: gone.kind, data: gone.data } : null)) as Parameters<typeof objectRelations>[2]);
  return { subject: subj, current: current.rows, versions: versions.rows, related, relations, keyUsage: await keyUsage(db, subj), gone, findings: await findingsFor(db, [subj]) };
}

/** The workload page: inventory, analysed status (identity, steps, plan), findings, pods. */
export async function workloadDetail(db: Db, subj: string) {
  const [w] = (await db.pool.query<Row>(`select subject, project, cluster, namespace, data from inventory_object where kind = 'workload' and valid_to is null and subject = $1`, [subj])).rows;
  const [status] = (await db.pool.query<Row>(`select data, first_seen as "firstSeen" from analysis_object where kind = 'workload-status' and valid_to is null and subject = $1`, [subj])).rows;
  if (!w && !status) throw notFound(`No workload ${subj} in the current inventory`);
  const findings = (
    await db.pool.query<Row>(
      `select o.rule, o.severity, o.data->>'title' as title, o.data->>'message' as message, o.data->'fixes' as fixes, o.data->'lacking' as lacking,
         (case when exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now())) then 'suppressed' else o.state end) as state,
         (select started_at from scan where id = o.first_seen) as "firstSeen"
       from analysis_object o where o.kind = 'finding' and o.valid_to is null and o.subject = $1
       order by case o.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end, o.rule`,
      [subj],
    )
  ).rows;
  const pods = (
    await db.pool.query<Row>(
      `select p.subject, p.data->>'name' as name, p.data->>'phase' as phase, p.data->'spec'->>'nodeName' as node,
         (select n.data->>'pool' from inventory_object n where n.kind = 'node' and n.valid_to is null and n.cluster = p.cluster and n.data->>'name' = p.data->'spec'->>'nodeName') as pool
       from inventory_object p where p.kind = 'pod' and p.valid_to is null and p.data->>'workload' = $1 order by p.subject`,
      [subj],
    )
  ).rows;
  return { subject: subj, workload: w ?? null, status: status?.data ?? null, findings, pods };
}

/** Migration progress per scope from the latest analysed scan, and the legacy pools still in use. */
export async function migrationProgress(db: Db) {
  const scan = await db.pool.query<{ id: number }>(`select max(scan_id) as id from scan_metric`);
  const id = scan.rows[0]?.id;
  if (!id) return { scanId: null, scopes: [], legacyPools: [] };
  const rows = await db.pool.query<{ scope: string; metric: string; value: number }>(`select scope, metric, value from scan_metric where scan_id = $1`, [id]);
  const scopes = new Map<string, Record<string, number>>();
  for (const r of rows.rows) {
    const m = scopes.get(r.scope) ?? {};
    m[r.metric] = r.value;
    scopes.set(r.scope, m);
  }
  const legacy = await db.pool.query(
    `select o.subject, o.cluster, o.data->>'name' as name, o.data->>'serviceAccount' as "serviceAccount", o.data->>'metadataMode' as "metadataMode",
       (select count(*)::int from inventory_object p where p.kind = 'pod' and p.valid_to is null and p.cluster = o.cluster
          and p.data->'spec'->>'nodeName' in (select n.data->>'name' from inventory_object n where n.kind = 'node' and n.valid_to is null and n.cluster = o.cluster and n.data->>'pool' = o.data->>'name')) as pods
     from inventory_object o where o.kind = 'nodepool' and o.valid_to is null and not (o.data->>'servesGkeMetadata')::boolean order by o.subject`,
  );
  return {
    scanId: id,
    scopes: [...scopes.entries()].map(([scope, metrics]) => ({ scope, ...metrics })).sort((a, b) => (a.scope === "overall" ? -1 : b.scope === "overall" ? 1 : a.scope < b.scope ? -1 : 1)),
    legacyPools: legacy.rows,
  };
}

/** Findings of the given subjects, with their state (suppressions applied), most severe first. */
export async function findingsFor(db: Db, subjects: string[]) {
  const r = await db.pool.query<Row>(
    `select o.subject, o.rule, o.severity, o.data->>'title' as title, o.data->>'message' as message, o.data->'fixes' as fixes, o.data->'lacking' as lacking,
       (case when exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now())) then 'suppressed' else o.state end) as state,
       (select started_at from scan where id = o.first_seen) as "firstSeen"
     from analysis_object o where o.kind = 'finding' and o.valid_to is null and o.subject = any($1::text[])
     order by case o.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end, o.rule, o.subject`,
    [subjects],
  );
  return r.rows;
}

/** Global search across GSAs, KSAs, workloads, keys, clusters, namespaces and Secrets: emails, names, key ids, subjects. */
// The search box lives in its own module (scope per hit, exact names first, a total).
export { search } from "./search";

/** The running or requested scan (with progress), and the last finished one. */
export async function currentScan(db: Db) {
  // A requested scan (waiting for a scanner) shows as the running one, phase "requested", so the UI
  // shows it at once and can cancel it.
  const running = await db.pool.query(
    `select ${SCAN_COLUMNS}, cancel_requested as "cancelRequested" from scan where status in ('running', 'requested') order by id desc limit 1`,
  );
  return { running: running.rows[0] ?? null, last: await lastScan(db, { finishedOnly: true }) };
}

/** Trend points: one per analysed scan, for a scope (overall, project:ID or cluster:P/L/N). */
export async function trends(db: Db, scope: string) {
  const r = await db.pool.query<{ scan_id: number; started_at: string; metric: string; value: number }>(
    `select m.scan_id, s.started_at, m.metric, m.value from scan_metric m join scan s on s.id = m.scan_id
     where m.scope = $1 order by m.scan_id, m.metric`,
    [scope],
  );
  const points = new Map<number, { scanId: number; startedAt: string; [metric: string]: number | string }>();
  for (const x of r.rows) {
    const p = points.get(x.scan_id) ?? { scanId: x.scan_id, startedAt: x.started_at };
    p[x.metric] = x.value;
    points.set(x.scan_id, p);
  }
  const scopes = await db.pool.query<{ scope: string }>(`select distinct scope from scan_metric order by 1`);
  return { scope, scopes: scopes.rows.map((s) => s.scope), points: [...points.values()] };
}

/** An object's own history: when it was first seen, each change (which fields), and when it was last seen. */
export async function timeline(db: Db, subj: string) {
  const r = await db.pool.query<{ kind: string; valid_from: number; valid_to: number | null; first_seen: number; data: Record<string, unknown>; from_time: string; to_time: string | null; first_time: string }>(
    `select kind, valid_from, valid_to, coalesce(first_seen, valid_from) as first_seen, data, (select started_at from scan where id = o.valid_from) as from_time,
       (select started_at from scan where id = o.valid_to) as to_time, (select started_at from scan where id = coalesce(o.first_seen, o.valid_from)) as first_time
       from inventory_object o where subject = $1 and kind <> 'pod'
     union all
     select case when kind = 'finding' then 'finding:' || rule else kind end, valid_from, valid_to, first_seen, data, (select started_at from scan where id = o.valid_from),
       (select started_at from scan where id = o.valid_to), (select started_at from scan where id = o.first_seen)
       from analysis_object o where subject = $1 and kind in ('finding', 'workload-status')
     order by 2, 1`,
    [subj],
  );
  type Event = { scanId: number; at: string; kind: string; event: "first seen" | "changed" | "gone" | "finding opened" | "finding resolved" | "finding changed"; fields: string[]; detail: string };
  const events: Event[] = [];
  const lastByKind = new Map<string, Record<string, unknown>>();
  for (const v of r.rows) {
    const isFinding = v.kind.startsWith("finding:");
    const prev = lastByKind.get(v.kind);
    // Retention may have removed older versions: first_seen still says when this run began.
    const pruned = !prev && v.first_seen < v.valid_from;
    if (isFinding) {
      if (!prev) events.push({ scanId: v.first_seen, at: v.first_time, kind: v.kind, event: "finding opened", fields: [], detail: String(v.data.message ?? "") });
    } else if (!prev) {
      events.push({ scanId: v.first_seen, at: v.first_time, kind: v.kind, event: "first seen", fields: [], detail: "" });
      if (pruned) events.push({ scanId: v.valid_from, at: v.from_time, kind: v.kind, event: "changed", fields: [], detail: "(what changed before this scan was pruned)" });
    } else {
      const keys = [...new Set([...Object.keys(prev), ...Object.keys(v.data)])].filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(v.data[k]));
      const detail = keys
        .slice(0, 6)
        .map((k) => {
          const a = prev[k];
          const b = v.data[k];
          const short = (x: unknown) => (typeof x === "object" ? JSON.stringify(x)?.slice(0, 60) : JSON.stringify(x));
          return `${k}: ${short(a)} → ${short(b)}`;
        })
        .join("; ");
      events.push({ scanId: v.valid_from, at: v.from_time, kind: v.kind, event: v.kind === "workload-status" ? "changed" : "changed", fields: keys, detail });
    }
    lastByKind.set(v.kind, v.data);
    if (v.valid_to !== null && !r.rows.some((w) => w.kind === v.kind && w.valid_from === v.valid_to)) {
      events.push({ scanId: v.valid_to, at: v.to_time ?? "", kind: v.kind, event: isFinding ? "finding resolved" : "gone", fields: [], detail: "" });
      lastByKind.delete(v.kind);
    }
  }
  const current = await db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object where subject = $1 and valid_to is null`, [subj]);
  return { subject: subj, current: current.rows[0].n > 0, events: events.sort((a, b) => a.scanId - b.scanId || (a.kind < b.kind ? -1 : 1)) };
}
