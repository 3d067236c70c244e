/**
 * Effective identity: the Google identity a container's client libraries resolve through Application
 * Default Credentials, with the reason, in ADC's own order:
 *  1. GOOGLE_APPLICATION_CREDENTIALS → the file it names (a key file, another credential type, or,
 *     when the file cannot be resolved, `unknown-key-file`: ADC fails on a missing file, it does not
 *     fall through);
 *  2. else hostNetwork, a node without the GKE metadata server, or a cluster without a workload
 *     pool → the node pool's service account;
 *  3. else a KSA annotated with a GSA → that GSA, working / conditional / broken / unknown;
 *  4. else the KSA's own federated principal.
 * A Pending pod has none yet. Note: `gcloud auth list` inside a key-file pod still shows the metadata
 * identity — the libraries use the file.
 */
import type { AnalysisContext } from "./context";
import type { ContainerEssentials, InventoryRecord, PodData, PodSpecEssentials, WorkloadData, NodeData, SecretData } from "../inventory/model";
import type { DenyHit, Identity, IdentityShare, WorkloadIdentity } from "./model";
import { denyHits, directGrants, federatedPrincipal, gsaProject, isValidGsaEmail, tokenGrants } from "./iam";

const GAC = "GOOGLE_APPLICATION_CREDENTIALS";

type Obj = Record<string, unknown>;

/** Where a pod (or a predicted pod) runs: its cluster, namespace, spec and node. */
export type Placement = { cluster: string; namespace: string; spec: PodSpecEssentials; nodeName: string | null; phase: string | null };

export function allContainers(spec: PodSpecEssentials): ContainerEssentials[] {
  return [...spec.initContainers, ...spec.containers, ...spec.ephemeralContainers];
}

type PathResult = { path: string } | { unknown: string; lacking: string[] } | undefined;

/** The value of GOOGLE_APPLICATION_CREDENTIALS in a container, as far as the inventory can tell. */
function credentialsPath(ctx: AnalysisContext, p: Placement, c: ContainerEssentials): PathResult {
  const secretLacking = () => ctx.k8sLacking(p.cluster, "secrets");
  // `env` wins over `envFrom`; the last `env` entry of a name wins.
  const env = [...c.env].reverse().find((e) => e.name === GAC);
  if (env) {
    if (env.value !== undefined) return env.value === "" ? undefined : { path: env.value };
    const vf = (env.valueFrom ?? {}) as Obj;
    const ref = vf.secretKeyRef as { name?: string; key?: string } | undefined;
    if (ref?.name && ref.key) {
      const s = ctx.secret(p.cluster, p.namespace, ref.name);
      if (!s) {
        const lacking = secretLacking();
        return { unknown: lacking.length ? `the value comes from Secret ${ref.name}, which could not be read` : `the value comes from Secret ${ref.name}, which does not exist`, lacking };
      }
      const v = s.data.pathValues[ref.key];
      return v ? { path: v } : { unknown: `the value comes from Secret ${ref.name} key ${ref.key}, which is not a file path`, lacking: [] };
    }
    if (vf.configMapKeyRef) return { unknown: `the value comes from ConfigMap ${(vf.configMapKeyRef as Obj).name}, which the scanner does not read`, lacking: [] };
    return { unknown: "the value comes from a field reference the scanner cannot evaluate", lacking: [] };
  }
  // envFrom: later sources override earlier ones.
  for (const src of [...c.envFrom].reverse() as Obj[]) {
    const prefix = (src.prefix as string | undefined) ?? "";
    if (!GAC.startsWith(prefix)) continue;
    const key = GAC.slice(prefix.length);
    const sref = src.secretRef as { name?: string } | undefined;
    if (sref?.name) {
      const s = ctx.secret(p.cluster, p.namespace, sref.name);
      if (s && s.data.dataKeys.includes(key)) {
        const v = s.data.pathValues[key];
        return v ? { path: v } : { unknown: `the value comes from Secret ${sref.name} key ${key}, which is not a file path`, lacking: [] };
      }
    }
  }
  return undefined;
}

