/**
 * What Google Cloud's control planes do to the world when a write is accepted (issue 12): IAM policies
 * replaced, keys and accounts disabled, enabled, deleted or created, a cluster's Workload Identity pool
 * set, node pools created, updated and deleted — with the nodes and pods of the cluster following, as
 * GKE and the Kubernetes controllers would make them follow.
 *
 * Every change is copy-on-write: an object the world serves is replaced, never edited, so that Cloud
 * Asset's lagging index (which holds references to the objects it indexed) keeps serving the old state
 * until its lag has passed, and the estate the world was built from is never touched.
 */
import type { World, SimServiceAccount, SimCluster, Json, K8sResource } from "./world";
import { admitPodSpec, convertPodSpec, poolServesGkeMetadata } from "./world";
import type { IamPolicy, EstateServiceAccount } from "./estate-schema";
import type { LoadedProject } from "./load-estate";
import { gkeAdmissionTolerations, hasAccelerators, poolNodeShape } from "./gke-nodes";
import { eligibleNodes, nodeMisfit, unschedulableMessage, type SchedNode, type Taint } from "./schedule";
import { digits, k8sSuffix, sha, uid } from "./derive";

// ---------------------------------------------------------------- IAM

/** A fresh etag for a policy just written: 8 bytes, base64, as IAM's look (`BwYbq1Xh9Ho=`). */
export function nextEtag(seed: string, world: World): string {
  return Buffer.from(sha(`etag:${seed}:${world.writes.length}:${Date.now()}:${Math.random()}`).slice(0, 16), "hex").toString("base64");
}

/** Every member of every binding, `serviceAccount:EMAIL` → `deleted:serviceAccount:EMAIL?uid=UNIQUEID`, as IAM rewrites a deleted account. */
function markDeleted(policy: IamPolicy | undefined, email: string, uniqueId: string): IamPolicy | undefined {
  if (!policy) return policy;
  const member = `serviceAccount:${email}`;
  if (!policy.bindings.some((b) => b.members.includes(member))) return policy;
  return {
    ...policy,
    bindings: policy.bindings.map((b) => (b.members.includes(member) ? { ...b, members: b.members.map((m) => (m === member ? `deleted:${member}?uid=${uniqueId}` : m)) } : b)),
  };
}

/** Replaces an account's IAM resource (and its estate record) with changed copies. */
export function replaceAccount(world: World, sa: SimServiceAccount, change: { json?: Json; estate?: Partial<EstateServiceAccount>; keys?: Json[]; policy?: IamPolicy }): void {
  if (change.json) sa.json = change.json;
  if (change.estate) sa.estate = { ...sa.estate, ...change.estate };
  if (change.keys) sa.keys = change.keys;
  if (change.policy) sa.policy = change.policy;
  // The project's own list names the same record (what a reload of this world would read).
  const p = sa.project as LoadedProject;
  p.serviceAccounts = p.serviceAccounts.map((x) => (x.email === sa.estate.email ? sa.estate : x));
}

export function setAccountDisabled(world: World, sa: SimServiceAccount, disabled: boolean): void {
  const json = { ...sa.json };
  if (disabled) json.disabled = true;
  else delete json.disabled; // proto3 JSON: false is omitted
  replaceAccount(world, sa, { json, estate: { disabled: disabled || undefined } });
}

export function setKeyDisabled(world: World, sa: SimServiceAccount, keyId: string, disabled: boolean): void {
  const keys = sa.keys.map((k) => {
    if (!(k.name as string).endsWith(`/keys/${keyId}`)) return k;
    const out = { ...k };
    if (disabled) out.disabled = true;
    else delete out.disabled;
    return out;
  });
  replaceAccount(world, sa, { keys, estate: { keys: sa.estate.keys.map((k) => (k.keyId === keyId ? { ...k, disabled: disabled || undefined } : k)) } });
}

export function deleteKey(world: World, sa: SimServiceAccount, keyId: string): void {
  replaceAccount(world, sa, {
    keys: sa.keys.filter((k) => !(k.name as string).endsWith(`/keys/${keyId}`)),
    estate: { keys: sa.estate.keys.filter((k) => k.keyId !== keyId) },
  });
}

