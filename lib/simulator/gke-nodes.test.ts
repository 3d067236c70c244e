import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { simulatorClients } from "../sources/gcp/clients";
import { simulatorCluster } from "../testing/scan-helpers";

/*
 * GKE node pools → Nodes with the labels and taints GKE gives them, and pods placed as kube-scheduler
 * places them (taints/tolerations, nodeSelector, required node affinity), read through the real
 * @kubernetes/client-node and googleapis clients.
 */

const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: mix-prod-2210
    projectNumber: "500000000001"
    clusters:
      - cluster:
          name: mix
          location: europe-west4
          workloadIdentityConfig: {workloadPool: mix-prod-2210.svc.id.goog}
          autoscaling: {enableNodeAutoprovisioning: true, resourceLimits: [{resourceType: cpu, maximum: "64"}]}
          nodePools:
            - name: general
              initialNodeCount: 1
              locations: [europe-west4-a]
              config: {machineType: e2-standard-4, labels: {team: platform, tier: "2"}, workloadMetadataConfig: {mode: GKE_METADATA}}
            - name: win
              initialNodeCount: 1
              locations: [europe-west4-a]
              config: {machineType: n2-standard-4, imageType: WINDOWS_LTSC_CONTAINERD}
            - name: spot
              initialNodeCount: 1
              locations: [europe-west4-b]
              config:
                machineType: c3-standard-8
                spot: true
                taints:
                  - {key: dedicated, value: batch, effect: NO_SCHEDULE}
                  - {key: soft, value: "yes", effect: PREFER_NO_SCHEDULE}
            - name: old-preemptible
              initialNodeCount: 1
              locations: [europe-west4-c]
              config: {machineType: n1-standard-2, preemptible: true, taints: [{key: evict, effect: NO_EXECUTE}]}
            - name: arm
              initialNodeCount: 1
              locations: [europe-west4-b]
              config: {machineType: c4a-standard-4, imageType: UBUNTU_CONTAINERD}
            - name: arm-open
              initialNodeCount: 1
              locations: [europe-west4-c]
              config: {machineType: t2a-standard-2, taintConfig: {architectureTaintBehavior: NONE}}
            - name: gpu
              initialNodeCount: 1
              locations: [europe-west4-b]
              config: {machineType: g2-standard-8, accelerators: [{acceleratorCount: "1", acceleratorType: nvidia-l4}]}
            - name: gpu-zero
              initialNodeCount: 0
              autoscaling: {enabled: true, minNodeCount: 0, maxNodeCount: 3}
              config: {machineType: a2-highgpu-1g, accelerators: [{acceleratorCount: "1", acceleratorType: nvidia-tesla-a100}]}
        manifests:
          - {apiVersion: v1, kind: Pod, metadata: {name: plain, namespace: t}, spec: {containers: [{name: c}]}}
          - apiVersion: v1
            kind: Pod
            metadata: {name: windows-app, namespace: t}
            spec: {nodeSelector: {kubernetes.io/os: windows}, containers: [{name: c}]}
          - apiVersion: v1
            kind: Pod
            metadata: {name: windows-no-selector, namespace: t}
            spec:
              tolerations: [{key: node.kubernetes.io/os, operator: Equal, value: windows, effect: NoSchedule}]
              nodeSelector: {cloud.google.com/gke-nodepool: win}
              containers: [{name: c}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: batch, namespace: t}
            spec:
              nodeSelector: {cloud.google.com/gke-spot: "true"}
              tolerations: [{key: dedicated, operator: Equal, value: batch, effect: NoSchedule}]
              containers: [{name: c}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: batch-untolerated, namespace: t}
            spec: {nodeSelector: {cloud.google.com/gke-spot: "true"}, containers: [{name: c}]}
          - apiVersion: v1
            kind: Pod
            metadata: {name: tolerates-all, namespace: t}
            spec:
              nodeSelector: {cloud.google.com/gke-preemptible: "true"}
              tolerations: [{operator: Exists}]
              containers: [{name: c}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: arm-by-affinity, namespace: t}
            spec:
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                      - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}, {key: cloud.google.com/gke-nodepool, operator: NotIn, values: [arm-open]}]
              containers: [{name: c}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: gpu-job, namespace: t}
            spec: {containers: [{name: c, resources: {limits: {nvidia.com/gpu: "1"}}}]}
          - apiVersion: v1
            kind: Pod
            metadata: {name: a100-job, namespace: t}
            spec:
              nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-a100}
              containers: [{name: c, resources: {limits: {nvidia.com/gpu: "1"}}}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: tier-gt, namespace: t}
            spec:
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms: [{matchExpressions: [{key: tier, operator: Gt, values: ["1"]}]}]
              containers: [{name: c}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: tier-lt, namespace: t}
            spec:
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms: [{matchExpressions: [{key: tier, operator: Lt, values: ["2"]}]}]
              containers: [{name: c}]
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: linux-agent, namespace: kube-system}
            spec:
              template:
                metadata: {labels: {app: linux-agent}}
                spec: {nodeSelector: {kubernetes.io/os: linux}, containers: [{name: a}]}
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: everywhere, namespace: kube-system}
            spec:
              template:
                metadata: {labels: {app: everywhere}}
                spec: {tolerations: [{operator: Exists}], containers: [{name: a}]}