function credentialIdentity(ctx: AnalysisContext, p: Placement, c: ContainerEssentials, secret: InventoryRecord<SecretData> | undefined, secretName: string, dataKey: string, path: string): Identity {
  if (!secret) {
    const lacking = ctx.k8sLacking(p.cluster, "secrets");
    return { type: "unknown-key-file", path, container: c.name, reason: lacking.length ? `Secret ${secretName} could not be read` : `Secret ${secretName} does not exist`, lacking };
  }
  const cred = secret.data.credentials.find((x) => x.dataKey === dataKey);
  if (!cred) {
    return {
      type: "unknown-key-file",
      path,
      container: c.name,
      reason: secret.data.dataKeys.includes(dataKey) ? `${path} (Secret ${secretName} key ${dataKey}) is not a Google credential file` : `Secret ${secretName} has no key ${dataKey}, so ${path} does not exist`,
      lacking: [],
    };
  }
  if (cred.type !== "service_account") {
    return { type: "credential-file", credentialType: cred.type, email: cred.clientEmail, secret: secret.subject, path, container: c.name };
  }
  let keyExists: boolean | null = null;
  if (cred.keyId && cred.clientEmail) {
    const proj = gsaProject(ctx, cred.clientEmail);
    if (ctx.keysById.has(cred.keyId)) keyExists = true;
    else if (proj && ctx.isProjectScanned(proj) && ctx.sourceStatus("iam.keys", proj) === "ok") keyExists = false;
  }
  return { type: "key-file", email: cred.clientEmail, keyId: cred.keyId, secret: secret.subject, dataKey, path, container: c.name, keyExists };
}