/** Deletes an account: gone from IAM, and every policy that named it now names `deleted:serviceAccount:EMAIL?uid=ID`. */
export function deleteAccount(world: World, sa: SimServiceAccount): void {
  const email = sa.estate.email;
  const id = sa.json.uniqueId as string;
  world.serviceAccounts = world.serviceAccounts.filter((s) => s !== sa);
  world.saByEmail.delete(email);
  world.saByUniqueId.delete(id);
  const p = sa.project as LoadedProject;
  p.serviceAccounts = p.serviceAccounts.filter((x) => x.email !== email);
  const org = world.estate.organization;
  if (org) org.iamPolicy = markDeleted(org.iamPolicy, email, id);
  for (const f of world.estate.folders) f.iamPolicy = markDeleted(f.iamPolicy, email, id);
  for (const proj of world.projects) {
    proj.iamPolicy = markDeleted(proj.iamPolicy, email, id);
    proj.resourcePolicies = proj.resourcePolicies.map((r) => ({ ...r, policy: markDeleted(r.policy, email, id) ?? r.policy }));
  }
  for (const s of world.serviceAccounts) {
    const policy = markDeleted(s.policy, email, id);
    if (policy !== s.policy) s.policy = policy!;
  }
}

/** Creates an account as `serviceAccounts.create` does: a new uniqueId, no keys but Google's own, an empty policy. */
export function createAccount(world: World, project: LoadedProject, accountId: string, fields: { displayName?: string; description?: string }): SimServiceAccount {
  const email = `${accountId}@${project.projectId}.iam.gserviceaccount.com`;
  const uniqueId = digits(`created:${email}:${Date.now()}`, 21).replace(/^0/, "1");
  const estate: EstateServiceAccount = { email, uniqueId, keys: [], ...(fields.displayName ? { displayName: fields.displayName } : {}), ...(fields.description ? { description: fields.description } : {}) } as EstateServiceAccount;
  const now = Date.now();
  const json: Json = {
    name: `projects/${project.projectId}/serviceAccounts/${email}`,
    projectId: project.projectId,
    uniqueId,
    email,
    ...(fields.displayName ? { displayName: fields.displayName } : {}),
    ...(fields.description ? { description: fields.description } : {}),
    etag: Buffer.from(sha("etag:" + email).slice(0, 8)).toString("base64"),
    oauth2ClientId: uniqueId,
  };
  const sysKey: Json = {
    name: `projects/${project.projectId}/serviceAccounts/${email}/keys/${sha("syskey:" + email + now).slice(0, 40)}`,
    validAfterTime: new Date(now).toISOString().replace(/\.\d+Z$/, "Z"),
    validBeforeTime: new Date(now + 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z"),
    keyAlgorithm: "KEY_ALG_RSA_2048",
    keyOrigin: "GOOGLE_PROVIDED",
    keyType: "SYSTEM_MANAGED",
  };
  const sa: SimServiceAccount = { project, estate, json, policy: { bindings: [] }, keys: [sysKey] };
  world.serviceAccounts = [...world.serviceAccounts, sa].sort((a, b) => (a.estate.email < b.estate.email ? -1 : 1));
  world.saByEmail.set(email, sa);
  world.saByUniqueId.set(uniqueId, sa);
  project.serviceAccounts = [...project.serviceAccounts, estate];
  return sa;
}

// ---------------------------------------------------------------- GKE: nodes and pods follow

const meta = (o: Json) => o.metadata as Json;
const labelsOf = (o: Json) => ((meta(o).labels as Record<string, string> | undefined) ?? {}) as Record<string, string>;

/** The next resourceVersion of the cluster (every change moves it; lists' continue tokens then expire). */
function bump(cluster: SimCluster): string {
  cluster.resourceVersion = String(Number(cluster.resourceVersion) + 1);
  return cluster.resourceVersion;
}

function stamp(cluster: SimCluster, obj: Json): Json {
  return { ...obj, metadata: { ...meta(obj), resourceVersion: bump(cluster) } };
}

const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function schedNode(n: Json): SchedNode {
  const spec = (n.spec as Json | undefined) ?? {};
  const alloc = ((n.status as Json | undefined)?.allocatable as Record<string, string> | undefined) ?? {};
  const extended: Record<string, number> = {};
  for (const [k, v] of Object.entries(alloc)) if (k.includes("/")) extended[k] = Number(v);
  return { name: meta(n).name as string, labels: labelsOf(n), taints: ((spec.taints as Taint[] | undefined) ?? []).map((t) => ({ ...t })), extended };
}

function sortObjects(list: Json[]): Json[] {
  const key = (x: Json) => `${(meta(x).namespace as string) ?? ""}/${meta(x).name}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function clusterIndexOf(world: World, cluster: SimCluster): number {
  return Math.max(0, world.clusters.indexOf(cluster));
}

/** The labels GKE gives a node of `pool` (as world.ts materialises them). */
function nodeLabels(cluster: SimCluster, pool: Json, name: string, zone: string, clusterHasNonGpuPool: boolean): Record<string, string> {
  const shape = poolNodeShape(pool, { clusterHasNonGpuPool });
  const labels: Record<string, string> = {
    ...shape.labels,
    "kubernetes.io/hostname": name,
    "topology.kubernetes.io/region": cluster.location.replace(/-[a-z]$/, ""),
    "topology.kubernetes.io/zone": zone,
  };
  if (poolServesGkeMetadata(cluster.json, pool)) labels["iam.gke.io/gke-metadata-server-enabled"] = "true";
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const hasNonGpuPool = (cluster: SimCluster) => ((cluster.json.nodePools as Json[] | undefined) ?? []).some((p) => !hasAccelerators(p));

/** Creates the nodes of a new pool, named as GKE names them. */
function addPoolNodes(world: World, cluster: SimCluster, pool: Json): string[] {
  const zones = pool.locations as string[];
  const count = (pool.initialNodeCount as number) * zones.length;
  const seed = `${cluster.project.projectId}/${cluster.location}/${cluster.name}`;
  const autopilot = !!(cluster.json.autopilot as Json | undefined)?.enabled;
  const shape = poolNodeShape(pool, { clusterHasNonGpuPool: hasNonGpuPool(cluster) });
  const version = (cluster.json.currentNodeVersion as string | undefined) ?? "1.33.5-gke.1308000";
  const ci = clusterIndexOf(world, cluster);
  const names: string[] = [];
  // One managed instance group per zone: its nodes share the group's hash.
  const created = Date.now();
  for (let i = 0; i < count; i++) {
    const zone = zones[i % zones.length];
    const igHash = k8sSuffix(`ig:${seed}/${pool.name}/${zone}/${created}`, 8);
    const name = `${autopilot ? "gk3" : "gke"}-${cluster.name}-${pool.name}-${igHash}-${k8sSuffix(`node:${seed}/${pool.name}/${i}/${created}`, 4)}`.slice(0, 63);
    const labels = nodeLabels(cluster, pool, name, zone, hasNonGpuPool(cluster));
    const extended = Object.fromEntries(Object.entries(shape.extended).map(([k, v]) => [k, String(v)]));
    const n = cluster.objects.nodes.length + 1;
    cluster.objects.nodes.push({
      metadata: { name, uid: uid(`node:${seed}/${name}`), resourceVersion: bump(cluster), creationTimestamp: nowIso(), labels },
      spec: { providerID: `gce://${cluster.project.projectId}/${zone}/${name}`, podCIDR: `10.${ci % 250}.${100 + (n % 150)}.0/24`, ...(shape.taints.length ? { taints: shape.taints.map((t) => ({ ...t })) } : {}) },
      status: {
        ...(Object.keys(extended).length ? { capacity: extended, allocatable: { ...extended } } : {}),
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }],
        addresses: [{ type: "InternalIP", address: `10.128.${ci % 250}.${100 + (n % 150)}` }, { type: "Hostname", address: name }],
        nodeInfo: { kubeletVersion: `v${version.split("-")[0]}`, containerRuntimeVersion: "containerd://2.0.6", osImage: shape.osImage, operatingSystem: shape.os, architecture: shape.arch },
      },
    });
    names.push(name);
  }
  sortObjects(cluster.objects.nodes);
  return names;
}

