import { describe, expect, it } from "vitest";
import { ClusterTransformer, podSpecEssentials } from "./transform-k8s";
import { MalformedResponseError } from "./transform-gcp";
import type { OwnerRef, PodData } from "./model";

const REF = { project: "acme-prod", location: "asia-northeast1", name: "prod" };
const CLUSTER = "cluster:acme-prod/asia-northeast1/prod";
const t = () => new ClusterTransformer(REF, (resource) => `k8s.${resource}:acme-prod/asia-northeast1/prod`);
const workload = (ns: string, kind: string, name: string) => `workload:acme-prod/asia-northeast1/prod/${ns}/${kind}/${name}`;

// The projected token volume the ServiceAccount admission plugin adds to every pod:
// https://kubernetes.io/docs/concepts/security/service-accounts/#bound-service-account-token-volume
const KUBE_API_ACCESS = {
  name: "kube-api-access-5x2dn",
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ],
  },
};
const KUBE_API_ACCESS_MOUNT = { name: "kube-api-access-5x2dn", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" };

// A Deployment's pod as `kubectl get pod -o json` shows it:
// https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/
// https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/#System
function deploymentPod() {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "api-7d9c5b8f6d-x2x8k",
      generateName: "api-7d9c5b8f6d-",
      namespace: "web",
      uid: "0f1e2d3c-4b5a-4968-8776-655443322110",
      resourceVersion: "48213",
      creationTimestamp: "2026-11-20T10:00:00Z",
      labels: { app: "api", "pod-template-hash": "7d9c5b8f6d" },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "api-7d9c5b8f6d", uid: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      serviceAccountName: "api",
      serviceAccount: "api",
      nodeName: "gke-prod-wi-cpbmh587-jbwq",
      nodeSelector: { "iam.gke.io/gke-metadata-server-enabled": "true" },
      containers: [
        {
          name: "api",
          image: "asia-docker.pkg.dev/acme-prod/app/api:1.4.2",
          ports: [{ containerPort: 8080, protocol: "TCP" }],
          env: [
            { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          envFrom: [{ secretRef: { name: "api-env" } }, { prefix: "CFG_", configMapRef: { name: "api-config" } }],
          resources: { requests: { cpu: "100m", memory: "128Mi" } },
          volumeMounts: [{ name: "gcp-key", mountPath: "/var/secrets/google/key.json", subPath: "key.json", readOnly: true }, { name: "cache", mountPath: "/cache" }, KUBE_API_ACCESS_MOUNT],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      initContainers: [
        {
          name: "migrate",
          image: "asia-docker.pkg.dev/acme-prod/app/migrate:1.4.2",
          env: [{ name: "MODE", value: "" }],
          volumeMounts: [KUBE_API_ACCESS_MOUNT],
        },
      ],
      volumes: [{ name: "gcp-key", secret: { secretName: "gcp-key", defaultMode: 420 } }, { name: "cache", emptyDir: {} }, KUBE_API_ACCESS],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: { phase: "Running", hostIP: "10.128.0.7", podIP: "10.0.94.12", startTime: "2026-11-20T10:00:02Z", qosClass: "Burstable" },
  };
}

/** A pod owned by `owner` (kind/name), with an optional pod-template-hash label. */
function ownedPod(ns: string, name: string, owner?: { kind: string; name: string; controller?: boolean }, hash?: string) {
  return {
    metadata: {
      name,
      namespace: ns,
      labels: hash ? { "pod-template-hash": hash } : {},
      ...(owner ? { ownerReferences: [{ apiVersion: "v1", uid: "u", controller: owner.controller ?? true, ...owner }] } : {}),
    },
    spec: { containers: [{ name: "c", image: "busybox" }] },
    status: { phase: "Running" },
  };
}

describe("podSpecEssentials", () => {
  it("keeps accounts, placement, env (values and valueFrom), envFrom, mounts with subPath, and volumes but the kube-api-access volume and its mounts", () => {
    expect(podSpecEssentials(deploymentPod().spec)).toEqual({
      serviceAccountName: "api",
      hostNetwork: false,
      nodeName: "gke-prod-wi-cpbmh587-jbwq",
      nodeSelector: { "iam.gke.io/gke-metadata-server-enabled": "true" },
      nodeAffinity: null,
      tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
      extendedResources: [],
      automountServiceAccountToken: null,
      containers: [
        {
          name: "api",
          image: "asia-docker.pkg.dev/acme-prod/app/api:1.4.2",
          env: [
            { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          envFrom: [{ secretRef: { name: "api-env" } }, { prefix: "CFG_", configMapRef: { name: "api-config" } }],
          volumeMounts: [
            { name: "gcp-key", mountPath: "/var/secrets/google/key.json", subPath: "key.json", readOnly: true },
            { name: "cache", mountPath: "/cache" },
          ],
        },
      ],
      initContainers: [{ name: "migrate", image: "asia-docker.pkg.dev/acme-prod/app/migrate:1.4.2", env: [{ name: "MODE", value: "" }], envFrom: [], volumeMounts: [] }],
      ephemeralContainers: [],
      volumes: [
        { name: "gcp-key", secret: { secretName: "gcp-key", defaultMode: 420 } },
        { name: "cache", emptyDir: {} },
      ],
    });
  });

  it("reads node affinity, hostNetwork and automountServiceAccountToken, and defaults the account to `default`", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#scheduling
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "cloud.google.com/gke-nodepool", operator: "In", values: ["wi"] }] }],
      },
    };
    expect(
      podSpecEssentials({ hostNetwork: true, automountServiceAccountToken: false, affinity: { nodeAffinity }, containers: [{ name: "c" }] }),
    ).toEqual({
      serviceAccountName: "default",
      hostNetwork: true,
      nodeName: null,
      nodeSelector: {},
      nodeAffinity,
      tolerations: [],
      extendedResources: [],
      automountServiceAccountToken: false,
      containers: [{ name: "c", image: null, env: [], envFrom: [], volumeMounts: [] }],
      initContainers: [],
      ephemeralContainers: [],
      volumes: [],
    });
  });

  it("falls back to the deprecated serviceAccount field", () => {
    expect(podSpecEssentials({ serviceAccount: "legacy", containers: [] }).serviceAccountName).toBe("legacy");
    expect(podSpecEssentials(undefined).serviceAccountName).toBe("default");
  });
});

