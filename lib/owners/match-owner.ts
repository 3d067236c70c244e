/**
 * Who owns a row: the same rules (owners-file.ts, most specific first) applied in JavaScript to one
 * scope (object pages, notifications) and compiled into one SQL `case` for the tables, so the Owner
 * column and the `owner=` filter are computed by Postgres at query time — no copy of the file in the
 * database, and one expression per row however many thousand rows a table has.
 */
import type { Owners, OwnerRule, Team } from "./owners-file";

/** What an owner is decided from. `cluster` is a cluster subject (`cluster:P/L/N`) or its key `P/L/N`. */
export type OwnerScope = { project?: string | null; cluster?: string | null; namespace?: string | null; gsa?: string | null };

function globRegExp(glob: string): string {
  return glob
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
}

/** The regular expression a namespace rule's cluster part matches against `P/L/N`. */
function clusterRegExp(cluster: string): string {
  const parts = cluster.split("/");
  // CLUSTER alone names the cluster in any project and location.
  return parts.length === 1 ? `[^/]+/[^/]+/${globRegExp(cluster)}` : parts.map(globRegExp).join("/");
}

function test(re: string, value: string): boolean {
  return new RegExp(`^${re}$`).test(value);
}

function ruleMatches(r: OwnerRule, s: OwnerScope): boolean {
  if (r.on === "namespace") {
    if (!s.namespace || !test(globRegExp(r.pattern), s.namespace)) return false;
    if (!r.cluster) return true;
    const key = (s.cluster ?? "").replace(/^cluster:/, "");
    return key !== "" && test(clusterRegExp(r.cluster), key);
  }
  const v = r.on === "gsa" ? s.gsa?.replace(/^gsa:/, "").toLowerCase() : s.project;
  return !!v && test(globRegExp(r.pattern), v);
}

/** The owning team of one scope, or undefined when no rule claims it. */
export function ownerOf(owners: Owners | undefined, scope: OwnerScope): Team | undefined {
  if (!owners) return undefined;
  const rule = owners.rules.find((r) => ruleMatches(r, scope));
  return rule ? owners.teams.find((t) => t.team === rule.team) : undefined;
}

/** A SQL string literal. The file's patterns cannot hold a quote (owners-file.ts), but never trust that alone. */
function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** SQL expressions (of the table's row) that an owner is decided from; null when the table has none. */
export type OwnerColumns = { project?: string | null; cluster?: string | null; namespace?: string | null; gsa?: string | null };

function ruleSql(r: OwnerRule, c: OwnerColumns): string | null {
  const match = (expr: string, re: string, plain: boolean, value: string) => (plain ? `${expr} = ${lit(value)}` : `${expr} ~ ${lit(`^${re}$`)}`);
  if (r.on === "namespace") {
    if (!c.namespace) return null;
    const ns = match(c.namespace, globRegExp(r.pattern), !r.pattern.includes("*"), r.pattern);
    if (!r.cluster) return ns;
    if (!c.cluster) return null;
    return `${ns} and ${c.cluster} ~ ${lit(`^cluster:${clusterRegExp(r.cluster)}$`)}`;
  }
  const expr = r.on === "gsa" ? c.gsa : c.project;
  if (!expr) return null;
  return match(expr, globRegExp(r.pattern), !r.pattern.includes("*"), r.pattern);
}

/** The owning team as one SQL expression over the given columns (NULL when unowned or without a file). */
export function ownerSql(owners: Owners | undefined, c: OwnerColumns): string {
  const whens = (owners?.rules ?? []).map((r) => [ruleSql(r, c), r.team] as const).filter(([w]) => w !== null);
  if (!whens.length) return "null::text";
  return `(case ${whens.map(([w, t]) => `when ${w} then ${lit(t)}`).join(" ")} end)`;
}
