/**
 * What an object page shows beyond the record itself: its relations, grouped by what they mean
 * ("Runs as", "Mounted by", "Holds keys of"…), and for a key, who uses it and what the scan could
 * not see. Reads the current inventory only; the source statuses are the latest applied scan's, read
 * the way the analysis and the what-if engine read them (lib/whatif/load-slice.ts `sourcesOf`), so a
 * key page's "unknown" and a what-if answer's "unknown" name the same places.
 */
import type { Db } from "./db";
import type { PodSpecEssentials, SecretCredential } from "../inventory/model";
import { referencedNames, referencesTo, type RefKind } from "../objects/references";
import { sourcesOf } from "../whatif/load-slice";
import { parseSubject } from "../ids";

type Row = Record<string, unknown>;

/** At most this many links a group shows; `total` says how many there are. */
export const RELATION_LIMIT = 200;

export type RelationItem = {
  subject: string;
  /** How it relates, where the group's label does not say it all (`volume gcp-key`, `env app/GOOGLE_APPLICATION_CREDENTIALS`). */
  note?: string | null;
};

export type RelationGroup = {
  /** What the links mean for this object, e.g. "Runs as", "Mounted by", "Pods". */
  label: string;
  items: RelationItem[];
  /** How many there are in all (items holds at most RELATION_LIMIT). */
  total: number;
};

export type SourceGap = {
  /** The cluster (`cluster:…`) or project (`project:…`) whose source did not answer in full. */
  scope: string;
  /** The source, e.g. `k8s.secrets:acme-staging/asia-northeast1-a/staging`. */
  source: string;
  /** `failed`, `partial`, `skipped` (not reached, or not read by configuration) or `missing` (never read). */
  status: string;
  /** The API's message (403 …), when the last scan recorded one. */
  error: string | null;
};

export type KeyUsage = {
  email: string;
  keyId: string;
  projectId: string | null;
  /** Secrets and ConfigMaps that hold this key's file (by key id), with the data keys holding it. */
  holders: { subject: string; cluster: string | null; namespace: string | null; dataKeys: string[] }[];
  /** Workloads whose pod template reads a holder, by volume, env or envFrom. */
  users: { subject: string; holder: string; via: string[] }[];
  /** Policy Analyzer's day-granular last authentication, as the keys table shows it. */
  lastAuthenticatedTime: string | null;
  /** Set when Policy Analyzer did not answer for the key's project: its last use is unknown. */
  activityGap: SourceGap | null;
  /** Whole days from the last authentication to the scan's clock (the estate's `now` in the simulator). */
  daysSinceAuthentication: number | null;
  /** The clock the scan measured against. */
  now: string | null;
  /** Clusters whose Secrets the last scan could not read in full: a copy there is invisible. */
  unreadableClusters: SourceGap[];
  /** Projects whose clusters could not be listed: their Secrets were never looked at. */
  unlistedProjects: SourceGap[];
  /** Authenticated within 30 days of the scan's clock: something uses it now. */
  isRecentlyUsed: boolean;
  /** Who uses it cannot be told in full: unreadable Secrets or clusters, or a recent use no holder explains. */
  isUsersUnknown: boolean;
  /** A destructive step (disable, delete) needs the safe order: recently used, users unknown, or last use unknown. */
  needsCaution: boolean;
};

const KEY_ACTIVITY = "policyanalyzer.serviceAccountKeyLastAuthentication";
const DAY = 86_400_000;

const q = (db: Db, text: string, values: unknown[]) => db.pool.query<Row>(text, values).then((r) => r.rows);

const group = (label: string, rows: Row[], note?: (r: Row) => string | null): RelationGroup => ({
  label,
  items: rows.slice(0, RELATION_LIMIT).map((r) => ({ subject: r.subject as string, ...(note ? { note: note(r) } : {}) })),
  total: rows.length,
});

/** Workloads (current) in a namespace that read the named Secret or ConfigMap, with how. */
async function readersOf(db: Db, cluster: string, namespace: string, kind: RefKind, name: string): Promise<{ subject: string; via: string[] }[]> {
  // The name must appear in the template for it to be referenced: a cheap filter before the exact walk.
  const rows = await q(
    db,
    `select subject, data->'template' as template from inventory_object
     where kind = 'workload' and valid_to is null and cluster = $1 and namespace = $2 and strpos((data->'template')::text, $3) > 0 order by subject`,
    [cluster, namespace, JSON.stringify(name)],
  );
  return rows.map((r) => ({ subject: r.subject as string, via: referencesTo(r.template as PodSpecEssentials, kind, name) })).filter((r) => r.via.length > 0);
}