`;

let sim: Simulator;
let mix: <T>(fn: (apis: ClusterApis) => Promise<T>) => Promise<T>;
let nodes: V1Node[];
let pods: V1Pod[];
const poolOf = (n: V1Node) => n.metadata!.labels!["cloud.google.com/gke-nodepool"];
const nodeOf = (pool: string) => nodes.find((n) => poolOf(n) === pool)!;
const pod = (name: string) => pods.find((p) => p.metadata!.namespace === "t" && p.metadata!.name === name)!;
const podPool = (name: string) => {
  const p = pod(name);
  return p.spec!.nodeName ? poolOf(nodes.find((n) => n.metadata!.name === p.spec!.nodeName)!) : p.status!.phase;
};
const taints = (pool: string) => (nodeOf(pool).spec!.taints ?? []).map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`);

beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(ESTATE, "test.yaml") });
  const client = clusterClient(simulatorCluster(sim, "mix-prod-2210/europe-west4/mix"), async () => "t");
  mix = (fn) => client.with(AbortSignal.timeout(5_000), fn);
  nodes = (await mix((a) => a.core.listNode({}))).items;
  pods = (await mix((a) => a.core.listPodForAllNamespaces({}))).items;
});
afterAll(async () => {
  await sim.close();
});

describe("nodes carry the labels and taints GKE gives their pool", () => {
  it("makes nodes only in each pool's own zones, and none for a pool autoscaled to zero", () => {
    expect(nodes.map((n) => [poolOf(n), n.metadata!.labels!["topology.kubernetes.io/zone"]]).sort()).toEqual([
      ["arm", "europe-west4-b"],
      ["arm-open", "europe-west4-c"],
      ["general", "europe-west4-a"],
      ["gpu", "europe-west4-b"],
      ["old-preemptible", "europe-west4-c"],
      ["spot", "europe-west4-b"],
      ["win", "europe-west4-a"],
    ]);
  });

  it("gives a Linux amd64 pool its instance type, machine family, OS distribution and config.labels, and no taint", () => {
    const n = nodeOf("general");
    expect(n.metadata!.labels).toMatchObject({
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "node.kubernetes.io/instance-type": "e2-standard-4",
      "cloud.google.com/machine-family": "e2",
      "cloud.google.com/gke-os-distribution": "cos",
      "iam.gke.io/gke-metadata-server-enabled": "true",
      team: "platform",
      tier: "2",
    });
    expect(n.spec!.taints).toBeUndefined();
    expect([n.status!.nodeInfo!.operatingSystem, n.status!.nodeInfo!.architecture]).toEqual(["linux", "amd64"]);
  });

  it("labels a Windows Server pool's nodes windows with their build, and taints them node.kubernetes.io/os=windows:NoSchedule", () => {
    const n = nodeOf("win");
    expect(n.metadata!.labels).toMatchObject({ "kubernetes.io/os": "windows", "beta.kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763" });
    expect(n.metadata!.labels!["cloud.google.com/gke-os-distribution"]).toBeUndefined();
    expect(taints("win")).toEqual(["node.kubernetes.io/os=windows:NoSchedule"]);
    expect([n.status!.nodeInfo!.operatingSystem, n.status!.nodeInfo!.osImage]).toEqual(["windows", "Windows Server 2019 Datacenter"]);
  });

  it("labels Spot and preemptible nodes, and turns the API's taint effects into the Kubernetes ones", () => {
    expect(nodeOf("spot").metadata!.labels).toMatchObject({ "cloud.google.com/gke-spot": "true", "cloud.google.com/gke-provisioning": "spot" });
    expect(taints("spot")).toEqual(["dedicated=batch:NoSchedule", "soft=yes:PreferNoSchedule"]);
    expect(nodeOf("old-preemptible").metadata!.labels).toMatchObject({ "cloud.google.com/gke-preemptible": "true", "cloud.google.com/gke-provisioning": "preemptible" });
    expect(taints("old-preemptible")).toEqual(["evict=:NoExecute"]);
    expect(nodeOf("general").metadata!.labels!["cloud.google.com/gke-spot"]).toBeUndefined();
  });

  it("labels Arm machine types arm64 and taints them, unless the pool's architecture taint is off", () => {
    expect(nodeOf("arm").metadata!.labels).toMatchObject({ "kubernetes.io/arch": "arm64", "cloud.google.com/machine-family": "c4a", "cloud.google.com/gke-os-distribution": "ubuntu" });
    expect(taints("arm")).toEqual(["kubernetes.io/arch=arm64:NoSchedule"]);
    expect(nodeOf("arm-open").metadata!.labels!["kubernetes.io/arch"]).toBe("arm64");
    expect(taints("arm-open")).toEqual([]);
    expect(nodeOf("arm").status!.nodeInfo!.architecture).toBe("arm64");
  });

  it("labels GPU nodes with their accelerator and taints them nvidia.com/gpu=present:NoSchedule beside CPU pools", () => {
    expect(nodeOf("gpu").metadata!.labels!["cloud.google.com/gke-accelerator"]).toBe("nvidia-l4");
    expect(taints("gpu")).toEqual(["nvidia.com/gpu=present:NoSchedule"]);
  });

  it("passes the cluster's autoscaling (node auto-provisioning) and pool autoscaling through the container API as given", async () => {
    const { data } = await simulatorClients(sim.url).container.projects.locations.clusters.list({ parent: "projects/mix-prod-2210/locations/-" });
    const c = data.clusters![0];
    expect(c.autoscaling).toEqual({ enableNodeAutoprovisioning: true, resourceLimits: [{ resourceType: "cpu", maximum: "64" }] });
    const zero = c.nodePools!.find((p) => p.name === "gpu-zero")!;
    expect([zero.initialNodeCount, zero.autoscaling, zero.locations]).toEqual([0, { enabled: true, minNodeCount: 0, maxNodeCount: 3 }, ["europe-west4-a", "europe-west4-b", "europe-west4-c"]]);
    expect(c.nodePools!.find((p) => p.name === "spot")!.locations).toEqual(["europe-west4-b"]);
  });
});

