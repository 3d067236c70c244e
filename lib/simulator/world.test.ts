import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { simulatorClients } from "../sources/gcp/clients";
import { simulatorCluster } from "../testing/scan-helpers";

/*
 * What the simulator materialises from Kubernetes objects as `kubectl get -o yaml` prints them and as
 * people write them, read back through the real @kubernetes/client-node: pod specs as the API server
 * converts them, owners the simulator does not model, ReplicaSet manifests, finished pods, kept metadata.
 */

const NOW = "2026-11-29T00:00:00Z";
const ROLLOUT_UID = "51a7c3e9-0b2d-4f68-9e1a-3c5b7d9f1e24";
const RS_UID = "2d8e4f6a-1c3b-4e5d-9a7f-0b2c4d6e8f13";

const ESTATE = `
now: "${NOW}"
projects:
  - projectId: ops-prod-4410
    projectNumber: "400000000001"
    clusters:
      - cluster:
          name: ops
          location: europe-west1-b
          workloadIdentityConfig: {workloadPool: ops-prod-4410.svc.id.goog}
          nodePools: [{name: pool-a, initialNodeCount: 2, config: {workloadMetadataConfig: {mode: GKE_METADATA}}}]
        manifests:
          # An old chart that still writes the deprecated field only.
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: legacy-worker, namespace: jobs}
            spec:
              replicas: 1
              selector: {matchLabels: {app: legacy-worker}}
              template:
                metadata: {labels: {app: legacy-worker}}
                spec:
                  serviceAccount: legacy-worker
                  containers: [{name: w, image: "gcr.io/ops-prod-4410/legacy-worker:1"}]
          # Both fields, disagreeing: the new one wins and the old one is rewritten from it.
          - apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: queue, namespace: jobs}
            spec:
              serviceName: queue
              template:
                metadata: {labels: {app: queue}}
                spec:
                  serviceAccountName: queue
                  serviceAccount: queue-old
                  containers: [{name: q, image: "rabbitmq:3.13"}]
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly, namespace: jobs}
            spec:
              schedule: "0 2 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      serviceAccount: nightly
                      restartPolicy: OnFailure
                      containers: [{name: n, image: "busybox:1.36"}]
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: kube-system}
            spec:
              template:
                metadata: {labels: {app: agent}}
                spec:
                  containers: [{name: a, image: "agent:1"}]
          # Argo Rollouts: the Rollout is ignored, its ReplicaSet served with its owner, and it runs pods.
          - apiVersion: argoproj.io/v1alpha1
            kind: Rollout
            metadata: {name: storefront, namespace: web, uid: ${ROLLOUT_UID}}
            spec: {replicas: 2}
          - apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: storefront-7b9f6d5c84
              namespace: web
              uid: ${RS_UID}
              creationTimestamp: "2026-11-24T13:40:08Z"
              generation: 2
              labels: {app: storefront, rollouts-pod-template-hash: 7b9f6d5c84}
              annotations: {rollout.argoproj.io/revision: "7"}
              ownerReferences:
                - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: storefront, uid: ${ROLLOUT_UID}, controller: true, blockOwnerDeletion: true}
            spec:
              replicas: 2
              selector: {matchLabels: {app: storefront, rollouts-pod-template-hash: 7b9f6d5c84}}
              template:
                metadata: {creationTimestamp: null, labels: {app: storefront, rollouts-pod-template-hash: 7b9f6d5c84}}
                spec:
                  serviceAccountName: storefront
                  containers: [{name: web, image: "storefront:4.12.0"}]
            status: {replicas: 5, readyReplicas: 1}
          # Pods owned by kinds nothing here models: a Workflow step and a Spark driver.
          - apiVersion: v1
            kind: Pod
            metadata:
              name: etl-daily-2872345-step-1827
              namespace: workflows
              labels: {workflows.argoproj.io/workflow: etl-daily-2872345}
              ownerReferences:
                - {apiVersion: argoproj.io/v1alpha1, kind: Workflow, name: etl-daily-2872345, uid: 0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f, controller: true, blockOwnerDeletion: true}
            spec:
              serviceAccountName: argo-workflow
              containers: [{name: main, image: "etl:2"}]
            status: {phase: Succeeded}
          - apiVersion: v1
            kind: Pod
            metadata:
              name: spark-pi-driver
              namespace: spark
              uid: 7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b
              creationTimestamp: "2026-11-28T22:10:00Z"
              ownerReferences:
                - {apiVersion: sparkoperator.k8s.io/v1beta2, kind: SparkApplication, name: spark-pi, uid: 6d7e8f9a-0b1c-4d2e-9f3a-4b5c6d7e8f9a, controller: true}
            spec:
              serviceAccountName: spark
              nodeName: gke-ops-pool-a-00000000-gone
              containers: [{name: spark-kubernetes-driver, image: "spark:3.5.3"}]
            status: {phase: Failed, reason: Evicted, message: "The node was low on resource: memory."}
          # A CronJob's finished pod, dumped without its Job or CronJob, on a node scaled away since.
          - apiVersion: v1
            kind: Pod
            metadata:
              name: report-29427060-x7k2p
              namespace: reporting
              ownerReferences:
                - {apiVersion: batch/v1, kind: Job, name: report-29427060, uid: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d, controller: true, blockOwnerDeletion: true}
            spec:
              nodeName: gke-ops-pool-old-5f2e9c1a-zz9q
              serviceAccount: report
              containers: [{name: report, image: "report:5"}]
            status:
              phase: Succeeded
              startTime: "2026-11-28T02:00:04Z"
              containerStatuses:
                - name: report
                  image: "report:5"
                  ready: false
                  restartCount: 0
                  state: {terminated: {exitCode: 0, reason: Completed, startedAt: "2026-11-28T02:00:05Z", finishedAt: "2026-11-28T02:03:41Z"}}
          # A finished Job dumped with its status: its pod is finished too.
          - apiVersion: batch/v1
            kind: Job
            metadata: {name: db-migrate-42, namespace: jobs}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: migrate, image: "migrate:42"}]
            status:
              succeeded: 1
              completionTime: "2026-11-27T09:01:12Z"
              conditions: [{type: Complete, status: "True"}]
          # A Deployment from a dump: generation, managedFields, annotations and creationTimestamp kept,
          # status derived.
          - apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
              namespace: web
              uid: 6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c
              creationTimestamp: "2025-06-02T14:03:19Z"
              generation: 7
              resourceVersion: "412998310"
              annotations:
                deployment.kubernetes.io/revision: "4"
                kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"apps/v1","kind":"Deployment"}'
              managedFields:
                - {apiVersion: apps/v1, fieldsType: FieldsV1, manager: argocd-controller, operation: Apply, time: "2026-11-20T10:02:55Z", fieldsV1: {f:spec: {f:replicas: {}}}}
            spec:
              replicas: 2
              selector: {matchLabels: {app: api}}
              template:
                metadata: {creationTimestamp: null, labels: {app: api}}
                spec: {containers: [{name: api, image: "api:9"}]}
            status: {replicas: 9, readyReplicas: 0, observedGeneration: 3}
          # Its pod as kubectl printed it: not served a second time.
          - apiVersion: v1
            kind: Pod
            metadata:
              name: api-7f9c6d8b5d-x2mqp
              namespace: web
              labels: {app: api, pod-template-hash: 7f9c6d8b5d}
              ownerReferences:
                - {apiVersion: apps/v1, kind: ReplicaSet, name: api-7f9c6d8b5d, uid: 8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e, controller: true, blockOwnerDeletion: true}
            spec:
              nodeName: gke-ops-pool-a-3c9e1f2a-k8v2
              containers: [{name: api, image: "api:9"}]
            status: {phase: Running}
          # Only a Service tells that this namespace exists.
          - {apiVersion: v1, kind: Service, metadata: {name: grafana, namespace: monitoring}, spec: {ports: [{port: 80}]}}
          # A dumped kube-root-ca.crt from another cluster: the controller keeps it at this cluster's CA.
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: kube-root-ca.crt, namespace: web, uid: 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f}
            data: {ca.crt: "-----BEGIN CERTIFICATE-----\\nFROM-ANOTHER-CLUSTER\\n-----END CERTIFICATE-----\\n"}
`;

