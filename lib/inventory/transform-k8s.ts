/**
 * Kubernetes API objects → inventory records, for one cluster. Pods are tied to their workload
 * through ownerReferences (Pod → ReplicaSet → Deployment, Pod → Job → CronJob); when the ReplicaSets
 * or Jobs could not be read, the workload is inferred from Kubernetes' naming and marked so.
 */
import { subject, type ClusterRef } from "../ids";
import { scanConfigMapData, scanSecretData } from "./secret-credentials";
import { credentialsPathVariables, keepEnvEntry } from "./env-values";
import type {
  ConfigMapData,
  ContainerEssentials,
  InventoryRecord,
  JobData,
  KsaData,
  NamespaceData,
  NodeData,
  OwnerRef,
  PodData,
  PodSpecEssentials,
  ReplicaSetData,
  SecretData,
  Taint,
  WorkloadData,
  WorkloadKind,
} from "./model";
import { MalformedResponseError } from "./transform-gcp";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const GSA_ANNOTATION = "iam.gke.io/gcp-service-account";
export const GKE_METADATA_LABEL = "iam.gke.io/gke-metadata-server-enabled";

function name(o: Obj, what: string): string {
  const n = o?.metadata?.name;
  if (typeof n !== "string" || n === "") throw new MalformedResponseError(what, "metadata.name");
  return n;
}
function ns(o: Obj, what: string): string {
  const n = o?.metadata?.namespace;
  if (typeof n !== "string" || n === "") throw new MalformedResponseError(`${what} ${o?.metadata?.name}`, "metadata.namespace");
  return n;
}

function controllerOf(o: Obj): OwnerRef | null {
  const refs = (o?.metadata?.ownerReferences ?? []) as Obj[];
  const c = refs.find((r) => r.controller) ?? refs[0];
  return c && typeof c.kind === "string" && typeof c.name === "string" ? { kind: c.kind, name: c.name } : null;
}

function envKept(env: Obj[]) {
  const pathVariables = credentialsPathVariables(env);
  return env.map((e) => keepEnvEntry(e, pathVariables));
}

function container(c: Obj): ContainerEssentials {
  return {
    name: String(c.name ?? ""),
    image: typeof c.image === "string" ? c.image : null,
    // Values are cut here: only names, references and identity variables' values go on (env-values.ts).
    env: envKept((c.env ?? []) as Obj[]),
    envFrom: (c.envFrom ?? []) as unknown[],
    // The admission-injected service account token mount goes with its kube-api-access volume.
    volumeMounts: ((c.volumeMounts ?? []) as Obj[]).filter((m) => !/^kube-api-access-/.test(String(m.name))).map((m) => {
      const out: ContainerEssentials["volumeMounts"][number] = { name: String(m.name), mountPath: String(m.mountPath) };
      if (m.subPath) out.subPath = String(m.subPath);
      if (m.readOnly) out.readOnly = true;
      return out;
    }),
  };
}

/** Resource names of the API's own (cpu, memory, …); anything else with a domain is an extended resource (nvidia.com/gpu). */
function extendedResources(containers: Obj[]): string[] {
  const names = new Set<string>();
  for (const c of containers) {
    for (const part of [c.resources?.limits, c.resources?.requests]) {
      for (const k of Object.keys(part ?? {})) if (k.includes("/") && !k.startsWith("kubernetes.io/") && !k.startsWith("hugepages-")) names.add(k);
    }
  }
  return [...names].sort();
}

function taintsOf(raw: unknown): Taint[] {
  return ((raw ?? []) as Obj[])
    .filter((t) => typeof t?.key === "string")
    .map((t) => ({ key: t.key, value: typeof t.value === "string" ? t.value : null, effect: String(t.effect ?? "") }));
}

/** Keeps from a PodSpec what decides identity: accounts, node placement, env, mounts, volumes. */
export function podSpecEssentials(spec: Obj | undefined): PodSpecEssentials {
  const s = spec ?? {};
  return {
    serviceAccountName: s.serviceAccountName || s.serviceAccount || "default",
    hostNetwork: s.hostNetwork === true,
    nodeName: typeof s.nodeName === "string" && s.nodeName ? s.nodeName : null,
    nodeSelector: { ...(s.nodeSelector ?? {}) },
    nodeAffinity: s.affinity?.nodeAffinity ?? null,
    tolerations: ((s.tolerations ?? []) as Obj[]).map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined && v !== null))),
    extendedResources: extendedResources([...((s.containers ?? []) as Obj[]), ...((s.initContainers ?? []) as Obj[])]),
    automountServiceAccountToken: typeof s.automountServiceAccountToken === "boolean" ? s.automountServiceAccountToken : null,
    containers: ((s.containers ?? []) as Obj[]).map(container),
    initContainers: ((s.initContainers ?? []) as Obj[]).map(container),
    ephemeralContainers: ((s.ephemeralContainers ?? []) as Obj[]).map(container),
    // Volumes are kept as given but for the kube-api-access token volume every pod has.
    volumes: ((s.volumes ?? []) as Obj[]).filter((v) => !/^kube-api-access-/.test(String(v.name))),
  };
}