/** Resolves a file path through the container's mounts to a Secret key. */
function resolveFile(ctx: AnalysisContext, p: Placement, c: ContainerEssentials, path: string): Identity {
  const mounts = [...c.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = mounts.find((m) => path === m.mountPath || path.startsWith(m.mountPath.replace(/\/$/, "") + "/"));
  if (!mount) return { type: "unknown-key-file", path, container: c.name, reason: `${path} is not on any mounted volume, so ADC fails to read it`, lacking: [] };
  const rest = path === mount.mountPath ? "" : path.slice(mount.mountPath.replace(/\/$/, "").length + 1);
  const rel = mount.subPath ? (rest ? `${mount.subPath}/${rest}` : mount.subPath) : rest;
  const volume = (p.spec.volumes as Obj[]).find((v) => v.name === mount.name);
  if (!volume) return { type: "unknown-key-file", path, container: c.name, reason: `volume ${mount.name} is not defined`, lacking: [] };
  const fromSecret = (secretName: string, items: { key: string; path: string }[] | undefined): Identity | undefined => {
    let dataKey: string | undefined;
    if (items && items.length) dataKey = items.find((i) => i.path === rel)?.key;
    else if (!rel.includes("/")) dataKey = rel;
    if (!dataKey) return undefined;
    return credentialIdentity(ctx, p, c, ctx.secret(p.cluster, p.namespace, secretName), secretName, dataKey, path);
  };
  if (volume.secret) {
    const s = volume.secret as { secretName?: string; items?: { key: string; path: string }[] };
    const id = s.secretName ? fromSecret(s.secretName, s.items) : undefined;
    return id ?? { type: "unknown-key-file", path, container: c.name, reason: `Secret volume ${mount.name} has no file ${rel || "(directory)"}`, lacking: [] };
  }
  if (volume.projected) {
    const sources = (((volume.projected as Obj).sources ?? []) as Obj[]).slice().reverse();
    for (const src of sources) {
      const s = src.secret as { name?: string; items?: { key: string; path: string }[] } | undefined;
      if (s?.name) {
        const id = fromSecret(s.name, s.items);
        if (id) return id;
      }
      const tok = src.serviceAccountToken as { path?: string } | undefined;
      if (tok?.path === rel) return { type: "unknown-key-file", path, container: c.name, reason: `${path} is a Kubernetes service account token, not a Google credential file`, lacking: [] };
    }
    return { type: "unknown-key-file", path, container: c.name, reason: `no projected source of volume ${mount.name} provides ${rel}`, lacking: [] };
  }
  // Volumes read through the client list every volume type, unset ones as undefined: take the one that is set.
  const kind = Object.keys(volume).find((k) => k !== "name" && volume[k] !== undefined && volume[k] !== null) ?? "unknown";
  return { type: "unknown-key-file", path, container: c.name, reason: `${path} is on a ${kind} volume, which the scanner cannot read`, lacking: [] };
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
  const pool = poolName ? pools.find((x) => x.data.name === poolName) : pools.length === 1 ? pools[0] : undefined;
  if (!pool) {
    return { type: "unknown", reason: `the pod acts as its node's service account, but the node pool is unknown`, lacking: [...ctx.k8sLacking(p.cluster, "nodes"), ...ctx.lacking(["container.clusters", p.cluster.replace(/^cluster:/, "").split("/")[0]])] };
  }
  return { type: "node", email: pool.data.serviceAccount, pool: pool.subject, scopes: pool.data.oauthScopes, reason };
}

/** Steps 3–4 of ADC on a GKE-metadata node: the KSA's annotation, or its federated principal. */
export function metadataIdentity(ctx: AnalysisContext, cluster: string, ns: string, ksaName: string): Identity {
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
  // 1. GOOGLE_APPLICATION_CREDENTIALS
  const gac = credentialsPath(ctx, p, c);
  if (gac) {
    if ("unknown" in gac) return { type: "unknown-key-file", path: null, container: c.name, reason: gac.unknown, lacking: gac.lacking };
    return resolveFile(ctx, p, c, gac.path);
  }
  if (!p.nodeName) return { type: "pending", reason: "the pod is not scheduled on a node yet" };
  const cluster = ctx.clusters.get(p.cluster);
  if (!cluster) return { type: "unknown", reason: "the cluster is not in the inventory", lacking: [] };
  // 2. the node's service account
  const facts = nodeFacts(ctx, p.cluster, p.nodeName);
  if (p.spec.hostNetwork) return nodeIdentity(ctx, p, "host-network", facts.poolName);
  if (!cluster.data.workloadPool) return nodeIdentity(ctx, p, "no-workload-pool", facts.poolName);
  if (facts.gke === null) return { type: "unknown", reason: `node ${p.nodeName} could not be read`, lacking: facts.lacking };
  if (!facts.gke) return nodeIdentity(ctx, p, "legacy-pool", facts.poolName);
  // 3–4. the KSA
  return metadataIdentity(ctx, p.cluster, p.namespace, p.spec.serviceAccountName);
}

/** A short label for an identity, as tables and CSVs show it. */
export function identityLabel(id: Identity): string {
  switch (id.type) {
    case "key-file":
      return id.email ?? "unknown (key file)";
    case "credential-file":
      return id.email ? `${id.credentialType}: ${id.email}` : id.credentialType;
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
    default:
      return `${id.type}|${identityLabel(id)}`;
  }
}

/** Identities of a pod, one per container (init containers and sidecars included). */
export function podIdentities(ctx: AnalysisContext, pod: InventoryRecord<PodData>): { container: string; identity: Identity }[] {
  const p: Placement = { cluster: pod.cluster!, namespace: pod.data.namespace, spec: pod.data.spec, nodeName: pod.data.spec.nodeName, phase: pod.data.phase };
  if (pod.data.phase === "Pending" && !pod.data.spec.nodeName) {
    // ADC's first step does not need a node: a key file is already decided.
    return allContainers(pod.data.spec).map((c) => {
      const id = containerIdentity(ctx, p, c);
      return { container: c.name, identity: id.type === "key-file" || id.type === "credential-file" || id.type === "unknown-key-file" ? id : ({ type: "pending", reason: "the pod is Pending: no node yet" } as Identity) };
    });
  }
  return allContainers(pod.data.spec).map((c) => ({ container: c.name, identity: containerIdentity(ctx, p, c) }));
}

function matchesNode(spec: PodSpecEssentials, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector)) if (labels[k] !== v) return false;
  const terms = ((spec.nodeAffinity as Obj | null)?.requiredDuringSchedulingIgnoredDuringExecution as Obj | undefined)?.nodeSelectorTerms as
    | { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[]
    | undefined;
  if (!terms?.length) return true;
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e) => {
      const v = labels[e.key];
      if (e.operator === "In") return v !== undefined && (e.values ?? []).includes(v);
      if (e.operator === "NotIn") return v === undefined || !(e.values ?? []).includes(v);
      if (e.operator === "Exists") return v !== undefined;
      if (e.operator === "DoesNotExist") return v === undefined;
      return false;
    }),
  );
}