/** Re-derives the labels and taints of a pool's nodes from its (changed) config; answers the nodes whose labels or taints changed. */
function relabelPoolNodes(cluster: SimCluster, pool: Json): string[] {
  const changed: string[] = [];
  const shape = poolNodeShape(pool, { clusterHasNonGpuPool: hasNonGpuPool(cluster) });
  cluster.objects.nodes = cluster.objects.nodes.map((n) => {
    const l = labelsOf(n);
    if (l["cloud.google.com/gke-nodepool"] !== pool.name) return n;
    const name = meta(n).name as string;
    const labels = nodeLabels(cluster, pool, name, l["topology.kubernetes.io/zone"] ?? cluster.location, hasNonGpuPool(cluster));
    const taints = shape.taints.map((t) => ({ ...t }));
    const spec = { ...(n.spec as Json) };
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    if (JSON.stringify(labels) === JSON.stringify(l) && JSON.stringify(spec.taints ?? []) === JSON.stringify((n.spec as Json).taints ?? [])) return n;
    changed.push(name);
    return stamp(cluster, { ...n, metadata: { ...meta(n), labels }, spec });
  });
  return changed;
}

const ownerOf = (pod: Json) => ((meta(pod).ownerReferences as Json[] | undefined) ?? []).find((r) => r.controller) as Json | undefined;
const finished = (pod: Json) => ["Succeeded", "Failed"].includes((pod.status as Json | undefined)?.phase as string);