/** The parent of a project or folder (`organizations/N`, `folders/N`) as a subject. */
function parentSubject(parent: unknown): string | null {
  if (typeof parent !== "string") return null;
  if (parent.startsWith("organizations/")) return `organization:${parent.slice(14)}`;
  if (parent.startsWith("folders/")) return `folder:${parent.slice(8)}`;
  return null;
}

/**
 * The relations of a subject, grouped by meaning. `main` is its current record (null when it is
 * gone: only what can be derived from the subject itself is shown then).
 */
export async function objectRelations(db: Db, subj: string, main: { kind: string; cluster?: unknown; namespace?: unknown; project?: unknown; data: unknown } | null): Promise<RelationGroup[]> {
  const p = parseSubject(subj);
  if (!p) return [];
  const parts = p.id.split("/");
  const clusterSubj = parts.length >= 4 ? `cluster:${parts.slice(0, 3).join("/")}` : null;
  const nsSubj = parts.length >= 5 && clusterSubj ? `namespace:${parts.slice(0, 4).join("/")}` : null;
  const out: RelationGroup[] = [];
  const one = (label: string, subject: string | null, note?: string) => subject && out.push({ label, items: [{ subject, ...(note ? { note } : {}) }], total: 1 });
  const d = (main?.data ?? {}) as Record<string, unknown>;
  const cluster = (main?.cluster as string | undefined) ?? clusterSubj;
  const namespace = (main?.namespace as string | undefined) ?? (parts.length >= 5 ? parts[3] : null);

  switch (p.kind) {
    case "organization":
    case "folder": {
      const name = p.kind === "organization" ? `organizations/${p.id}` : `folders/${p.id}`;
      if (p.kind === "folder") one("Parent", parentSubject(d.parent));
      out.push(group("Folders", await q(db, `select subject from inventory_object where kind = 'folder' and valid_to is null and data->>'parent' = $1 order by subject`, [name])));
      out.push(group("Projects", await q(db, `select subject from inventory_object where kind = 'project' and valid_to is null and data->>'parent' = $1 order by subject`, [name])));
      break;
    }
    case "project": {
      one("Parent", parentSubject(d.parent));
      out.push(group("Service accounts", await q(db, `select subject from inventory_object where kind = 'gsa' and valid_to is null and project = $1 order by subject`, [p.id])));
      out.push(group("Clusters", await q(db, `select subject from inventory_object where kind = 'cluster' and valid_to is null and project = $1 order by subject`, [p.id])));
      break;
    }
    case "key": {
      one("Service account", `gsa:${p.id.slice(0, p.id.lastIndexOf("/"))}`);
      break;
    }
    case "cluster": {
      one("Project", `project:${parts[0]}`);
      out.push(group("Node pools", await q(db, `select subject from inventory_object where kind = 'nodepool' and valid_to is null and cluster = $1 order by subject`, [subj])));
      out.push(group("Namespaces", await q(db, `select subject from inventory_object where kind = 'namespace' and valid_to is null and cluster = $1 order by subject`, [subj])));
      break;
    }
    case "nodepool": {
      one("Cluster", clusterSubj);
      if (typeof d.serviceAccount === "string") one("Runs as", `gsa:${d.serviceAccount.toLowerCase()}`);
      const pool = parts[3];
      out.push(group("Nodes", await q(db, `select subject from inventory_object where kind = 'node' and valid_to is null and cluster = $1 and data->>'pool' = $2 order by subject`, [clusterSubj, pool])));
      out.push(
        group(
          "Workloads on it",
          await q(
            db,
            `select p.data->>'workload' as subject, count(*)::int as pods from inventory_object p
             where p.kind = 'pod' and p.valid_to is null and p.cluster = $1
               and p.data->'spec'->>'nodeName' in (select n.data->>'name' from inventory_object n where n.kind = 'node' and n.valid_to is null and n.cluster = $1 and n.data->>'pool' = $2)
             group by 1 order by 1`,
            [clusterSubj, pool],
          ),
          (r) => `${r.pods} pod${r.pods === 1 ? "" : "s"}`,
        ),
      );
      break;
    }
    case "namespace": {
      one("Cluster", clusterSubj);
      const ns = parts[3];
      const list = (kind: string) => q(db, `select subject from inventory_object where kind = $3 and valid_to is null and cluster = $1 and namespace = $2 order by subject`, [clusterSubj, ns, kind]);
      out.push(group("Service accounts (KSAs)", await list("ksa")));
      out.push(group("Workloads", await list("workload")));
      out.push(group("Secrets", await list("secret")));
      break;
    }
    case "ksa": {
      one("Namespace", nsSubj);
      const annotation = typeof d.gsaAnnotation === "string" ? d.gsaAnnotation.trim().toLowerCase() : null;
      if (annotation) one("Annotated with (acts as, once bound)", `gsa:${annotation}`);
      const name = parts[4];
      out.push(
        group(
          "Used by workloads",
          await q(db, `select subject from inventory_object where kind = 'workload' and valid_to is null and cluster = $1 and namespace = $2 and data->'template'->>'serviceAccountName' = $3 order by subject`, [
            clusterSubj,
            namespace,
            name,
          ]),
        ),
      );
      out.push(
        group("Pods", await q(db, `select subject from inventory_object where kind = 'pod' and valid_to is null and cluster = $1 and namespace = $2 and data->'spec'->>'serviceAccountName' = $3 order by subject`, [clusterSubj, namespace, name])),
      );
      break;
    }
    case "pod": {
      one("Namespace", nsSubj);
      if (typeof d.workload === "string") one("Workload", d.workload);
      const spec = d.spec as PodSpecEssentials | undefined;
      if (spec && clusterSubj) {
        one("Runs as", `ksa:${parts.slice(0, 4).join("/")}/${spec.serviceAccountName}`);
        if (spec.nodeName) one("Node", `node:${parts.slice(0, 3).join("/")}/${spec.nodeName}`);
        const ref = (kind: RefKind, label: string) => {
          const names = referencedNames(spec, kind);
          if (names.size) out.push({ label, items: [...names].map(([n, via]) => ({ subject: `${kind}:${parts.slice(0, 4).join("/")}/${n}`, note: via.join(", ") })), total: names.size });
        };
        ref("secret", "Reads Secrets");
        ref("configmap", "Reads ConfigMaps");
      }
      break;
    }
    case "secret":
    case "configmap": {
      one("Namespace", nsSubj);
      const creds = ((d.credentials ?? []) as SecretCredential[]).filter((c) => c.clientEmail);
      if (creds.length) {
        const items = creds.map((c) => ({ subject: c.keyId ? `key:${c.clientEmail!.toLowerCase()}/${c.keyId}` : `gsa:${c.clientEmail!.toLowerCase()}`, note: `${c.dataKey} · ${c.type}` }));
        const accounts = [...new Set(creds.map((c) => `gsa:${c.clientEmail!.toLowerCase()}`))].map((s) => ({ subject: s }));
        out.push({ label: "Holds keys of", items: [...accounts, ...items.filter((i) => i.subject.startsWith("key:"))], total: accounts.length + items.filter((i) => i.subject.startsWith("key:")).length });
      }
      if (cluster && namespace) {
        const readers = await readersOf(db, cluster, namespace, p.kind, parts[4]);
        out.push({ label: p.kind === "secret" ? "Mounted by" : "Read by", items: readers.slice(0, RELATION_LIMIT).map((r) => ({ subject: r.subject, note: r.via.join(", ") })), total: readers.length });
      }
      break;
    }
    case "node": {
      one("Cluster", clusterSubj);
      if (typeof d.pool === "string") one("Node pool", `nodepool:${parts.slice(0, 3).join("/")}/${d.pool}`);
      out.push(group("Pods", await q(db, `select subject from inventory_object where kind = 'pod' and valid_to is null and cluster = $1 and data->'spec'->>'nodeName' = $2 order by subject`, [clusterSubj, parts[3]])));
      break;
    }
    default:
      break;
  }
  return out;
}