let sim: Simulator;
let ops: <T>(fn: (apis: ClusterApis) => Promise<T>) => Promise<T>;
let pods: V1Pod[];
const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
const podsIn = (ns: string, prefix: string) => pods.filter((p) => p.metadata!.namespace === ns && p.metadata!.name!.startsWith(prefix));
const plain = <T>(x: T) => JSON.parse(JSON.stringify(x)) as T;

beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(ESTATE, "test.yaml") });
  const client = clusterClient(simulatorCluster(sim, "ops-prod-4410/europe-west1-b/ops"), async () => "t");
  ops = (fn) => client.with(AbortSignal.timeout(5_000), fn);
  pods = (await ops((a) => a.core.listPodForAllNamespaces({}))).items;
});
afterAll(async () => {
  await sim.close();
});

describe("pod templates read back as the API server writes them", () => {
  it("fills serviceAccountName from a template that names only the deprecated serviceAccount", async () => {
    const d = await ops((a) => a.apps.readNamespacedDeployment({ namespace: "jobs", name: "legacy-worker" }));
    expect([d.spec!.template.spec!.serviceAccountName, d.spec!.template.spec!.serviceAccount]).toEqual(["legacy-worker", "legacy-worker"]);
    const rs = (await ops((a) => a.apps.listNamespacedReplicaSet({ namespace: "jobs" }))).items;
    expect(rs.map((r) => [r.metadata!.ownerReferences![0].name, r.spec!.template!.spec!.serviceAccountName, r.spec!.template!.spec!.serviceAccount])).toEqual([
      ["legacy-worker", "legacy-worker", "legacy-worker"],
    ]);
    expect(podsIn("jobs", "legacy-worker-").map((p) => [p.spec!.serviceAccountName, p.spec!.serviceAccount])).toEqual([["legacy-worker", "legacy-worker"]]);
  });

  it("keeps serviceAccountName when both are given and rewrites serviceAccount from it", async () => {
    const s = await ops((a) => a.apps.readNamespacedStatefulSet({ namespace: "jobs", name: "queue" }));
    expect([s.spec!.template.spec!.serviceAccountName, s.spec!.template.spec!.serviceAccount]).toEqual(["queue", "queue"]);
    expect(podsIn("jobs", "queue-").map((p) => [p.metadata!.name, p.spec!.serviceAccountName, p.spec!.serviceAccount])).toEqual([["queue-0", "queue", "queue"]]);
  });

  it("converts a CronJob's job template, and the Job and Pod it makes carry both fields", async () => {
    const cj = await ops((a) => a.batch.readNamespacedCronJob({ namespace: "jobs", name: "nightly" }));
    const tspec = cj.spec!.jobTemplate.spec!.template.spec!;
    expect([tspec.serviceAccountName, tspec.serviceAccount]).toEqual(["nightly", "nightly"]);
    const job = (await ops((a) => a.batch.listNamespacedJob({ namespace: "jobs" }))).items.find((j) => j.metadata!.name!.startsWith("nightly-"))!;
    expect([job.spec!.template.spec!.serviceAccountName, job.spec!.template.spec!.serviceAccount]).toEqual(["nightly", "nightly"]);
    expect(podsIn("jobs", "nightly-").map((p) => p.spec!.serviceAccountName)).toEqual(["nightly"]);
  });

  it("leaves both fields out of a template that names neither, while its pods get default", async () => {
    const ds = await ops((a) => a.apps.readNamespacedDaemonSet({ namespace: "kube-system", name: "agent" }));
    expect([ds.spec!.template.spec!.serviceAccountName, ds.spec!.template.spec!.serviceAccount]).toEqual([undefined, undefined]);
    const agentPods = podsIn("kube-system", "agent-");
    expect(agentPods.length).toBe(2);
    for (const p of agentPods) expect([p.spec!.serviceAccountName, p.spec!.serviceAccount]).toEqual(["default", "default"]);
  });
});

