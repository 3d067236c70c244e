/**
 * Effective identity: the Google identity a container's client libraries resolve through Application
 * Default Credentials, with the reason, in ADC's own order:
 *  1. GOOGLE_APPLICATION_CREDENTIALS, resolved with Kubernetes' env rules (lib/inventory/pod-env.ts:
 *     `envFrom` with `prefix`, `env` over `envFrom`, later sources over earlier, `$(VAR)` expansion,
 *     optional sources) → the file it names, through the container's mounts (Secret, ConfigMap and
 *     projected volumes). A key is a key; a person's refresh token is flagged like one; a Workload
 *     Identity Federation configuration (external_account) is keyless. A file that cannot be resolved
 *     is `unknown-key-file`: ADC fails on a missing file, it does not fall through. A variable that
 *     may or may not be set (its only source could not be read) is `unknown-key-file` marked possible.
 *  2. else ADC's well-known file, `$HOME/.config/gcloud/application_default_credentials.json`: HOME
 *     comes from the image, so a credential mounted at a path ending in
 *     `.config/gcloud/application_default_credentials.json` is taken; one reachable only through
 *     CLOUDSDK_CONFIG is possible, not certain (client libraries differ).
 *  3. else hostNetwork, a node without the GKE metadata server, or a cluster without a workload
 *     pool → the node pool's service account;
 *  4. else a KSA annotated with a GSA → that GSA, working / conditional / broken / unknown;
 *  5. else the KSA's own federated principal.
 * A Pending pod has none yet. Note: `gcloud auth list` inside a key-file pod still shows the metadata
 * identity — the libraries use the file.
 */
import type { AnalysisContext } from "./context";
import type { ContainerEssentials, InventoryRecord, NodeData, NodePoolData, PodData, PodSpecEssentials, SecretCredential, WorkloadData } from "../inventory/model";
import type { CredentialVia, DenyHit, Identity, IdentityShare, WorkloadIdentity } from "./model";
import { denyHits, directGrants, federatedPrincipal, gsaProject, isValidGsaEmail, tokenGrants } from "./iam";
import { GAC, resolveEnv, type EnvLookup } from "../inventory/pod-env";
import { ADC_WELL_KNOWN, fileSource, filesEndingWith, type KeysOf } from "../inventory/pod-files";
import { credentialClass } from "../inventory/secret-credentials";
import { landing } from "./scheduling";

/**
 * Where a pod (or a predicted pod) runs: its cluster, namespace, spec and node — or, for a
 * prediction, the node pool it would land on (`pool`), or a pool GKE would auto-provision (`autoprovisioned`).
 */
export type Placement = {
  cluster: string;
  namespace: string;
  spec: PodSpecEssentials;
  nodeName: string | null;
  phase: string | null;
  pool?: InventoryRecord<NodePoolData>;
  autoprovisioned?: boolean;
};

export function allContainers(spec: PodSpecEssentials): ContainerEssentials[] {
  return [...spec.initContainers, ...spec.containers, ...spec.ephemeralContainers];
}

// ---- how an identity authenticates -------------------------------------------------------------

/**
 * Whether an identity authenticates with a long-lived secret a workload holds — a service account
 * key, a person's refresh token, or a GOOGLE_APPLICATION_CREDENTIALS file that is set but cannot be
 * resolved (presumed a key: ADC will not fall back to the metadata server). The one place that says
 * what is key-ish: rules, migration steps and counts ask it.
 */
export function isKeyish(id: Identity): boolean {
  return id.type === "key-file" || id.type === "credential-file" || (id.type === "unknown-key-file" && !id.possible);
}

/** A key file that may be in use, but is not known to be (a variable that may be unset, a CLOUDSDK_CONFIG file): `unverified`, never `open`. */
export function isPossiblyKeyish(id: Identity): boolean {
  return id.type === "unknown-key-file" && id.possible === true;
}

/** Keyless: the metadata server (node, Workload Identity, federated principal) or a federation configuration. */
export function isKeyless(id: Identity): boolean {
  return id.type === "external-account" || id.type === "workload-identity" || id.type === "federated" || id.type === "node";
}

// ---- GOOGLE_APPLICATION_CREDENTIALS and the files it names -------------------------------------