/**
 * Who uses a key, as far as the scan can tell: the Secrets and ConfigMaps holding its file (matched
 * by key id, as the keys table counts them), the workloads reading those, its last authentication,
 * and the places the last scan could not see (clusters whose Secrets failed or were not read,
 * projects whose clusters could not be listed). Null for a subject that is not a key.
 */
export async function keyUsage(db: Db, subj: string): Promise<KeyUsage | null> {
  const p = parseSubject(subj);
  if (!p || p.kind !== "key") return null;
  const slash = p.id.lastIndexOf("/");
  const email = p.id.slice(0, slash).toLowerCase();
  const keyId = p.id.slice(slash + 1);
  const [key] = await q(db, `select data->>'projectId' as "projectId" from inventory_object where kind = 'key' and subject = $1 order by valid_from desc limit 1`, [subj]);
  const projectId = (key?.projectId as string | undefined) ?? /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ?? null;

  const holderRows = await q(
    db,
    `select o.subject, o.cluster, o.namespace, o.data->>'name' as name, o.kind,
       (select json_agg(distinct c->>'dataKey') from jsonb_array_elements(o.data->'credentials') c where c->>'keyId' = $1) as "dataKeys"
     from inventory_object o where o.kind in ('secret', 'configmap') and o.valid_to is null
       and o.data->'credentials' @> jsonb_build_array(jsonb_build_object('keyId', $1::text))
     order by o.kind desc, o.subject`,
    [keyId],
  );
  const holders = holderRows.map((h) => ({ subject: h.subject as string, cluster: (h.cluster as string | null) ?? null, namespace: (h.namespace as string | null) ?? null, dataKeys: ((h.dataKeys as string[] | null) ?? []).sort() }));
  const users: KeyUsage["users"] = [];
  for (const h of holderRows) {
    if (!h.cluster || !h.namespace) continue;
    for (const r of await readersOf(db, h.cluster as string, h.namespace as string, h.kind as RefKind, h.name as string)) users.push({ subject: r.subject, holder: h.subject as string, via: r.via });
  }

  const [activity] = await q(db, `select data->>'lastAuthenticatedTime' as t from inventory_object where kind = 'key-activity' and valid_to is null and subject = $1`, [subj]);
  const lastAuthenticatedTime = (activity?.t as string | undefined) ?? null;

  // The latest applied scan: its clock, and what each source did in it.
  const [scan] = await q(db, `select id, coalesce(clock, started_at) as now from scan where status in ('succeeded','partial') order by id desc limit 1`, []);
  const now = scan ? new Date(scan.now as string | Date) : null;
  const sources = scan ? await sourcesOf(db.pool, scan.id as number) : new Map<string, string>();
  const errors = new Map(
    scan ? (await q(db, `select source, coalesce(error, case when http_status is not null then 'HTTP ' || http_status end) as error from scan_source where scan_id = $1 and status <> 'ok'`, [scan.id])).map((r) => [r.source as string, (r.error as string | null) ?? null]) : [],
  );
  const gap = (scope: string, source: string): SourceGap | null => {
    const status = sources.get(source) ?? "missing";
    return status === "ok" ? null : { scope, source, status, error: errors.get(source) ?? null };
  };

  const activityGap = scan && projectId ? gap(`project:${projectId}`, `${KEY_ACTIVITY}:${projectId}`) : null;
  const clusters = await q(db, `select subject from inventory_object where kind = 'cluster' and valid_to is null order by subject`, []);
  const unreadableClusters = scan ? clusters.map((c) => gap(c.subject as string, `k8s.secrets:${(c.subject as string).slice(8)}`)).filter((g): g is SourceGap => !!g) : [];
  const projects = await q(db, `select subject, data->>'projectId' as id from inventory_object where kind = 'project' and valid_to is null order by subject`, []);
  const unlistedProjects = scan ? projects.map((x) => gap(x.subject as string, `container.clusters:${x.id as string}`)).filter((g): g is SourceGap => !!g) : [];

  const daysSinceAuthentication = lastAuthenticatedTime && now ? Math.floor((now.getTime() - Date.parse(lastAuthenticatedTime)) / DAY) : null;
  const isRecentlyUsed = (daysSinceAuthentication !== null && daysSinceAuthentication <= 30);
  // A recent use that no Secret or ConfigMap of the scanned clusters explains comes from somewhere
  // the scan does not look (CI, a laptop, another cloud): its users are unknown too.
  const isUsersUnknown = unreadableClusters.length > 0 || unlistedProjects.length > 0 || (isRecentlyUsed && holders.length === 0);
  return {
    email,
    keyId,
    projectId,
    holders,
    users,
    lastAuthenticatedTime,
    activityGap,
    daysSinceAuthentication,
    now: now ? now.toISOString() : null,
    unreadableClusters,
    unlistedProjects,
    isRecentlyUsed,
    isUsersUnknown,
    needsCaution: isRecentlyUsed || isUsersUnknown || !!activityGap,
  };
}

/**
 * The last record of a subject that is gone (no current row): what it was when last seen, so its
 * page still shows its fields and history ("no longer present"). Null when it is still present.
 */
export async function lastVersion(db: Db, subj: string): Promise<{ kind: string; data: unknown; validTo: number; goneAt: string | null } | null> {
  const [r] = await q(
    db,
    `select o.kind, o.data, o.valid_to as "validTo", (select started_at from scan where id = o.valid_to) as "goneAt" from inventory_object o
     where o.subject = $1 and not exists (select 1 from inventory_object c where c.subject = $1 and c.valid_to is null)
     order by o.valid_to desc, (o.kind = split_part($1, ':', 1)) desc limit 1`,
    [subj],
  );
  return r ? { kind: r.kind as string, data: r.data, validTo: r.validTo as number, goneAt: r.goneAt ? new Date(r.goneAt as string).toISOString() : null } : null;
}