function runningStatus(world: World, cluster: SimCluster, spec: Json, nodeName: string, podName: string): Json {
  const ci = clusterIndexOf(world, cluster);
  const i = Math.max(0, cluster.objects.nodes.findIndex((n) => meta(n).name === nodeName));
  const started = nowIso();
  const hostIP = `10.128.${ci % 250}.${i + 1}`;
  return {
    phase: "Running",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Initialized", status: "True" },
      { type: "Ready", status: "True" },
    ],
    hostIP,
    podIP: spec.hostNetwork ? hostIP : `10.${ci % 250}.${parseInt(sha("pip:" + podName).slice(0, 4), 16) % 250}.${(parseInt(sha("pip2:" + podName).slice(0, 4), 16) % 250) + 2}`,
    startTime: started,
    qosClass: "BestEffort",
    containerStatuses: ((spec.containers as Json[]) ?? []).map((ct) => ({ name: ct.name, image: ct.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: started } } })),
  };
}

/** Places a pod as kube-scheduler would: on an eligible node (spread by a counter), else Pending with the scheduler's message. */
function schedule(world: World, cluster: SimCluster, pod: Json, nodes: SchedNode[], counter: Map<string, number>): Json {
  const spec = { ...(pod.spec as Json) };
  delete spec.nodeName;
  const eligible = eligibleNodes(spec, nodes);
  const name = meta(pod).name as string;
  if (eligible.length === 0) {
    return { ...pod, spec, status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: unschedulableMessage(spec, nodes) }], qosClass: "BestEffort" } };
  }
  const key = (ownerOf(pod)?.uid as string | undefined) ?? name;
  const i = counter.get(key) ?? parseInt(sha("place:" + key).slice(0, 6), 16);
  counter.set(key, i + 1);
  const nodeName = eligible[i % eligible.length].name;
  return { ...pod, spec: { ...spec, nodeName }, status: runningStatus(world, cluster, spec, nodeName, name) };
}

/** A replacement pod for one a controller lost: a new name and uid (a StatefulSet's keeps its name). */
function replacement(pod: Json): Json {
  const m = meta(pod);
  const owner = ownerOf(pod);
  const name = m.name as string;
  const newName = owner?.kind === "StatefulSet" ? name : `${(m.generateName as string | undefined) ?? name.replace(/[a-z0-9]+$/, "")}${k8sSuffix(`re:${name}:${Date.now()}:${Math.random()}`, 5)}`;
  return { ...pod, metadata: { ...m, name: newName, uid: uid(`pod:${newName}:${Date.now()}:${Math.random()}`), creationTimestamp: nowIso() } };
}