/** What the inventory knows of the ConfigMaps and Secrets a pod in `ns` refers to. */
export function envLookup(ctx: AnalysisContext, cluster: string, ns: string): EnvLookup {
  const clusterKey = cluster.replace(/^cluster:/, "");
  return {
    secret: (name) => {
      const s = ctx.secret(cluster, ns, name);
      if (s) return { state: "read", has: (k) => s.data.dataKeys.includes(k), value: () => undefined };
      const lacking = ctx.k8sLacking(cluster, "secrets");
      return lacking.length ? { state: "unreadable", lacking } : { state: "missing" };
    },
    configMap: (name) => {
      const cm = ctx.configMap(cluster, ns, name);
      if (cm?.data.absent) return { state: "missing" };
      if (cm) return { state: "read", has: (k) => (cm.data.looked.includes(k) ? cm.data.present.includes(k) : "unknown"), value: (k) => cm.data.values[k] };
      const lacking = ctx.lacking(["k8s.configmaps", clusterKey]);
      return lacking.length ? { state: "unreadable", lacking } : { state: "missing" };
    },
  };
}

/** A file's identity, or `absent` when there is no such file (ADC then fails on GAC, or moves on from the well-known path). */
type FileResult = { identity: Identity } | { absent: string };

const unknownFile = (c: ContainerEssentials, path: string | null, reason: string, lacking: string[] = [], possible = false): FileResult => ({
  identity: { type: "unknown-key-file", path, container: c.name, reason, lacking, ...(possible ? { possible: true } : {}) },
});

/** The federated principal an external_account audience stands for. */
function federationOf(ctx: AnalysisContext, p: Placement, audience: string | null): { principal: string; pool: string } {
  const a = audience ?? "";
  // A fleet's identity namespace (GKE fleets, attached clusters): the pod's KSA token, in the fleet's pool.
  const fleet = /^identitynamespace:([^:]+):/.exec(a);
  if (fleet) return { pool: fleet[1], principal: federatedPrincipal(ctx, fleet[1], p.namespace, p.spec.serviceAccountName) };
  const m = /^\/\/iam\.googleapis\.com\/(projects\/[^/]+\/locations\/[^/]+\/workloadIdentityPools\/[^/]+)/.exec(a);
  if (m) return { pool: m[1], principal: `principalSet://iam.googleapis.com/${m[1]}/*` };
  return { pool: a || "(no audience)", principal: a || "(no audience)" };
}

function keyExistsOf(ctx: AnalysisContext, cred: SecretCredential): boolean | null {
  if (!cred.keyId || !cred.clientEmail) return null;
  if (ctx.keysById.has(cred.keyId)) return true;
  const proj = gsaProject(ctx, cred.clientEmail);
  return proj && ctx.isProjectScanned(proj) && ctx.sourceStatus("iam.keys", proj) === "ok" ? false : null;
}

/** `via` is recorded only for the well-known file: absent means GOOGLE_APPLICATION_CREDENTIALS named it. */
const viaField = (via: CredentialVia) => (via === "well-known-file" ? { via } : {});

/** A credential file's summary → the identity ADC makes of it. */
function credentialIdentity(ctx: AnalysisContext, p: Placement, c: ContainerEssentials, cred: SecretCredential, holder: string, dataKey: string, path: string, via: CredentialVia): Identity {
  const cls = credentialClass(cred);
  if (cls === "keyless") {
    const { principal, pool } = federationOf(ctx, p, cred.audience ?? null);
    return { type: "external-account", credentialType: cred.type, principal, pool, audience: cred.audience ?? null, email: cred.impersonates ?? null, secret: holder, path, container: c.name, ...viaField(via) };
  }
  if (cls === "key" && cred.type !== "gdch_service_account") {
    return {
      type: "key-file",
      email: cred.clientEmail,
      keyId: cred.keyId,
      secret: holder,
      dataKey,
      path,
      container: c.name,
      keyExists: keyExistsOf(ctx, cred),
      ...(cred.type === "impersonated_service_account" ? { impersonates: cred.impersonates ?? null } : {}),
      ...viaField(via),
    };
  }
  return {
    type: "credential-file",
    credentialType: cred.type,
    email: cred.impersonates ?? (cred.type === "impersonated_service_account" ? null : cred.clientEmail),
    secret: holder,
    path,
    container: c.name,
    ...(cred.type === "impersonated_service_account" ? { sourceType: cred.sourceType ?? null } : {}),
    ...viaField(via),
  };
}

