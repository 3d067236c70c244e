/**
 * The Workload Identity graph as data: nodes (projects, GSAs, keys, Secrets, clusters, node pools,
 * namespaces, KSAs, workloads) and edges that say what links them, each with a state the picture
 * colours — working Workload Identity green, legacy paths (node GSA, key file) amber, broad grants
 * (principalSets, unverified bindings, basic/admin roles) purple, broken links red. Built from one analysis; stored per scan (versioned) so pages can walk it from any focus.
 */
import type { AnalysisContext } from "./context";
import type { BindingRow, WorkloadStatus } from "./model";
import { gsaProject, isAdminLikeRole, isBasicRole, isValidGsaEmail, rolesOf } from "./iam";
import { isKeyish, metadataIdentity } from "./identity";
import { isSecretCredential } from "../inventory/secret-credentials";
import { mountedCredentialSecrets } from "./migration";

export type GraphNodeKind = "project" | "folder" | "organization" | "gsa" | "key" | "secret" | "cluster" | "nodepool" | "namespace" | "ksa" | "workload" | "principalset";
export type GraphState = "ok" | "legacy" | "broken" | "broad" | "info" | "ghost";

export type GraphNode = {
  /** The subject (or a synthetic id for principalSets and ghosts). */
  id: string;
  kind: GraphNodeKind;
  label: string;
  project: string | null;
  cluster: string | null;
  namespace: string | null;
  /** ok | legacy | broken | ghost (referenced but not found) | null. */
  state: GraphState | null;
  /** One line shown on hover and in the side panel. */
  detail: string;
};

export type GraphEdgeKind =
  | "annotation" // KSA → GSA (iam.gke.io/gcp-service-account)
  | "wi-binding" // GSA → KSA / principalSet (roles/iam.workloadIdentityUser on the GSA)
  | "wi-binding-inherited" // project/folder/org → KSA / principalSet (token role granted above the GSA)
  | "direct-grant" // KSA / principalSet → project/folder/org (a role granted to the federated principal)
  | "key-of" // GSA → key
  | "key-in-secret" // key → Secret
  | "secret-mounted" // Secret → workload
  | "runs-as" // workload → KSA
  | "runs-on" // workload → node pool (its pods run there)
  | "pool-runs-as" // node pool → GSA (the node service account)
  | "holds-role" // GSA → project/folder/org
  | "effective-identity" // workload → GSA it really acts as
  | "contains"; // cluster → node pool / namespace, namespace → KSA / workload / Secret

export type GraphEdge = { id: string; src: string; dst: string; kind: GraphEdgeKind; state: GraphState; label: string };

export type Graph = { nodes: GraphNode[]; edges: GraphEdge[] };

const inCluster = (subject: string) => {
  const parts = subject.slice(subject.indexOf(":") + 1).split("/");
  return { project: parts[0], cluster: `cluster:${parts.slice(0, 3).join("/")}` };
};