/**
 * Brings the cluster's pods in line with its nodes, as the control plane does after nodes change:
 * pods on nodes that are gone or were recreated (`evicted`) are deleted — those a ReplicaSet,
 * StatefulSet or Job owns come back, scheduled anew (or Pending with the scheduler's message), bare and
 * finished pods do not; Pending pods are scheduled when a node now fits them; DaemonSets run a pod on
 * exactly the nodes they admit. Controllers' statuses are recounted.
 */
export function reconcilePods(world: World, cluster: SimCluster, evicted: Set<string>): void {
  const o = cluster.objects;
  const nodes = o.nodes.map(schedNode);
  const alive = new Set(nodes.map((n) => n.name));
  const counter = new Map<string, number>();
  const pods: Json[] = [];
  for (const pod of o.pods) {
    const spec = pod.spec as Json;
    const nodeName = spec.nodeName as string | undefined;
    const owner = ownerOf(pod);
    const lost = nodeName !== undefined && (!alive.has(nodeName) || evicted.has(nodeName));
    if (owner?.kind === "DaemonSet") {
      if (!lost || alive.has(nodeName!)) pods.push(pod); // the DaemonSet pass below decides
      continue;
    }
    if (lost) {
      // PodGC deletes pods bound to a node that no longer exists; a drain evicts the rest.
      if (finished(pod) || !owner || !["ReplicaSet", "StatefulSet", "Job"].includes(owner.kind as string)) continue;
      pods.push(stamp(cluster, schedule(world, cluster, replacement(pod), nodes, counter)));
      continue;
    }
    if (!nodeName && (pod.status as Json | undefined)?.phase === "Pending") {
      const placed = schedule(world, cluster, pod, nodes, counter);
      pods.push((placed.spec as Json).nodeName ? stamp(cluster, placed) : pod);
      continue;
    }
    pods.push(pod);
  }
  // DaemonSets: one pod on each node whose taints and labels its pods' spec admits, none elsewhere.
  for (const ds of o.daemonsets) {
    const dsUid = meta(ds).uid as string;
    const template = ((ds.spec as Json).template as Json) ?? {};
    const tspec = convertPodSpec((template.spec as Json) ?? {});
    const podSpec = { ...tspec, tolerations: [...(((tspec.tolerations as Json[] | undefined) ?? []) as Json[]), ...gkeAdmissionTolerations(tspec)] };
    const eligible = new Set(nodes.filter((n) => !nodeMisfit(podSpec, n)).map((n) => n.name));
    const mine = pods.filter((p) => ownerOf(p)?.uid === dsUid);
    for (const p of mine) if (!eligible.has((p.spec as Json).nodeName as string)) pods.splice(pods.indexOf(p), 1);
    const covered = new Set(mine.map((p) => (p.spec as Json).nodeName as string));
    const ns = meta(ds).namespace as string;
    const dsName = meta(ds).name as string;
    for (const nodeName of eligible) {
      if (covered.has(nodeName)) continue;
      const name = `${dsName}-${k8sSuffix(`ds:${dsUid}/${nodeName}`, 5)}`;
      const tmeta = (template.metadata as Json | undefined) ?? {};
      const saName = (tspec.serviceAccountName as string | undefined) ?? "default";
      const ksa = o.serviceaccounts.find((s) => meta(s).namespace === ns && meta(s).name === saName);
      const spec = { ...admitPodSpec(tspec, `${cluster.project.projectId}/${cluster.location}/${cluster.name}/${ns}/${name}`, saName, ksa?.automountServiceAccountToken as boolean | undefined), nodeName };
      pods.push({
        metadata: {
          name,
          generateName: `${dsName}-`,
          namespace: ns,
          uid: uid(`pod:${name}:${Date.now()}`),
          resourceVersion: bump(cluster),
          creationTimestamp: nowIso(),
          labels: { ...((tmeta.labels as Record<string, string> | undefined) ?? {}), "controller-revision-hash": k8sSuffix("rev:" + dsUid, 10), "pod-template-generation": "1" },
          ...(tmeta.annotations ? { annotations: tmeta.annotations } : {}),
          ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: dsName, uid: dsUid, controller: true, blockOwnerDeletion: true }],
        },
        spec,
        status: runningStatus(world, cluster, spec, nodeName, name),
      });
    }
  }
  o.pods = sortObjects(pods);
  recountControllers(cluster);
}