function keysOfFor(ctx: AnalysisContext, p: Placement): KeysOf {
  // A Secret's keys are all known; a ConfigMap's only as far as the scanner looked.
  return (kind, name) => (kind === "secret" ? ctx.secret(p.cluster, p.namespace, name)?.data.dataKeys : undefined);
}

/** Resolves a file path through the container's mounts to a Secret or ConfigMap key, and reads its credential summary. */
function fileIdentity(ctx: AnalysisContext, p: Placement, c: ContainerEssentials, path: string, via: CredentialVia): FileResult {
  const fs = fileSource(p.spec.volumes, c.volumeMounts, path, keysOfFor(ctx, p));
  switch (fs.kind) {
    case "none":
      return { absent: fs.reason };
    case "token":
      return unknownFile(c, path, `${path} is a Kubernetes service account token, not a Google credential file`);
    case "other":
      return unknownFile(c, path, `${path} is on a ${fs.volumeType} volume, which the scanner cannot read`);
    case "secret": {
      const s = ctx.secret(p.cluster, p.namespace, fs.name);
      if (!s) {
        const lacking = ctx.k8sLacking(p.cluster, "secrets");
        if (lacking.length) return unknownFile(c, path, `Secret ${fs.name} could not be read`, lacking);
        return fs.optional ? { absent: `Secret ${fs.name} does not exist (the volume is optional)` } : unknownFile(c, path, `Secret ${fs.name} does not exist`);
      }
      const cred = s.data.credentials.find((x) => x.dataKey === fs.key);
      if (cred) return { identity: credentialIdentity(ctx, p, c, cred, s.subject, fs.key, path, via) };
      if (s.data.dataKeys.includes(fs.key)) return unknownFile(c, path, `${path} (Secret ${fs.name} key ${fs.key}) is not a Google credential file`);
      return { absent: `Secret ${fs.name} has no key ${fs.key}, so ${path} does not exist` };
    }
    case "configMap": {
      const found = ctx.configMap(p.cluster, p.namespace, fs.name);
      const cm = found?.data.absent ? undefined : found;
      const scope = p.cluster.replace(/^cluster:/, "");
      if (!cm) {
        const lacking = found ? [] : ctx.lacking(["k8s.configmaps", scope]);
        if (lacking.length) return unknownFile(c, path, `ConfigMap ${fs.name} could not be read`, lacking);
        return fs.optional ? { absent: `ConfigMap ${fs.name} does not exist (the volume is optional)` } : unknownFile(c, path, `ConfigMap ${fs.name} does not exist`);
      }
      if (!cm.data.looked.includes(fs.key)) return unknownFile(c, path, `the scan did not look at ConfigMap ${fs.name} key ${fs.key}`, [`k8s.configmaps:${scope}`]);
      const cred = cm.data.credentials.find((x) => x.dataKey === fs.key);
      if (cred) return { identity: credentialIdentity(ctx, p, c, cred, cm.subject, fs.key, path, via) };
      if (cm.data.present.includes(fs.key)) return unknownFile(c, path, `${path} (ConfigMap ${fs.name} key ${fs.key}) is not a Google credential file`);
      return { absent: `ConfigMap ${fs.name} has no key ${fs.key}, so ${path} does not exist` };
    }
  }
}

/**
 * ADC's first two steps for a container: GOOGLE_APPLICATION_CREDENTIALS, then the well-known file.
 * Undefined when neither applies (ADC goes on to the metadata server).
 */
