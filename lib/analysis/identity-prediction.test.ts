/**
 * Where a workload's identity comes from when its pods do not say: workloads with no pods predicted
 * from the node POOLS the container API describes (labels, taints, tolerations, required affinity,
 * pools at zero nodes, Windows and Arm and GPU and Spot pools, node auto-provisioning); finished pods
 * on nodes that no longer exist; pods owned by controllers the scanner does not list.
 */
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "./testing";
import { runAnalysis, type AnalysisResult } from "./run-analysis";
import type { WorkloadStatus } from "./model";
import { ClusterTransformer } from "../inventory/transform-k8s";
import { transformCluster, transformProject } from "../inventory/transform-gcp";

type Obj = Record<string, unknown>;

const P = "plat-prod";
const P_NUMBER = "400000000001";
const LOC = "us-central1-a";
const POOL = `${P}.svc.id.goog`;
const C = `${P}/${LOC}/batch`;
const NAP = `${P}/${LOC}/auto`;
const NS = "data";
const gsa = (id: string) => `${id}@${P}.iam.gserviceaccount.com`;
const GKE_MD = { workloadMetadataConfig: { mode: "GKE_METADATA" } };
const scaledToZero = { initialNodeCount: 0, autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 10, locationPolicy: "ANY" } };

const pools = [
  { name: "default-pool", initialNodeCount: 2, config: { machineType: "e2-standard-4", serviceAccount: gsa("gke-nodes"), ...GKE_MD } },
  { name: "win-pool", initialNodeCount: 1, config: { machineType: "n2-standard-4", imageType: "WINDOWS_LTSC_CONTAINERD", serviceAccount: gsa("gke-nodes"), ...GKE_MD } },
  {
    name: "spot-pool",
    ...scaledToZero,
    config: { machineType: "e2-standard-8", spot: true, taints: [{ key: "cloud.google.com/gke-spot", value: "true", effect: "NO_SCHEDULE" }], serviceAccount: gsa("batch-nodes"), workloadMetadataConfig: { mode: "GCE_METADATA" } },
  },
  { name: "gpu-pool", ...scaledToZero, config: { machineType: "g2-standard-8", accelerators: [{ acceleratorCount: "1", acceleratorType: "nvidia-l4" }], serviceAccount: gsa("gke-nodes"), ...GKE_MD } },
  { name: "arm-pool", ...scaledToZero, config: { machineType: "c4a-standard-4", serviceAccount: gsa("gke-nodes"), ...GKE_MD } },
];

const ksa = (name: string, annotated = true) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: NS, ...(annotated ? { annotations: { "iam.gke.io/gcp-service-account": gsa(name) } } : {}) },
});

function deploy(name: string, spec: Obj, replicas = 0) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: "main", image: `us-docker.pkg.dev/${P}/data/${name}:2.3.1` }], ...spec } } },
  };
}

const SPOT_TOLERATION = { key: "cloud.google.com/gke-spot", operator: "Equal", value: "true", effect: "NoSchedule" };
const WORKLOADS = [
  deploy("plain-api", {}),
  deploy("win-report", { nodeSelector: { "kubernetes.io/os": "windows" } }),
  deploy("spot-batch", { nodeSelector: { "cloud.google.com/gke-spot": "true" }, tolerations: [SPOT_TOLERATION] }),
  deploy("spot-or-not", { tolerations: [SPOT_TOLERATION] }),
  deploy("gpu-train", {
    nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
    containers: [{ name: "main", image: `us-docker.pkg.dev/${P}/data/train:2.3.1`, resources: { limits: { "nvidia.com/gpu": "1" } } }],
  }),
  deploy("arm-api", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] }] } } } }),
  deploy("not-spot", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "cloud.google.com/gke-nodepool", operator: "NotIn", values: ["default-pool"] }] }] } } } }),
  deploy("highmem", { nodeSelector: { "cloud.google.com/machine-family": "m3" } }),
];