export class ClusterTransformer {
  readonly clusterSubject: string;
  constructor(
    readonly ref: ClusterRef,
    readonly sourceFor: (resource: string) => string,
  ) {
    this.clusterSubject = subject.cluster(ref);
  }

  private rec<D>(kind: InventoryRecord["kind"], subj: string, resource: string, namespace: string | null, data: D): InventoryRecord<D> {
    return { kind, subject: subj, source: this.sourceFor(resource), project: this.ref.project, cluster: this.clusterSubject, namespace, data };
  }

  namespace(o: Obj): InventoryRecord<NamespaceData> {
    const n = name(o, "namespace");
    return this.rec("namespace", subject.namespace(this.ref, n), "namespaces", n, { name: n, labels: { ...(o.metadata?.labels ?? {}) } });
  }

  ksa(o: Obj): InventoryRecord<KsaData> {
    const n = name(o, "serviceaccount");
    const namespace = ns(o, "serviceaccount");
    const ann = o.metadata?.annotations?.[GSA_ANNOTATION];
    const lab = o.metadata?.labels?.[GSA_ANNOTATION];
    return this.rec("ksa", subject.ksa(this.ref, namespace, n), "serviceaccounts", namespace, {
      namespace,
      name: n,
      gsaAnnotation: typeof ann === "string" ? ann : null,
      gsaLabel: typeof lab === "string" ? lab : null,
      automountServiceAccountToken: typeof o.automountServiceAccountToken === "boolean" ? o.automountServiceAccountToken : null,
      creationTimestamp: o.metadata?.creationTimestamp ?? null,
    });
  }

  node(o: Obj): InventoryRecord<NodeData> {
    const n = name(o, "node");
    const labels = (o.metadata?.labels ?? {}) as Record<string, string>;
    return this.rec("node", subject.node(this.ref, n), "nodes", null, {
      name: n,
      pool: labels["cloud.google.com/gke-nodepool"] ?? null,
      gkeMetadataLabel: labels[GKE_METADATA_LABEL] ?? null,
      zone: labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? null,
      labels: { ...labels },
      taints: taintsOf(o.spec?.taints),
    });
  }

  replicaSet(o: Obj): InventoryRecord<ReplicaSetData> {
    const n = name(o, "replicaset");
    const namespace = ns(o, "replicaset");
    return this.rec("replicaset", `replicaset:${this.ref.project}/${this.ref.location}/${this.ref.name}/${namespace}/${n}`, "replicasets", namespace, {
      namespace,
      name: n,
      owner: controllerOf(o),
    });
  }

  job(o: Obj): InventoryRecord<JobData> {
    const n = name(o, "job");
    const namespace = ns(o, "job");
    return this.rec("job", `job:${this.ref.project}/${this.ref.location}/${this.ref.name}/${namespace}/${n}`, "jobs", namespace, {
      namespace,
      name: n,
      owner: controllerOf(o),
    });
  }

  workload(o: Obj, kind: WorkloadKind, resource: string): InventoryRecord<WorkloadData> {
    const n = name(o, kind);
    const namespace = ns(o, kind);
    const template = kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template : kind === "Pod" ? { spec: o.spec } : o.spec?.template;
    return this.rec("workload", subject.workload(this.ref, namespace, kind, n), resource, namespace, {
      namespace,
      kind,
      name: n,
      replicas: ["Deployment", "StatefulSet", "ReplicaSet"].includes(kind) ? (o.spec?.replicas ?? 1) : null,
      schedule: kind === "CronJob" ? (o.spec?.schedule ?? null) : null,
      suspend: kind === "CronJob" ? o.spec?.suspend === true : null,
      template: podSpecEssentials(template?.spec),
      labels: { ...(o.metadata?.labels ?? {}) },
      creationTimestamp: o.metadata?.creationTimestamp ?? null,
    });
  }

  secret(o: Obj): InventoryRecord<SecretData> {
    const n = name(o, "secret");
    const namespace = ns(o, "secret");
    const { credentials, credentialTypes } = scanSecretData(o.data);
    return this.rec("secret", subject.secret(this.ref, namespace, n), "secrets", namespace, {
      namespace,
      name: n,
      type: o.type ?? "Opaque",
      dataKeys: Object.keys(o.data ?? {}).sort(),
      credentials,
      credentialTypes,
    });
  }