export function credentialFileIdentity(ctx: AnalysisContext, p: Placement, c: ContainerEssentials): Identity | undefined {
  const lookup = envLookup(ctx, p.cluster, p.namespace);
  const gac = resolveEnv(c, GAC, lookup);
  if (gac.kind === "unknown") {
    return { type: "unknown-key-file", path: null, container: c.name, reason: gac.reason, lacking: gac.lacking, ...(gac.definite ? {} : { possible: true }) };
  }
  // An empty value counts as unset (Go, Java and Node's libraries skip it).
  if (gac.kind === "value" && gac.value !== "") {
    const r = fileIdentity(ctx, p, c, gac.value, "GOOGLE_APPLICATION_CREDENTIALS");
    if ("identity" in r) return r.identity;
    return { type: "unknown-key-file", path: gac.value, container: c.name, reason: `${r.absent}, so ADC fails to read it`, lacking: [] };
  }
  // The well-known file under HOME: the image decides HOME, so any mounted path ending in it counts.
  for (const f of filesEndingWith(p.spec.volumes, c.volumeMounts, ADC_WELL_KNOWN, keysOfFor(ctx, p))) {
    const r = fileIdentity(ctx, p, c, f.path, "well-known-file");
    if ("identity" in r) return r.identity;
  }
  // $CLOUDSDK_CONFIG/application_default_credentials.json: some libraries read it (Python's google-auth,
  // Java's), others only HOME's: not known to be used.
  const cfg = resolveEnv(c, "CLOUDSDK_CONFIG", lookup);
  if (cfg.kind === "value" && cfg.value) {
    const path = `${cfg.value.replace(/\/+$/, "")}/application_default_credentials.json`;
    const r = fileIdentity(ctx, p, c, path, "well-known-file");
    if ("identity" in r && r.identity.type !== "external-account") {
      const what = r.identity.type === "unknown-key-file" ? r.identity.reason : `it holds a ${r.identity.type === "key-file" ? "service account key" : r.identity.type === "credential-file" ? `${r.identity.credentialType} file` : "credential"}`;
      return {
        type: "unknown-key-file",
        path,
        container: c.name,
        reason: `${path} is reachable only through CLOUDSDK_CONFIG, which some client libraries read and others do not (${what})`,
        lacking: r.identity.type === "unknown-key-file" ? r.identity.lacking : [],
        possible: true,
      };
    }
  }
  return undefined;
}

/** The node pool and GKE-metadata status of where the pod runs; undefined when unknowable. */
export function nodeFacts(ctx: AnalysisContext, cluster: string, nodeName: string): { node?: InventoryRecord<NodeData>; gke: boolean | null; poolName: string | null; lacking: string[] } {
  const c = ctx.clusters.get(cluster);
  if (c?.data.autopilot) return { gke: true, poolName: ctx.node(cluster, nodeName)?.data.pool ?? null, lacking: [] };
  const node = ctx.node(cluster, nodeName);
  if (!node) return { gke: null, poolName: null, lacking: ctx.k8sLacking(cluster, "nodes") };
  return { node, gke: node.data.gkeMetadataLabel === "true", poolName: node.data.pool, lacking: [] };
}

function nodeIdentity(ctx: AnalysisContext, p: Placement, reason: "host-network" | "legacy-pool" | "no-workload-pool", poolName: string | null): Identity {
  const pools = ctx.poolsOf(p.cluster);
  const pool = p.pool ?? (poolName ? pools.find((x) => x.data.name === poolName) : pools.length === 1 ? pools[0] : undefined);
  if (!pool && p.autoprovisioned) {
    const sa = ctx.clusters.get(p.cluster)?.data.autoprovisioningServiceAccount;
    if (sa) return { type: "node", email: sa, pool: null, scopes: [], reason };
  }
  if (!pool) {
    return { type: "unknown", reason: `the pod acts as its node's service account, but the node pool is unknown`, lacking: [...ctx.k8sLacking(p.cluster, "nodes"), ...ctx.lacking(["container.clusters", p.cluster.replace(/^cluster:/, "").split("/")[0]])] };
  }
  return { type: "node", email: pool.data.serviceAccount, pool: pool.subject, scopes: pool.data.oauthScopes, reason };
}

/** Steps 3–4 of ADC on a GKE-metadata node: the KSA's annotation, or its federated principal. */
export function metadataIdentity(ctx: AnalysisContext, cluster: string, ns: string, ksaName: string): Identity {
  // Asked for every container of every pod, and again by statuses, rules and the graph: a KSA's answer
  // depends on the KSA alone, so it is worked out once per analysis (nothing changes the object handed out).
  const memo = ctx.memo("metadataIdentity", () => new Map<string, Identity>());
  const key = `${cluster}|${ns}|${ksaName}`;
  let id = memo.get(key);
  if (!id) memo.set(key, (id = metadataIdentityOf(ctx, cluster, ns, ksaName)));
  return id;
}

