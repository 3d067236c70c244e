/**
 * Materialises an estate into what the real control planes would hold: IAM resource names and
 * uniqueIds, system-managed keys, GKE node pools' nodes with the labels and taints GKE gives them
 * (gke-nodes.ts), and the Kubernetes objects controllers create (ReplicaSets and Pods for Deployments,
 * Pods for ReplicaSets, StatefulSets and DaemonSets, the last Job and its Pod for CronJobs), scheduled
 * as kube-scheduler would (schedule.ts: taints and tolerations, nodeSelector, required node affinity).
 * Given metadata is kept (uid, creationTimestamp, generation, labels, annotations, ownerReferences,
 * managedFields); resourceVersion and the status of controllers are derived.
 */
import { eligibleNodes, nodeMisfit, unschedulableMessage, type SchedNode } from "./schedule";
import { gkeAdmissionTolerations, hasAccelerators, poolNodeShape } from "./gke-nodes";
import type { LoadedCluster, LoadedEstate, LoadedProject } from "./load-estate";
import type { EstateServiceAccount, IamPolicy, Manifest } from "./estate-schema";
import { digits, intOf, iso, k8sSuffix, sha, uid } from "./derive";
import { clusterTls, loopbackAddress, type ClusterTls } from "./cluster-tls";
import type { WriteLogEntry } from "./write-log";

export type Json = Record<string, unknown>;

export const K8S_RESOURCES = {
  namespaces: { group: "", version: "v1", kind: "Namespace", namespaced: false },
  nodes: { group: "", version: "v1", kind: "Node", namespaced: false },
  serviceaccounts: { group: "", version: "v1", kind: "ServiceAccount", namespaced: true },
  secrets: { group: "", version: "v1", kind: "Secret", namespaced: true },
  configmaps: { group: "", version: "v1", kind: "ConfigMap", namespaced: true },
  pods: { group: "", version: "v1", kind: "Pod", namespaced: true },
  deployments: { group: "apps", version: "v1", kind: "Deployment", namespaced: true },
  replicasets: { group: "apps", version: "v1", kind: "ReplicaSet", namespaced: true },
  statefulsets: { group: "apps", version: "v1", kind: "StatefulSet", namespaced: true },
  daemonsets: { group: "apps", version: "v1", kind: "DaemonSet", namespaced: true },
  jobs: { group: "batch", version: "v1", kind: "Job", namespaced: true },
  cronjobs: { group: "batch", version: "v1", kind: "CronJob", namespaced: true },
} as const;
export type K8sResource = keyof typeof K8S_RESOURCES;

export type SimServiceAccount = {
  project: LoadedProject;
  estate: EstateServiceAccount;
  /** The IAM ServiceAccount resource as the API serves it. */
  json: Json;
  policy: IamPolicy;
  /** ServiceAccountKey resources as the API serves them, user-managed and system-managed. */
  keys: Json[];
};

export type SimCluster = {
  project: LoadedProject;
  location: string;
  name: string;
  /** The container v1 Cluster resource as the API serves it. */
  json: Json;
  /** Objects per resource, sorted by namespace then name (the order etcd lists them in). */
  objects: Record<K8sResource, Json[]>;
  /** The list resourceVersion; continue tokens from another version answer 410. */
  resourceVersion: string;
  /** Its Kubernetes API's loopback address (the `endpoint`), CA and server certificate. */
  tls: ClusterTls;
};

export type World = {
  estate: LoadedEstate;
  now: number;
  projects: LoadedProject[];
  projectByIdOrNumber: Map<string, LoadedProject>;
  serviceAccounts: SimServiceAccount[];
  saByEmail: Map<string, SimServiceAccount>;
  saByUniqueId: Map<string, SimServiceAccount>;
  clusters: SimCluster[];
  clusterByPath: Map<string, SimCluster>;
  /** Every write the simulator accepted since the estate was loaded (or reset), in order. */
  writes: WriteLogEntry[];
};

const DAY = 86_400_000;

function policyOf(p: IamPolicy | undefined): IamPolicy {
  return { version: p?.version, etag: p?.etag, bindings: p?.bindings ?? [] };
}

export function computeDefaultEmail(projectNumber: string) {
  return `${projectNumber}-compute@developer.gserviceaccount.com`;
}

