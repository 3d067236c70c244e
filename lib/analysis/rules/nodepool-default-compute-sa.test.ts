import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "nodepool-default-compute-sa";
const COMPUTE_SA = "100000000001-compute@developer.gserviceaccount.com";

function pool(name: string, serviceAccount: string, mode: "GCE_METADATA" | "GKE_METADATA") {
  return { name, initialNodeCount: 1, config: { serviceAccount, workloadMetadataConfig: { mode } } };
}

/**
 * `prod` (Workload Identity) has a pool left on `default` (how GKE is asked for the Compute Engine
 * default account), one naming that account by its email, and one with a dedicated node account.
 * `old` has no workload pool and its only pool runs as `default`.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      serviceAccounts: [{ email: "prod-nodes@proj-a.iam.gserviceaccount.com", displayName: "GKE nodes" }],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [
              pool("default-pool", "default", "GCE_METADATA"),
              pool("wi-pool", COMPUTE_SA, "GKE_METADATA"),
              pool("wi-dedicated", "prod-nodes@proj-a.iam.gserviceaccount.com", "GKE_METADATA"),
            ],
          },
        },
        { cluster: { name: "old", location: "asia-northeast1-b", nodePools: [pool("default-pool", "default", "GCE_METADATA")] } },
      ],
    },
  ],
});

describe("nodepool-default-compute-sa", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on pools running as the Compute Engine default account, set as `default` or by email; a dedicated node account does not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      "nodepool-default-compute-sa nodepool:proj-a/asia-northeast1-a/prod/default-pool open",
      "nodepool-default-compute-sa nodepool:proj-a/asia-northeast1-a/prod/wi-pool open",
      "nodepool-default-compute-sa nodepool:proj-a/asia-northeast1-b/old/default-pool open",
    ]);
  });

  it("resolves `default` to the project's compute account and gives a least-privilege account and a GKE-metadata pool that uses it", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/default-pool");
    expect(f.message).toBe(`Pool default-pool runs as ${COMPUTE_SA}.`);
    expect(f.evidence).toEqual({ serviceAccount: COMPUTE_SA, configured: "default", servesGkeMetadata: false });
    expect(f.gsa).toBe(COMPUTE_SA);
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Create a least-privilege node account (logging, monitoring, artifact pulls) and a pool that uses it",
        content: [
          "gcloud iam service-accounts create prod-nodes --project=proj-a",
          "for ROLE in roles/logging.logWriter roles/monitoring.metricWriter roles/monitoring.viewer roles/stackdriver.resourceMetadata.writer roles/artifactregistry.reader; do",
          '  gcloud projects add-iam-policy-binding proj-a --member="serviceAccount:prod-nodes@proj-a.iam.gserviceaccount.com" --role="$ROLE"',
          "done",
          "gcloud container node-pools create default-pool-v2 --cluster=prod --location=asia-northeast1-a --project=proj-a \\",
          "  --service-account=prod-nodes@proj-a.iam.gserviceaccount.com --workload-metadata=GKE_METADATA",
        ].join("\n"),
      },
    ]);
  });

  it("fires on a GKE-metadata pool naming the compute account by email", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/wi-pool");
    expect(f.message).toBe(`Pool wi-pool runs as ${COMPUTE_SA}.`);
    expect(f.evidence).toEqual({ serviceAccount: COMPUTE_SA, configured: COMPUTE_SA, servesGkeMetadata: true });
    expect(f.fixes[0].content).toContain("gcloud container node-pools create wi-pool-v2 --cluster=prod --location=asia-northeast1-a --project=proj-a");
  });

  it("in a cluster without a workload pool, the new pool is not given --workload-metadata", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-b/old/default-pool");
    expect(f.fixes[0].content).toContain("gcloud iam service-accounts create old-nodes --project=proj-a\n");
    expect(f.fixes[0].content.endsWith("--service-account=old-nodes@proj-a.iam.gserviceaccount.com")).toBe(true);
  });
});

describe("nodepool-default-compute-sa on a project whose policy holds conditional bindings", () => {
  it("grants the new node account its roles with --condition=None, so the loop runs without prompts", async () => {
    const r = await analyzeEstate(
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: { name: "organizations/111111111111", displayName: "example.test" },
        projects: [
          {
            projectId: "cond-proj",
            projectNumber: "100000000077",
            iamPolicy: {
              version: 3,
              bindings: [{ role: "roles/storage.objectViewer", members: ["group:contractors@example.test"], condition: { title: "until-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' } }],
            },
            clusters: [{ cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] } }],
          },
        ],
      }),
    );
    const f = r.findings.find((x) => x.rule === "nodepool-default-compute-sa")!;
    expect(f.fixes[0].content).toContain(`--role="$ROLE" --condition=None\ndone`);
  });
});
