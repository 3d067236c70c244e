/**
 * Places manifests into a cluster the way the control plane would, and turns the result into the
 * inventory records a scan of that cluster would write. The simulator's world (lib/simulator/world.ts)
 * does what the API server and the controllers do — admission (the `default` ServiceAccount, the token
 * volume, GKE's tolerations), ReplicaSets and Pods for Deployments, the last Job of a CronJob, pods
 * scheduled as kube-scheduler would — and the scanner's own transformer (lib/inventory/transform-k8s.ts)
 * makes the records, tying pods to workloads through ownerReferences as the scan does.
 *
 * The cluster is either a scanned one (its records, node pools and nodes taken from the inventory) or
 * a GKE cluster of the check's own: Workload Identity on, one GKE_METADATA node pool — what a cluster
 * built today looks like, so that a CI job with no database and no scan can still ask "what will this
 * run as?".
 */
import type { ClusterRef } from "../ids";
import { clusterKey, subject } from "../ids";
import { ClusterTransformer } from "../inventory/transform-k8s";
import { transformCluster, transformProject } from "../inventory/transform-gcp";
import type { ClusterData, InventoryRecord, NodeData, NodePoolData, OwnerRef, PodData, WorkloadData } from "../inventory/model";
import type { LoadedEstate, LoadedCluster, LoadedProject } from "../simulator/load-estate";
import { buildWorld, type Json } from "../simulator/world";
import type { LocatedManifest, IgnoredManifest } from "./read-manifests";
import type { SourceStatus } from "../analysis/context";

/** The check's own cluster when no `--cluster` is named. */
export const OWN_CLUSTER: ClusterRef = { project: "wi-atlas-check", location: "us-central1-a", name: "check" };
const OWN_PROJECT_NUMBER = "100000000001";

/** The Kubernetes lists a scan reads per cluster (lib/scan/collect.ts K8S_LISTS) and the ConfigMaps it GETs. */
export const K8S_SOURCES = ["namespaces", "serviceaccounts", "nodes", "replicasets", "jobs", "pods", "deployments", "statefulsets", "daemonsets", "cronjobs", "secrets", "configmaps"] as const;