function buildServiceAccount(project: LoadedProject, sa: EstateServiceAccount, now: number): SimServiceAccount {
  const uniqueId = sa.uniqueId ?? digits("sa:" + sa.email, 21);
  const { keys: _k, iamPolicy: _p, lastAuthenticatedTime: _l, ...rest } = sa;
  const json: Json = {
    ...rest,
    name: `projects/${project.projectId}/serviceAccounts/${sa.email}`,
    projectId: project.projectId,
    uniqueId,
    email: sa.email,
    etag: Buffer.from(sha("etag:" + sa.email).slice(0, 8)).toString("base64"),
    oauth2ClientId: uniqueId,
  };
  if (!sa.disabled) delete json.disabled; // proto3 JSON: false is omitted
  const keys: Json[] = sa.keys.map((k) => {
    const { keyId, lastAuthenticatedTime: _a, ...krest } = k;
    const key: Json = { ...krest, name: `projects/${project.projectId}/serviceAccounts/${sa.email}/keys/${keyId}` };
    if (!k.disabled) delete key.disabled;
    return key;
  });
  // Google rotates system-managed keys about every two weeks; every account has one.
  const rotated = Math.floor(now / (14 * DAY)) * 14 * DAY - intOf("sys:" + sa.email, 10) * DAY;
  keys.push({
    name: `projects/${project.projectId}/serviceAccounts/${sa.email}/keys/${sha("syskey:" + sa.email + rotated).slice(0, 40)}`,
    validAfterTime: iso(rotated),
    validBeforeTime: iso(rotated + 90 * DAY),
    keyAlgorithm: "KEY_ALG_RSA_2048",
    keyOrigin: "GOOGLE_PROVIDED",
    keyType: "SYSTEM_MANAGED",
  });
  return { project, estate: sa, json, policy: policyOf(sa.iamPolicy), keys };
}

/** Whether a node pool's nodes serve the GKE metadata server (and so carry the label). */
export function poolServesGkeMetadata(cluster: Json, pool: Json): boolean {
  if ((cluster.autopilot as Json | undefined)?.enabled) return true;
  const wic = cluster.workloadIdentityConfig as Json | undefined;
  if (!wic?.workloadPool) return false;
  const wmc = ((pool.config as Json | undefined)?.workloadMetadataConfig ?? {}) as Json;
  return wmc.mode === "GKE_METADATA" || wmc.nodeMetadata === "GKE_METADATA_SERVER";
}

/** What the v1 API's `mode` is for each value of the beta API's `nodeMetadata` (as Terraform maps them). */
const V1_METADATA_MODE: Record<string, string> = {
  GKE_METADATA_SERVER: "GKE_METADATA",
  EXPOSE: "GCE_METADATA",
  // Metadata concealment (removed since) proxied the Compute Engine server: pods still got the node's identity.
  SECURE: "GCE_METADATA",
  UNSPECIFIED: "MODE_UNSPECIFIED",
};

/**
 * A node config as container v1 serves it. Estates may write the beta API's (and Terraform's older)
 * `nodeMetadata`; the v1 API has only `mode`, so it is answered there.
 */
function v1NodeConfig(config: Json): Json {
  const wmc = config.workloadMetadataConfig as Json | undefined;
  if (!wmc || wmc.nodeMetadata === undefined) return config;
  const { nodeMetadata, ...rest } = wmc;
  return { ...config, workloadMetadataConfig: { mode: V1_METADATA_MODE[nodeMetadata as string] ?? "MODE_UNSPECIFIED", ...rest } };
}

type Ctx = { cluster: SimCluster; now: number; rv: number; seed: string };

function meta(ctx: Ctx, m: Json, ns: string | undefined, name: string, extra: Json = {}): Json {
  const key = `${ctx.seed}/${ns ?? ""}/${extra.kindHint ?? ""}/${name}`;
  const created = (m.creationTimestamp as string | undefined) ?? iso(ctx.now - (30 + intOf("age:" + key, 300)) * DAY);
  const out: Json = {
    ...m,
    name,
    ...(ns !== undefined ? { namespace: ns } : {}),
    // A uid from a `kubectl get` dump is kept: ownerReferences elsewhere in the dump point at it.
    uid: typeof m.uid === "string" && m.uid ? m.uid : uid(key),
    resourceVersion: String(++ctx.rv),
    creationTimestamp: created,
  };
  delete out.kindHint;
  for (const [k, v] of Object.entries(extra)) if (k !== "kindHint") out[k] = v;
  return out;
}

type NodeInfo = SchedNode & { pool: string };

/**
 * The v1 PodSpec conversion the API server applies to every pod spec it stores and serves (pods and
 * controllers' templates): `serviceAccount` is the deprecated alias of `serviceAccountName`; on write the
 * new field wins and an empty one is filled from the old, on read the old is set from the new
 * (k8s.io/kubernetes pkg/apis/core/v1/conversion.go, Convert_v1_PodSpec_To_core_PodSpec and back).
 */
export function convertPodSpec(spec: Json): Json {
  const out: Json = { ...spec };
  const name = (typeof spec.serviceAccountName === "string" && spec.serviceAccountName) || (typeof spec.serviceAccount === "string" && spec.serviceAccount) || "";
  delete out.serviceAccountName;
  delete out.serviceAccount;
  if (name) {
    out.serviceAccountName = name;
    out.serviceAccount = name;
  }
  return out;
}

/** A controller's pod template with its spec as the API server reads it back. */
function convertTemplate(template: Json): Json {
  return { ...template, spec: convertPodSpec((template.spec ?? {}) as Json) };
}

/**
 * What the API server's admission adds to every pod: the `default` ServiceAccount when none is named,
 * the projected service account token volume, and GKE's tolerations for Arm, Windows and GPU nodes.
 */
