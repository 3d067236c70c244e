/**
 * The search box: GSAs, KSAs, workloads, keys (by key id, also inside Secrets), clusters, node pools,
 * namespaces, Secrets and projects, by name or subject. Each hit carries its scope (project, cluster,
 * namespace) so `payments` in three clusters reads as three different things; exact names come first
 * (then GSAs whose email starts with the term and `@`, then names starting with it, then the rest);
 * `total` says how many matched, so a list cut at `limit` says so.
 */
import type { Db } from "./db";

export type SearchHit = {
  kind: string;
  subject: string;
  /** What the object is called (an email, a key id, a name). */
  label: string;
  /** A second fact (a display name, a key's account, a KSA's annotation, a workload's kind). */
  detail: string | null;
  project: string | null;
  /** The cluster subject (`cluster:P/L/N`) for in-cluster objects. */
  cluster: string | null;
  namespace: string | null;
  /** Whether the label (or the object's own name) is the search term itself, ignoring case. */
  exact: boolean;
};

export type SearchAnswer = { q: string; results: SearchHit[]; total: number; limit: number };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function search(db: Db, q: string, limit = 20): Promise<SearchAnswer> {
  const term = q.trim();
  if (term.length < 2) return { q: term, results: [], total: 0, limit };
  const r = await db.pool.query<SearchHit & { total: number }>(
    `with hit as (
       select kind, subject, project, cluster, namespace,
         case kind when 'gsa' then data->>'email' when 'key' then data->>'keyId'
           else coalesce(data->>'name', substr(subject, strpos(subject, ':') + 1)) end as label,
         case kind when 'gsa' then data->>'displayName' when 'key' then data->>'email' when 'ksa' then data->>'gsaAnnotation'
           when 'workload' then data->>'kind' when 'cluster' then data->>'location' else null end as detail,
         data->>'name' as name
       from inventory_object
       where valid_to is null and kind in ('gsa', 'ksa', 'workload', 'key', 'cluster', 'namespace', 'secret', 'nodepool', 'project')
         and (subject ilike $1 or data->>'name' ilike $1 or data->>'displayName' ilike $1 or data->>'gsaAnnotation' ilike $1
              or (kind = 'secret' and data->'credentials' @? ('$[*] ? (@.keyId like_regex "' || $2 || '")')::jsonpath))
     )
     select kind, subject, label, detail, project, cluster, namespace,
       (lower(label) = lower($3) or lower(name) = lower($3) or (kind = 'gsa' and lower(split_part(label, '@', 1)) = lower($3))) as exact,
       count(*) over ()::int as total
     from hit
     order by case when lower(label) = lower($3) or lower(name) = lower($3) then 0 when (kind = 'gsa' and lower(split_part(label, '@', 1)) = lower($3)) then 1 else 2 end,
       case when label ilike $4 or name ilike $4 then 0 when subject ilike $5 then 1 else 2 end,
       case kind when 'gsa' then 0 when 'workload' then 1 when 'ksa' then 2 when 'key' then 3 when 'cluster' then 4 else 5 end,
       length(subject), subject
     limit $6`,
    [`%${escapeLike(term)}%`, term.replace(/[^a-z0-9]/gi, ""), term, `${escapeLike(term)}%`, `%:${escapeLike(term)}%`, limit],
  );
  const total = r.rows[0]?.total ?? 0;
  return { q: term, results: r.rows.map(({ total: _t, ...hit }) => hit), total, limit };
}
