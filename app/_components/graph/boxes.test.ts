import { describe, expect, it } from "vitest";
import { drawingBoxes, type BoxableNode } from "./boxes";

const PROD = "cluster:acme-prod/asia-northeast1/prod";
const LEGACY = "cluster:acme-legacy/asia-northeast1-b/legacy-batch";
const nodes: BoxableNode[] = [
  { id: PROD, kind: "cluster", cluster: PROD, namespace: null },
  { id: `nodepool:${PROD.slice(8)}/default-pool`, kind: "nodepool", cluster: PROD, namespace: null },
  { id: `namespace:${PROD.slice(8)}/batch`, kind: "namespace", cluster: PROD, namespace: "batch" },
  { id: `workload:${PROD.slice(8)}/batch/CronJob/daily`, kind: "workload", cluster: PROD, namespace: "batch" },
  { id: `ksa:${PROD.slice(8)}/reporting/runner`, kind: "ksa", cluster: PROD, namespace: "reporting" },
  { id: `workload:${LEGACY.slice(8)}/batch/CronJob/sync`, kind: "workload", cluster: LEGACY, namespace: "batch" },
  { id: "gsa:common-batch@acme-prod.iam.gserviceaccount.com", kind: "gsa", cluster: null, namespace: null },
];

describe("group by, drawn as boxes", () => {
  it("puts every node of a cluster, the cluster itself included, in that cluster's box, and nothing else", () => {
    const { boxes, boxOf } = drawingBoxes(nodes, "cluster");
    expect(boxes.map((b) => [b.id, b.label, b.members.length])).toEqual([[`box:${PROD}`, "Cluster prod/asia-northeast1", 5]]);
    // The legacy cluster has one node drawn: no box for it; a GSA is in no cluster.
    expect(boxOf.has(`workload:${LEGACY.slice(8)}/batch/CronJob/sync`)).toBe(false);
    expect(boxOf.has("gsa:common-batch@acme-prod.iam.gserviceaccount.com")).toBe(false);
  });

  it("boxes a namespace with its KSAs, workloads and Secrets, keeping node pools and clusters out", () => {
    const { boxes, boxOf } = drawingBoxes(nodes, "namespace");
    expect(boxes.map((b) => [b.id, b.label, b.members])).toEqual([
      [`box:namespace:${PROD.slice(8)}/batch`, "Namespace batch · prod/asia-northeast1", [`namespace:${PROD.slice(8)}/batch`, `workload:${PROD.slice(8)}/batch/CronJob/daily`]],
    ]);
    expect(boxOf.has(PROD)).toBe(false);
  });

  it("draws no boxes when grouping is off", () => {
    expect(drawingBoxes(nodes, "none").boxes).toEqual([]);
  });
});