/** Exported for issue 12's Google writes (pods recreated when a node pool changes). */
export function admitPodSpec(spec: Json, seed: string, serviceAccountName: string, ksaAutomount: boolean | undefined): Json {
  const out: Json = structuredClone(spec);
  out.serviceAccountName = serviceAccountName;
  out.serviceAccount = serviceAccountName;
  const gkeTolerations = gkeAdmissionTolerations(out);
  if (gkeTolerations.length) out.tolerations = [...(((out.tolerations as Json[] | undefined) ?? []) as Json[]), ...gkeTolerations];
  out.restartPolicy ??= "Always";
  out.dnsPolicy ??= "ClusterFirst";
  out.schedulerName ??= "default-scheduler";
  out.terminationGracePeriodSeconds ??= 30;
  out.enableServiceLinks ??= true;
  out.preemptionPolicy ??= "PreemptLowerPriority";
  out.priority ??= 0;
  // The pod's own setting wins; else its ServiceAccount's; else the token is mounted.
  const automount = typeof out.automountServiceAccountToken === "boolean" ? out.automountServiceAccountToken : (ksaAutomount ?? true);
  // A pod dumped from a live cluster went through admission already: it has its kube-api-access volume.
  const admitted = (((out.volumes as Json[] | undefined) ?? []) as Json[]).some((v) =>
    (((v.projected as Json | undefined)?.sources as Json[] | undefined) ?? []).some((src) => src.serviceAccountToken !== undefined),
  );
  if (automount && !admitted) {
    const volName = `kube-api-access-${k8sSuffix("kaa:" + seed, 5)}`;
    const volumes = ((out.volumes as Json[] | undefined) ?? []).slice();
    volumes.push({
      name: volName,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
        ],
      },
    });
    out.volumes = volumes;
    for (const field of ["containers", "initContainers"]) {
      const cs = out[field] as Json[] | undefined;
      if (!cs) continue;
      out[field] = cs.map((c) => ({
        imagePullPolicy: "IfNotPresent",
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        resources: {},
        ...c,
        volumeMounts: [
          ...(((c.volumeMounts as Json[] | undefined) ?? []) as Json[]),
          { name: volName, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
        ],
      }));
    }
  }
  return out;
}