  /**
   * A ConfigMap read because a pod's credentials come from it: only `wanted` keys are looked at, and
   * only path-like env values and credential summaries are kept.
   */
  configMap(o: Obj, wanted: { envKeys: Iterable<string>; fileKeys: Iterable<string> }): InventoryRecord<ConfigMapData> {
    const n = name(o, "configmap");
    const namespace = ns(o, "configmap");
    return this.rec("configmap", subject.configmap(this.ref, namespace, n), "configmaps", namespace, {
      namespace,
      name: n,
      ...scanConfigMapData(o.data, o.binaryData, wanted),
    });
  }

  /** A ConfigMap the scanner asked for that does not exist (404): recorded so that its absence is known. */
  absentConfigMap(namespace: string, n: string, wanted: { envKeys: Iterable<string>; fileKeys: Iterable<string> }): InventoryRecord<ConfigMapData> {
    const looked = [...new Set([...wanted.envKeys, ...wanted.fileKeys])].sort();
    return this.rec("configmap", subject.configmap(this.ref, namespace, n), "configmaps", namespace, { namespace, name: n, looked, present: [], values: {}, credentials: [], absent: true });
  }

  /** A pod; its workload is provisional until `resolvePodWorkload` runs with the owner maps. */
  pod(o: Obj): InventoryRecord<PodData> {
    const n = name(o, "pod");
    const namespace = ns(o, "pod");
    const rec = this.rec<PodData>("pod", subject.pod(this.ref, namespace, n), "pods", namespace, {
      namespace,
      name: n,
      phase: o.status?.phase ?? null,
      owner: controllerOf(o),
      workload: "",
      workloadInferred: false,
      podTemplateHash: o.metadata?.labels?.["pod-template-hash"] ?? null,
      spec: podSpecEssentials(o.spec),
      startTime: o.status?.startTime ?? null,
    });
    this.resolvePodWorkload(rec, undefined, undefined);
    return rec;
  }

  /**
   * Sets a pod's workload through `rsOwners` (ReplicaSet → owner), `jobOwners` (Job → owner) and
   * `podOwners` (Pod → owner, for pods another pod owns: Spark executors), keyed `namespace/name`.
   * A ReplicaSet or Job owned by anything (a Deployment, a CronJob, an Argo Rollout, a RayJob…)
   * gives its owner as the workload; an ownerless one is the workload itself. An undefined map means
   * that list could not be read: the workload is then inferred from Kubernetes' naming (ReplicaSet
   * NAME-<pod-template-hash>, Job NAME-<scheduled minutes>).
   */
  resolvePodWorkload(
    rec: InventoryRecord<PodData>,
    rsOwners: Map<string, OwnerRef | null> | undefined,
    jobOwners: Map<string, OwnerRef | null> | undefined,
    podOwners?: Map<string, OwnerRef | null>,
  ): void {
    const d = rec.data;
    let owner = d.owner;
    // A pod owned by a pod (Spark's executors by their driver) belongs where its owner does.
    for (let hops = 0; owner?.kind === "Pod" && podOwners?.has(`${d.namespace}/${owner.name}`) && hops < 5; hops++) {
      const up = podOwners.get(`${d.namespace}/${owner.name}`) ?? null;
      if (!up) break;
      owner = up;
    }
    let kind = "Pod";
    let wname = d.name;
    let inferred = false;
    if (owner) {
      if (owner.kind === "ReplicaSet") {
        if (rsOwners) {
          const up = rsOwners.get(`${d.namespace}/${owner.name}`);
          if (up) [kind, wname] = [up.kind, up.name];
          else [kind, wname] = ["ReplicaSet", owner.name];
        } else {
          const hash = d.podTemplateHash;
          if (hash && owner.name.endsWith(`-${hash}`)) [kind, wname, inferred] = ["Deployment", owner.name.slice(0, -hash.length - 1), true];
          else [kind, wname, inferred] = ["ReplicaSet", owner.name, true];
        }
      } else if (owner.kind === "Job") {
        if (jobOwners) {
          const up = jobOwners.get(`${d.namespace}/${owner.name}`);
          if (up) [kind, wname] = [up.kind, up.name];
          else [kind, wname] = ["Job", owner.name];
        } else {
          const m = /^(.*)-\d{8,}$/.exec(owner.name);
          if (m) [kind, wname, inferred] = ["CronJob", m[1], true];
          else [kind, wname, inferred] = ["Job", owner.name, true];
        }
      } else {
        // StatefulSet, DaemonSet, a bare Pod's owner pod, or a controller we do not list (the owner is then the workload).
        [kind, wname] = [owner.kind, owner.name];
      }
    }
    d.workload = subject.workload(this.ref, d.namespace, kind, wname);
    d.workloadInferred = inferred;
  }
}
