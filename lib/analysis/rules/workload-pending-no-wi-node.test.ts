import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "workload-pending-no-wi-node";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";
const ETL = "proj-a/asia-northeast1/etl";
const OLD = "proj-a/asia-northeast1-b/old";
const PROD = "proj-a/asia-northeast1-a/prod";
const BLIND = "proj-a/asia-northeast1-c/blind";
const SCALED = "proj-a/asia-northeast2-a/scaled";
const NAP = "proj-a/asia-northeast2-b/nap";

function deployment(ns: string, name: string, nodeSelector: Record<string, string>, replicas: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { replicas, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, nodeSelector, containers: [{ name, image: `gcr.io/proj-a/${name}:1.0` }] } } },
  };
}
const gcePool = { name: "default-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GCE_METADATA" } } };

/**
 * - `etl` (regional: 3 nodes) did step 1 but not step 2: stream-ingest asks for GKE-metadata nodes and
 *   stays Pending; `pinned` is Pending for another reason (a pool that does not exist).
 * - `old` did neither step, and `mover` was moved anyway.
 * - `prod` has a GKE-metadata pool: the same selector schedules (the fixed version).
 * - `blind` is like `etl`, but its node list answers 403: the node pools (container API) still say no
 *   pool serves GKE metadata, so it fires there too.
 * - `scaled` has a GKE-metadata pool autoscaled to zero nodes: the Pending pods make it scale up.
 * - `nap` has node auto-provisioning on: GKE creates a GKE-metadata pool for them.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      clusters: [
        {
          cluster: { name: "etl", location: "asia-northeast1", workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" }, nodePools: [gcePool] },
          manifests: [deployment("etl", "stream-ingest", { [GKE_MD]: "true" }, 2), deployment("etl", "pinned", { "cloud.google.com/gke-nodepool": "gpu-pool" }, 1)],
        },
        { cluster: { name: "old", location: "asia-northeast1-b", nodePools: [gcePool] }, manifests: [deployment("batch", "mover", { [GKE_MD]: "true" }, 1)] },
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [gcePool, { name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [deployment("etl", "stream-ingest", { [GKE_MD]: "true" }, 2)],
        },
        {
          cluster: { name: "blind", location: "asia-northeast1-c", workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" }, nodePools: [gcePool] },
          manifests: [deployment("etl", "stream-ingest", { [GKE_MD]: "true" }, 1)],
        },
        {
          cluster: {
            name: "scaled",
            location: "asia-northeast2-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [
              gcePool,
              { name: "wi-pool", initialNodeCount: 0, autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 5 }, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } },
            ],
          },
          manifests: [deployment("etl", "stream-ingest", { [GKE_MD]: "true" }, 1)],
        },
        {
          cluster: {
            name: "nap",
            location: "asia-northeast2-b",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            autoscaling: { enableNodeAutoprovisioning: true, resourceLimits: [{ resourceType: "cpu", minimum: "1", maximum: "64" }, { resourceType: "memory", minimum: "1", maximum: "256" }] },
            nodePools: [gcePool],
          },
          manifests: [deployment("etl", "stream-ingest", { [GKE_MD]: "true" }, 1)],
        },
      ],
    },
  ],
  faults: [{ match: { path: `/clusters/${BLIND}/api/v1/nodes` }, status: 403 }],
});

describe("workload-pending-no-wi-node", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;
  const podNames = (w: string) => r.context.podsOf(w).map((p) => p.data.name);

  it("fires on workloads Pending for a GKE-metadata node where no node pool serves GKE metadata (nodes readable or not); not where one exists, not when Pending for another selector", () => {
    expect(findingLines(r, RULE)).toEqual([
      `workload-pending-no-wi-node workload:${OLD}/batch/Deployment/mover open`,
      `workload-pending-no-wi-node workload:${BLIND}/etl/Deployment/stream-ingest open`,
      `workload-pending-no-wi-node workload:${ETL}/etl/Deployment/stream-ingest open`,
    ]);
    // The near misses really are what they look like: prod's copy runs, `pinned` is Pending.
    expect(r.context.podsOf(`workload:${PROD}/etl/Deployment/stream-ingest`).map((p) => p.data.phase)).toEqual(["Running", "Running"]);
    expect(r.context.podsOf(`workload:${ETL}/etl/Deployment/pinned`).map((p) => p.data.phase)).toEqual(["Pending"]);
    expect(r.context.podsOf(`workload:${BLIND}/etl/Deployment/stream-ingest`).map((p) => p.data.phase)).toEqual(["Pending"]);
  });

  it("does not fire where a GKE-metadata pool is autoscaled to zero nodes, nor with node auto-provisioning on: a pool is there for them", () => {
    expect(r.context.podsOf(`workload:${SCALED}/etl/Deployment/stream-ingest`).map((p) => p.data.phase)).toEqual(["Pending"]);
    expect(r.context.podsOf(`workload:${NAP}/etl/Deployment/stream-ingest`).map((p) => p.data.phase)).toEqual(["Pending"]);
    expect(findingLines(r, RULE).filter((l) => l.includes("scaled") || l.includes("/nap/"))).toEqual([]);
  });

  it("names the Pending pods and the nodes counted, and gives the GKE-metadata pool to create (step 2)", () => {
    const w = `workload:${ETL}/etl/Deployment/stream-ingest`;
    const f = finding(w);
    expect(f.severity).toBe("high");
    expect(f.message).toBe(`2 pods are Pending: their nodeSelector ${GKE_MD}: "true" matches none of the 1 node pools (3 nodes).`);
    expect(f.evidence).toEqual({ pendingPods: podNames(w), nodePools: ["default-pool"], gkeMetadataPools: [], nodes: 3, workloadPool: "proj-a.svc.id.goog" });
    expect((f.evidence.pendingPods as string[]).length).toBe(2);
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Create a GKE-metadata node pool (step 2)",
        content: "gcloud container node-pools create wi-pool --cluster=etl --location=asia-northeast1 --project=proj-a \\\n  --workload-metadata=GKE_METADATA --service-account=100000000001-compute@developer.gserviceaccount.com",
      },
    ]);
  });

  it("in a cluster without a workload pool, the fix enables Workload Identity (step 1) before creating the pool", () => {
    const w = `workload:${OLD}/batch/Deployment/mover`;
    const f = finding(w);
    expect(f.message).toBe(`1 pods are Pending: their nodeSelector ${GKE_MD}: "true" matches none of the 1 node pools (1 nodes).`);
    expect(f.evidence).toEqual({ pendingPods: podNames(w), nodePools: ["default-pool"], gkeMetadataPools: [], nodes: 1, workloadPool: null });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Enable Workload Identity (step 1), then create a GKE-metadata pool (step 2)",
        content:
          "gcloud container clusters update old --location=asia-northeast1-b --project=proj-a --workload-pool=proj-a.svc.id.goog\n" +
          "gcloud container node-pools create wi-pool --cluster=old --location=asia-northeast1-b --project=proj-a \\\n  --workload-metadata=GKE_METADATA --service-account=100000000001-compute@developer.gserviceaccount.com",
      },
    ]);
  });
});