function buildCluster(project: LoadedProject, ec: LoadedCluster, now: number, clusterIndex: number): SimCluster {
  const c = ec.cluster;
  const location = c.location;
  const isAutopilot = !!c.autopilot?.enabled;
  const seed = `${project.projectId}/${location}/${c.name}`;
  const json: Json = structuredClone(c) as Json;
  if (isAutopilot && !c.workloadIdentityConfig?.workloadPool) {
    // Autopilot always runs Workload Identity with the project's pool.
    json.workloadIdentityConfig = { workloadPool: `${project.projectId}.svc.id.goog` };
  }
  let pools = (json.nodePools as Json[]) ?? [];
  if (isAutopilot && pools.length === 0) {
    pools = [
      { name: "default-pool", initialNodeCount: 1, config: { serviceAccount: "default", workloadMetadataConfig: { mode: "GKE_METADATA" } } },
    ];
  }
  const isZone = /-[a-z]$/.test(location);
  const zones = isZone ? [location] : [`${location}-a`, `${location}-b`, `${location}-c`];
  const version = (json.currentMasterVersion as string | undefined) ?? "1.33.5-gke.1308000";
  json.nodePools = pools.map((p) => ({
    ...p,
    config: {
      machineType: "e2-medium",
      diskSizeGb: 100,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      serviceAccount: "default",
      ...v1NodeConfig((p.config as Json | undefined) ?? {}),
    },
    initialNodeCount: p.initialNodeCount ?? 1,
    // A pool's own zones, else the cluster's (container v1 NodePool.locations).
    locations: Array.isArray(p.locations) && p.locations.length > 0 ? p.locations : zones,
    selfLink: `https://container.googleapis.com/v1/projects/${project.projectId}/locations/${location}/clusters/${c.name}/nodePools/${p.name}`,
    version,
    status: "RUNNING",
  }));
  Object.assign(json, {
    selfLink: `https://container.googleapis.com/v1/projects/${project.projectId}/locations/${location}/clusters/${c.name}`,
    zone: location,
    location,
    locations: zones,
    initialClusterVersion: version,
    currentMasterVersion: version,
    currentNodeVersion: version,
    status: "RUNNING",
    id: sha("cluster:" + seed).slice(0, 32),
    createTime: iso(now - (200 + intOf("ct:" + seed, 900)) * DAY),
  });
  // GKE's endpoint is a bare IP serving TLS with the cluster's own CA: here a loopback address per
  // cluster (see cluster-tls.ts), with a real CA and a server certificate for that address.
  const tls = clusterTls({ seed, address: loopbackAddress(clusterIndex), commonName: uid("ca:" + seed), createTime: json.createTime as string });
  json.endpoint = tls.address;
  json.masterAuth = { clusterCaCertificate: Buffer.from(tls.caPem).toString("base64") };
  if (!json.networkConfig) json.networkConfig = { network: `projects/${project.projectId}/global/networks/default` };

  const cluster: SimCluster = {
    project,
    location,
    name: c.name,
    json,
    objects: Object.fromEntries(Object.keys(K8S_RESOURCES).map((r) => [r, []])) as unknown as Record<K8sResource, Json[]>,
    resourceVersion: "0",
    tls,
  };
  // The list resourceVersion moves whenever the cluster's content does, so a continue token taken
  // before an estate edit answers 410 Expired, as etcd compaction makes it do.
  const ctx: Ctx = { cluster, now, rv: 1000 + intOf("rv:" + seed + JSON.stringify(ec), 1_000_000_000), seed };
  const o = cluster.objects;

  // Nodes, per pool, named like GKE names them, with the labels and taints GKE gives them.
  const nodes: NodeInfo[] = [];
  const clusterHasNonGpuPool = (json.nodePools as Json[]).some((p) => !hasAccelerators(p));
  for (const p of json.nodePools as Json[]) {
    const poolZones = p.locations as string[];
    // initialNodeCount is per zone, as in GKE: a regional pool of 1 has a node in each of 3 zones; a
    // pool autoscaled to zero has none.
    const count = (p.initialNodeCount as number) * poolZones.length;
    const gke = poolServesGkeMetadata(json, p);
    const shape = poolNodeShape(p, { clusterHasNonGpuPool });
    for (let i = 0; i < count; i++) {
      const zone = poolZones[i % poolZones.length];
      const igHash = k8sSuffix(`ig:${seed}/${p.name}/${zone}`, 8);
      const name = `${isAutopilot ? "gk3" : "gke"}-${c.name}-${p.name}-${igHash}-${k8sSuffix(`node:${seed}/${p.name}/${i}`, 4)}`.slice(0, 63);
      const labels: Record<string, string> = {
        ...shape.labels,
        "kubernetes.io/hostname": name,
        "topology.kubernetes.io/region": location.replace(/-[a-z]$/, ""),
        "topology.kubernetes.io/zone": zone,
      };
      if (gke) labels["iam.gke.io/gke-metadata-server-enabled"] = "true";
      const sortedLabels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      nodes.push({ name, labels: sortedLabels, taints: shape.taints, extended: shape.extended, pool: p.name as string });
      o.nodes.push({
        metadata: meta(ctx, {}, undefined, name, { labels: sortedLabels, kindHint: "Node" }),
        spec: {
          providerID: `gce://${project.projectId}/${zone}/${name}`,
          podCIDR: `10.${clusterIndex % 250}.${nodes.length}.0/24`,
          ...(shape.taints.length ? { taints: shape.taints.map((t) => ({ ...t })) } : {}),
        },
        status: {
          // Only what scheduling here depends on: the GPUs the device plugin advertises.
          ...(Object.keys(shape.extended).length
            ? { capacity: Object.fromEntries(Object.entries(shape.extended).map(([k, v]) => [k, String(v)])), allocatable: Object.fromEntries(Object.entries(shape.extended).map(([k, v]) => [k, String(v)])) }
            : {}),
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }],
          addresses: [{ type: "InternalIP", address: `10.128.${clusterIndex % 250}.${nodes.length + 1}` }, { type: "Hostname", address: name }],
          nodeInfo: {
            kubeletVersion: `v${version.split("-")[0]}`,
            containerRuntimeVersion: "containerd://2.0.6",
            osImage: shape.osImage,
            operatingSystem: shape.os,
            architecture: shape.arch,
          },
        },
      });
    }
  }

  // Namespaces: the system ones, those declared, those referenced.
  const manifests = ec.resolvedManifests;
  const nsNames = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
  const declaredNs = new Map<string, Manifest>();
  for (const m of manifests) {
    if (m.kind === "Namespace") declaredNs.set(m.metadata.name, m);
    else nsNames.add(m.metadata.namespace ?? "default");
  }
  // A Service or custom resource in a namespace tells that the namespace exists, even if nothing served is in it.
  for (const x of ec.ignoredObjects ?? []) if (x.namespace && x.kind !== "Namespace") nsNames.add(x.namespace);
  for (const n of declaredNs.keys()) nsNames.add(n);
  for (const ns of [...nsNames].sort()) {
    const m = declaredNs.get(ns);
    const labels = { ...((m?.metadata.labels as Record<string, string>) ?? {}), "kubernetes.io/metadata.name": ns };
    o.namespaces.push({
      metadata: meta(ctx, (m?.metadata as Json) ?? {}, undefined, ns, { labels, kindHint: "Namespace" }),
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }

  // ServiceAccounts: declared ones, and the `default` the controller creates in every namespace.
  const declaredSa = new Set<string>();
  for (const m of manifests.filter((x) => x.kind === "ServiceAccount")) {
    const ns = m.metadata.namespace ?? "default";
    declaredSa.add(`${ns}/${m.metadata.name}`);
    const { apiVersion: _a, kind: _k, metadata, ...rest } = m as Json;
    o.serviceaccounts.push({ ...rest, metadata: meta(ctx, metadata as Json, ns, m.metadata.name, { kindHint: "ServiceAccount" }) });
  }
  for (const ns of nsNames) {
    if (!declaredSa.has(`${ns}/default`)) o.serviceaccounts.push({ metadata: meta(ctx, {}, ns, "default", { kindHint: "ServiceAccount" }) });
  }

  const ksaAutomount = new Map<string, boolean | undefined>(
    o.serviceaccounts.map((sa) => [`${(sa.metadata as Json).namespace}/${(sa.metadata as Json).name}`, sa.automountServiceAccountToken as boolean | undefined]),
  );

  // Secrets: stringData folds into base64 data, as the API server does.
  for (const m of manifests.filter((x) => x.kind === "Secret")) {
    const ns = m.metadata.namespace ?? "default";
    const { apiVersion: _a, kind: _k, metadata, stringData, data, type, ...rest } = m as Json;
    const outData: Record<string, string> = {};
    for (const [k, v] of Object.entries((data as Record<string, string>) ?? {})) outData[k] = String(v).replace(/\s+/g, "");
    for (const [k, v] of Object.entries((stringData as Record<string, string>) ?? {})) outData[k] = Buffer.from(v).toString("base64");
    o.secrets.push({ ...rest, metadata: meta(ctx, metadata as Json, ns, m.metadata.name, { kindHint: "Secret" }), type: type ?? "Opaque", data: outData });
  }

  // ConfigMaps: as given (binaryData untouched), plus the kube-root-ca.crt the controller manager
  // publishes in every namespace with the CA the cluster advertises.
  const declaredCm = new Set<string>();
  const caPem = Buffer.from(String((json.masterAuth as Json | undefined)?.clusterCaCertificate ?? ""), "base64").toString("utf8");
  for (const m of manifests.filter((x) => x.kind === "ConfigMap")) {
    const ns = m.metadata.namespace ?? "default";
    declaredCm.add(`${ns}/${m.metadata.name}`);
    const { apiVersion: _a, kind: _k, metadata, ...rest } = m as Json;
    // A dumped kube-root-ca.crt holds the CA of the cluster it came from; the controller manager
    // keeps it equal to this cluster's CA.
    if (m.metadata.name === "kube-root-ca.crt") rest.data = { ...((rest.data as Json | undefined) ?? {}), "ca.crt": caPem };
    o.configmaps.push({ ...rest, metadata: meta(ctx, metadata as Json, ns, m.metadata.name, { kindHint: "ConfigMap" }) });
  }
  for (const ns of nsNames) {
    if (declaredCm.has(`${ns}/kube-root-ca.crt`)) continue;
    o.configmaps.push({
      metadata: meta(ctx, {}, ns, "kube-root-ca.crt", {
        kindHint: "ConfigMap",
        annotations: {
          "kubernetes.io/description":
            "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.",
        },
      }),
      data: { "ca.crt": caPem },
    });
  }

  // Pods are placed round-robin over the nodes the scheduler would admit them to.
  const placeCounter = new Map<string, number>();
  const place = (spec: Json, ownerKey: string): string | undefined => {
    if (spec.nodeName) return spec.nodeName as string;
    const eligible = eligibleNodes(spec, nodes);
    if (eligible.length === 0) return undefined;
    const i = placeCounter.get(ownerKey) ?? intOf("place:" + ownerKey, eligible.length);
    placeCounter.set(ownerKey, i + 1);
    return eligible[i % eligible.length].name;
  };
  const makePod = (args: {
    ns: string;
    name: string;
    template: Json;
    /** A Pod manifest's own metadata, kept whole (ownerReferences, uid, creationTimestamp, …); else the template's labels and annotations are used. */
    metadata?: Json;
    /** A Pod manifest's own status: a Succeeded or Failed phase is honoured, the rest derived. */
    givenStatus?: Json;
    owner?: { apiVersion: string; kind: string; name: string; uid: string };
    extraLabels?: Record<string, string>;
    phase?: "Running" | "Succeeded";
    ownerKey: string;
    nodeName?: string;
  }) => {
    const tmeta = ((args.template.metadata as Json | undefined) ?? {}) as Json;
    const tspec = convertPodSpec(args.template.spec as Json);
    const saName = (tspec.serviceAccountName as string | undefined) ?? "default";
    const spec = admitPodSpec(tspec, `${seed}/${args.ns}/${args.name}`, saName, ksaAutomount.get(`${args.ns}/${saName}`));
    const nodeName = args.nodeName ?? place(spec, args.ownerKey);
    if (nodeName) spec.nodeName = nodeName;
    const labels = { ...((tmeta.labels as Record<string, string>) ?? {}), ...(args.extraLabels ?? {}) };
    const metadata = args.metadata
      ? meta(ctx, args.metadata, args.ns, args.name, { kindHint: "Pod" })
      : meta(ctx, { annotations: tmeta.annotations }, args.ns, args.name, {
          labels,
          kindHint: "Pod",
          ...(args.owner
            ? { ownerReferences: [{ ...args.owner, controller: true, blockOwnerDeletion: true }], generateName: args.name.replace(/[a-z0-9]+$/, "") }
            : {}),
        });
    if (!metadata.annotations) delete metadata.annotations;
    const givenPhase = args.givenStatus?.phase;
    // A finished pod stays finished (CronJob history, a failed batch run), whatever node it ran on.
    const phase = givenPhase === "Succeeded" || givenPhase === "Failed" ? givenPhase : (args.phase ?? "Running");
    const finished = phase !== "Running";
    const started = iso(now - intOf("start:" + args.name, 7 * 24) * 3_600_000);
    const node = nodes.find((n) => n.name === nodeName);
    const derived: Json = nodeName
      ? {
          phase,
          conditions: [
            { type: "PodScheduled", status: "True" },
            { type: "Initialized", status: "True" },
            { type: "Ready", status: finished ? "False" : "True", ...(finished ? { reason: "PodCompleted" } : {}) },
          ],
          hostIP: `10.128.${clusterIndex % 250}.${(node ? nodes.indexOf(node) : 0) + 1}`,
          podIP: spec.hostNetwork ? `10.128.${clusterIndex % 250}.${(node ? nodes.indexOf(node) : 0) + 1}` : `10.${clusterIndex % 250}.${intOf("pip:" + args.name, 250)}.${intOf("pip2:" + args.name, 250) + 2}`,
          startTime: started,
          qosClass: "BestEffort",
          containerStatuses: ((spec.containers as Json[]) ?? []).map((ct) => ({
            name: ct.name,
            image: ct.image,
            ready: !finished,
            restartCount: 0,
            started: !finished,
            state: finished
              ? { terminated: phase === "Failed" ? { exitCode: 1, reason: "Error" } : { exitCode: 0, reason: "Completed" } }
              : { running: { startedAt: started } },
          })),
        }
      : {
          phase: "Pending",
          conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: unschedulableMessage(spec, nodes) }],
          qosClass: "BestEffort",
        };
    // What a `kubectl get pods -o yaml` dump says of a finished pod (its times, exit codes) is kept over what is derived.
    const status = finished && args.givenStatus ? { ...derived, ...args.givenStatus, phase } : derived;
    o.pods.push({ metadata, spec, status });
  };

  const ownerRef = (apiVersion: string, kind: string, obj: Json) => ({
    apiVersion,
    kind,
    name: (obj.metadata as Json).name as string,
    uid: (obj.metadata as Json).uid as string,
  });

  for (const m of manifests) {
    const ns = m.metadata.namespace ?? "default";
    const { apiVersion: _a, kind: _k, metadata: mmeta, ...rest } = structuredClone(m) as Json;
    // A generation given (a dump) is kept and observed; else the object is at its first.
    const generation = typeof (mmeta as Json).generation === "number" ? ((mmeta as Json).generation as number) : 1;
    const base = { ...rest, metadata: meta(ctx, mmeta as Json, ns, m.metadata.name, { kindHint: m.kind, generation }) } as Json;
    const spec = (base.spec ?? {}) as Json;
    // Templates read back as the API server writes them (serviceAccount ⇄ serviceAccountName).
    if (spec.template) spec.template = convertTemplate(spec.template as Json);
    const jobTemplateSpec = (spec.jobTemplate as Json | undefined)?.spec as Json | undefined;
    if (jobTemplateSpec?.template) jobTemplateSpec.template = convertTemplate(jobTemplateSpec.template as Json);
    const name = m.metadata.name;
    const key = `${seed}/${ns}/${m.kind}/${name}`;
    switch (m.kind) {
      case "Deployment":
      case "StatefulSet": {
        const replicas = (spec.replicas as number | undefined) ?? 1;
        spec.replicas = replicas;
        const template = spec.template as Json;
        spec.selector ??= { matchLabels: ((template.metadata as Json | undefined)?.labels as Json) ?? {} };
        base.status = { observedGeneration: generation, replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas };
        if (m.kind === "Deployment") {
          spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
          o.deployments.push(base);
          const hash = k8sSuffix("pth:" + key + JSON.stringify(template), 10);
          const rsName = `${name}-${hash}`;
          const rs: Json = {
            metadata: meta(ctx, {}, ns, rsName, {
              kindHint: "ReplicaSet",
              labels: { ...(((template.metadata as Json | undefined)?.labels as Json) ?? {}), "pod-template-hash": hash },
              ownerReferences: [{ ...ownerRef("apps/v1", "Deployment", base), controller: true, blockOwnerDeletion: true }],
              annotations: { "deployment.kubernetes.io/revision": "1" },
            }),
            spec: { replicas, selector: spec.selector, template },
            status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
          };
          o.replicasets.push(rs);
          for (let i = 0; i < replicas; i++) {
            makePod({
              ns,
              name: `${rsName}-${k8sSuffix(`pod:${key}/${i}`, 5)}`,
              template,
              owner: ownerRef("apps/v1", "ReplicaSet", rs),
              extraLabels: { "pod-template-hash": hash },
              ownerKey: key,
            });
          }
        } else {
          spec.serviceName ??= name;
          o.statefulsets.push(base);
          const rev = `${name}-${k8sSuffix("rev:" + key, 10)}`;
          for (let i = 0; i < replicas; i++) {
            makePod({
              ns,
              name: `${name}-${i}`,
              template,
              owner: ownerRef("apps/v1", "StatefulSet", base),
              extraLabels: { "controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": `${name}-${i}`, "apps.kubernetes.io/pod-index": String(i) },
              ownerKey: key,
            });
          }
        }
        break;
      }
      case "DaemonSet": {
        const template = spec.template as Json;
        spec.selector ??= { matchLabels: ((template.metadata as Json | undefined)?.labels as Json) ?? {} };
        // The DaemonSet controller runs a pod on every node whose taints its pods tolerate (with GKE's
        // admission tolerations) and whose labels its selector and required affinity admit.
        const tspec = template.spec as Json;
        const podSpec = { ...tspec, tolerations: [...(((tspec.tolerations as Json[] | undefined) ?? []) as Json[]), ...gkeAdmissionTolerations(tspec)] };
        const eligible = nodes.filter((n) => !nodeMisfit(podSpec, n));
        base.status = { desiredNumberScheduled: eligible.length, currentNumberScheduled: eligible.length, numberReady: eligible.length, observedGeneration: generation };
        o.daemonsets.push(base);
        for (const n of eligible) {
          makePod({
            ns,
            name: `${name}-${k8sSuffix(`ds:${key}/${n.name}`, 5)}`,
            template,
            owner: ownerRef("apps/v1", "DaemonSet", base),
            extraLabels: { "controller-revision-hash": k8sSuffix("rev:" + key, 10), "pod-template-generation": "1" },
            ownerKey: key,
            nodeName: n.name,
          });
        }
        break;
      }
      case "CronJob": {
        const jt = spec.jobTemplate as Json;
        const template = (jt.spec as Json).template as Json;
        const keep = (spec.successfulJobsHistoryLimit as number | undefined) ?? 3;
        const scheduledMin = Math.floor(now / 60000) - 60 - intOf("cron:" + key, 600);
        base.status = keep > 0 ? { lastScheduleTime: iso(scheduledMin * 60000), lastSuccessfulTime: iso(scheduledMin * 60000 + 120000) } : {};
        o.cronjobs.push(base);
        if (keep > 0) {
          const jobName = `${name}-${scheduledMin}`;
          const job: Json = {
            metadata: meta(ctx, {}, ns, jobName, {
              kindHint: "Job",
              labels: { "batch.kubernetes.io/job-name": jobName, "job-name": jobName },
              ownerReferences: [{ ...ownerRef("batch/v1", "CronJob", base), controller: true, blockOwnerDeletion: true }],
            }),
            spec: { ...(jt.spec as Json), backoffLimit: 6, completions: 1, parallelism: 1, template },
            status: { startTime: iso(scheduledMin * 60000), completionTime: iso(scheduledMin * 60000 + 120000), succeeded: 1 },
          };
          o.jobs.push(job);
          const jtSpec = { ...(template.spec as Json), restartPolicy: (template.spec as Json).restartPolicy ?? "OnFailure" };
          makePod({
            ns,
            name: `${jobName}-${k8sSuffix("jp:" + key, 5)}`,
            template: { ...template, spec: jtSpec },
            owner: ownerRef("batch/v1", "Job", job),
            extraLabels: { "batch.kubernetes.io/job-name": jobName, "job-name": jobName, "batch.kubernetes.io/controller-uid": (job.metadata as Json).uid as string },
            phase: "Succeeded",
            ownerKey: key,
          });
        }
        break;
      }
      case "Job": {
        const template = spec.template as Json;
        // A Job dumped after it finished (its Complete or Failed condition) keeps that status and its pod
        // is finished too; any other Job is running its pod.
        const given = (rest.status ?? undefined) as Json | undefined;
        const conditions = ((given?.conditions as Json[] | undefined) ?? []) as Json[];
        const outcome = conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")?.type as "Complete" | "Failed" | undefined;
        base.status = outcome ? given : { startTime: iso(now - 3_600_000), active: 1 };
        o.jobs.push(base);
        const jtSpec = { ...(template.spec as Json), restartPolicy: (template.spec as Json).restartPolicy ?? "Never" };
        makePod({
          ns,
          name: `${name}-${k8sSuffix("jp:" + key, 5)}`,
          template: { ...template, spec: jtSpec },
          owner: ownerRef("batch/v1", "Job", base),
          extraLabels: { "batch.kubernetes.io/job-name": name, "job-name": name },
          ...(outcome ? { givenStatus: { phase: outcome === "Complete" ? "Succeeded" : "Failed" } } : {}),
          ownerKey: key,
        });
        break;
      }
      case "ReplicaSet": {
        // Served as given (an Argo Rollout's, a Deployment's old revision dumped without its Deployment,
        // …), ownerReferences included, and its pods materialised as the ReplicaSet controller would.
        const replicas = (spec.replicas as number | undefined) ?? 1;
        spec.replicas = replicas;
        const template = spec.template as Json;
        spec.selector ??= { matchLabels: ((template.metadata as Json | undefined)?.labels as Json) ?? {} };
        base.status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: generation };
        o.replicasets.push(base);
        for (let i = 0; i < replicas; i++) {
          makePod({ ns, name: `${name}-${k8sSuffix(`pod:${key}/${i}`, 5)}`, template, owner: ownerRef("apps/v1", "ReplicaSet", base), ownerKey: key });
        }
        break;
      }
      case "Pod": {
        // Kept as written or dumped: its metadata whole (ownerReferences to any kind), its nodeName even if
        // that node is gone, a finished phase.
        makePod({
          ns,
          name,
          template: { metadata: m.metadata, spec: m.spec as Json },
          metadata: mmeta as Json,
          givenStatus: (m.status as Json | undefined) ?? undefined,
          ownerKey: key,
        });
        break;
      }
      default:
        break;
    }
  }

  const sortKey = (x: Json) => `${((x.metadata as Json).namespace as string) ?? ""}/${(x.metadata as Json).name}`;
  for (const r of Object.keys(o) as K8sResource[]) o[r].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  cluster.resourceVersion = String(++ctx.rv);
  return cluster;
}