describe("ClusterTransformer.ksa", () => {
  // ServiceAccount: https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/service-account-v1/
  // The Workload Identity annotation: https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
  it("keeps the iam.gke.io/gcp-service-account annotation verbatim, whitespace included", () => {
    const ksa = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "api",
        namespace: "web",
        uid: "1a2b3c4d-0000-4000-8000-000000000001",
        resourceVersion: "512",
        creationTimestamp: "2026-01-05T09:00:00Z",
        annotations: { "iam.gke.io/gcp-service-account": " Api@acme-prod.iam.gserviceaccount.com\n" },
      },
      automountServiceAccountToken: false,
    };
    expect(t().ksa(ksa)).toEqual({
      kind: "ksa",
      subject: "ksa:acme-prod/asia-northeast1/prod/web/api",
      source: "k8s.serviceaccounts:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "web",
      data: {
        namespace: "web",
        name: "api",
        gsaAnnotation: " Api@acme-prod.iam.gserviceaccount.com\n",
        gsaLabel: null,
        automountServiceAccountToken: false,
        creationTimestamp: "2026-01-05T09:00:00Z",
      },
    });
  });

  it("records the annotation key set as a label instead", () => {
    const ksa = { metadata: { name: "worker", namespace: "batch", labels: { "iam.gke.io/gcp-service-account": "worker" } } };
    expect(t().ksa(ksa).data).toEqual({
      namespace: "batch",
      name: "worker",
      gsaAnnotation: null,
      gsaLabel: "worker",
      automountServiceAccountToken: null,
      creationTimestamp: null,
    });
  });

  it("throws on a ServiceAccount without a namespace", () => {
    expect(() => t().ksa({ metadata: { name: "x" } })).toThrow(new MalformedResponseError("serviceaccount x", "metadata.namespace"));
  });
});