// A Spark job that ran on the Spot pool last night; the pool has scaled back to zero since, so the
// node its driver ran on is gone. The driver pod (Succeeded) and a failed executor it owned remain.
const GONE_NODE = "gke-batch-spot-pool-7f3c9a1e-k2lq";
const sparkPod = (name: string, owner: Obj, phase: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS, labels: { "spark-role": name.endsWith("driver") ? "driver" : "executor" }, ownerReferences: [{ controller: true, blockOwnerDeletion: true, uid: "0b6f8c52-94f1-4c53-9a39-3f2f1e6f7d11", ...owner }] },
  spec: {
    serviceAccountName: "spark",
    nodeName: GONE_NODE,
    nodeSelector: { "cloud.google.com/gke-spot": "true" },
    tolerations: [SPOT_TOLERATION],
    containers: [{ name: "spark-kubernetes-driver", image: "apache/spark:3.5.3" }],
  },
  status: { phase, startTime: "2026-11-28T02:00:07Z", containerStatuses: [{ name: "spark-kubernetes-driver", ready: false, restartCount: 0, state: { terminated: { exitCode: phase === "Succeeded" ? 0 : 1, reason: phase === "Succeeded" ? "Completed" : "Error" } } }] },
});

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "plat.example" },
  projects: [
    {
      projectId: P,
      projectNumber: P_NUMBER,
      serviceAccounts: [
        ...["plain-api", "win-report", "spot-batch", "spot-or-not", "gpu-train", "arm-api", "not-spot", "highmem", "spark"].map((n) => ({
          email: gsa(n),
          iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`serviceAccount:${POOL}[${NS}/${n}]`] }] },
        })),
        { email: gsa("gke-nodes") },
        { email: gsa("batch-nodes") },
        { email: gsa("nap-nodes") },
      ],
      clusters: [
        {
          cluster: { name: "batch", location: LOC, workloadIdentityConfig: { workloadPool: POOL }, nodePools: pools },
          manifests: [
            ...WORKLOADS.map((w) => ksa(w.metadata.name)),
            ksa("spark"),
            ...WORKLOADS,
            sparkPod("etl-daily-driver", { apiVersion: "sparkoperator.k8s.io/v1beta2", kind: "SparkApplication", name: "etl-daily" }, "Succeeded"),
            sparkPod("etl-daily-exec-3", { apiVersion: "v1", kind: "Pod", name: "etl-daily-driver" }, "Failed"),
          ],
        },
        {
          cluster: {
            name: "auto",
            location: LOC,
            workloadIdentityConfig: { workloadPool: POOL },
            autoscaling: { enableNodeAutoprovisioning: true, autoprovisioningNodePoolDefaults: { serviceAccount: gsa("nap-nodes") }, resourceLimits: [{ resourceType: "cpu", maximum: "256" }, { resourceType: "memory", maximum: "1024" }] },
            nodePools: [{ name: "default-pool", initialNodeCount: 1, config: { machineType: "e2-standard-4", ...GKE_MD } }],
          },
          manifests: [ksa("highmem"), deploy("highmem", { nodeSelector: { "cloud.google.com/machine-family": "m3" } })],
        },
      ],
    },
  ],
});

let r: AnalysisResult;
beforeAll(async () => {
  r = await analyzeEstate(ESTATE);
});

const st = (name: string, cluster = C, kind = "Deployment"): WorkloadStatus => {
  const s = r.statuses.find((x) => x.subject === `workload:${cluster}/${NS}/${kind}/${name}`);
  if (!s) throw new Error(`no ${kind} ${name}; have ${r.statuses.map((x) => x.subject).join(", ")}`);
  return s;
};
const summary = (s: WorkloadStatus) => [s.identity.mode, s.identity.shares.map((x) => `${x.identity.type} ${x.label}`)];
const wi = (name: string) => `workload-identity ${gsa(name)}`;