export function buildWorld(given: LoadedEstate): World {
  // ---- issue 12, Google writes (world-writes-google.ts): setIamPolicy and account deletions replace the
  // policies and account lists of projects, folders and the organization. The world holds its own
  // shallow copies of those, so the estate given — which `POST /_simulator/reset` rebuilds from — never
  // sees a write.
  const estate: LoadedEstate = {
    ...given,
    organization: given.organization && { ...given.organization },
    folders: given.folders.map((f) => ({ ...f })),
    projects: given.projects.map((p) => ({ ...p })),
  };
  // ---- end issue 12 block
  const now = estate.now ? Date.parse(estate.now) : Date.now();
  const world: World = {
    estate,
    now,
    projects: estate.projects,
    projectByIdOrNumber: new Map(),
    serviceAccounts: [],
    saByEmail: new Map(),
    saByUniqueId: new Map(),
    clusters: [],
    clusterByPath: new Map(),
    writes: [],
  };
  let clusterIndex = 0;
  for (const p of estate.projects) {
    world.projectByIdOrNumber.set(p.projectId, p);
    world.projectByIdOrNumber.set(p.projectNumber, p);
    for (const sa of p.serviceAccounts) {
      const s = buildServiceAccount(p, sa, now);
      world.serviceAccounts.push(s);
      world.saByEmail.set(sa.email, s);
      world.saByUniqueId.set(s.json.uniqueId as string, s);
    }
    for (const ec of p.clusters) {
      const c = buildCluster(p, ec, now, clusterIndex++);
      world.clusters.push(c);
      world.clusterByPath.set(`${p.projectId}/${c.location}/${c.name}`, c);
    }
  }
  world.serviceAccounts.sort((a, b) => (a.estate.email < b.estate.email ? -1 : 1));
  return world;
}

