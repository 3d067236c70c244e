/**
 * The inventory tables: GSAs, keys, clusters, node pools, KSAs, workloads and Secrets. Each is a page
 * and a CSV (`/api/reports/NAME.csv`), with `subject` first and snake_case headers.
 */
import { familyFailedSql, sourceFailedSql, staleColumn, type TableDef } from "./table-def";

/** A cluster's own Kubernetes list (`k8s.pods:P/L/N`) that failed, for counts taken from it. */
const clusterListFailed = (resource: string, clusterSql: string) => sourceFailedSql(`'k8s.${resource}:' || substr(${clusterSql}, 9)`);
import { ownerColumn, ownerFilter } from "../owners/current-owners";

const cur = (kind: string, alias = "x") => `${alias}.kind = '${kind}' and ${alias}.valid_to is null`;

/** GSAs a cluster/namespace uses: annotated on a KSA there, or a key of it in a Secret there. */
const gsaUsedIn = (clusterCond: string) => `(exists (select 1 from inventory_object k where ${cur("ksa", "k")} and ${clusterCond.replaceAll("X.", "k.")}
      and lower(btrim(k.data->>'gsaAnnotation')) = o.data->>'email')
   or exists (select 1 from inventory_object s where ${cur("secret", "s")} and ${clusterCond.replaceAll("X.", "s.")}
      and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('clientEmail', o.data->>'email'))))`;

// Issue 13: the owner of a GSA is decided by its email, then its project; a workload's by its
// namespace, then its cluster's project (a GSA rule does not make a team own the workloads using the account).
const GSA_OWNER = { project: "o.project", gsa: "o.data->>'email'" };
const WORKLOAD_OWNER = { project: "o.project", cluster: "o.cluster", namespace: "o.namespace" };

export const gsasTable: TableDef = {
  name: "gsas",
  title: "Google service accounts",
  from: `from inventory_object o where o.kind = 'gsa' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Subject", sql: "o.subject", type: "subject", csvOnly: true },
    { id: "email", label: "Email", sql: "o.data->>'email'", type: "gsa" },
    { id: "project", label: "Project", sql: "o.project", type: "text" },
    { id: "display_name", label: "Display name", sql: "o.data->>'displayName'", type: "text" },
    { id: "disabled", label: "Disabled", sql: "(o.data->>'disabled')::boolean", type: "bool" },
    {
      unknownIf: sourceFailedSql(`'iam.keys:' || o.project`), id: "user_managed_keys",
      label: "Keys",
      sql: `(select count(*) from inventory_object k where ${cur("key", "k")} and k.data->>'email' = o.data->>'email' and k.data->>'keyType' = 'USER_MANAGED')`,
      type: "int",
      help: "User-managed (downloadable JSON) keys",
    },
    {
      id: "annotated_ksas",
      label: "Annotated KSAs",
      sql: `(select count(*) from inventory_object k where ${cur("ksa", "k")} and lower(btrim(k.data->>'gsaAnnotation')) = o.data->>'email')`,
      type: "int",
      help: "Kubernetes service accounts whose iam.gke.io/gcp-service-account annotation names this GSA",
    },
    {
      unknownIf: familyFailedSql("k8s.secrets"), id: "key_secrets",
      label: "Key Secrets",
      sql: `(select count(*) from inventory_object s where ${cur("secret", "s")} and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('clientEmail', o.data->>'email')))`,
      type: "int",
      help: "Kubernetes Secrets holding a JSON key of this GSA",
    },
    {
      id: "last_authenticated_time",
      label: "Last authenticated",
      sql: `(select a.data->>'lastAuthenticatedTime' from inventory_object a where ${cur("gsa-activity", "a")} and a.subject = o.subject)`,
      type: "time",
      help: "From Policy Analyzer (day granularity)",
    },
    { id: "unique_id", label: "Unique id", sql: "o.data->>'uniqueId'", type: "text", csvOnly: true },
    staleColumn,
    ownerColumn(GSA_OWNER),
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    gsa: (p) => `o.data->>'email' = ${p}`,
    cluster: (p) => gsaUsedIn(`X.cluster = ${p}`),
    namespace: (p) => gsaUsedIn(`X.namespace = ${p}`),
    owner: ownerFilter(GSA_OWNER),
  },
  search: ["o.subject", "o.data->>'displayName'", "o.data->>'uniqueId'"],
  defaultSort: "email",
  tiebreak: "o.subject",
};

export const keysTable: TableDef = {
  name: "keys",
  title: "Service account keys",
  from: `from inventory_object o where o.kind = 'key' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Subject", sql: "o.subject", type: "subject", csvOnly: true },
    { id: "key_id", label: "Key id", sql: "o.data->>'keyId'", type: "text" },
    { id: "email", label: "Service account", sql: "o.data->>'email'", type: "gsa" },
    { id: "project", label: "Project", sql: "o.project", type: "text" },
    { id: "key_type", label: "Type", sql: "o.data->>'keyType'", type: "text" },
    { id: "valid_after_time", label: "Created", sql: "o.data->>'validAfterTime'", type: "time" },
    { id: "valid_before_time", label: "Expires", sql: "o.data->>'validBeforeTime'", type: "time", help: "9999-12-31T23:59:59Z means no expiry" },
    { id: "disabled", label: "Disabled", sql: "(o.data->>'disabled')::boolean", type: "bool" },
    {
      id: "last_authenticated_time",
      label: "Last used",
      sql: `(select a.data->>'lastAuthenticatedTime' from inventory_object a where ${cur("key-activity", "a")} and a.subject = o.subject)`,
      type: "time",
    },
    {
      unknownIf: familyFailedSql("k8s.secrets"), id: "secrets",
      label: "In Secrets",
      sql: `(select count(*) from inventory_object s where ${cur("secret", "s")} and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('keyId', o.data->>'keyId')))`,
      type: "int",
      help: "Kubernetes Secrets holding this key's JSON file",
    },
    staleColumn,
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    gsa: (p) => `o.data->>'email' = ${p}`,
    cluster: (p) =>
      `exists (select 1 from inventory_object s where ${cur("secret", "s")} and s.cluster = ${p} and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('keyId', o.data->>'keyId')))`,
    namespace: (p) =>
      `exists (select 1 from inventory_object s where ${cur("secret", "s")} and s.namespace = ${p} and s.data->'credentials' @> jsonb_build_array(jsonb_build_object('keyId', o.data->>'keyId')))`,
  },
  search: ["o.subject"],
  defaultSort: "valid_after_time",
  tiebreak: "o.subject",
};