/** Labels a node carries that matter for scheduling onto it (we keep only some; pools add the rest). */
function nodeLabels(ctx: AnalysisContext, cluster: string, node: InventoryRecord<NodeData>): Record<string, string> {
  const labels: Record<string, string> = { "kubernetes.io/hostname": node.data.name };
  if (node.data.pool) labels["cloud.google.com/gke-nodepool"] = node.data.pool;
  if (node.data.gkeMetadataLabel !== null) labels["iam.gke.io/gke-metadata-server-enabled"] = node.data.gkeMetadataLabel;
  if (node.data.zone) labels["topology.kubernetes.io/zone"] = node.data.zone;
  void cluster;
  void ctx;
  return labels;
}

/** The nodes a pod template could be scheduled on (null when the node list is unknown). */
export function eligibleNodes(ctx: AnalysisContext, cluster: string, spec: PodSpecEssentials): InventoryRecord<NodeData>[] | null {
  const nodes = ctx.nodesByCluster.get(cluster) ?? [];
  if (ctx.k8sLacking(cluster, "nodes").length && nodes.length === 0) return null;
  return nodes.filter((n) => matchesNode(spec, nodeLabels(ctx, cluster, n)));
}

/** A workload's identity: that of its pods (mixed with the split), or predicted from its template when it has none. */
export function workloadIdentity(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>): WorkloadIdentity {
  const pods = ctx.podsOf(w.subject);
  const shares = new Map<string, IdentityShare>();
  const add = (id: Identity, container: string, podName: string, countPod: boolean) => {
    const key = identityKey(id);
    let s = shares.get(key);
    if (!s) {
      s = { identity: id, label: identityLabel(id), pods: 0, containers: [] };
      shares.set(key, s);
    }
    if (countPod) s.pods++;
    if (!s.containers.includes(container)) s.containers.push(container);
    void podName;
  };
  let mode: WorkloadIdentity["mode"];
  if (pods.length > 0) {
    const placed = pods.filter((p) => p.data.spec.nodeName || p.data.phase !== "Pending");
    const use = placed.length ? placed : pods;
    for (const pod of use) {
      const seen = new Set<string>();
      for (const { container, identity } of podIdentities(ctx, pod)) {
        const k = identityKey(identity);
        add(identity, container, pod.data.name, !seen.has(k));
        seen.add(k);
      }
    }
    mode = shares.size > 1 ? "mixed" : "single";
  } else {
    // No pods: predict from the template on each node it could land on.
    const spec = w.data.template;
    const nodes = eligibleNodes(ctx, w.cluster!, spec);
    if (nodes === null) {
      add({ type: "unknown", reason: "no pods, and the nodes it could run on are unknown", lacking: ctx.k8sLacking(w.cluster!, "nodes") }, "*", "", true);
    } else if (nodes.length === 0) {
      for (const c of allContainers(spec)) {
        const id = containerIdentity(ctx, { cluster: w.cluster!, namespace: w.data.namespace, spec, nodeName: null, phase: "Pending" }, c);
        add(id.type === "key-file" || id.type === "unknown-key-file" || id.type === "credential-file" ? id : { type: "pending", reason: "no node matches its selector" }, c.name, "", true);
      }
    } else {
      const byPool = new Map<string, InventoryRecord<NodeData>>();
      for (const n of nodes) if (!byPool.has(n.data.pool ?? n.data.name)) byPool.set(n.data.pool ?? n.data.name, n);
      for (const n of byPool.values()) {
        const seen = new Set<string>();
        for (const c of allContainers(spec)) {
          const id = containerIdentity(ctx, { cluster: w.cluster!, namespace: w.data.namespace, spec, nodeName: n.data.name, phase: "Running" }, c);
          const k = identityKey(id);
          add(id, c.name, n.data.name, !seen.has(k));
          seen.add(k);
        }
      }
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