function metadataIdentityOf(ctx: AnalysisContext, cluster: string, ns: string, ksaName: string): Identity {
  const c = ctx.clusters.get(cluster);
  const pool = c?.data.workloadPool;
  if (!c || !pool) return { type: "unknown", reason: "the cluster is unknown", lacking: [] };
  const ksa = ctx.ksa(cluster, ns, ksaName);
  if (!ksa) {
    const lacking = ctx.k8sLacking(cluster, "serviceaccounts");
    if (lacking.length) return { type: "unknown", reason: `KSA ${ns}/${ksaName} could not be read`, lacking };
    // The KSA is gone (pods keep running after their KSA is deleted): no annotation to follow.
  }
  const annotation = ksa?.data.gsaAnnotation ?? null;
  if (annotation === null) {
    return { type: "federated", principal: federatedPrincipal(ctx, pool, ns, ksaName), pool, grants: directGrants(ctx, { pool, cluster, ns, ksa: ksaName }) };
  }
  const email = annotation.trim().toLowerCase();
  const base = { type: "workload-identity" as const, email, annotation, grants: [], lacking: [] as string[] };
  if (!isValidGsaEmail(annotation)) {
    return { ...base, status: "broken", reason: `the annotation ${JSON.stringify(annotation)} is not a service account email as written, so token requests fail` };
  }
  const project = gsaProject(ctx, email);
  if (!project || !ctx.isProjectScanned(project)) {
    return { ...base, status: "unknown", reason: `the GSA's project ${project ?? "(unknown)"} was not scanned`, lacking: [`project ${project ?? email}`] };
  }
  const gsa = ctx.gsas.get(email);
  if (!gsa) {
    const lacking = ctx.lacking(["iam.serviceAccounts", project]);
    if (lacking.length) return { ...base, status: "unknown", reason: `the service accounts of ${project} could not be listed`, lacking };
    return { ...base, status: "broken", reason: `${email} does not exist: the email shows, token requests fail with 403` };
  }
  if (gsa.data.disabled) return { ...base, status: "broken", reason: `${email} is disabled: token requests fail with 403` };
  const who = { pool, cluster, ns, ksa: ksaName };
  const { grants, lacking, unresolved, inactive } = tokenGrants(ctx, email, project, who);
  const unconditional = grants.filter((g) => !g.condition);
  let granted: Identity & { type: "workload-identity" };
  if (unconditional.length) granted = { ...base, status: "working", reason: `granted ${unconditional[0].role} to ${unconditional[0].member} on ${unconditional[0].resource}`, grants };
  else if (unresolved.length) {
    // A custom role that could not be read may be the grant: never call the link broken on a guess.
    const u = unresolved[0];
    return { ...base, status: "unknown", reason: `granted ${u.grant.role} to ${u.grant.member} on ${u.grant.resource}, a custom role whose permissions could not be read`, grants, lacking: [...new Set([...unresolved.flatMap((x) => x.lacking), ...lacking])] };
  } else if (grants.length) granted = { ...base, status: "conditional", reason: `granted only under an IAM condition (${grants[0].condition})`, grants };
  else if (lacking.length) return { ...base, status: "unknown", reason: "the IAM policies that could grant it were not all readable", grants, lacking };
  else if (inactive.length) return { ...base, status: "broken", reason: `granted only ${inactive[0].grant.role} to ${inactive[0].grant.member} on ${inactive[0].grant.resource}, and ${inactive[0].why}: token requests fail with 403` };
  else return { ...base, status: "broken", reason: `${email} does not grant roles/iam.workloadIdentityUser to ${pool}[${ns}/${ksaName}]: token requests fail with 403` };
  // IAM checks deny policies before allow policies: a deny rule on getAccessToken for this principal breaks a granted link.
  const { hits, unread } = denyHits(ctx, project, who);
  const firm = hits.filter((h) => !h.condition);
  const name = (h: DenyHit) => `deny policy ${h.displayName ? `"${h.displayName}" (${h.policyId})` : h.policyId} on ${h.attachedTo}`;
  if (firm.length) {
    return { ...granted, status: "broken", reason: `${granted.reason}, but ${name(firm[0])} denies ${firm[0].permission} to ${firm[0].principal}: token requests fail with 403`, denied: hits };
  }
  if (hits.length) {
    return { ...granted, status: "unknown", reason: `${granted.reason}, but ${name(hits[0])} denies ${hits[0].permission} to ${hits[0].principal} when ${hits[0].condition}: whether it applies cannot be told`, denied: hits };
  }
  if (unread.length) return { ...granted, reason: `${granted.reason} (deny policies not read: ${unread.join(", ")})`, denyUnread: unread };
  return granted;
}