describe("ClusterTransformer.namespace and node", () => {
  it("keeps a namespace's labels", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/namespace-v1/
    const ns = { metadata: { name: "web", labels: { "kubernetes.io/metadata.name": "web", team: "web" } }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } };
    expect(t().namespace(ns)).toEqual({
      kind: "namespace",
      subject: "namespace:acme-prod/asia-northeast1/prod/web",
      source: "k8s.namespaces:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "web",
      data: { name: "web", labels: { "kubernetes.io/metadata.name": "web", team: "web" } },
    });
  });

  it("reads a node's pool, GKE metadata label (verbatim) and zone", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/
    // https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#option_2_node_pool_modification
    const node = {
      metadata: {
        name: "gke-prod-wi-cpbmh587-jbwq",
        labels: {
          "cloud.google.com/gke-nodepool": "wi",
          "iam.gke.io/gke-metadata-server-enabled": "true",
          "topology.kubernetes.io/zone": "asia-northeast1-b",
          "kubernetes.io/hostname": "gke-prod-wi-cpbmh587-jbwq",
        },
      },
      spec: { providerID: "gce://acme-prod/asia-northeast1-b/gke-prod-wi-cpbmh587-jbwq" },
    };
    expect(t().node(node)).toEqual({
      kind: "node",
      subject: "node:acme-prod/asia-northeast1/prod/gke-prod-wi-cpbmh587-jbwq",
      source: "k8s.nodes:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: null,
      data: {
        name: "gke-prod-wi-cpbmh587-jbwq",
        pool: "wi",
        gkeMetadataLabel: "true",
        zone: "asia-northeast1-b",
        labels: {
          "cloud.google.com/gke-nodepool": "wi",
          "iam.gke.io/gke-metadata-server-enabled": "true",
          "topology.kubernetes.io/zone": "asia-northeast1-b",
          "kubernetes.io/hostname": "gke-prod-wi-cpbmh587-jbwq",
        },
        taints: [],
      },
    });
    const old = { metadata: { name: "n", labels: { "failure-domain.beta.kubernetes.io/zone": "us-east1-b" } } };
    expect(t().node(old).data).toEqual({ name: "n", pool: null, gkeMetadataLabel: null, zone: "us-east1-b", labels: { "failure-domain.beta.kubernetes.io/zone": "us-east1-b" }, taints: [] });
    // A Windows node's taint, as GKE writes it.
    const win = { metadata: { name: "w", labels: { "kubernetes.io/os": "windows" } }, spec: { taints: [{ key: "node.kubernetes.io/os", value: "windows", effect: "NoSchedule" }] } };
    expect(t().node(win).data.taints).toEqual([{ key: "node.kubernetes.io/os", value: "windows", effect: "NoSchedule" }]);
  });
});

