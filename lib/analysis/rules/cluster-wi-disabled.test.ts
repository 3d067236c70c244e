import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "cluster-wi-disabled";

/** A Deployment of `replicas` pods with no selector, so it lands on any node. */
function deployment(ns: string, name: string, replicas: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { replicas, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: "default", containers: [{ name, image: `gcr.io/proj-a/${name}:1.0` }] } } },
  };
}

/**
 * proj-a holds three clusters: `legacy` (no workload pool, the article's starting point, with two
 * pods), `modern` (workload pool set, a GKE-metadata pool) and `auto` (Autopilot, which always has
 * the project's pool even when the cluster resource does not ask for one).
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
            name: "legacy",
            location: "asia-northeast1-a",
            nodePools: [{ name: "default-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GCE_METADATA" } } }],
          },
          manifests: [deployment("batch", "loader", 2)],
        },
        {
          cluster: {
            name: "modern",
            location: "asia-northeast1",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [deployment("web", "frontend", 1)],
        },
        { cluster: { name: "auto", location: "asia-northeast1", autopilot: { enabled: true } }, manifests: [deployment("web", "checkout", 1)] },
      ],
    },
  ],
});

describe("cluster-wi-disabled", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });

  it("fires only on the cluster without a workload pool; a pool set, or Autopilot's implicit one, does not fire", () => {
    expect(findingLines(r, RULE)).toEqual(["cluster-wi-disabled cluster:proj-a/asia-northeast1-a/legacy open"]);
  });

  it("counts the cluster's pods and gives the gcloud and Terraform that enable the project's pool", () => {
    const f = r.findings.find((x) => x.rule === RULE)!;
    expect(f.severity).toBe("high");
    expect(f.message).toBe("legacy (asia-northeast1-a) has no workload pool: its 2 pods use node service accounts or keys.");
    expect(f.evidence).toEqual({ workloadPool: null, autopilot: false, pods: 2 });
    expect(f.project).toBe("proj-a");
    expect(f.cluster).toBe("cluster:proj-a/asia-northeast1-a/legacy");
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Enable Workload Identity on the cluster (existing node pools keep GCE metadata until updated)",
        content: "gcloud container clusters update legacy --location=asia-northeast1-a --project=proj-a \\\n  --workload-pool=proj-a.svc.id.goog",
      },
      {
        kind: "terraform",
        title: "Terraform: in the google_container_cluster",
        content: 'resource "google_container_cluster" "legacy" {\n  # …\n  workload_identity_config {\n    workload_pool = "proj-a.svc.id.goog"\n  }\n}\n',
      },
    ]);
  });
});
