import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "gsa-broad-role";
const gsa = (id: string) => `${id}@app-prod.iam.gserviceaccount.com`;
const RUNNER = gsa("batch-runner"); // roles/editor on the project; used through a key file
const SYNC = gsa("storage-sync"); // roles/storage.admin; used through Workload Identity by two Deployments
const DEPLOYER = gsa("deployer"); // roles/iam.serviceAccountUser
const OPS = gsa("platform-ops"); // roles/editor on the project's folder
const READER = gsa("web-reader"); // roles/storage.objectViewer only
const IDLE = gsa("idle-editor"); // roles/editor, used by nothing
const K1 = "1111111111111111111111111111111111111111";
const W = (ns: string, kind: string, name: string) => `workload:app-prod/asia-northeast1-a/prod/${ns}/${kind}/${name}`;

function ksa(ns: string, name: string, email: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": email } } };
}

function deployment(ns: string, name: string, serviceAccountName: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      template: {
        metadata: { labels: { app: name } },
        spec: { serviceAccountName, nodeSelector: { "iam.gke.io/gke-metadata-server-enabled": "true" }, containers: [{ name: "main", image: `gcr.io/app-prod/${name}:1.0` }] },
      },
    },
  };
}

const KEY_FILE = JSON.stringify({
  type: "service_account",
  project_id: "app-prod",
  private_key_id: K1,
  private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
  client_email: RUNNER,
});

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  folders: [{ name: "folders/2001", displayName: "prod", iamPolicy: { bindings: [{ role: "roles/editor", members: [`serviceAccount:${OPS}`] }] } }],
  projects: [
    {
      projectId: "app-prod",
      projectNumber: "100000000001",
      parent: "folders/2001",
      iamPolicy: {
        bindings: [
          { role: "roles/editor", members: [`serviceAccount:${RUNNER}`, `serviceAccount:${IDLE}`] },
          { role: "roles/storage.admin", members: [`serviceAccount:${SYNC}`] },
          { role: "roles/iam.serviceAccountUser", members: [`serviceAccount:${DEPLOYER}`] },
          { role: "roles/storage.objectViewer", members: [`serviceAccount:${READER}`] },
        ],
      },
      serviceAccounts: [
        { email: RUNNER, keys: [{ keyId: K1, validAfterTime: "2025-12-23T03:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
        ...[SYNC, DEPLOYER, OPS, READER].map((email) => ({
          email,
          iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`serviceAccount:app-prod.svc.id.goog[${email.split("@")[0]}/app]`] }] },
        })),
        { email: IDLE },
      ],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "app-prod.svc.id.goog" },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            ksa("storage-sync", "app", SYNC),
            deployment("storage-sync", "uploader", "app"),
            deployment("storage-sync", "downloader", "app"),
            ksa("deployer", "app", DEPLOYER),
            deployment("deployer", "deployer", "app"),
            ksa("platform-ops", "app", OPS),
            deployment("platform-ops", "operator", "app"),
            ksa("web-reader", "app", READER),
            deployment("web-reader", "reader", "app"),
            { apiVersion: "v1", kind: "Secret", metadata: { name: "runner-key", namespace: "batch" }, type: "Opaque", stringData: { "key.json": KEY_FILE } },
            {
              apiVersion: "batch/v1",
              kind: "CronJob",
              metadata: { name: "nightly", namespace: "batch" },
              spec: {
                schedule: "0 3 * * *",
                jobTemplate: {
                  spec: {
                    template: {
                      spec: {
                        restartPolicy: "OnFailure",
                        containers: [
                          {
                            name: "job",
                            image: "gcr.io/app-prod/batch:1.0",
                            env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" }],
                            volumeMounts: [{ name: "key", mountPath: "/var/secrets/google" }],
                          },
                        ],
                        volumes: [{ name: "key", secret: { secretName: "runner-key" } }],
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      ],
    },
  ],
});

describe("gsa-broad-role", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (email: string) => r.findings.find((f) => f.rule === RULE && f.subject === `gsa:${email}`)!;

  it("fires on used GSAs holding editor (on the project or its folder), an *Admin role or serviceAccountUser; not on a narrow role nor on an unused editor", () => {
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} gsa:${RUNNER} open`,
      `${RULE} gsa:${DEPLOYER} open`,
      `${RULE} gsa:${OPS} open`,
      `${RULE} gsa:${SYNC} open`,
    ]);
  });

  it("names roles/editor held by the account a CronJob reaches through its key file, and how to replace it", () => {
    const f = finding(RUNNER);
    expect(f.severity).toBe("high");
    expect(f.gsa).toBe(RUNNER);
    expect(f.project).toBe("app-prod");
    expect(f.message).toBe(`${RUNNER} holds roles/editor on project:app-prod and 1 workload acts as it.`);
    expect(f.evidence).toEqual({ roles: [{ resource: "project:app-prod", role: "roles/editor", condition: null }], workloads: [W("batch", "CronJob", "nightly")] });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Replace roles/editor with the narrow roles its workloads need (Policy Intelligence role recommendations help)",
        content: `gcloud recommender recommendations list --project=app-prod --location=global --recommender=google.iam.policy.Recommender\ngcloud projects remove-iam-policy-binding app-prod \\\n  --role=roles/editor --member="serviceAccount:${RUNNER}"`,
      },
    ]);
  });

  it("counts an *Admin role and every workload acting as the account through Workload Identity", () => {
    const f = finding(SYNC);
    expect(f.message).toBe(`${SYNC} holds roles/storage.admin on project:app-prod and 2 workloads act as it.`);
    expect(f.evidence).toEqual({
      roles: [{ resource: "project:app-prod", role: "roles/storage.admin", condition: null }],
      workloads: [W("storage-sync", "Deployment", "downloader"), W("storage-sync", "Deployment", "uploader")],
    });
    expect(f.fixes.map((x) => x.content)).toEqual([
      `gcloud recommender recommendations list --project=app-prod --location=global --recommender=google.iam.policy.Recommender\ngcloud projects remove-iam-policy-binding app-prod \\\n  --role=roles/storage.admin --member="serviceAccount:${SYNC}"`,
    ]);
  });

  it("counts roles/iam.serviceAccountUser", () => {
    const f = finding(DEPLOYER);
    expect(f.message).toBe(`${DEPLOYER} holds roles/iam.serviceAccountUser on project:app-prod and 1 workload acts as it.`);
    expect(f.evidence).toEqual({ roles: [{ resource: "project:app-prod", role: "roles/iam.serviceAccountUser", condition: null }], workloads: [W("deployer", "Deployment", "deployer")] });
  });

  it("counts roles/editor inherited from the project's folder", () => {
    const f = finding(OPS);
    expect(f.message).toBe(`${OPS} holds roles/editor on folder:2001 and 1 workload acts as it.`);
    expect(f.evidence).toEqual({ roles: [{ resource: "folder:2001", role: "roles/editor", condition: null }], workloads: [W("platform-ops", "Deployment", "operator")] });
    expect(f.fixes).toHaveLength(1);
    expect(f.fixes[0].content).toContain(`serviceAccount:${OPS}`);
  });

  // A folder number is no project: the recommender is asked with --folder, and the grant removed from the folder.
  it("gives folder commands for a role held on a folder", () => {
    const content = finding(OPS).fixes[0].content;
    expect(content).not.toContain("--project=2001");
    expect(content).toBe(
      `gcloud recommender recommendations list --folder=2001 --location=global --recommender=google.iam.policy.Recommender\ngcloud resource-manager folders remove-iam-policy-binding 2001 \\\n  --role=roles/editor --member="serviceAccount:${OPS}"`,
    );
  });
});
