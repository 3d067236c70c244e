/**
 * The one filter vocabulary shared by tables, the graph and every CSV:
 * `project, cluster, namespace, gsa, rule, severity, state, owner, q, sort, order` (+ `page`, `pageSize`).
 * Parsed and validated here; a bad value is a 400 that names the parameter and what it accepts.
 *
 * The eight filters of MULTI_FILTERS take several values — repeated (`severity=critical&severity=high`)
 * or as a comma list (`severity=critical,high`), or both — and mean "any of these". The other
 * parameters take one value; given twice, the last one counts (as before multi-value filters).
 * Query parameters that are not filters (`focus`, `hops`, a tracking tag…) are ignored here: the
 * route that knows them validates them, and a stray one never changes what a table shows.
 */
import { z } from "zod";
import { badRequest } from "./problem";
import { RULES } from "../analysis/rules";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export const FINDING_STATES = ["open", "unverified", "suppressed"] as const;

/** Filters that take several values (any of them matches). */
export const MULTI_FILTERS = ["project", "cluster", "namespace", "gsa", "rule", "severity", "state", "owner"] as const;
export type MultiFilter = (typeof MULTI_FILTERS)[number];

export type Filters = {
  /** Project ids (any of them). */
  project?: string[];
  /** Cluster subjects (`cluster:P/L/N`). */
  cluster?: string[];
  /** Namespace names. */
  namespace?: string[];
  /** GSA emails, lower case. */
  gsa?: string[];
  /** Rule ids, each one of the rule table's. */
  rule?: string[];
  severity?: (typeof SEVERITIES)[number][];
  /** States; which ones a table accepts is up to the table (findings: open, unverified, suppressed). */
  state?: string[];
  /** Teams from the owners file (WI_ATLAS_OWNERS). */
  owner?: string[];
  q?: string;
  sort?: string;
  order: "asc" | "desc";
  /** Whether `order` came from the URL (else a table's default order applies). */
  orderGiven?: boolean;
  page: number;
  pageSize: number;
};

const RULE_IDS = RULES.map((r) => r.id);

/** One value of each multi-value filter. */
const valueSchemas: Record<MultiFilter, z.ZodType<string>> = {
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a project id"),
  cluster: z
    .string()
    .transform((v) => v.replace(/^cluster:/, ""))
    .pipe(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9-]+\/[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be PROJECT/LOCATION/NAME (or cluster:PROJECT/LOCATION/NAME)"))
    .transform((v) => `cluster:${v}`),
  namespace: z.string().max(63, "must be a Kubernetes namespace name").regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes namespace name"),
  gsa: z
    .string()
    .transform((v) => v.replace(/^gsa:/, "").trim().toLowerCase())
    .pipe(z.string().regex(/^[^@\s]+@[a-z0-9.-]+$/, "must be a service account email (or gsa:EMAIL)")),
  rule: z.string().refine((v) => RULE_IDS.includes(v), `is not a rule; rules are ${RULE_IDS.join(", ")}`),
  severity: z.enum(SEVERITIES, { message: `must be one of ${SEVERITIES.join(", ")}` }),
  state: z.string().regex(/^[a-z-]+$/, "must be a state such as open, unverified or suppressed"),
  owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be a team name from the owners file"),
};

/** The single-value parameters (add a single-value filter here and to Filters). */
const schema = z.object({
  q: z.string().max(200, "must be at most 200 characters").optional(),
  sort: z.string().regex(/^[a-z0-9_]+$/, "must be a column id").optional(),
  order: z.enum(["asc", "desc"], { message: "must be asc or desc" }).default("asc"),
  page: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1 or more").max(1_000_000, "must be at most 1000000").default(1),
  pageSize: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1 or more").max(500, "must be at most 500").default(50),
});

const isMulti = (k: string): k is MultiFilter => (MULTI_FILTERS as readonly string[]).includes(k);

/** The values of a multi-value parameter: every repeat, split at commas, trimmed, empty ones dropped. */
export function multiValues(params: URLSearchParams, key: string): string[] {
  return params
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

export function parseFilters(params: URLSearchParams): Filters {
  const out: Partial<Filters> = {};
  for (const key of MULTI_FILTERS) {
    const seen = new Set<string>();
    for (const v of multiValues(params, key)) {
      const r = valueSchemas[key].safeParse(v);
      if (!r.success) throw badRequest(`Query parameter "${key}" ("${v}") ${r.error.issues[0].message}`, { parameter: key, value: v });
      seen.add(r.data);
    }
    if (seen.size) (out as Record<string, string[]>)[key] = [...seen];
  }
  const raw: Record<string, string> = {};
  for (const [k, v] of params) if (v.trim() !== "" && !isMulti(k) && k in schema.shape) raw[k] = v.trim();
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const key = String(i.path[0]);
    throw badRequest(`Query parameter "${key}"${raw[key] !== undefined ? ` ("${raw[key]}")` : ""} ${i.message}`, { parameter: key });
  }
  return { ...out, ...(r.data as Omit<Filters, MultiFilter>), orderGiven: raw.order !== undefined };
}

/** The filter parameters as a query string (for CSV links that reproduce a view); several values repeat the parameter. */
export function filtersToQuery(f: Partial<Filters>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (k === "orderGiven" || v === undefined || v === "") continue;
    if (k === "order" && !f.orderGiven) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.set(k, String(v));
  }
  return p.toString();
}

/** Does `value` pass a multi-value filter (absent or empty: everything passes)? */
export function matchesAny<T>(wanted: readonly T[] | undefined, value: T): boolean {
  return !wanted?.length || wanted.includes(value);
}