// ——— Issue 12, Kubernetes writes (k8s-write-routes.ts, k8s-rollout.ts): the one entry into the derivation above. ———
/**
 * What the controllers and kube-scheduler make of `manifests` in `cluster` as it stands now (its node
 * pools and workload pool as currently served): the same derivation as at load (ReplicaSets, pods,
 * Jobs, admission, scheduling), run on a scratch copy of the cluster that holds only these manifests
 * plus the nodes. A write passes the workload it changed and the namespace's ServiceAccounts (whose
 * automount setting admission reads); the caller keeps what it needs from the answer. `now` later
 * than the world's is a CronJob's next run (its Job is named for the minute it is scheduled).
 */
export function deriveClusterObjects(world: World, cluster: SimCluster, manifests: Manifest[], now = world.now): Record<K8sResource, Json[]> {
  const loaded = cluster.project.clusters.find((c) => c.cluster.name === cluster.name && c.cluster.location === cluster.location);
  if (!loaded) throw new Error(`cluster ${cluster.name} is not in its project's estate`);
  const current = { ...loaded.cluster, nodePools: cluster.json.nodePools, workloadIdentityConfig: cluster.json.workloadIdentityConfig } as LoadedCluster["cluster"];
  const scratch: LoadedCluster = { ...loaded, cluster: current, resolvedManifests: manifests, ignoredObjects: [] };
  return buildCluster(cluster.project, scratch, now, world.clusters.indexOf(cluster)).objects;
}
// ——— End of issue 12's block. ———