export function buildGraph(ctx: AnalysisContext, statuses: WorkloadStatus[], bindings: BindingRow[]): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const node = (n: GraphNode) => {
    const cur = nodes.get(n.id);
    if (!cur || (cur.state === "ghost" && n.state !== "ghost")) nodes.set(n.id, n);
  };
  const edge = (src: string, dst: string, kind: GraphEdgeKind, state: GraphState, label = "") => {
    const id = `${kind}|${src}|${dst}|${label}`;
    if (!edges.has(id)) edges.set(id, { id, src, dst, kind, state, label });
  };
  const gsaNode = (email: string) => {
    const g = ctx.gsas.get(email);
    const project = gsaProject(ctx, email);
    node({
      id: `gsa:${email}`,
      kind: "gsa",
      label: email,
      project,
      cluster: null,
      namespace: null,
      state: g ? (g.data.disabled ? "broken" : null) : project && ctx.isProjectScanned(project) ? "ghost" : null,
      detail: g ? `${g.data.displayName ?? ""}${g.data.disabled ? " (disabled)" : ""}` : project && ctx.isProjectScanned(project) ? "does not exist" : "not in the scanned projects",
    });
  };
  const resourceNode = (subject: string) => {
    const kind = subject.slice(0, subject.indexOf(":")) as GraphNodeKind;
    node({ id: subject, kind, label: subject.slice(subject.indexOf(":") + 1), project: kind === "project" ? subject.slice(8) : null, cluster: null, namespace: null, state: null, detail: kind });
  };

  for (const p of ctx.projects.values()) node({ id: p.subject, kind: "project", label: p.data.projectId, project: p.data.projectId, cluster: null, namespace: null, state: null, detail: p.data.displayName ?? "" });
  for (const g of ctx.gsas.values()) gsaNode(g.data.email);
  for (const c of ctx.clusters.values()) {
    node({ id: c.subject, kind: "cluster", label: `${c.data.name} (${c.data.location})`, project: c.data.projectId, cluster: c.subject, namespace: null, state: c.data.workloadPool ? null : "legacy", detail: c.data.workloadPool ? `pool ${c.data.workloadPool}` : "no workload pool" });
    for (const p of ctx.poolsOf(c.subject)) {
      edge(c.subject, p.subject, "contains", "info");
      node({ id: p.subject, kind: "nodepool", label: p.data.name, project: p.project ?? null, cluster: c.subject, namespace: null, state: p.data.servesGkeMetadata ? "ok" : "legacy", detail: p.data.servesGkeMetadata ? "GKE metadata" : `${p.data.metadataMode ?? "no mode"}: pods act as ${p.data.serviceAccount}` });
      gsaNode(p.data.serviceAccount);
      edge(p.subject, `gsa:${p.data.serviceAccount}`, "pool-runs-as", p.data.servesGkeMetadata ? "info" : "legacy", "nodes run as");
    }
  }
  for (const n of ctx.namespaces.values()) {
    const { project, cluster } = inCluster(n.subject);
    node({ id: n.subject, kind: "namespace", label: n.data.name, project, cluster, namespace: n.data.name, state: null, detail: "" });
    edge(cluster, n.subject, "contains", "info");
  }
  const nsOf = (subject: string) => `namespace:${subject.slice(subject.indexOf(":") + 1).split("/").slice(0, 4).join("/")}`;

  // Keys and where they sit.
  for (const [email, keys] of ctx.keysByEmail) {
    for (const k of keys) {
      if (k.data.keyType !== "USER_MANAGED") continue;
      node({ id: k.subject, kind: "key", label: k.data.keyId.slice(0, 12), project: k.data.projectId, cluster: null, namespace: null, state: "legacy", detail: `created ${k.data.validAfterTime?.slice(0, 10)}, expires ${k.data.validBeforeTime?.slice(0, 10)}` });
      edge(`gsa:${email}`, k.subject, "key-of", "legacy", "key");
    }
  }
  for (const s of ctx.secrets.values()) {
    if (!s.data.credentials.length) continue;
    const { project, cluster } = inCluster(s.subject);
    edge(nsOf(s.subject), s.subject, "contains", "info");
    // A Secret holding only a federation configuration (external_account) holds no key.
    const state: GraphState = s.data.credentials.some(isSecretCredential) ? "legacy" : "ok";
    node({ id: s.subject, kind: "secret", label: s.data.name, project, cluster, namespace: s.data.namespace, state, detail: s.data.credentials.map((c) => `${c.dataKey}: ${c.type}${c.clientEmail ?? c.impersonates ? ` ${c.clientEmail ?? c.impersonates}` : ""}`).join("; ") });
    for (const c of s.data.credentials) {
      if (!c.clientEmail) continue;
      gsaNode(c.clientEmail);
      const keySubject = c.keyId ? `key:${c.clientEmail}/${c.keyId}` : null;
      if (keySubject) {
        if (!nodes.has(keySubject)) {
          const project = gsaProject(ctx, c.clientEmail);
          node({ id: keySubject, kind: "key", label: c.keyId!.slice(0, 12), project, cluster: null, namespace: null, state: "ghost", detail: "this key no longer exists in IAM (or its project was not scanned)" });
          edge(`gsa:${c.clientEmail}`, keySubject, "key-of", "broken", "deleted key");
        }
        edge(keySubject, s.subject, "key-in-secret", nodes.get(keySubject)?.state === "ghost" ? "broken" : "legacy", c.dataKey);
      }
    }
  }

  // KSAs and their annotations.
  for (const k of ctx.ksas.values()) {
    const { project, cluster } = inCluster(k.subject);
    const a = k.data.gsaAnnotation;
    let state: GraphState | null = null;
    let detail = a === null ? "no annotation" : `annotated ${JSON.stringify(a)}`;
    if (a !== null) {
      const id = ctx.clusters.get(cluster)?.data.workloadPool ? metadataIdentity(ctx, cluster, k.data.namespace, k.data.name) : null;
      const email = a.trim().toLowerCase();
      gsaNode(email);
      const st: GraphState = !isValidGsaEmail(a) ? "broken" : id?.type === "workload-identity" ? (id.status === "working" ? "ok" : id.status === "broken" ? "broken" : "broad") : "legacy";
      state = st === "ok" ? "ok" : st === "broken" ? "broken" : null;
      if (id?.type === "workload-identity") detail = `→ ${email}: ${id.status} (${id.reason})`;
      edge(k.subject, `gsa:${email}`, "annotation", st, isValidGsaEmail(a) ? "annotation" : "malformed annotation");
    }
    node({ id: k.subject, kind: "ksa", label: `${k.data.name}`, project, cluster, namespace: k.data.namespace, state, detail });
    edge(nsOf(k.subject), k.subject, "contains", "info");
  }

  // Bindings, reconciled.
  for (const b of bindings) {
    if (!b.pool || b.state === "other") continue;
    const src = b.resource;
    if (!src.startsWith("gsa:")) resourceNode(src);
    const kind: GraphEdgeKind = src.startsWith("gsa:") ? "wi-binding" : "wi-binding-inherited";
    const state: GraphState = b.state === "ok" ? "ok" : b.state === "broad" || b.state === "unverified" ? "broad" : "broken";
    const label = `${b.role.replace("roles/iam.", "")}${b.condition ? " (conditional)" : ""}`;
    if (b.namespace && b.ksaName) {
      const clusters = ctx.clustersByPool.get(b.pool) ?? [];
      const targets = b.ksas.length ? b.ksas : clusters.length ? clusters.map((c) => `ksa:${c.slice(8)}/${b.namespace}/${b.ksaName}`) : [`ksa:${b.pool}/${b.namespace}/${b.ksaName}`];
      for (const t of targets) {
        if (!nodes.has(t)) {
          const parts = t.slice(4).split("/");
          node({ id: t, kind: "ksa", label: b.ksaName, project: parts[0], cluster: parts.length >= 5 ? `cluster:${parts.slice(0, 3).join("/")}` : null, namespace: b.namespace, state: "ghost", detail: b.detail });
        }
        edge(src, t, kind, state, label);
      }
    } else {
      const id = `principalset:${b.member}`;
      node({ id, kind: "principalset", label: b.namespace ? `every KSA in ${b.namespace}` : b.member.split("/").slice(-2).join("/"), project: b.pool.replace(/\.svc\.id\.goog$/, ""), cluster: null, namespace: b.namespace, state: "broad", detail: b.member });
      edge(src, id, kind, "broad", label);
    }
  }

  // Roles GSAs hold on projects, folders and the organization. A basic or admin-like role is a broad
  // grant (too much power), not a broken link: the account works, it may simply do too much.
  for (const email of [...nodes.values()].filter((n) => n.kind === "gsa").map((n) => n.label)) {
    for (const r of rolesOf(ctx, email)) {
      resourceNode(r.resource);
      edge(`gsa:${email}`, r.resource, "holds-role", isBasicRole(r.role) || isAdminLikeRole(r.role) ? "broad" : "info", r.role.replace(/^roles\//, ""));
    }
  }

  // Workloads: what they run as, where, what they mount, and who they really are.
  for (const st of statuses) {
    const w = ctx.workloadsBySubject.get(st.subject)!;
    const { project, cluster } = inCluster(st.subject);
    const wiOk = st.identity.shares.every((s) => (s.identity.type === "workload-identity" && s.identity.status === "working") || s.identity.type === "federated" || s.identity.type === "external-account");
    const anyKeyOrNode = st.identity.shares.some((s) => isKeyish(s.identity) || s.identity.type === "node");
    node({
      id: st.subject,
      kind: "workload",
      label: `${st.kind} ${st.name}`,
      project,
      cluster,
      namespace: st.namespace,
      state: st.migrated || wiOk ? "ok" : anyKeyOrNode ? "legacy" : st.identity.shares.some((s) => s.identity.type === "workload-identity" && s.identity.status === "broken") ? "broken" : null,
      detail: `effective identity: ${st.identity.label}`,
    });
    edge(st.subject, `ksa:${cluster.slice(8)}/${st.namespace}/${st.ksa}`, "runs-as", "info", "runs as");
    edge(nsOf(st.subject), st.subject, "contains", "info");
    const pools = new Set<string>();
    for (const p of ctx.podsOf(st.subject)) {
      if (!p.data.spec.nodeName) continue;
      const pool = ctx.poolOfNode(cluster, p.data.spec.nodeName);
      if (pool) pools.add(pool.subject);
    }
    for (const p of pools) edge(st.subject, p, "runs-on", nodes.get(p)?.state === "legacy" ? "legacy" : "info", "pods on");
    // The graph draws Secrets; a key found in a ConfigMap shows on the workload and in key-in-configmap.
    for (const m of mountedCredentialSecrets(ctx, w)) if (m.known && m.secret.startsWith("secret:")) edge(m.secret, st.subject, "secret-mounted", "legacy", "mounted by");
    for (const s of st.identity.shares) {
      const i = s.identity;
      if (i.type === "external-account" && i.email) {
        gsaNode(i.email);
        edge(st.subject, `gsa:${i.email}`, "effective-identity", "ok", "acts as (federation)");
      } else if (i.type === "key-file" && i.email) {
        gsaNode(i.email);
        edge(st.subject, `gsa:${i.email}`, "effective-identity", i.keyExists === false ? "broken" : "legacy", "acts as (key file)");
      } else if (i.type === "node") {
        gsaNode(i.email);
        edge(st.subject, `gsa:${i.email}`, "effective-identity", "legacy", "acts as (node)");
      } else if (i.type === "workload-identity") {
        gsaNode(i.email);
        edge(st.subject, `gsa:${i.email}`, "effective-identity", i.status === "working" ? "ok" : i.status === "broken" ? "broken" : "broad", `acts as (${i.status})`);
      }
    }
  }

  // Roles granted straight to KSAs (federated principals).
  for (const [subject, policy] of ctx.policies) {
    if (subject.startsWith("gsa:")) continue;
    for (const b of policy.data.bindings) {
      for (const m of b.members) {
        if (!m.startsWith("principal")) continue;
        const r = /workloadIdentityPools\/([^/]+)\/subject\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(m);
        if (!r) continue;
        for (const c of ctx.clustersByPool.get(r[1]) ?? []) {
          const k = `ksa:${c.slice(8)}/${r[2]}/${r[3]}`;
          if (!nodes.has(k)) continue;
          resourceNode(subject);
          edge(k, subject, "direct-grant", "ok", b.role.replace(/^roles\//, ""));
        }
      }
    }
  }

  // Drop edges whose ends never became nodes (a workload's KSA that was never listed, …) as ghosts.
  for (const e of edges.values()) {
    for (const end of [e.src, e.dst]) {
      if (nodes.has(end)) continue;
      const kind = end.slice(0, end.indexOf(":")) as GraphNodeKind;
      const parts = end.slice(end.indexOf(":") + 1).split("/");
      node({ id: end, kind, label: parts[parts.length - 1], project: parts[0] ?? null, cluster: parts.length >= 4 ? `cluster:${parts.slice(0, 3).join("/")}` : null, namespace: parts.length >= 5 ? parts[3] : null, state: "ghost", detail: "referenced, not in the inventory" });
    }
  }
  return { nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), edges: [...edges.values()].sort((a, b) => (a.id < b.id ? -1 : 1)) };
}
