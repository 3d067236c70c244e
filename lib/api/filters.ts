/**
 * The one filter vocabulary shared by tables, the graph and every CSV:
 * `project, cluster, namespace, gsa, rule, severity, state, q, sort, order` (+ `page`, `pageSize`).
 * Parsed and validated here; a bad value is a 400 that names the parameter and what it accepts.
 */
import { z } from "zod";
import { badRequest } from "./problem";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export const FINDING_STATES = ["open", "unverified", "suppressed"] as const;

export type Filters = {
  project?: string;
  /** A cluster subject (`cluster:P/L/N`). */
  cluster?: string;
  namespace?: string;
  /** A GSA email, lower case. */
  gsa?: string;
  rule?: string;
  severity?: (typeof SEVERITIES)[number];
  /** A state; which ones a table accepts is up to the table (findings: open, unverified, suppressed). */
  state?: string;
  /** A team from the owners file (WI_ATLAS_OWNERS); issue 13. */
  owner?: string;
  q?: string;
  sort?: string;
  order: "asc" | "desc";
  /** Whether `order` came from the URL (else a table's default order applies). */
  orderGiven?: boolean;
  page: number;
  pageSize: number;
};

const schema = z.object({
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a project id").optional(),
  cluster: z
    .string()
    .transform((v) => v.replace(/^cluster:/, ""))
    .pipe(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9-]+\/[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be PROJECT/LOCATION/NAME (or cluster:PROJECT/LOCATION/NAME)"))
    .transform((v) => `cluster:${v}`)
    .optional(),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes namespace name").max(63).optional(),
  gsa: z
    .string()
    .transform((v) => v.replace(/^gsa:/, "").trim().toLowerCase())
    .pipe(z.string().regex(/^[^@\s]+@[a-z0-9.-]+$/, "must be a service account email (or gsa:EMAIL)"))
    .optional(),
  rule: z.string().regex(/^[a-z0-9-]+$/, "must be a rule id such as key-in-secret").optional(),
  severity: z.enum(SEVERITIES, { message: `must be one of ${SEVERITIES.join(", ")}` }).optional(),
  state: z.string().regex(/^[a-z-]+$/, "must be a state such as open, unverified or suppressed").optional(),
  owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be a team name from the owners file").optional(),
  q: z.string().max(200, "must be at most 200 characters").optional(),
  sort: z.string().regex(/^[a-z0-9_]+$/, "must be a column id").optional(),
  order: z.enum(["asc", "desc"], { message: "must be asc or desc" }).default("asc"),
  page: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1 or more").max(1_000_000).default(1),
  pageSize: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1 or more").max(500, "must be at most 500").default(50),
});

export function parseFilters(params: URLSearchParams): Filters {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) if (v.trim() !== "" && k in schema.shape) raw[k] = v.trim();
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const key = String(i.path[0]);
    throw badRequest(`Query parameter "${key}"${raw[key] !== undefined ? ` ("${raw[key]}")` : ""} ${i.message}`, { parameter: key });
  }
  return { ...(r.data as Filters), orderGiven: raw.order !== undefined };
}

/** The filter parameters as a query string (for CSV links that reproduce a view). */
export function filtersToQuery(f: Partial<Filters>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (k === "orderGiven" || v === undefined || v === "") continue;
    if (k === "order" && !f.orderGiven) continue;
    p.set(k, String(v));
  }
  return p.toString();
}