describe("ClusterTransformer.pod and resolvePodWorkload", () => {
  const rsOwners = new Map<string, OwnerRef | null>([
    ["web/api-7d9c5b8f6d", { kind: "Deployment", name: "api" }],
    ["web/orphan-5b6c7d8e9f", null],
  ]);
  const jobOwners = new Map<string, OwnerRef | null>([
    ["batch/nightly-29931367", { kind: "CronJob", name: "nightly" }],
    ["batch/db-migrate", null],
  ]);

  it("returns the pod with its owner and essentials, tied to its Deployment through the ReplicaSet map", () => {
    const tr = t();
    const rec = tr.pod(deploymentPod());
    tr.resolvePodWorkload(rec, rsOwners, jobOwners);
    expect(rec).toEqual({
      kind: "pod",
      subject: "pod:acme-prod/asia-northeast1/prod/web/api-7d9c5b8f6d-x2x8k",
      source: "k8s.pods:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "web",
      data: {
        namespace: "web",
        name: "api-7d9c5b8f6d-x2x8k",
        phase: "Running",
        owner: { kind: "ReplicaSet", name: "api-7d9c5b8f6d" },
        workload: workload("web", "Deployment", "api"),
        workloadInferred: false,
        podTemplateHash: "7d9c5b8f6d",
        spec: podSpecEssentials(deploymentPod().spec),
        startTime: "2026-11-20T10:00:02Z",
      },
    });
  });

  /** The workload and whether it was inferred, for a pod resolved with the given maps. */
  function resolved(pod: Record<string, unknown>, rs: Map<string, OwnerRef | null> | undefined, jobs: Map<string, OwnerRef | null> | undefined) {
    const tr = t();
    const rec = tr.pod(pod);
    tr.resolvePodWorkload(rec, rs, jobs);
    return [rec.data.workload, rec.data.workloadInferred];
  }

  it("stops at the ReplicaSet when it has no Deployment owner", () => {
    expect(resolved(ownedPod("web", "orphan-5b6c7d8e9f-abcde", { kind: "ReplicaSet", name: "orphan-5b6c7d8e9f" }, "5b6c7d8e9f"), rsOwners, jobOwners)).toEqual([
      workload("web", "ReplicaSet", "orphan-5b6c7d8e9f"),
      false,
    ]);
  });

  it("goes through Job → CronJob with the Job map, and stops at a Job no CronJob owns", () => {
    expect(resolved(ownedPod("batch", "nightly-29931367-m5wbs", { kind: "Job", name: "nightly-29931367" }), rsOwners, jobOwners)).toEqual([
      workload("batch", "CronJob", "nightly"),
      false,
    ]);
    expect(resolved(ownedPod("batch", "db-migrate-h7k2p", { kind: "Job", name: "db-migrate" }), rsOwners, jobOwners)).toEqual([
      workload("batch", "Job", "db-migrate"),
      false,
    ]);
  });

  it("infers the workload from names when the ReplicaSet or Job lists are unavailable, and says so", () => {
    expect(resolved(deploymentPod(), undefined, undefined)).toEqual([workload("web", "Deployment", "api"), true]);
    // A ReplicaSet whose name does not end in the pod's pod-template-hash is not a Deployment's.
    expect(resolved(ownedPod("web", "rs-abcde", { kind: "ReplicaSet", name: "standalone" }, "7d9c5b8f6d"), undefined, undefined)).toEqual([
      workload("web", "ReplicaSet", "standalone"),
      true,
    ]);
    // CronJob jobs are named NAME-<scheduled time in minutes>.
    expect(resolved(ownedPod("batch", "nightly-29931367-m5wbs", { kind: "Job", name: "nightly-29931367" }), undefined, undefined)).toEqual([
      workload("batch", "CronJob", "nightly"),
      true,
    ]);
    expect(resolved(ownedPod("batch", "db-migrate-h7k2p", { kind: "Job", name: "db-migrate" }), undefined, undefined)).toEqual([
      workload("batch", "Job", "db-migrate"),
      true,
    ]);
  });

  it("infers from names only for the list that is missing", () => {
    expect(resolved(deploymentPod(), undefined, jobOwners)).toEqual([workload("web", "Deployment", "api"), true]);
    expect(resolved(ownedPod("batch", "nightly-29931367-m5wbs", { kind: "Job", name: "nightly-29931367" }), rsOwners, undefined)).toEqual([
      workload("batch", "CronJob", "nightly"),
      true,
    ]);
  });

  it("makes a bare pod its own workload", () => {
    const tr = t();
    const rec = tr.pod(ownedPod("tools", "debug"));
    expect(rec.data.owner).toBeNull();
    expect(rec.data.podTemplateHash).toBeNull();
    tr.resolvePodWorkload(rec, rsOwners, jobOwners);
    expect([rec.data.workload, rec.data.workloadInferred]).toEqual([workload("tools", "Pod", "debug"), false]);
  });

  it("takes StatefulSet and DaemonSet owners as the workload", () => {
    expect(resolved(ownedPod("db", "pg-0", { kind: "StatefulSet", name: "pg" }), rsOwners, jobOwners)).toEqual([workload("db", "StatefulSet", "pg"), false]);
    expect(resolved(ownedPod("kube-system", "agent-x7k2p", { kind: "DaemonSet", name: "agent" }), undefined, undefined)).toEqual([
      workload("kube-system", "DaemonSet", "agent"),
      false,
    ]);
  });

  it("gives pods of kinds the scanner does not list to that kind: an Argo Rollout through its ReplicaSet, a RayJob through its Job, a Workflow directly", () => {
    // Argo Rollouts own ReplicaSets as Deployments do (ownerReferences kind Rollout, apiVersion argoproj.io/v1alpha1).
    const rs = new Map<string, OwnerRef | null>([["shop/checkout-6f8d9c7b5", { kind: "Rollout", name: "checkout" }]]);
    expect(resolved(ownedPod("shop", "checkout-6f8d9c7b5-q2w7e", { kind: "ReplicaSet", name: "checkout-6f8d9c7b5" }, "6f8d9c7b5"), rs, jobOwners)).toEqual([
      workload("shop", "Rollout", "checkout"),
      false,
    ]);
    const jobs = new Map<string, OwnerRef | null>([["ml/train-abc12", { kind: "RayJob", name: "train" }]]);
    expect(resolved(ownedPod("ml", "train-abc12-xk2lp", { kind: "Job", name: "train-abc12" }), rsOwners, jobs)).toEqual([workload("ml", "RayJob", "train"), false]);
    expect(resolved(ownedPod("ci", "build-7x9q2-main-3821", { kind: "Workflow", name: "build-7x9q2" }), rsOwners, jobOwners)).toEqual([workload("ci", "Workflow", "build-7x9q2"), false]);
  });

  it("gives a pod owned by a pod (Spark's executors, owned by their driver) to the driver's workload", () => {
    const tr = t();
    const driver = tr.pod(ownedPod("spark", "etl-daily-driver", { kind: "SparkApplication", name: "etl-daily" }));
    const exec = tr.pod(ownedPod("spark", "etl-daily-exec-1", { kind: "Pod", name: "etl-daily-driver" }));
    const podOwners = new Map([driver, exec].map((r) => [`${r.data.namespace}/${r.data.name}`, r.data.owner] as const));
    tr.resolvePodWorkload(exec, rsOwners, jobOwners, podOwners);
    expect(exec.data.workload).toBe(workload("spark", "SparkApplication", "etl-daily"));
    // A bare driver (spark-submit): its executors belong to it, a Pod workload.
    const bare = tr.pod(ownedPod("spark", "adhoc-driver"));
    const bareExec = tr.pod(ownedPod("spark", "adhoc-exec-1", { kind: "Pod", name: "adhoc-driver" }));
    tr.resolvePodWorkload(bareExec, rsOwners, jobOwners, new Map([[`spark/adhoc-driver`, bare.data.owner]]));
    expect(bareExec.data.workload).toBe(workload("spark", "Pod", "adhoc-driver"));
  });

  it("prefers the controller among several owner references", () => {
    const pod = ownedPod("db", "pg-0");
    (pod.metadata as Record<string, unknown>).ownerReferences = [
      { apiVersion: "v1", kind: "ConfigMap", name: "lock", uid: "a" },
      { apiVersion: "apps/v1", kind: "StatefulSet", name: "pg", uid: "b", controller: true },
    ];
    const rec = t().pod(pod);
    expect((rec.data as PodData).owner).toEqual({ kind: "StatefulSet", name: "pg" });
  });
});