describe("owners the simulator does not model", () => {
  it("serves a ReplicaSet manifest with its Rollout owner, its given uid and metadata, and a derived status", async () => {
    const rs = await ops((a) => a.apps.readNamespacedReplicaSet({ namespace: "web", name: "storefront-7b9f6d5c84" }));
    expect(plain(rs.metadata!.ownerReferences)).toEqual([
      { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "storefront", uid: ROLLOUT_UID, controller: true, blockOwnerDeletion: true },
    ]);
    expect([rs.metadata!.uid, rs.metadata!.generation, rs.metadata!.annotations]).toEqual([RS_UID, 2, { "rollout.argoproj.io/revision": "7" }]);
    expect(rs.metadata!.creationTimestamp).toEqual(new Date("2026-11-24T13:40:08Z"));
    expect(plain(rs.status)).toEqual({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 });
  });

  it("runs the ReplicaSet's pods, owned by it, with its template's labels", () => {
    const sf = podsIn("web", "storefront-7b9f6d5c84-");
    expect(sf.length).toBe(2);
    for (const p of sf) {
      expect(p.metadata!.name).toMatch(/^storefront-7b9f6d5c84-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(plain(p.metadata!.ownerReferences)).toEqual([
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "storefront-7b9f6d5c84", uid: RS_UID, controller: true, blockOwnerDeletion: true },
      ]);
      expect(p.metadata!.labels).toEqual({ app: "storefront", "rollouts-pod-template-hash": "7b9f6d5c84" });
      expect([p.spec!.serviceAccountName, p.status!.phase]).toEqual(["storefront", "Running"]);
    }
  });

  it("does not serve the Rollout itself, and lists no Deployment for it", async () => {
    const deps = (await ops((a) => a.apps.listDeploymentForAllNamespaces({}))).items.map(keyOf);
    expect(deps).toEqual(["jobs/legacy-worker", "web/api"]);
  });

  it("keeps a Pod manifest's ownerReferences to a Workflow, and its Succeeded phase", () => {
    const p = pods.find((x) => keyOf(x) === "workflows/etl-daily-2872345-step-1827")!;
    expect(p.metadata!.ownerReferences!.map((o) => [o.apiVersion, o.kind, o.name, o.controller])).toEqual([
      ["argoproj.io/v1alpha1", "Workflow", "etl-daily-2872345", true],
    ]);
    expect(p.metadata!.labels).toEqual({ "workflows.argoproj.io/workflow": "etl-daily-2872345" });
    expect(p.status!.phase).toBe("Succeeded");
    expect(p.status!.containerStatuses!.map((c) => c.state!.terminated!.reason)).toEqual(["Completed"]);
  });

  it("keeps a Spark driver's SparkApplication owner, uid, creationTimestamp, Failed status and a nodeName whose node is gone", () => {
    const p = pods.find((x) => keyOf(x) === "spark/spark-pi-driver")!;
    expect(p.metadata!.ownerReferences!.map((o) => [o.kind, o.name])).toEqual([["SparkApplication", "spark-pi"]]);
    expect([p.metadata!.uid, p.metadata!.creationTimestamp]).toEqual(["7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", new Date("2026-11-28T22:10:00Z")]);
    expect([p.spec!.nodeName, p.status!.phase, p.status!.reason, p.status!.message]).toEqual([
      "gke-ops-pool-a-00000000-gone",
      "Failed",
      "Evicted",
      "The node was low on resource: memory.",
    ]);
  });

  it("keeps a finished CronJob pod dumped on its own: its Job owner, its node scaled away, its given times", () => {
    const p = pods.find((x) => keyOf(x) === "reporting/report-29427060-x7k2p")!;
    expect(p.metadata!.ownerReferences!.map((o) => [o.kind, o.name])).toEqual([["Job", "report-29427060"]]);
    expect([p.spec!.nodeName, p.spec!.serviceAccountName, p.status!.phase]).toEqual(["gke-ops-pool-old-5f2e9c1a-zz9q", "report", "Succeeded"]);
    expect(p.status!.startTime).toEqual(new Date("2026-11-28T02:00:04Z"));
    expect(p.status!.containerStatuses![0].state!.terminated!.finishedAt).toEqual(new Date("2026-11-28T02:03:41Z"));
  });

  it("keeps a finished Job's status and finishes its pod", async () => {
    const job = await ops((a) => a.batch.readNamespacedJob({ namespace: "jobs", name: "db-migrate-42" }));
    expect([job.status!.succeeded, job.status!.active]).toEqual([1, undefined]);
    expect(podsIn("jobs", "db-migrate-42-").map((p) => p.status!.phase)).toEqual(["Succeeded"]);
  });
});