/** Controllers' status counts, from the pods they own now (a Pending replacement is not ready). */
function recountControllers(cluster: SimCluster): void {
  const o = cluster.objects;
  const running = new Map<string, number>();
  const all = new Map<string, number>();
  for (const p of o.pods) {
    const u = ownerOf(p)?.uid as string | undefined;
    if (!u) continue;
    all.set(u, (all.get(u) ?? 0) + 1);
    if ((p.status as Json | undefined)?.phase === "Running") running.set(u, (running.get(u) ?? 0) + 1);
  }
  const recount = (r: K8sResource, f: (obj: Json, ready: number, total: number) => Json) => {
    o[r] = o[r].map((obj) => {
      const u = meta(obj).uid as string;
      const next = f(obj, running.get(u) ?? 0, all.get(u) ?? 0);
      return JSON.stringify(next.status) === JSON.stringify(obj.status) ? obj : stamp(cluster, next);
    });
  };
  recount("replicasets", (rs, ready) => ({ ...rs, status: { ...(rs.status as Json), readyReplicas: ready, availableReplicas: ready } }));
  recount("statefulsets", (ss, ready) => ({ ...ss, status: { ...(ss.status as Json), readyReplicas: ready, availableReplicas: ready } }));
  const rsReady = new Map<string, number>();
  for (const rs of o.replicasets) {
    const u = ownerOf(rs)?.uid as string | undefined;
    if (u) rsReady.set(u, (rsReady.get(u) ?? 0) + (((rs.status as Json).readyReplicas as number | undefined) ?? 0));
  }
  recount("deployments", (d) => {
    const ready = rsReady.get(meta(d).uid as string) ?? 0;
    return { ...d, status: { ...(d.status as Json), readyReplicas: ready, availableReplicas: ready } };
  });
  recount("daemonsets", (ds, ready, total) => ({ ...ds, status: { ...(ds.status as Json), desiredNumberScheduled: total, currentNumberScheduled: total, numberReady: ready } }));
}

// ---------------------------------------------------------------- GKE: the changes

function poolsOf(cluster: SimCluster): Json[] {
  return (cluster.json.nodePools as Json[] | undefined) ?? [];
}

/** Sets (or, with an empty pool, removes) the cluster's Workload Identity pool; every pool's nodes follow. */
export function setWorkloadPool(world: World, cluster: SimCluster, workloadPool: string): void {
  const json = { ...cluster.json };
  if (workloadPool) json.workloadIdentityConfig = { workloadPool };
  else delete json.workloadIdentityConfig;
  cluster.json = json;
  const evicted = new Set<string>();
  for (const p of poolsOf(cluster)) for (const n of relabelPoolNodes(cluster, p)) evicted.add(n);
  if (evicted.size) reconcilePods(world, cluster, evicted);
}

/** Replaces a pool's config fields; its nodes are recreated (labels, taints) and their pods rescheduled. */
export function updatePool(world: World, cluster: SimCluster, poolName: string, config: Json): void {
  const pools = poolsOf(cluster).map((p) => (p.name === poolName ? { ...p, config: { ...(p.config as Json), ...config } } : p));
  cluster.json = { ...cluster.json, nodePools: pools };
  const pool = pools.find((p) => p.name === poolName)!;
  const evicted = new Set(relabelPoolNodes(cluster, pool));
  if (evicted.size) reconcilePods(world, cluster, evicted);
}

export function createPool(world: World, cluster: SimCluster, pool: Json): void {
  cluster.json = { ...cluster.json, nodePools: [...poolsOf(cluster), pool] };
  addPoolNodes(world, cluster, pool);
  reconcilePods(world, cluster, new Set());
}

export function deletePool(world: World, cluster: SimCluster, poolName: string): void {
  cluster.json = { ...cluster.json, nodePools: poolsOf(cluster).filter((p) => p.name !== poolName) };
  const before = cluster.objects.nodes.length;
  cluster.objects.nodes = cluster.objects.nodes.filter((n) => labelsOf(n)["cloud.google.com/gke-nodepool"] !== poolName);
  if (cluster.objects.nodes.length !== before) bump(cluster);
  reconcilePods(world, cluster, new Set());
}