describe("podSpecEssentials: scheduling", () => {
  it("keeps tolerations and the extended resources containers request (GPUs), not cpu or memory", () => {
    const spec = podSpecEssentials({
      tolerations: [{ key: "cloud.google.com/gke-spot", operator: "Equal", value: "true", effect: "NoSchedule" }],
      containers: [{ name: "train", resources: { limits: { "nvidia.com/gpu": "1", cpu: "4", memory: "16Gi" } } }],
      initContainers: [{ name: "fetch", resources: { requests: { "ephemeral-storage": "1Gi", "hugepages-2Mi": "1Gi" } } }],
    });
    expect(spec.tolerations).toEqual([{ key: "cloud.google.com/gke-spot", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    expect(spec.extendedResources).toEqual(["nvidia.com/gpu"]);
  });
});

describe("ClusterTransformer.configMap", () => {
  it("keeps only the keys looked for: path-like values and credential summaries, nothing else", () => {
    const cm = {
      metadata: { name: "orders-env", namespace: "shop", resourceVersion: "1" },
      data: { GOOGLE_APPLICATION_CREDENTIALS: "/var/secrets/google/key.json", DB_PASSWORD: "hunter2", FEATURE_FLAGS: "a,b" },
    };
    expect(t().configMap(cm, { envKeys: ["GOOGLE_APPLICATION_CREDENTIALS"], fileKeys: [] })).toEqual({
      kind: "configmap",
      subject: "configmap:acme-prod/asia-northeast1/prod/shop/orders-env",
      source: "k8s.configmaps:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "shop",
      data: {
        namespace: "shop",
        name: "orders-env",
        looked: ["GOOGLE_APPLICATION_CREDENTIALS"],
        present: ["GOOGLE_APPLICATION_CREDENTIALS"],
        values: { GOOGLE_APPLICATION_CREDENTIALS: "/var/secrets/google/key.json" },
        credentials: [],
      },
    });
  });
});

describe("ClusterTransformer.replicaSet, job and workload", () => {
  it("records a ReplicaSet's and a Job's controller", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/replica-set-v1/
    const rs = {
      metadata: {
        name: "api-7d9c5b8f6d",
        namespace: "web",
        labels: { app: "api", "pod-template-hash": "7d9c5b8f6d" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "api", uid: "d", controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas: 2 },
    };
    expect(t().replicaSet(rs)).toEqual({
      kind: "replicaset",
      subject: "replicaset:acme-prod/asia-northeast1/prod/web/api-7d9c5b8f6d",
      source: "k8s.replicasets:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "web",
      data: { namespace: "web", name: "api-7d9c5b8f6d", owner: { kind: "Deployment", name: "api" } },
    });
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/
    expect(t().job({ metadata: { name: "db-migrate", namespace: "batch" } }).data).toEqual({ namespace: "batch", name: "db-migrate", owner: null });
  });

  it("reads a CronJob's pod template from its jobTemplate, with schedule and suspend", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/cron-job-v1/
    const cj = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "nightly", namespace: "batch", labels: { team: "data" }, creationTimestamp: "2025-03-01T00:00:00Z" },
      spec: {
        schedule: "0 3 * * *",
        concurrencyPolicy: "Forbid",
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: "OnFailure",
                containers: [{ name: "job", image: "gcr.io/acme-prod/batch:1.0", volumeMounts: [{ name: "key", mountPath: "/var/secrets/google" }] }],
                volumes: [{ name: "key", secret: { secretName: "batch-key" } }],
              },
            },
          },
        },
      },
    };
    expect(t().workload(cj, "CronJob", "cronjobs")).toEqual({
      kind: "workload",
      subject: workload("batch", "CronJob", "nightly"),
      source: "k8s.cronjobs:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "batch",
      data: {
        namespace: "batch",
        kind: "CronJob",
        name: "nightly",
        replicas: null,
        schedule: "0 3 * * *",
        suspend: false,
        template: {
          serviceAccountName: "default",
          hostNetwork: false,
          nodeName: null,
          nodeSelector: {},
          nodeAffinity: null,
          tolerations: [],
          extendedResources: [],
          automountServiceAccountToken: null,
          containers: [{ name: "job", image: "gcr.io/acme-prod/batch:1.0", env: [], envFrom: [], volumeMounts: [{ name: "key", mountPath: "/var/secrets/google" }] }],
          initContainers: [],
          ephemeralContainers: [],
          volumes: [{ name: "key", secret: { secretName: "batch-key" } }],
        },
        labels: { team: "data" },
        creationTimestamp: "2025-03-01T00:00:00Z",
      },
    });
  });

  it("reads a Deployment's replicas (1 when absent) and a bare Pod's own spec", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/
    const dep = { metadata: { name: "api", namespace: "web" }, spec: { replicas: 3, template: { metadata: { labels: { app: "api" } }, spec: { serviceAccountName: "api", containers: [{ name: "api" }] } } } };
    const d = t().workload(dep, "Deployment", "deployments").data;
    expect([d.replicas, d.schedule, d.suspend, d.template.serviceAccountName]).toEqual([3, null, null, "api"]);
    const { replicas: _r, ...noReplicas } = dep.spec;
    expect(t().workload({ ...dep, spec: noReplicas }, "Deployment", "deployments").data.replicas).toBe(1);
    const pod = t().workload(deploymentPod(), "Pod", "pods").data;
    expect([pod.replicas, pod.template.serviceAccountName, pod.template.nodeName]).toEqual([null, "api", "gke-prod-wi-cpbmh587-jbwq"]);
  });
});

