/**
 * Tables over the analysis: findings, the migration status of every workload, the binding
 * reconciliation and the shared-account ranking. Each is a page and `/api/reports/NAME.csv`.
 */
import type { Column, TableDef } from "./table-def";
import { STEP_DEFS } from "../analysis/model";
import { subjectUrl, subjectUrlSql } from "./subject-url";
import { ownerColumn, ownerFilter } from "../owners/current-owners";

const FINDING_OWNER = { project: "o.project", cluster: "o.cluster", namespace: "o.namespace", gsa: "o.gsa" };

const ACTIVE_SUPPRESSION = `exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now()))`;
/** The suppression in force for the finding (`sp`), if any. */
const ACTIVE_SUPPRESSION_ROW = (col: string) =>
  `(select sp.${col} from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now()))`;
const FINDING_STATE = `(case when ${ACTIVE_SUPPRESSION} then 'suppressed' else o.state end)`;
const SEVERITY_RANK = `(case o.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end)`;

export const findingsTable: TableDef = {
  name: "findings",
  title: "Findings",
  from: `from analysis_object o where o.kind = 'finding' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Subject", sql: "o.subject", type: "subject" },
    { id: "rule", label: "Rule", sql: "o.rule", type: "rule" as Column["type"] },
    { id: "severity", label: "Severity", sql: "o.severity", sortSql: SEVERITY_RANK, type: "severity" as Column["type"] },
    { id: "project", label: "Project", sql: "o.project", type: "text", csvOnly: true },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace", sql: "o.namespace", type: "text", csvOnly: true },
    { id: "gsa", label: "GSA", sql: "o.gsa", type: "gsa", csvOnly: true },
    { id: "state", label: "State", sql: FINDING_STATE, type: "state" as Column["type"], help: "open; unverified (a source it needs failed or was out of scope); suppressed (accepted by a user)" },
    { id: "first_seen", label: "First seen", sql: "(select started_at from scan where id = o.first_seen)", type: "time" },
    { id: "message", label: "Message", sql: "o.data->>'message'", type: "text" },
    // Appended after the columns scripts already read by position (their order is kept).
    { id: "finding_id", label: "Finding id", sql: "o.key", type: "text", csvOnly: true, help: "RULE|SUBJECT: the same across scans for as long as the finding lasts (a suppression names the same pair)" },
    { id: "url", label: "Link", sql: "null", type: "text", csvOnly: true, sortable: false, help: "The finding's subject page, absolute (from WI_ATLAS_PUBLIC_URL when set, else the address the CSV was downloaded from)", csvSql: (origin) => subjectUrlSql(origin, "o.subject") },
    { id: "fix", label: "Fix", sql: "o.data->'fixes'->0->>'content'", type: "text", csvOnly: true, sortable: false, help: "The first fix's text (its command, manifest or Terraform); the subject page has every fix" },
    { id: "suppressed_by", label: "Suppressed by", sql: ACTIVE_SUPPRESSION_ROW("owner"), type: "text", csvOnly: true, help: "Who accepted the finding (an active suppression); empty when it is not suppressed" },
    { id: "suppressed_until", label: "Suppressed until", sql: ACTIVE_SUPPRESSION_ROW("expires_at"), type: "time", csvOnly: true, help: "When that acceptance lapses; empty for a suppression without an end (or no suppression)" },
    ownerColumn(FINDING_OWNER),
  ],
  mapRow: (row, ctx) => ({ ...row, url: typeof row.subject === "string" ? subjectUrl(ctx.origin, row.subject) : null }),
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    gsa: (p) => `o.gsa = ${p}`,
    rule: (p) => `o.rule = ${p}`,
    severity: (p) => `o.severity = ${p}`,
    state: (p) => `${FINDING_STATE} = ${p}`,
    owner: ownerFilter(FINDING_OWNER),
  },
  states: ["open", "unverified", "suppressed"],
  search: ["o.subject", "o.data->>'message'", "o.rule"],
  defaultSort: "severity",
  tiebreak: "o.rule, o.subject",
};

const stepColumns: Column[] = STEP_DEFS.map((s, i) => ({
  id: s.id,
  label: `${s.n}`,
  sql: `o.data->'steps'->${i}->>'state'`,
  type: "step" as Column["type"],
  help: `Step ${s.n}: ${s.title}`,
}));

export const migrationTable: TableDef = {
  name: "migration",
  title: "Migration status by workload",
  from: `from analysis_object o where o.kind = 'workload-status' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Workload", sql: "o.subject", type: "subject" },
    { id: "effective_identity", label: "Effective identity", sql: "o.data->'identity'->>'label'", type: "text" },
    { id: "identity_source", label: "Source", sql: "o.data->'identity'->>'source'", type: "identity-source" as Column["type"] },
    ...stepColumns,
    { id: "migrated", label: "Done", sql: "(o.data->>'migrated')::boolean", type: "bool", help: "Off every legacy path: migration_status migrated, federated or no-google-identity-needed" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace", sql: "o.namespace", type: "text", csvOnly: true },
    { id: "kind", label: "Kind", sql: "o.data->>'kind'", type: "text", csvOnly: true },
    { id: "pods", label: "Pods", sql: "(o.data->>'pods')::int", type: "int", csvOnly: true },
    { id: "identity_mode", label: "Identity mode", sql: "o.data->'identity'->>'mode'", type: "text", csvOnly: true, help: "single, mixed, predicted (no pods) or none" },
    { id: "system", label: "System", sql: "(o.data->>'system')::boolean", type: "bool", csvOnly: true, help: "In a GKE-managed namespace: not counted in progress" },
    {
      id: "migration_status",
      label: "Status",
      sql: "o.data->>'migration'",
      type: "migration-status",
      help: "migrated (working Workload Identity to its GSA), federated (its own principal, with direct grants), no-google-identity-needed (no GSA, no key, no grant found), to-migrate (still on a key, a node account, a broken link or a mounted key), unknown",
    },
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    gsa: (p) => `o.gsa = ${p}`,
    state: (p) => `o.data->>'migration' = ${p}`,
  },
  states: ["migrated", "federated", "no-google-identity-needed", "to-migrate", "unknown"],
  search: ["o.subject", "o.data->'identity'->>'label'"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

export const bindingsTable: TableDef = {
  name: "bindings",
  title: "Bindings reconciled",
  from: `from analysis_object o where o.kind = 'binding' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Granted on", sql: "o.subject", type: "subject" },
    { id: "gsa", label: "GSA", sql: "o.data->>'gsa'", type: "gsa" },
    { id: "role", label: "Role", sql: "o.data->>'role'", type: "text" },
    { id: "member", label: "Member", sql: "o.data->>'member'", type: "text" },
    { id: "state", label: "State", sql: "o.state", type: "binding-state" as Column["type"], help: "ok, not-annotated, stale, unverified, broad, deleted (a deleted principal), inactive (a DISABLED or deleted custom role), other" },
    { id: "ksas", label: "Matching KSAs", sql: "(select string_agg(k, ' ') from jsonb_array_elements_text(o.data->'ksas') k)", type: "list" },
    { id: "detail", label: "Detail", sql: "o.data->>'detail'", type: "text" },
    { id: "condition", label: "Condition", sql: "o.data->>'condition'", type: "text", csvOnly: true },
    { id: "pool", label: "Pool", sql: "o.data->>'pool'", type: "text", csvOnly: true },
  ],
  filters: {
    project: (p) => `(o.project = ${p} or o.gsa like '%@' || ${p} || '.iam.gserviceaccount.com')`,
    gsa: (p) => `o.gsa = ${p}`,
    state: (p) => `o.state = ${p}`,
    namespace: (p) => `o.data->>'namespace' = ${p}`,
    cluster: (p) => `o.data->'ksas' ?| array(select 'ksa:' || substr(${p}, 9) || '/' || (o.data->>'namespace') || '/' || (o.data->>'ksaName'))`,
  },
  states: ["ok", "not-annotated", "stale", "unverified", "broad", "deleted", "inactive", "other"],
  search: ["o.subject", "o.data->>'member'", "o.data->>'role'"],
  defaultSort: "subject",
  tiebreak: "o.key",
};

export const sharedTable: TableDef = {
  name: "shared-accounts",
  title: "Shared-account ranking",
  from: `from analysis_object o where o.kind = 'gsa-usage' and o.valid_to is null and (o.data->>'score')::int > 0`,
  columns: [
    { id: "subject", label: "GSA", sql: "o.subject", type: "subject", csvOnly: true },
    { id: "email", label: "GSA", sql: "o.gsa", type: "gsa" },
    { id: "score", label: "Score", sql: "(o.data->>'score')::int", type: "int", help: "Shared-account score: see the README for the weights" },
    { id: "ksas", label: "KSAs", sql: "jsonb_array_length(o.data->'ksas')", type: "int" },
    { id: "namespaces", label: "Namespaces", sql: "jsonb_array_length(o.data->'namespaces')", type: "int" },
    { id: "clusters", label: "Clusters", sql: "jsonb_array_length(o.data->'clusters')", type: "int" },
    { id: "projects", label: "Projects", sql: "jsonb_array_length(o.data->'projects')", type: "int" },
    { id: "key_secrets", label: "Key Secrets", sql: "jsonb_array_length(o.data->'keySecrets')", type: "int" },
    { id: "basic_roles", label: "Basic roles", sql: "(select string_agg(r, '; ') from jsonb_array_elements_text(o.data->'basicRoles') r)", type: "text" },
    { id: "admin_roles", label: "Admin roles", sql: "(select string_agg(r, '; ') from jsonb_array_elements_text(o.data->'adminRoles') r)", type: "text" },
    { id: "project", label: "Project", sql: "o.project", type: "text", csvOnly: true },
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    gsa: (p) => `o.gsa = ${p}`,
    cluster: (p) => `o.data->'clusters' ? ${p}`,
    namespace: (p) => `exists (select 1 from jsonb_array_elements_text(o.data->'namespaces') n where split_part(n, '/', 4) = ${p})`,
  },
  search: ["o.gsa"],
  defaultSort: "score",
  defaultOrder: "desc",
  tiebreak: "o.gsa",
};

export const ANALYSIS_TABLES: Record<string, TableDef> = {
  findings: findingsTable,
  migration: migrationTable,
  bindings: bindingsTable,
  "shared-accounts": sharedTable,
};

/** Who uses which account where: one row per GSA × namespace (KSAs annotated, workloads acting as it, Secrets holding its keys). */
export const matrixTable: TableDef = {
  name: "gsa-namespace-matrix",
  title: "GSA × namespace",
  from: `from (
      select 'gsa:' || g as subject, g as gsa, 'namespace:' || substr(c, 9) || '/' || n as ns_subject, c as cluster, n as namespace,
        split_part(substr(c, 9), '/', 1) as project,
        sum(ksas)::int as ksas, sum(workloads)::int as workloads, sum(secrets)::int as key_secrets
      from (
        select lower(btrim(k.data->>'gsaAnnotation')) as g, k.cluster as c, k.namespace as n, 1 as ksas, 0 as workloads, 0 as secrets
          from inventory_object k where k.kind = 'ksa' and k.valid_to is null and k.data->>'gsaAnnotation' is not null
        union all
        select substr(e.target, 5), w.cluster, w.namespace, 0, 1, 0
          from analysis_object e join analysis_object w on w.kind = 'workload-status' and w.valid_to is null and w.key = e.subject
          where e.kind = 'graph-edge' and e.valid_to is null and e.data->>'kind' = 'effective-identity'
        union all
        select c->>'clientEmail', s.cluster, s.namespace, 0, 0, 1
          from inventory_object s, jsonb_array_elements(s.data->'credentials') c
          where s.kind = 'secret' and s.valid_to is null and c->>'clientEmail' is not null
      ) u group by g, c, n
    ) o where true`,
  columns: [
    { id: "subject", label: "GSA", sql: "o.subject", type: "subject" },
    { id: "namespace_subject", label: "Namespace", sql: "o.ns_subject", type: "subject" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace name", sql: "o.namespace", type: "text", csvOnly: true },
    { id: "ksas", label: "KSAs annotated", sql: "o.ksas", type: "int" },
    { id: "workloads", label: "Workloads acting as it", sql: "o.workloads", type: "int" },
    { id: "key_secrets", label: "Secrets with its keys", sql: "o.key_secrets", type: "int" },
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    gsa: (p) => `o.gsa = ${p}`,
  },
  search: ["o.subject", "o.ns_subject"],
  defaultSort: "subject",
  tiebreak: "o.subject, o.ns_subject",
};
ANALYSIS_TABLES["gsa-namespace-matrix"] = matrixTable;