export const clustersTable: TableDef = {
  name: "clusters",
  title: "Clusters",
  from: `from inventory_object o where o.kind = 'cluster' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Cluster", sql: "o.subject", type: "subject" },
    { id: "project", label: "Project", sql: "o.project", type: "text" },
    { id: "location", label: "Location", sql: "o.data->>'location'", type: "text" },
    { id: "name", label: "Name", sql: "o.data->>'name'", type: "text" },
    { id: "workload_pool", label: "Workload pool", sql: "o.data->>'workloadPool'", type: "text", help: "Empty: Workload Identity is not enabled" },
    { id: "autopilot", label: "Autopilot", sql: "(o.data->>'autopilot')::boolean", type: "bool" },
    { id: "status", label: "Status", sql: "o.data->>'status'", type: "text" },
    { id: "version", label: "Version", sql: "o.data->>'currentMasterVersion'", type: "text", csvOnly: true },
    { id: "node_pools", label: "Node pools", sql: "jsonb_array_length(o.data->'nodePools')", type: "int" },
    { unknownIf: clusterListFailed("nodes", "o.subject"), id: "nodes", label: "Nodes", sql: `(select count(*) from inventory_object n where ${cur("node", "n")} and n.cluster = o.subject)`, type: "int" },
    { unknownIf: clusterListFailed("namespaces", "o.subject"), id: "namespaces", label: "Namespaces", sql: `(select count(*) from inventory_object n where ${cur("namespace", "n")} and n.cluster = o.subject)`, type: "int" },
    { id: "workloads", label: "Workloads", sql: `(select count(*) from inventory_object w where ${cur("workload", "w")} and w.cluster = o.subject)`, type: "int" },
    { unknownIf: clusterListFailed("pods", "o.subject"), id: "pods", label: "Pods", sql: `(select count(*) from inventory_object p where ${cur("pod", "p")} and p.cluster = o.subject)`, type: "int" },
    staleColumn,
  ],
  filters: { project: (p) => `o.project = ${p}`, cluster: (p) => `o.subject = ${p}` },
  search: ["o.subject", "o.data->>'workloadPool'"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

const poolNodes = `(select n.data->>'name' from inventory_object n where ${cur("node", "n")} and n.cluster = o.cluster and n.data->>'pool' = o.data->>'name')`;

export const nodepoolsTable: TableDef = {
  name: "nodepools",
  title: "Node pools",
  from: `from inventory_object o where o.kind = 'nodepool' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Node pool", sql: "o.subject", type: "subject" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject" },
    { id: "name", label: "Name", sql: "o.data->>'name'", type: "text" },
    { id: "service_account", label: "Runs as", sql: "o.data->>'serviceAccount'", type: "gsa", help: "The node GSA; pods on legacy pools act as it" },
    { id: "metadata_mode", label: "Metadata mode", sql: "o.data->>'metadataMode'", type: "text" },
    { id: "serves_gke_metadata", label: "GKE metadata", sql: "(o.data->>'servesGkeMetadata')::boolean", type: "bool", help: "Workload Identity works on this pool" },
    { unknownIf: clusterListFailed("nodes", "o.cluster"), id: "nodes", label: "Nodes", sql: `(select count(*) from inventory_object n where ${cur("node", "n")} and n.cluster = o.cluster and n.data->>'pool' = o.data->>'name')`, type: "int" },
    {
      unknownIf: clusterListFailed("pods", "o.cluster"), id: "pods",
      label: "Pods",
      sql: `(select count(*) from inventory_object p where ${cur("pod", "p")} and p.cluster = o.cluster and p.data->'spec'->>'nodeName' in ${poolNodes})`,
      type: "int",
    },
    { id: "oauth_scopes", label: "OAuth scopes", sql: "(select string_agg(s, ' ') from jsonb_array_elements_text(o.data->'oauthScopes') s)", type: "text", csvOnly: true },
    staleColumn,
  ],
  filters: { project: (p) => `o.project = ${p}`, cluster: (p) => `o.cluster = ${p}`, gsa: (p) => `o.data->>'serviceAccount' = ${p}` },
  search: ["o.subject", "o.data->>'serviceAccount'"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

export const ksasTable: TableDef = {
  name: "ksas",
  title: "Kubernetes service accounts",
  from: `from inventory_object o where o.kind = 'ksa' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "KSA", sql: "o.subject", type: "subject" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace", sql: "o.namespace", type: "text" },
    { id: "name", label: "Name", sql: "o.data->>'name'", type: "text" },
    { id: "gsa_annotation", label: "Annotation (verbatim)", sql: "o.data->>'gsaAnnotation'", type: "text", help: "The iam.gke.io/gcp-service-account value exactly as written" },
    {
      unknownIf: clusterListFailed("pods", "o.cluster"), id: "pods",
      label: "Pods",
      sql: `(select count(*) from inventory_object p where ${cur("pod", "p")} and p.cluster = o.cluster and p.namespace = o.namespace and p.data->'spec'->>'serviceAccountName' = o.data->>'name')`,
      type: "int",
    },
    {
      id: "workloads",
      label: "Workloads",
      sql: `(select count(*) from inventory_object w where ${cur("workload", "w")} and w.cluster = o.cluster and w.namespace = o.namespace and w.data->'template'->>'serviceAccountName' = o.data->>'name')`,
      type: "int",
    },
    { id: "created", label: "Created", sql: "o.data->>'creationTimestamp'", type: "time", csvOnly: true },
    staleColumn,
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    gsa: (p) => `lower(btrim(o.data->>'gsaAnnotation')) = ${p}`,
  },
  search: ["o.subject", "o.data->>'gsaAnnotation'"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

export const workloadsTable: TableDef = {
  name: "workloads",
  title: "Workloads",
  // Pod counts and pools come from the analysis (one small indexed row per workload), not
  // from counting pods per row: the CSV of 20,000 workloads streams as fast as the table pages.
  from: `from inventory_object o left join analysis_object st on st.kind = 'workload-summary' and st.valid_to is null and st.key = o.subject
    where o.kind = 'workload' and o.valid_to is null`,
  columns: [
    { id: "subject", label: "Workload", sql: "o.subject", type: "subject" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace", sql: "o.namespace", type: "text" },
    { id: "kind", label: "Kind", sql: "o.data->>'kind'", type: "text" },
    { id: "name", label: "Name", sql: "o.data->>'name'", type: "text" },
    { id: "service_account", label: "KSA", sql: "o.data->'template'->>'serviceAccountName'", type: "text" },
    { id: "host_network", label: "hostNetwork", sql: "(o.data->'template'->>'hostNetwork')::boolean", type: "bool" },
    { unknownIf: clusterListFailed("pods", "o.cluster"), id: "pods", label: "Pods", sql: `coalesce((st.data->>'pods')::int, 0)`, type: "int" },
    { id: "pending_pods", label: "Pending", sql: `coalesce((st.data->>'pendingPods')::int, 0)`, type: "int" },
    {
      id: "node_pools",
      label: "Node pools",
      sql: `(select string_agg(x, ' ') from jsonb_array_elements_text(st.data->'nodePools') x)`,
      type: "text",
    },
    { id: "schedule", label: "Schedule", sql: "o.data->>'schedule'", type: "text", csvOnly: true },
    staleColumn,
    ownerColumn(WORKLOAD_OWNER),
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    owner: ownerFilter(WORKLOAD_OWNER),
    // Every workload that uses the account by any path — Workload Identity, a key file, the node's
    // account, an annotation not yet in effect, a mounted key, a binding naming its KSA — as the GSA
    // page's "Who uses it" lists them (lib/analysis/gsa-users.ts). Until issue 13 it meant only
    // "its KSA is annotated with it", a subset of this.
    gsa: (p) => `exists (select 1 from analysis_object u where u.kind = 'gsa-user' and u.valid_to is null and u.gsa = ${p} and u.subject = o.subject)`,
  },
  search: ["o.subject"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

export const secretsTable: TableDef = {
  name: "secrets",
  title: "Secrets holding Google credentials",
  from: `from inventory_object o where o.kind = 'secret' and o.valid_to is null and jsonb_array_length(o.data->'credentials') > 0`,
  columns: [
    { id: "subject", label: "Secret", sql: "o.subject", type: "subject" },
    { id: "cluster", label: "Cluster", sql: "o.cluster", type: "subject", csvOnly: true },
    { id: "namespace", label: "Namespace", sql: "o.namespace", type: "text" },
    { id: "name", label: "Name", sql: "o.data->>'name'", type: "text" },
    { id: "credential_types", label: "Holds", sql: "(select string_agg(distinct c->>'type', ' ') from jsonb_array_elements(o.data->'credentials') c)", type: "text" },
    { id: "client_emails", label: "Service accounts", sql: "(select string_agg(c->>'clientEmail', ' ' order by c->>'dataKey') from jsonb_array_elements(o.data->'credentials') c)", type: "list" },
    { id: "key_ids", label: "Key ids", sql: "(select string_agg(c->>'keyId', ' ' order by c->>'dataKey') from jsonb_array_elements(o.data->'credentials') c)", type: "list" },
    { id: "data_keys", label: "Data keys", sql: "(select string_agg(c->>'dataKey', ' ' order by c->>'dataKey') from jsonb_array_elements(o.data->'credentials') c)", type: "text" },
    {
      id: "mounted_by",
      label: "Mounted by",
      sql: `(select count(*) from inventory_object w where ${cur("workload", "w")} and w.cluster = o.cluster and w.namespace = o.namespace
        and exists (select 1 from jsonb_array_elements(w.data->'template'->'volumes') v where v->'secret'->>'secretName' = o.data->>'name'
          or exists (select 1 from jsonb_array_elements(coalesce(v->'projected'->'sources', '[]'::jsonb)) ps where ps->'secret'->>'name' = o.data->>'name')))`,
      type: "int",
      help: "Workloads whose pod template mounts this Secret",
    },
    staleColumn,
    // Appended last: the CSV's columns before it keep their order.
    {
      id: "found_credential_types",
      label: "Found",
      sql: "(select string_agg(x, '; ' order by x) from jsonb_array_elements_text(coalesce(o.data->'credentialTypes', '[]'::jsonb)) x)",
      type: "text",
      help: "What the values were found to hold and how they were wrapped: service_account, service_account (base64-base64-json), service_account (yaml at gcp.credentials), p12, pem-private-key…",
    },
  ],
  filters: {
    project: (p) => `o.project = ${p}`,
    cluster: (p) => `o.cluster = ${p}`,
    namespace: (p) => `o.namespace = ${p}`,
    gsa: (p) => `o.data->'credentials' @> jsonb_build_array(jsonb_build_object('clientEmail', ${p}::text))`,
  },
  search: ["o.subject", "o.data::text"],
  defaultSort: "subject",
  tiebreak: "o.subject",
};

export const INVENTORY_TABLES: Record<string, TableDef> = {
  gsas: gsasTable,
  keys: keysTable,
  clusters: clustersTable,
  nodepools: nodepoolsTable,
  ksas: ksasTable,
  workloads: workloadsTable,
  secrets: secretsTable,
};