describe("objects from a kubectl dump", () => {
  it("keeps a Deployment's uid, creationTimestamp, generation, annotations and managedFields, and derives its status", async () => {
    const d = await ops((a) => a.apps.readNamespacedDeployment({ namespace: "web", name: "api" }));
    expect(d.metadata!.uid).toBe("6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c");
    expect(d.metadata!.creationTimestamp).toEqual(new Date("2025-06-02T14:03:19Z"));
    expect(d.metadata!.generation).toBe(7);
    expect(Object.keys(d.metadata!.annotations!)).toEqual(["deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration"]);
    expect(d.metadata!.managedFields!.map((f) => [f.manager, f.operation])).toEqual([["argocd-controller", "Apply"]]);
    // The resourceVersion is the simulator's own, so lists and continue tokens stay consistent.
    expect(d.metadata!.resourceVersion).not.toBe("412998310");
    expect(plain(d.status)).toEqual({ observedGeneration: 7, replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
  });

  it("serves a dumped pod whose ReplicaSet belongs to a Deployment of the estate once, as the Deployment's own", () => {
    expect(pods.find((p) => keyOf(p) === "web/api-7f9c6d8b5d-x2mqp")).toBeUndefined();
    const api = podsIn("web", "api-");
    expect(api.length).toBe(2);
    for (const p of api) expect(p.metadata!.ownerReferences![0].name).toMatch(/^api-[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  });

  it("creates the namespace an ignored object lives in, with its default ServiceAccount and kube-root-ca.crt", async () => {
    const ns = (await ops((a) => a.core.listNamespace({}))).items.map((n) => n.metadata!.name);
    expect(ns).toContain("monitoring");
    await expect(ops((a) => a.core.readNamespacedServiceAccount({ namespace: "monitoring", name: "default" }))).resolves.toBeDefined();
    await expect(ops((a) => a.core.readNamespacedConfigMap({ namespace: "monitoring", name: "kube-root-ca.crt" }))).resolves.toBeDefined();
  });

  it("keeps a dumped kube-root-ca.crt's metadata but gives it this cluster's CA", async () => {
    const { data } = await simulatorClients(sim.url).container.projects.locations.clusters.list({ parent: "projects/ops-prod-4410/locations/-" });
    const ca = Buffer.from(data.clusters![0].masterAuth!.clusterCaCertificate!, "base64").toString("utf8");
    const cm = await ops((a) => a.core.readNamespacedConfigMap({ namespace: "web", name: "kube-root-ca.crt" }));
    expect([cm.metadata!.uid, cm.data]).toEqual(["3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", { "ca.crt": ca }]);
  });
});
