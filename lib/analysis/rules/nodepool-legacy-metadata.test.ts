import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "nodepool-legacy-metadata";
const NODE_SA = "legacy-nodes@proj-a.iam.gserviceaccount.com";

function pool(name: string, workloadMetadataConfig?: Record<string, string>) {
  return { name, initialNodeCount: 1, config: { serviceAccount: NODE_SA, ...(workloadMetadataConfig ? { workloadMetadataConfig } : {}) } };
}

/**
 * `prod` has Workload Identity and four pools: `legacy` (GCE_METADATA, where a Deployment of two
 * pods is pinned), `wi` (GKE_METADATA), `old-api` (GKE_METADATA_SERVER, the older API name of the
 * same thing) and `unset` (no workload metadata mode at all). `old` has no workload pool, so even its
 * GKE_METADATA pool serves GCE metadata.
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
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [pool("legacy", { mode: "GCE_METADATA" }), pool("wi", { mode: "GKE_METADATA" }), pool("old-api", { nodeMetadata: "GKE_METADATA_SERVER" }), pool("unset")],
          },
          manifests: [
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name: "loader", namespace: "batch" },
              spec: {
                replicas: 2,
                template: {
                  metadata: { labels: { app: "loader" } },
                  spec: { nodeSelector: { "cloud.google.com/gke-nodepool": "legacy" }, containers: [{ name: "loader", image: "gcr.io/proj-a/loader:1.0" }] },
                },
              },
            },
          ],
        },
        { cluster: { name: "old", location: "asia-northeast1-b", nodePools: [pool("wi-ready", { mode: "GKE_METADATA" })] } },
      ],
    },
  ],
});

describe("nodepool-legacy-metadata", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on pools that do not serve GKE metadata; GKE_METADATA and GKE_METADATA_SERVER pools in a WI cluster do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      "nodepool-legacy-metadata nodepool:proj-a/asia-northeast1-a/prod/legacy open",
      "nodepool-legacy-metadata nodepool:proj-a/asia-northeast1-a/prod/unset open",
      "nodepool-legacy-metadata nodepool:proj-a/asia-northeast1-b/old/wi-ready open",
    ]);
  });

  it("counts the pods still on a GCE_METADATA pool and gives the create-move-delete and in-place commands with real names", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/legacy");
    expect(f.message).toBe(`Pool legacy runs with GCE_METADATA; 2 pods still run there as ${NODE_SA}.`);
    expect(f.evidence).toEqual({ metadataMode: "GCE_METADATA", serviceAccount: NODE_SA, nodes: 1, pods: 2 });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Create a GKE-metadata pool beside it, move workloads, then delete this one (step 8)",
        content:
          `gcloud container node-pools create legacy-wi --cluster=prod --location=asia-northeast1-a --project=proj-a \\\n  --workload-metadata=GKE_METADATA --service-account=${NODE_SA}\n` +
          "# when no pod runs on legacy any more:\ngcloud container node-pools delete legacy --cluster=prod --location=asia-northeast1-a --project=proj-a",
      },
      {
        kind: "gcloud",
        title: "Or switch this pool in place (recreates its nodes)",
        content: "gcloud container node-pools update legacy --cluster=prod --location=asia-northeast1-a --project=proj-a \\\n  --workload-metadata=GKE_METADATA",
      },
    ]);
  });

  it("says when a pool has no workload metadata mode at all", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/unset");
    expect(f.message).toBe(`Pool unset runs with no workload metadata mode; 0 pods still run there as ${NODE_SA}.`);
    expect(f.evidence).toEqual({ metadataMode: null, serviceAccount: NODE_SA, nodes: 1, pods: 0 });
  });

  // GKE accepts --workload-metadata=GKE_METADATA only once the cluster has a workload pool: an in-place
  // switch (or a new GKE-metadata pool) before step 1 is refused, so none is offered.
  it("in a cluster without a workload pool, it fires and says to enable the pool first, with no pool command", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-b/old/wi-ready");
    expect(f.message).toBe(`Pool wi-ready runs with GKE_METADATA in a cluster without Workload Identity; 0 pods still run there as ${NODE_SA}.`);
    expect(f.evidence).toEqual({ metadataMode: "GKE_METADATA", serviceAccount: NODE_SA, nodes: 1, pods: 0 });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Enable Workload Identity on the cluster first: GKE refuses GKE_METADATA on a pool of a cluster without a workload pool",
        content: "gcloud container clusters update old --location=asia-northeast1-b --project=proj-a \\\n  --workload-pool=proj-a.svc.id.goog",
      },
      {
        kind: "note",
        title: "Then move this pool's workloads to GKE metadata",
        content:
          "Enabling it leaves existing pools on GCE metadata; new pools get GKE metadata. Once old has its workload pool, the next scan gives the pool commands here (see cluster-wi-disabled on cluster:proj-a/asia-northeast1-b/old).",
      },
    ]);
    for (const x of f.fixes) expect(x.content).not.toContain("node-pools");
  });
});
