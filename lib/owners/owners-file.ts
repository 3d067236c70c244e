/**
 * The owners file (WI_ATLAS_OWNERS, issue 13): which team owns which namespaces, projects and GSAs,
 * how to reach it, and where its notifications go. YAML, validated with zod; a wrong file is reported
 * with its name, line and the field, like the estate file.
 *
 * ```yaml
 * teams:
 *   - team: payments
 *     contact: "#payments-oncall"          # an email address or a Slack channel
 *     namespaces: [payments, "prod/billing", "acme-prod/asia-northeast1/prod/orders", "pay-*"]
 *     projects: [acme-payments]
 *     gsas: ["payments-*@acme-prod.iam.gserviceaccount.com"]
 *     notify: { slack: "https://hooks.slack.com/services/…" }   # optional: this team's own channels
 * ```
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import YAML, { LineCounter, isNode } from "yaml";
import { z } from "zod";

export class OwnersFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OwnersFileError";
  }
}

const SEGMENT = "[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?";
const NAMESPACE_PATTERN = new RegExp(`^(${SEGMENT}/(${SEGMENT}/${SEGMENT}/)?)?${SEGMENT}$`);
const PROJECT_PATTERN = /^[a-z*][a-z0-9*-]*$/;
const GSA_PATTERN = /^[a-z0-9*][a-z0-9.*_-]*@[a-z0-9*][a-z0-9.*-]*$/;

const url = (what: string) =>
  z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === "https:" || u.protocol === "http:";
      } catch {
        return false;
      }
    }, `must be an http(s) URL (${what})`)
    .optional();

const TeamSchema = z.strictObject({
  /** The team's name as shown in the Owner column and matched by `owner=`. */
  team: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be a team name: letters, digits, . _ - (at most 63)"),
  /** How to reach the team: an email address or a Slack channel (#name). */
  contact: z
    .string()
    .regex(/^([^@\s]+@[^@\s]+\.[^@\s]+|#[a-z0-9][a-z0-9._-]*)$/, "must be an email address or a Slack channel such as #payments")
    .optional(),
  /** Namespaces: NAME (in every cluster), CLUSTER/NAME, or PROJECT/LOCATION/CLUSTER/NAME; `*` matches within a part. */
  namespaces: z.array(z.string().regex(NAMESPACE_PATTERN, "must be NAMESPACE, CLUSTER/NAMESPACE or PROJECT/LOCATION/CLUSTER/NAMESPACE (lower case; * matches within a part)")).default([]),
  /** Project ids; `*` allowed. */
  projects: z.array(z.string().regex(PROJECT_PATTERN, "must be a project id (lower case; * allowed)")).default([]),
  /** GSA emails; `*` allowed. */
  gsas: z.array(z.string().transform((v) => v.trim().toLowerCase()).pipe(z.string().regex(GSA_PATTERN, "must be a service account email (* allowed)"))).default([]),
  /** This team's own notification channels; when any is set, the team's events go there instead of the default ones. */
  notify: z
    .strictObject({
      webhook: url("a generic JSON webhook"),
      slack: url("a Slack incoming webhook"),
      chat: url("a Google Chat incoming webhook"),
    })
    .optional(),
});

const OwnersSchema = z.strictObject({ teams: z.array(TeamSchema) }).superRefine((v, ctx) => {
  const seen = new Set<string>();
  v.teams.forEach((t, i) => {
    if (seen.has(t.team)) ctx.addIssue({ code: "custom", path: ["teams", i, "team"], message: `team "${t.team}" is declared twice` });
    seen.add(t.team);
  });
});

export type Team = z.infer<typeof TeamSchema>;

/** One matching rule, in precedence order (see `rulesOf`). */
export type OwnerRule = {
  team: string;
  /** What the rule looks at. */
  on: "namespace" | "gsa" | "project";
  /** Namespaces: the cluster part, when the rule names one (`CLUSTER` or `PROJECT/LOCATION/CLUSTER`). */
  cluster?: string;
  pattern: string;
};

export type Owners = {
  /** The file it came from (for messages). */
  source: string;
  teams: Team[];
  /** Every rule, most specific first: namespaces (full cluster path, then cluster name, then name only), then GSAs, then projects. */
  rules: OwnerRule[];
};

/**
 * Precedence (documented in the README's "Owners"): the namespace wins, because the team that runs a
 * workload is the one that changes its manifests; a GSA rule decides for what has no namespace (an
 * account, its keys) or a namespace nobody claimed; the project is the fallback. Within a level, a
 * rule naming more of the scope wins, then the order of the file.
 */
export function rulesOf(teams: Team[]): OwnerRule[] {
  const ns: (OwnerRule & { rank: number; order: number })[] = [];
  let order = 0;
  for (const t of teams) {
    for (const n of t.namespaces) {
      const parts = n.split("/");
      const name = parts.pop()!;
      ns.push({ team: t.team, on: "namespace", cluster: parts.length ? parts.join("/") : undefined, pattern: name, rank: 3 - parts.length, order: order++ });
    }
  }
  ns.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return [
    ...ns.map(({ rank: _r, order: _o, ...r }) => r),
    ...teams.flatMap((t) => t.gsas.map((g): OwnerRule => ({ team: t.team, on: "gsa", pattern: g }))),
    ...teams.flatMap((t) => t.projects.map((p): OwnerRule => ({ team: t.team, on: "project", pattern: p }))),
  ];
}

/** Parses an owners file's text; `label` names it in errors. */
export function parseOwners(text: string, label: string): Owners {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new OwnersFileError(`${label}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  const r = OwnersSchema.safeParse(doc.toJS() ?? {});
  if (!r.success) {
    const problems = r.error.issues.slice(0, 5).map((i) => {
      // The nearest node that exists names the line (a missing field is reported at its parent).
      let where = label;
      for (let n = i.path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(i.path.slice(0, n) as (string | number)[], true);
        if (isNode(node) && node.range) {
          const { line, col } = lines.linePos(node.range[0]);
          where = `${label}:${line}:${col}`;
          break;
        }
      }
      const field = i.path.length ? i.path.join(".") : "(top level)";
      return `${where}: ${field}: ${i.message}`;
    });
    throw new OwnersFileError(`Invalid owners file (WI_ATLAS_OWNERS):\n- ${problems.join("\n- ")}`);
  }
  return { source: label, teams: r.data.teams, rules: rulesOf(r.data.teams) };
}

/** Reads and parses an owners file. */
export function readOwners(file: string): Owners {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new OwnersFileError(`WI_ATLAS_OWNERS: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseOwners(text, path.basename(file));
}

const cache = new Map<string, { mtimeMs: number; owners: Owners }>();

/**
 * The owners in `file`, re-read when the file changes (a stat per call). A file that became invalid
 * keeps the last good reading (and says why once) so pages keep working; a file invalid from the
 * start throws, and start-up reports it.
 */
export function ownersFrom(file: string | undefined, onStale?: (err: Error) => void): Owners | undefined {
  if (!file) return undefined;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch (err) {
    const prior = cache.get(file);
    if (prior) return prior.owners;
    throw new OwnersFileError(`WI_ATLAS_OWNERS: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const prior = cache.get(file);
  if (prior && prior.mtimeMs === mtimeMs) return prior.owners;
  try {
    const owners = readOwners(file);
    cache.set(file, { mtimeMs, owners });
    return owners;
  } catch (err) {
    if (!prior) throw err;
    cache.set(file, { mtimeMs, owners: prior.owners });
    onStale?.(err as Error);
    return prior.owners;
  }
}