/** The identity of one container of a placed pod. */
export function containerIdentity(ctx: AnalysisContext, p: Placement, c: ContainerEssentials): Identity {
  // 1–2. GOOGLE_APPLICATION_CREDENTIALS, then the well-known file.
  const file = credentialFileIdentity(ctx, p, c);
  if (file) return file;
  if (!p.nodeName && !p.pool && !p.autoprovisioned) return { type: "pending", reason: "the pod is not scheduled on a node yet" };
  const cluster = ctx.clusters.get(p.cluster);
  if (!cluster) return { type: "unknown", reason: "the cluster is not in the inventory", lacking: [] };
  // 3. the node's service account
  const facts = p.pool
    ? { gke: p.pool.data.servesGkeMetadata, poolName: p.pool.data.name, lacking: [] as string[] }
    : p.autoprovisioned
      ? // Autopilot and auto-provisioned pools of a Workload Identity cluster serve the GKE metadata server.
        { gke: cluster.data.autopilot || !!cluster.data.workloadPool, poolName: null, lacking: [] as string[] }
      : nodeFacts(ctx, p.cluster, p.nodeName!);
  if (p.spec.hostNetwork) return nodeIdentity(ctx, p, "host-network", facts.poolName);
  if (!cluster.data.workloadPool) return nodeIdentity(ctx, p, "no-workload-pool", facts.poolName);
  if (facts.gke === null) return { type: "unknown", reason: `node ${p.nodeName} could not be read`, lacking: facts.lacking };
  if (!facts.gke) return nodeIdentity(ctx, p, "legacy-pool", facts.poolName);
  // 4–5. the KSA
  return metadataIdentity(ctx, p.cluster, p.namespace, p.spec.serviceAccountName);
}

/** A short label for an identity, as tables and CSVs show it. */
export function identityLabel(id: Identity): string {
  switch (id.type) {
    case "key-file":
      return id.impersonates ? `${id.impersonates} (impersonated with a key of ${id.email ?? "an unknown account"})` : (id.email ?? "unknown (key file)");
    case "credential-file":
      return id.email ? `${id.credentialType}: ${id.email}` : id.credentialType;
    case "external-account":
      return id.email ? `${id.email} (via ${id.pool.split("/").pop()})` : id.principal;
    case "unknown-key-file":
      return "unknown (key file)";
    case "node":
      return id.email;
    case "workload-identity":
      return id.status === "working" ? id.email : `${id.email} (${id.status})`;
    case "federated":
      return id.principal;
    case "pending":
      return "pending";
    case "unknown":
      return "unknown";
  }
}

function identityKey(id: Identity): string {
  switch (id.type) {
    case "key-file":
      return `key-file|${id.email}|${id.keyId}|${id.secret}`;
    case "workload-identity":
      return `wi|${id.email}|${id.status}`;
    case "node":
      return `node|${id.email}|${id.reason}`;
    case "external-account":
      return `external-account|${id.principal}|${id.email}|${id.secret}`;
    case "unknown-key-file":
      return `unknown-key-file|${id.possible ? "possible" : "set"}|${id.reason}`;
    default:
      return `${id.type}|${identityLabel(id)}`;
  }
}

const FROM_FILE = new Set<Identity["type"]>(["key-file", "credential-file", "external-account", "unknown-key-file"]);

/** Identities of a pod, one per container (init containers and sidecars included). */
export function podIdentities(ctx: AnalysisContext, pod: InventoryRecord<PodData>): { container: string; identity: Identity }[] {
  const p: Placement = { cluster: pod.cluster!, namespace: pod.data.namespace, spec: pod.data.spec, nodeName: pod.data.spec.nodeName, phase: pod.data.phase };
  if (pod.data.phase === "Pending" && !pod.data.spec.nodeName) {
    // ADC's first steps do not need a node: a credential file is already decided.
    return allContainers(pod.data.spec).map((c) => {
      const id = containerIdentity(ctx, p, c);
      return { container: c.name, identity: FROM_FILE.has(id.type) ? id : ({ type: "pending", reason: "the pod is Pending: no node yet" } as Identity) };
    });
  }
  return allContainers(pod.data.spec).map((c) => ({ container: c.name, identity: containerIdentity(ctx, p, c) }));
}

const FINISHED = new Set(["Succeeded", "Failed"]);

/**
 * The pods that say who a workload is: its running (and Pending) pods; else, when only finished pods
 * remain (CronJob history, completed Jobs), the latest run among those whose node is still known —
 * a finished pod on a node that no longer exists (scaled away) tells nothing about where the next
 * one lands. Empty when only finished pods on gone nodes remain: then the template is predicted.
 */
