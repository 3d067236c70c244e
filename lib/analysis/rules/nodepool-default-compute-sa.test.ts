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
 * `old` has no workload pool and its only pool runs as `default`. `web-auto` is an Autopilot cluster
 * created without a node service account.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      // What Google used to grant the Compute Engine default account on every project.
      iamPolicy: { bindings: [{ role: "roles/editor", members: [`serviceAccount:${COMPUTE_SA}`] }] },
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
        // Autopilot created without --service-account: GKE runs its nodes as the Compute Engine default account.
        { cluster: { name: "web-auto", location: "asia-northeast1", autopilot: { enabled: true } } },
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
      "nodepool-default-compute-sa nodepool:proj-a/asia-northeast1/web-auto/default-pool open",
    ]);
  });

  // Google's advice for node accounts, Standard and Autopilot alike: roles/container.defaultNodeServiceAccount
  // (logging, monitoring, metrics), plus Artifact Registry reads only where images are private.
  it("resolves `default` to the project's compute account and gives a node account holding roles/container.defaultNodeServiceAccount and a GKE-metadata pool that uses it", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/default-pool");
    expect(f.message).toBe(`Pool default-pool runs as ${COMPUTE_SA}.`);
    expect(f.evidence).toEqual({ serviceAccount: COMPUTE_SA, configured: "default", servesGkeMetadata: false, autopilot: false });
    expect(f.gsa).toBe(COMPUTE_SA);
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Create a least-privilege node account (roles/container.defaultNodeServiceAccount) and a pool that uses it, then retire this pool",
        content: [
          "gcloud iam service-accounts create prod-nodes --project=proj-a",
          'gcloud projects add-iam-policy-binding proj-a --member="serviceAccount:prod-nodes@proj-a.iam.gserviceaccount.com" --role="roles/container.defaultNodeServiceAccount"',
          "# only if nodes pull images from private Artifact Registry repositories:",
          'gcloud projects add-iam-policy-binding proj-a --member="serviceAccount:prod-nodes@proj-a.iam.gserviceaccount.com" --role="roles/artifactregistry.reader"',
          "gcloud container node-pools create default-pool-v2 --cluster=prod --location=asia-northeast1-a --project=proj-a \\",
          "  --service-account=prod-nodes@proj-a.iam.gserviceaccount.com --workload-metadata=GKE_METADATA",
          "# when no pod runs on default-pool any more:",
          "gcloud container node-pools delete default-pool --cluster=prod --location=asia-northeast1-a --project=proj-a",
        ].join("\n"),
      },
    ]);
  });

  // Autopilot has no node pools of the user's to replace, and its pods never act as the node account.
  it("on Autopilot, gives no node-pool command: the node account with roles/container.defaultNodeServiceAccount, and where Autopilot takes it (at cluster creation)", () => {
    const f = finding("nodepool:proj-a/asia-northeast1/web-auto/default-pool");
    expect(f.message).toBe(
      `Autopilot cluster web-auto runs its nodes as ${COMPUTE_SA}. Its pods use Workload Identity, not this account, but system components on every node do.`,
    );
    expect(f.evidence).toEqual({ serviceAccount: COMPUTE_SA, configured: "default", servesGkeMetadata: true, autopilot: true });
    for (const x of f.fixes) expect(x.content, x.title).not.toContain("node-pools");
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Create a node account holding only roles/container.defaultNodeServiceAccount",
        content: [
          "gcloud iam service-accounts create web-auto-nodes --project=proj-a",
          'gcloud projects add-iam-policy-binding proj-a --member="serviceAccount:web-auto-nodes@proj-a.iam.gserviceaccount.com" --role="roles/container.defaultNodeServiceAccount"',
          "# only if nodes pull images from private Artifact Registry repositories:",
          'gcloud projects add-iam-policy-binding proj-a --member="serviceAccount:web-auto-nodes@proj-a.iam.gserviceaccount.com" --role="roles/artifactregistry.reader"',
        ].join("\n"),
      },
      {
        kind: "note",
        title: "Autopilot picks its node account when the cluster is created",
        content: [
          "There is no node pool to replace on Autopilot. New Autopilot clusters take the account at creation:",
          "gcloud container clusters create-auto CLUSTER_NAME --location=asia-northeast1 --project=proj-a --service-account=web-auto-nodes@proj-a.iam.gserviceaccount.com",
          `Until web-auto is replaced, its nodes need only roles/container.defaultNodeServiceAccount from ${COMPUTE_SA}, which holds roles/editor on project:proj-a. Other VMs of the project may run as it too: check them before narrowing its roles.`,
        ].join("\n"),
      },
    ]);
  });

  it("fires on a GKE-metadata pool naming the compute account by email", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-a/prod/wi-pool");
    expect(f.message).toBe(`Pool wi-pool runs as ${COMPUTE_SA}.`);
    expect(f.evidence).toEqual({ serviceAccount: COMPUTE_SA, configured: COMPUTE_SA, servesGkeMetadata: true, autopilot: false });
    expect(f.fixes[0].content).toContain("gcloud container node-pools create wi-pool-v2 --cluster=prod --location=asia-northeast1-a --project=proj-a");
  });

  it("in a cluster without a workload pool, the new pool is not given --workload-metadata", () => {
    const f = finding("nodepool:proj-a/asia-northeast1-b/old/default-pool");
    expect(f.fixes[0].content).toContain("gcloud iam service-accounts create old-nodes --project=proj-a\n");
    expect(f.fixes[0].content).toContain("--service-account=old-nodes@proj-a.iam.gserviceaccount.com\n# when no pod runs on default-pool any more:\n");
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
    // One binding per role (roles/container.defaultNodeServiceAccount, and Artifact Registry reads), each non-interactive.
    const adds = f.fixes[0].content.split("\n").filter((l) => l.startsWith("gcloud projects add-iam-policy-binding"));
    expect(adds.map((l) => l.replace(/^.*--role="([^"]+)"/, "$1"))).toEqual(["roles/container.defaultNodeServiceAccount --condition=None", "roles/artifactregistry.reader --condition=None"]);
  });
});