/** The variables that decide a container's Google identity (lib/inventory/env-values.ts keeps their values). */
const IDENTITY_VARIABLES = ["GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "HOME", "GCE_METADATA_HOST", "GCE_METADATA_IP"];

/** Kinds the scanner lists or emits from their own objects (collect.ts LISTED_KINDS). */
const LISTED_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet", "Pod"]);

export type Placement = {
  /** The records a scan of the cluster would hold with the manifests applied (the rest of the inventory untouched). */
  records: InventoryRecord[];
  /** Source statuses to analyse them with. */
  sources: Map<string, Exclude<SourceStatus, "missing">>;
  /** Subjects the manifests wrote or replaced (workloads, their pods, KSAs, Secrets, ConfigMaps, namespaces), with the object each came from. */
  touched: Map<string, LocatedManifest>;
  /** Workload subjects the manifests define (each with its object). */
  workloads: Map<string, LocatedManifest>;
  /** The cluster the manifests were placed in. */
  cluster: ClusterRef;
  notes: string[];
};

type Rec = InventoryRecord;

/** A node pool record back into the container v1 NodePool shape the world builds nodes from. */
function poolFromRecord(p: NodePoolData): Json {
  const zones = p.locations?.length ? p.locations : undefined;
  const perZone = zones ? Math.ceil(p.nodeCount / zones.length) : p.nodeCount;
  const effect: Record<string, string> = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" };
  return {
    name: p.name,
    initialNodeCount: perZone,
    ...(zones ? { locations: zones } : {}),
    config: {
      serviceAccount: p.serviceAccount,
      oauthScopes: p.oauthScopes,
      ...(p.machineType ? { machineType: p.machineType } : {}),
      ...(p.imageType ? { imageType: p.imageType } : {}),
      ...(p.spot ? { spot: true } : {}),
      ...(p.preemptible ? { preemptible: true } : {}),
      ...(p.accelerators?.length ? { accelerators: p.accelerators.map((a) => ({ acceleratorType: a, acceleratorCount: "1" })) } : {}),
      labels: p.labels ?? {},
      ...(p.taints?.length ? { taints: p.taints.map((t) => ({ key: t.key, ...(t.value !== null ? { value: t.value } : {}), effect: effect[t.effect] ?? t.effect })) } : {}),
      ...(p.metadataMode ? { workloadMetadataConfig: { mode: p.metadataMode === "GKE_METADATA_SERVER" ? "GKE_METADATA" : p.metadataMode === "GKE_METADATA" ? "GKE_METADATA" : "GCE_METADATA" } } : {}),
      ...(p.architectureTaintBehavior ? { taintConfig: { architectureTaintBehavior: p.architectureTaintBehavior } } : {}),
      ...(p.windowsOsVersion ? { windowsNodeConfig: { osVersion: p.windowsOsVersion } } : {}),
    },
  };
}

function estateWith(ref: ClusterRef, projectNumber: string, cluster: Json, objects: LocatedManifest[], ignored: IgnoredManifest[], now: Date): LoadedEstate {
  const lc = {
    cluster,
    resolvedManifests: objects.map((o) => o.manifest),
    ignoredObjects: ignored.map((i) => ({ kind: i.kind, apiVersion: i.apiVersion, ...(i.namespace ? { namespace: i.namespace } : {}), ...(i.name ? { name: i.name } : {}) })),
  } as unknown as LoadedCluster;
  const project = { projectId: ref.project, projectNumber, serviceAccounts: [], clusters: [lc], memberships: [], resourcePolicies: [] } as unknown as LoadedProject;
  return { source: "npm run check", now: now.toISOString(), projects: [project], folders: [], faults: [], latencyMs: 0, assetLagSeconds: 0, notes: [] } as unknown as LoadedEstate;
}

/** What the scanner reads of one cluster's Kubernetes API, from the world's objects (collect.ts `cluster`). */
function scanRecords(ref: ClusterRef, objects: Record<string, Json[]>): Rec[] {
  const key = clusterKey(ref);
  const t = new ClusterTransformer(ref, (resource) => `k8s.${resource}:${key}`);
  const out: Rec[] = [];
  const rsOwners = new Map<string, OwnerRef | null>();
  const jobOwners = new Map<string, OwnerRef | null>();
  for (const o of objects.namespaces) out.push(t.namespace(o));
  for (const o of objects.serviceaccounts) out.push(t.ksa(o));
  for (const o of objects.nodes) out.push(t.node(o));
  for (const o of objects.replicasets) {
    const r = t.replicaSet(o);
    rsOwners.set(`${r.data.namespace}/${r.data.name}`, r.data.owner);
    out.push(r);
    if (!r.data.owner) out.push(t.workload(o, "ReplicaSet", "replicasets"));
  }
  for (const o of objects.jobs) {
    const j = t.job(o);
    jobOwners.set(`${j.data.namespace}/${j.data.name}`, j.data.owner);
    out.push(j);
    if (!j.data.owner) out.push(t.workload(o, "Job", "jobs"));
  }
  const pods: InventoryRecord<PodData>[] = [];
  for (const o of objects.pods) {
    const rec = t.pod(o);
    pods.push(rec);
    out.push(rec);
    if (!rec.data.owner) out.push(t.workload(o, "Pod", "pods"));
  }
  for (const o of objects.deployments) out.push(t.workload(o, "Deployment", "deployments"));
  for (const o of objects.statefulsets) out.push(t.workload(o, "StatefulSet", "statefulsets"));
  for (const o of objects.daemonsets) out.push(t.workload(o, "DaemonSet", "daemonsets"));
  for (const o of objects.cronjobs) out.push(t.workload(o, "CronJob", "cronjobs"));
  for (const o of objects.secrets) out.push(t.secret(o));
  const podOwners = new Map(pods.map((r) => [`${r.data.namespace}/${r.data.name}`, r.data.owner] as const));
  const extra = new Map<string, InventoryRecord<WorkloadData>>();
  for (const rec of pods) {
    t.resolvePodWorkload(rec, rsOwners, jobOwners, podOwners);
    // A workload of a kind the scanner does not list (a Pod owned by an Argo Rollout's ReplicaSet…) exists through its pods.
    const [wkind, wname] = rec.data.workload.split("/").slice(-2);
    if (LISTED_KINDS.has(wkind) || extra.has(rec.data.workload)) continue;
    const w = t.workload({ metadata: { name: wname, namespace: rec.data.namespace }, spec: {} }, wkind, "pods");
    w.data.template = { ...rec.data.spec, nodeName: null };
    extra.set(rec.data.workload, w);
  }
  out.push(...extra.values());
  // ConfigMaps: the scanner GETs only those a pod's credentials may come from. Here every ConfigMap
  // of the manifests that a pod or template refers to by name is read, all its keys looked at (only
  // path-like values and credential summaries are kept, as in a scan).
  const referenced = new Set<string>();
  // The variables the scanner looks up in a ConfigMap an `envFrom` names (with its prefix taken off).
  const envLooked = new Map<string, Set<string>>();
  const lookEnv = (id: string, keys: string[]) => {
    const s = envLooked.get(id) ?? new Set<string>();
    for (const k of keys) s.add(k);
    envLooked.set(id, s);
  };
  const specs = out.filter((r) => r.kind === "pod" || r.kind === "workload").map((r) => ({ ns: r.namespace!, spec: r.kind === "pod" ? (r.data as PodData).spec : (r.data as WorkloadData).template }));
  for (const { ns, spec } of specs) {
    for (const v of spec.volumes as Json[]) {
      const cm = (v.configMap as Json | undefined)?.name;
      if (typeof cm === "string") referenced.add(`${ns}/${cm}`);
      for (const src of (((v.projected as Json | undefined)?.sources as Json[] | undefined) ?? []) as Json[]) {
        const n = (src.configMap as Json | undefined)?.name;
        if (typeof n === "string") referenced.add(`${ns}/${n}`);
      }
    }
    for (const c of [...spec.containers, ...spec.initContainers, ...spec.ephemeralContainers]) {
      for (const e of c.envFrom as Json[]) {
        const n = (e.configMapRef as Json | undefined)?.name;
        if (typeof n !== "string") continue;
        referenced.add(`${ns}/${n}`);
        const prefix = typeof e.prefix === "string" ? e.prefix : "";
        lookEnv(`${ns}/${n}`, IDENTITY_VARIABLES.filter((v) => v.startsWith(prefix)).map((v) => v.slice(prefix.length)));
      }
      for (const e of c.env) {
        const ref = (e.valueFrom as Json | undefined)?.configMapKeyRef as Json | undefined;
        if (typeof ref?.name !== "string") continue;
        referenced.add(`${ns}/${ref.name}`);
        if (typeof ref.key === "string") lookEnv(`${ns}/${ref.name}`, [ref.key]);
      }
    }
  }
  for (const o of objects.configmaps) {
    const md = o.metadata as Json;
    if (!referenced.has(`${md.namespace}/${md.name}`)) continue;
    const keys = [...Object.keys((o.data as Json | undefined) ?? {}), ...Object.keys((o.binaryData as Json | undefined) ?? {})];
    out.push(t.configMap(o, { envKeys: [...keys, ...(envLooked.get(`${md.namespace}/${md.name}`) ?? [])], fileKeys: keys }));
  }
  return out;
}

/**
 * Places `objects` into the cluster `ref` of `base` (a scan's current records), or into the check's
 * own cluster when `base` is undefined. Objects of the manifests replace the same objects of the scan;
 * a workload they replace takes its pods, ReplicaSets and Jobs with it (a rollout replaces them).
 */
export function placeManifests(args: {
  objects: LocatedManifest[];
  ignored: IgnoredManifest[];
  now: Date;
  base?: { records: InventoryRecord[]; sources: Map<string, Exclude<SourceStatus, "missing">>; cluster: ClusterRef };
}): Placement {
  const notes: string[] = [];
  const ref = args.base?.cluster ?? OWN_CLUSTER;
  const cSubject = subject.cluster(ref);
  let clusterJson: Json;
  let projectNumber = OWN_PROJECT_NUMBER;
  if (args.base) {
    const c = args.base.records.find((r) => r.kind === "cluster" && r.subject === cSubject) as InventoryRecord<ClusterData> | undefined;
    if (!c) throw new Error(`no cluster ${clusterKey(ref)} in the scan`);
    const pools = args.base.records.filter((r) => r.kind === "nodepool" && r.cluster === cSubject) as InventoryRecord<NodePoolData>[];
    projectNumber = c.data.projectNumber ?? OWN_PROJECT_NUMBER;
    clusterJson = {
      name: ref.name,
      location: ref.location,
      ...(c.data.workloadPool ? { workloadIdentityConfig: { workloadPool: c.data.workloadPool } } : {}),
      ...(c.data.autopilot ? { autopilot: { enabled: true } } : {}),
      nodePools: pools.map((p) => poolFromRecord(p.data)),
    };
  } else {
    clusterJson = {
      name: ref.name,
      location: ref.location,
      workloadIdentityConfig: { workloadPool: `${ref.project}.svc.id.goog` },
      nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
    };
  }
  const world = buildWorld(estateWith(ref, projectNumber, clusterJson, args.objects, args.ignored, args.now));
  const sim = world.clusters[0];
  const generated = scanRecords(ref, sim.objects as unknown as Record<string, Json[]>);

  // Which generated subjects the manifests stand behind, and which manifest each came from.
  const objectOf = new Map<string, LocatedManifest>();
  const workloads = new Map<string, LocatedManifest>();
  for (const o of args.objects) {
    const m = o.manifest;
    const ns = m.metadata.namespace ?? "default";
    switch (m.kind) {
      case "Namespace":
        objectOf.set(subject.namespace(ref, m.metadata.name), o);
        break;
      case "ServiceAccount":
        objectOf.set(subject.ksa(ref, ns, m.metadata.name), o);
        break;
      case "Secret":
        objectOf.set(subject.secret(ref, ns, m.metadata.name), o);
        break;
      case "ConfigMap":
        objectOf.set(subject.configmap(ref, ns, m.metadata.name), o);
        break;
      default:
        break;
    }
  }
  for (const r of generated) {
    if (r.kind !== "workload") continue;
    const w = r.data as WorkloadData;
    const o = args.objects.find((x) => x.manifest.kind === w.kind && x.manifest.metadata.name === w.name && (x.manifest.metadata.namespace ?? "default") === w.namespace)
      // A workload seen only through its pods (a Pod owned by a kind the check does not model) comes from that Pod.
      ?? args.objects.find((x) => x.manifest.kind === "Pod" && (x.manifest.metadata.namespace ?? "default") === w.namespace && generated.some((p) => p.kind === "pod" && (p.data as PodData).workload === r.subject && (p.data as PodData).name === x.manifest.metadata.name));
    if (o) {
      workloads.set(r.subject, o);
      objectOf.set(r.subject, o);
    }
  }
  for (const r of generated) {
    if (r.kind === "pod") {
      const o = workloads.get((r.data as PodData).workload);
      if (o) objectOf.set(r.subject, o);
    }
  }

  if (!args.base) {
    // The check's own cluster: a scan would have read its project, the cluster and every Kubernetes list in full.
    const { cluster, nodePools } = transformCluster(sim.json, ref.project, projectNumber, `container.clusters:${ref.project}`);
    const project = transformProject({ projectId: ref.project, projectNumber, name: `projects/${projectNumber}`, state: "ACTIVE" }, "crm.projects:search");
    const sources = new Map<string, Exclude<SourceStatus, "missing">>([[`container.clusters:${ref.project}`, "ok"], ["crm.projects:search", "ok"]]);
    for (const s of K8S_SOURCES) sources.set(`k8s.${s}:${clusterKey(ref)}`, "ok");
    return { records: [project, cluster, ...nodePools, ...generated], sources, touched: objectOf, workloads, cluster: ref, notes };
  }

  // Into a scanned cluster: the scan's records, with the manifests' objects in place of the same ones.
  const base = args.base.records;
  const inCluster = (r: Rec) => r.cluster === cSubject;
  const replacedWorkloads = new Set([...workloads.keys()].filter((s) => base.some((r) => r.kind === "workload" && r.subject === s)));
  const ownedByReplaced = (r: Rec): boolean => {
    if (!inCluster(r)) return false;
    if (r.kind === "pod") return replacedWorkloads.has((r.data as PodData).workload);
    if (r.kind === "replicaset" || r.kind === "job") {
      const d = r.data as { namespace: string; owner: OwnerRef | null };
      return !!d.owner && replacedWorkloads.has(subject.workload(ref, d.namespace, d.owner.kind, d.owner.name));
    }
    return false;
  };
  const baseKeys = new Set(base.filter(inCluster).map((r) => `${r.kind}|${r.subject}`));
  const replacing = new Set<string>();
  const added: Rec[] = [];

  // Pods land on the scan's own nodes: a node the world made stands for its pool, whose scanned nodes
  // take the pods in turn. A pool with no scanned node (its nodes not read) keeps the world's node.
  const scannedNodes = new Map<string, string[]>();
  for (const r of base) if (r.kind === "node" && inCluster(r)) {
    const d = r.data as NodeData;
    if (d.pool) scannedNodes.set(d.pool, [...(scannedNodes.get(d.pool) ?? []), d.name].sort());
  }
  const worldNodes = new Map((generated.filter((r) => r.kind === "node") as InventoryRecord<NodeData>[]).map((n) => [n.data.name, n]));
  const turn = new Map<string, number>();
  const keptWorldNodes = new Set<string>();
  for (const r of generated) {
    if (r.kind !== "pod") continue;
    const spec = (r.data as PodData).spec;
    if (!spec.nodeName) continue;
    const pool = worldNodes.get(spec.nodeName)?.data.pool;
    const candidates = pool ? scannedNodes.get(pool) : undefined;
    if (!candidates?.length) {
      keptWorldNodes.add(spec.nodeName);
      continue;
    }
    const k = `${(r.data as PodData).workload}|${pool}`;
    const i = turn.get(k) ?? 0;
    turn.set(k, i + 1);
    spec.nodeName = candidates[i % candidates.length];
  }
  for (const n of keptWorldNodes) {
    added.push(worldNodes.get(n)!);
    notes.push(`node pool ${worldNodes.get(n)!.data.pool}: the scan holds none of its nodes; pods placed there run on a node the check made for it`);
  }

  for (const r of generated) {
    if (r.kind === "node") continue;
    const fromManifest = objectOf.has(r.subject) || r.kind === "replicaset" || r.kind === "job";
    if (fromManifest) {
      // Derived ReplicaSets and Jobs belong to a manifest's workload only when their owner is one.
      if (r.kind === "replicaset" || r.kind === "job") {
        const d = r.data as { namespace: string; name: string; owner: OwnerRef | null };
        const owner = d.owner ?? { kind: r.kind === "job" ? "Job" : "ReplicaSet", name: d.name };
        if (!workloads.has(subject.workload(ref, d.namespace, owner.kind, owner.name))) continue;
      }
      replacing.add(`${r.kind}|${r.subject}`);
      added.push(r);
    } else if (!baseKeys.has(`${r.kind}|${r.subject}`) && (r.kind === "namespace" || r.kind === "ksa")) {
      // A namespace the manifests create, and the `default` ServiceAccount its controller makes there.
      added.push(r);
      objectOf.set(r.subject, args.objects.find((o) => (o.manifest.metadata.namespace ?? o.manifest.metadata.name) === r.namespace) ?? args.objects[0]);
    }
  }
  const records = base.filter((r) => !(inCluster(r) && (replacing.has(`${r.kind}|${r.subject}`) || ownedByReplaced(r)))).concat(added);
  return { records, sources: new Map(args.base.sources), touched: objectOf, workloads, cluster: ref, notes };
}