export function decidingPods(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>): InventoryRecord<PodData>[] {
  const pods = ctx.podsOf(w.subject);
  const active = pods.filter((p) => !FINISHED.has(p.data.phase ?? ""));
  if (active.length) return active;
  const nodesRead = !ctx.k8sLacking(w.cluster!, "nodes").length;
  // A finished pod's node is gone only when the node list answered in full and does not have it.
  const known = pods.filter((p) => !p.data.spec.nodeName || !nodesRead || ctx.node(w.cluster!, p.data.spec.nodeName));
  if (!known.length) return [];
  const latest = [...known].sort((a, b) => (b.data.startTime ?? "").localeCompare(a.data.startTime ?? ""))[0];
  // The latest run: the pods of the latest pod's Job (or that pod alone).
  return known.filter((p) => p === latest || (latest.data.owner?.kind === "Job" && p.data.owner?.kind === "Job" && p.data.owner.name === latest.data.owner.name));
}

/** A workload's identity: that of its pods (mixed with the split), or predicted from its template when it has none. */
export function workloadIdentity(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>): WorkloadIdentity {
  const pods = decidingPods(ctx, w);
  const shares = new Map<string, IdentityShare>();
  const add = (id: Identity, container: string, countPod: boolean) => {
    const key = identityKey(id);
    let s = shares.get(key);
    if (!s) {
      s = { identity: id, label: identityLabel(id), pods: 0, containers: [] };
      shares.set(key, s);
    }
    if (countPod) s.pods++;
    if (!s.containers.includes(container)) s.containers.push(container);
  };
  const placeEach = (places: Placement[]) => {
    for (const place of places) {
      const seen = new Set<string>();
      for (const c of allContainers(place.spec)) {
        const id = containerIdentity(ctx, place, c);
        const k = identityKey(id);
        add(id, c.name, !seen.has(k));
        seen.add(k);
      }
    }
  };
  let mode: WorkloadIdentity["mode"];
  if (pods.length > 0) {
    const placed = pods.filter((p) => p.data.spec.nodeName || p.data.phase !== "Pending");
    const use = placed.length ? placed : pods;
    for (const pod of use) {
      const seen = new Set<string>();
      for (const { container, identity } of podIdentities(ctx, pod)) {
        const k = identityKey(identity);
        add(identity, container, !seen.has(k));
        seen.add(k);
      }
    }
    mode = shares.size > 1 ? "mixed" : "single";
  } else {
    // No pods: predict from the template on each pool (else node) it could land on.
    const spec = w.data.template;
    const base = { cluster: w.cluster!, namespace: w.data.namespace, spec, phase: "Running" };
    const where = landing(ctx, w.cluster!, spec);
    if (where === null) {
      for (const c of allContainers(spec)) {
        const file = credentialFileIdentity(ctx, { ...base, nodeName: null }, c);
        add(file ?? { type: "unknown", reason: "no pods, and the nodes it could run on are unknown", lacking: [...ctx.k8sLacking(w.cluster!, "nodes"), ...ctx.lacking(["container.clusters", w.project ?? ""])] }, c.name, true);
      }
    } else if (where.autoprovision) {
      placeEach([{ ...base, nodeName: null, autoprovisioned: true }]);
    } else if (where.pools.length === 0 && where.nodes.length === 0) {
      for (const c of allContainers(spec)) {
        const file = credentialFileIdentity(ctx, { ...base, nodeName: null }, c);
        add(file ?? { type: "pending", reason: `no ${where.basis === "pools" ? "node pool" : "node"} matches its node selector, affinity and tolerations` }, c.name, true);
      }
    } else if (where.basis === "pools") {
      placeEach(where.pools.map((pool) => ({ ...base, nodeName: null, pool })));
    } else {
      const byPool = new Map<string, InventoryRecord<NodeData>>();
      for (const n of where.nodes) if (!byPool.has(n.data.pool ?? n.data.name)) byPool.set(n.data.pool ?? n.data.name, n);
      placeEach([...byPool.values()].map((n) => ({ ...base, nodeName: n.data.name })));
    }
    mode = "predicted";
  }
  const list = [...shares.values()].sort((a, b) => b.pods - a.pods || (a.label < b.label ? -1 : 1));
  const single = list.length === 1 ? list[0] : undefined;
  return {
    mode,
    shares: list,
    label: single ? single.label : list.length === 0 ? "none" : "mixed",
    source: single ? single.identity.type : list.length === 0 ? "none" : "mixed",
  };
}