describe("workloads without pods, predicted from the node pools", () => {
  it("lands only where nothing repels it: not on the Windows pool (its taint), not on the Spot pool (its config taint)", () => {
    expect(summary(st("plain-api"))).toEqual(["predicted", [wi("plain-api")]]);
    expect(st("plain-api").steps.find((x) => x.n === 4)!.evidence).toContain("pool default-pool");
  });

  it("a Windows pool is a pool: a template selecting Windows lands there (GKE adds the toleration)", () => {
    expect(summary(st("win-report"))).toEqual(["predicted", [wi("win-report")]]);
    expect(st("win-report").steps.find((x) => x.n === 4)).toMatchObject({ state: "done", evidence: expect.stringContaining("pool win-pool") });
  });

  it("a Spot pool at zero nodes, selected and tolerated, runs it as that pool's legacy node account", () => {
    expect(summary(st("spot-batch"))).toEqual(["predicted", [`node ${gsa("batch-nodes")}`]]);
    expect(st("spot-batch").steps.find((x) => x.n === 4)!.state).toBe("todo");
  });

  it("tolerating the Spot taint without selecting it: either pool, so both identities", () => {
    expect(summary(st("spot-or-not"))).toEqual(["predicted", [`node ${gsa("batch-nodes")}`, wi("spot-or-not")]]);
  });

  it("GPU (requests nvidia.com/gpu, selects the accelerator) and Arm (required affinity) pools at zero nodes", () => {
    expect(summary(st("gpu-train"))).toEqual(["predicted", [wi("gpu-train")]]);
    expect(summary(st("arm-api"))).toEqual(["predicted", [wi("arm-api")]]);
  });

  it("required affinity NotIn: the pools it leaves (Windows, Spot, GPU and Arm stay tainted against it) — none", () => {
    expect(summary(st("not-spot"))).toEqual(["predicted", ["pending pending"]]);
    expect(st("not-spot").identity.shares[0].identity).toEqual({ type: "pending", reason: "no node pool matches its node selector, affinity and tolerations" });
  });

  it("no pool fits: Pending — unless node auto-provisioning is on, which creates a GKE-metadata pool for it", () => {
    expect(summary(st("highmem"))).toEqual(["predicted", ["pending pending"]]);
    expect(summary(st("highmem", NAP))).toEqual(["predicted", [wi("highmem")]]);
    expect(st("highmem", NAP).steps.find((x) => x.n === 4)).toMatchObject({ state: "done" });
  });
});

describe("finished pods on nodes that no longer exist, and pods of controllers the scanner does not list", () => {
  it("a SparkApplication is a workload of that kind, its executor (owned by the driver pod) included", () => {
    const s = st("etl-daily", C, "SparkApplication");
    expect(s.pods).toBe(2);
    expect(r.context.podsOf(s.subject).map((p) => p.data.name).sort()).toEqual(["etl-daily-driver", "etl-daily-exec-3"]);
  });

  it("its finished pods ran on a node that is gone: they do not make it unknown, the template is predicted (the Spot pool)", () => {
    const s = st("etl-daily", C, "SparkApplication");
    expect(summary(s)).toEqual(["predicted", [`node ${gsa("batch-nodes")}`]]);
    expect(s.steps.find((x) => x.n === 4)).toMatchObject({ state: "todo", evidence: "no pods now; it can land on pool spot-pool, without the GKE metadata server (predicted)" });
    // Nothing runs now: no finding claims a pod on a legacy node.
    expect(findingLines(r, "workload-on-legacy-node").filter((l) => l.includes("etl-daily"))).toEqual([]);
  });
});