describe("pods are placed as kube-scheduler would", () => {
  it("keeps a pod without tolerations off every tainted node", () => {
    expect(podPool("plain")).toMatch(/^(general|arm-open)$/);
  });

  it("schedules a Windows pod by its nodeSelector, with the toleration GKE's webhook adds", () => {
    expect(podPool("windows-app")).toBe("win");
    expect(JSON.parse(JSON.stringify(pod("windows-app").spec!.tolerations))).toEqual([
      { key: "node.kubernetes.io/os", operator: "Equal", value: "windows", effect: "NoSchedule" },
    ]);
    expect(podPool("windows-no-selector")).toBe("win");
    expect(pod("windows-no-selector").spec!.tolerations!.length).toBe(1);
  });

  it("schedules a pod that tolerates the Spot pool's taint there, and leaves one that does not Pending with the scheduler's reasons", () => {
    expect(podPool("batch")).toBe("spot");
    const stuck = pod("batch-untolerated");
    expect(stuck.status!.phase).toBe("Pending");
    expect(stuck.status!.conditions!.map((c) => c.message)).toEqual([
      "0/7 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) had untolerated taint {evict: }, 1 node(s) had untolerated taint {kubernetes.io/arch: arm64}, 1 node(s) had untolerated taint {node.kubernetes.io/os: windows}, 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 node(s) didn't match Pod's node affinity/selector.",
    ]);
  });

  it("lets an operator: Exists toleration tolerate NoExecute taints", () => {
    expect(podPool("tolerates-all")).toBe("old-preemptible");
  });

  it("schedules a pod that requires arm64 by affinity onto the tainted Arm pool, with GKE's toleration", () => {
    expect(podPool("arm-by-affinity")).toBe("arm");
    expect(pod("arm-by-affinity").spec!.tolerations!.map((t) => `${t.key}=${t.value}:${t.effect}`)).toEqual(["kubernetes.io/arch=arm64:NoSchedule"]);
  });

  it("gives a pod that requests nvidia.com/gpu the ExtendedResourceToleration toleration and a GPU node", () => {
    expect(pod("gpu-job").spec!.tolerations!.map((t) => [t.key, t.operator, t.effect])).toEqual([["nvidia.com/gpu", "Exists", "NoSchedule"]]);
    expect(podPool("gpu-job")).toBe("gpu");
    expect(nodeOf("gpu").status!.allocatable).toEqual({ "nvidia.com/gpu": "1" });
  });

  it("leaves a pod for a GPU pool at zero nodes Pending", () => {
    expect(podPool("a100-job")).toBe("Pending");
    expect(pod("a100-job").status!.conditions!.map((c) => c.message)).toEqual([
      "0/7 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) had untolerated taint {evict: }, 1 node(s) had untolerated taint {kubernetes.io/arch: arm64}, 1 node(s) had untolerated taint {node.kubernetes.io/os: windows}, 3 node(s) didn't match Pod's node affinity/selector.",
    ]);
  });

  it("compares Gt and Lt as integers", () => {
    expect(podPool("tier-gt")).toBe("general");
    expect(podPool("tier-lt")).toBe("Pending");
  });

  it("runs a DaemonSet only on the nodes whose taints it tolerates and whose labels it selects", () => {
    const on = (ds: string) =>
      pods
        .filter((p) => p.metadata!.name!.startsWith(`${ds}-`))
        .map((p) => poolOf(nodes.find((n) => n.metadata!.name === p.spec!.nodeName)!))
        .sort();
    expect(on("linux-agent")).toEqual(["arm-open", "general"]);
    expect(on("everywhere")).toEqual(["arm", "arm-open", "general", "gpu", "old-preemptible", "spot", "win"]);
  });
});
