import { describe, expect, it } from "vitest";
import { eligibleNodes, extendedRequests, matchesNodeSelection, nodeMisfit, toleratesTaint, unschedulableMessage, type SchedNode } from "./schedule";

/* kube-scheduler's filter rules as the simulator applies them (k8s.io/api/core/v1 ToleratesTaint, nodeaffinity). */

const node = (name: string, labels: Record<string, string> = {}, taints: SchedNode["taints"] = [], extended?: Record<string, number>): SchedNode => ({
  name,
  labels,
  taints,
  extended,
});
const required = (...terms: object[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });

describe("toleratesTaint", () => {
  const taint = { key: "dedicated", value: "batch", effect: "NoSchedule" as const };
  it("matches key, value and effect with the default Equal operator", () => {
    expect(toleratesTaint({ key: "dedicated", value: "batch", effect: "NoSchedule" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "dedicated", value: "batch" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "dedicated", value: "web", effect: "NoSchedule" }, taint)).toBe(false);
    expect(toleratesTaint({ key: "dedicated", value: "batch", effect: "NoExecute" }, taint)).toBe(false);
  });
  it("lets Exists ignore the value, and an empty key with Exists tolerate every taint", () => {
    expect(toleratesTaint({ key: "dedicated", operator: "Exists" }, taint)).toBe(true);
    expect(toleratesTaint({ operator: "Exists" }, taint)).toBe(true);
    expect(toleratesTaint({ operator: "Exists", effect: "NoExecute" }, taint)).toBe(false);
  });
  it("does not let an empty key with Equal tolerate anything", () => {
    expect(toleratesTaint({ operator: "Equal", value: "batch" }, taint)).toBe(false);
  });
  it("matches a taint without value only with an empty value or Exists", () => {
    const bare = { key: "evict", effect: "NoExecute" as const };
    expect(toleratesTaint({ key: "evict", effect: "NoExecute" }, bare)).toBe(true);
    expect(toleratesTaint({ key: "evict", value: "x", effect: "NoExecute" }, bare)).toBe(false);
  });
});

describe("matchesNodeSelection", () => {
  const n = node("gke-a", { "cloud.google.com/gke-nodepool": "a", tier: "3", team: "web" });
  it("needs every nodeSelector label", () => {
    expect(matchesNodeSelection({ nodeSelector: { tier: "3", team: "web" } }, n)).toBe(true);
    expect(matchesNodeSelection({ nodeSelector: { tier: "3", team: "data" } }, n)).toBe(false);
  });
  it("ORs the terms and ANDs the expressions inside one", () => {
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "team", operator: "In", values: ["data"] }] }, { matchExpressions: [{ key: "tier", operator: "Exists" }] }), n)).toBe(true);
    expect(
      matchesNodeSelection(required({ matchExpressions: [{ key: "tier", operator: "Exists" }, { key: "team", operator: "NotIn", values: ["web"] }] }), n),
    ).toBe(false);
  });
  it("treats a term with no expressions and no fields as matching nothing", () => {
    expect(matchesNodeSelection(required({}), n)).toBe(false);
  });
  it("applies DoesNotExist, and NotIn to a missing label as a match", () => {
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }), n)).toBe(true);
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "gpu", operator: "NotIn", values: ["a100"] }] }), n)).toBe(true);
  });
  it("compares Gt and Lt as integers and never matches a label that is not one", () => {
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "tier", operator: "Gt", values: ["2"] }] }), n)).toBe(true);
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "tier", operator: "Gt", values: ["10"] }] }), n)).toBe(false);
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "tier", operator: "Lt", values: ["10"] }] }), n)).toBe(true);
    expect(matchesNodeSelection(required({ matchExpressions: [{ key: "team", operator: "Gt", values: ["1"] }] }), n)).toBe(false);
  });
  it("matches metadata.name through matchFields", () => {
    expect(matchesNodeSelection(required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["gke-a"] }] }), n)).toBe(true);
    expect(matchesNodeSelection(required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["gke-b"] }] }), n)).toBe(false);
  });
});

describe("eligibility and the scheduler's message", () => {
  const nodes = [
    node("plain"),
    node("soft", {}, [{ key: "soft", value: "yes", effect: "PreferNoSchedule" }]),
    node("gpu", { accel: "t4" }, [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }], { "nvidia.com/gpu": 2 }),
  ];
  it("prefers nodes without untolerated PreferNoSchedule taints, and uses them when nothing else fits", () => {
    expect(eligibleNodes({}, nodes).map((n) => n.name)).toEqual(["plain"]);
    expect(eligibleNodes({ nodeSelector: {} }, [nodes[1]]).map((n) => n.name)).toEqual(["soft"]);
  });
  it("needs the extended resources a pod asks for, counting requests and limits", () => {
    const gpuPod = { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }], containers: [{ name: "c", resources: { limits: { "nvidia.com/gpu": "2" } } }] };
    expect(extendedRequests(gpuPod)).toEqual({ "nvidia.com/gpu": 2 });
    expect(nodes.map((n) => nodeMisfit(gpuPod, n) ?? "fits")).toEqual(["Insufficient nvidia.com/gpu", "Insufficient nvidia.com/gpu", "fits"]);
    expect(extendedRequests({ containers: [{ name: "c", resources: { requests: { cpu: "1", "nvidia.com/gpu": 3 } } }] })).toEqual({ "nvidia.com/gpu": 3 });
  });
  it("counts every reason per node, sorted, as PodScheduled=False says it", () => {
    expect(unschedulableMessage({ nodeSelector: { accel: "a100" } }, nodes)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 node(s) didn't match Pod's node affinity/selector.",
    );
    expect(unschedulableMessage({}, [])).toBe("no nodes available to schedule pods");
  });
});