describe("decidingPods (CronJob history: the latest run decides; finished pods on gone nodes do not)", () => {
  // Inventory records as the scanner makes them from the API's objects: a CronJob whose runs of two
  // nights ago ran on a legacy node pool that has been deleted, and whose last run ran on the
  // GKE-metadata pool. Built through the transformers (the simulator re-derives a CronJob's pods on
  // current nodes, so these histories are written as the scanner would read them).
  const ref = { project: P, location: LOC, name: "batch" };
  const t = new ClusterTransformer(ref, (res) => `k8s.${res}:${C}`);
  const cluster = transformCluster(
    { name: "batch", location: LOC, workloadIdentityConfig: { workloadPool: POOL }, nodePools: [{ name: "wi-pool", initialNodeCount: 1, locations: [LOC], config: { serviceAccount: gsa("gke-nodes"), ...GKE_MD } }] },
    P,
    P_NUMBER,
    `container.clusters:${P}`,
  );
  const node = t.node({ metadata: { name: "gke-batch-wi-pool-3c1d-0001", labels: { "cloud.google.com/gke-nodepool": "wi-pool", "iam.gke.io/gke-metadata-server-enabled": "true" } } });
  const cron = t.workload({ metadata: { name: "nightly", namespace: NS }, spec: { schedule: "0 2 * * *", jobTemplate: { spec: { template: { spec: { serviceAccountName: "nightly", containers: [{ name: "job", image: "busybox" }] } } } } } }, "CronJob", "cronjobs");
  const job = (name: string) => t.job({ metadata: { name, namespace: NS, ownerReferences: [{ kind: "CronJob", name: "nightly", controller: true }] } });
  const pod = (name: string, jobName: string, nodeName: string, start: string) =>
    t.pod({
      metadata: { name, namespace: NS, ownerReferences: [{ kind: "Job", name: jobName, controller: true }] },
      spec: { serviceAccountName: "nightly", nodeName, containers: [{ name: "job", image: "busybox" }] },
      status: { phase: "Succeeded", startTime: start },
    });
  const jobs = [job("nightly-29921880"), job("nightly-29923320")];
  const pods = [pod("nightly-29921880-abcde", "nightly-29921880", "gke-batch-legacy-9f2e-0007", "2026-11-27T02:00:03Z"), pod("nightly-29923320-fghij", "nightly-29923320", node.data.name, "2026-11-28T02:00:04Z")];
  const jobOwners = new Map(jobs.map((j) => [`${j.data.namespace}/${j.data.name}`, j.data.owner]));
  for (const p of pods) t.resolvePodWorkload(p, new Map(), jobOwners);
  const ksaRec = t.ksa({ metadata: { name: "nightly", namespace: NS, annotations: { "iam.gke.io/gcp-service-account": gsa("nightly") } } });
  const project = transformProject({ projectId: P, projectNumber: P_NUMBER, lifecycleState: "ACTIVE", name: P }, "crm.projects:search");
  const ok = (...s: string[]) => s.map((x) => [x, "ok"] as const);
  const analyse = (podRecs: typeof pods) =>
    runAnalysis({
      now: new Date("2026-11-29T00:00:00Z"),
      records: [project, cluster.cluster, ...cluster.nodePools, node, cron, ...jobs, ...podRecs, ksaRec],
      sources: new Map([...ok(`container.clusters:${P}`, "crm.projects:search"), ...["nodes", "pods", "jobs", "cronjobs", "replicasets", "serviceaccounts", "secrets", "configmaps"].map((x) => [`k8s.${x}:${C}`, "ok"] as const)]),
    });

  it("the last run's pod (on a node that exists) decides; the older run on a deleted node does not make it unknown or mixed", () => {
    const s = analyse(pods).statuses.find((x) => x.name === "nightly")!;
    expect([s.identity.mode, s.identity.shares.map((x) => x.identity.type)]).toEqual(["single", ["workload-identity"]]);
    expect(s.steps.find((x) => x.n === 4)).toMatchObject({ state: "done", evidence: "1 pods on GKE-metadata nodes" });
  });

  it("when only runs on deleted nodes remain, the template is predicted on the pools", () => {
    const s = analyse([pods[0]]).statuses.find((x) => x.name === "nightly")!;
    expect([s.identity.mode, s.identity.shares.map((x) => x.identity.type)]).toEqual(["predicted", ["workload-identity"]]);
  });
});