describe("ClusterTransformer.secret", () => {
  const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDFakeKeyBody\n-----END PRIVATE KEY-----\n";
  const keyFile = JSON.stringify({
    type: "service_account",
    project_id: "acme-prod",
    private_key_id: "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    private_key: PRIVATE_KEY,
    client_email: "batch@acme-prod.iam.gserviceaccount.com",
    client_id: "103456789012345678901",
    token_uri: "https://oauth2.googleapis.com/token",
  });

  it("keeps the data keys and the credentials found, never a value (a path-shaped one included)", () => {
    // https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "batch-key", namespace: "batch", uid: "s", resourceVersion: "9" },
      type: "Opaque",
      data: {
        "key.json": Buffer.from(keyFile).toString("base64"),
        GOOGLE_APPLICATION_CREDENTIALS: Buffer.from("/var/secrets/google/key.json").toString("base64"),
        api_token: Buffer.from("s3cr3t-t0ken-value").toString("base64"),
      },
    };
    const rec = t().secret(secret);
    expect(rec).toEqual({
      kind: "secret",
      subject: "secret:acme-prod/asia-northeast1/prod/batch/batch-key",
      source: "k8s.secrets:acme-prod/asia-northeast1/prod",
      project: "acme-prod",
      cluster: CLUSTER,
      namespace: "batch",
      data: {
        namespace: "batch",
        name: "batch-key",
        type: "Opaque",
        dataKeys: ["GOOGLE_APPLICATION_CREDENTIALS", "api_token", "key.json"],
        credentials: [
          {
            dataKey: "key.json",
            type: "service_account",
            clientEmail: "batch@acme-prod.iam.gserviceaccount.com",
            keyId: "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
            projectId: "acme-prod",
            encoding: "json",
            audience: null,
            impersonates: null,
            sourceType: null,
          },
        ],
        // No value is kept, not even the path-shaped one: only what the key file says, and the key names.
        credentialTypes: ["service_account"],
      },
    });
    const text = JSON.stringify(rec);
    expect(text).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDFakeKeyBody");
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain("s3cr3t");
    expect(text).not.toContain("/var/secrets/google/key.json");
    expect(text).not.toContain(secret.data["key.json"].slice(0, 40));
  });

  it("keeps of a container's env the names, references and identity variables' values: other values, and credentials in any, are dropped", () => {
    const key = JSON.stringify({ type: "service_account", project_id: "acme-prod", private_key_id: "k1", private_key: "-----BEGIN PRIVATE KEY-----\nMIIEFAKE\n-----END PRIVATE KEY-----\n", client_email: "ci@acme-prod.iam.gserviceaccount.com" });
    const pod = t().pod({
      metadata: { name: "p", namespace: "web" },
      spec: {
        containers: [
          {
            name: "app",
            env: [
              { name: "DATABASE_URL", value: "postgres://app:s3cr3t@db/app" },
              { name: "HOME", value: "/home/app" },
              { name: "GOOGLE_CREDENTIALS", value: key },
              { name: "TOKEN", valueFrom: { secretKeyRef: { name: "t", key: "token" } } },
            ],
          },
        ],
      },
    });
    expect(pod.data.spec.containers[0].env).toEqual([
      { name: "DATABASE_URL", valueWithheld: "not-kept" },
      { name: "HOME", value: "/home/app" },
      {
        name: "GOOGLE_CREDENTIALS",
        valueWithheld: "credential",
        inlineCredential: {
          credentials: [{ dataKey: "GOOGLE_CREDENTIALS", type: "service_account", clientEmail: "ci@acme-prod.iam.gserviceaccount.com", keyId: "k1", projectId: "acme-prod", encoding: "json", audience: null, impersonates: null, sourceType: null }],
          credentialTypes: ["service_account"],
        },
      },
      { name: "TOKEN", valueFrom: { secretKeyRef: { name: "t", key: "token" } } },
    ]);
    const text = JSON.stringify(pod);
    for (const m of ["s3cr3t", "MIIEFAKE", "PRIVATE KEY"]) expect(text).not.toContain(m);
  });

  it("reads a Secret without data or type as an empty Opaque secret", () => {
    expect(t().secret({ metadata: { name: "empty", namespace: "web" } }).data).toEqual({
      namespace: "web",
      name: "empty",
      type: "Opaque",
      dataKeys: [],
      credentials: [],
      credentialTypes: [],
    });
  });
});
