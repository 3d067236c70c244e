import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "gsa-shared";
const COMMON = "common-batch@shared-prod.iam.gserviceaccount.com";
const PIPELINE = "etl-pipeline@shared-prod.iam.gserviceaccount.com";
const K1 = "1111111111111111111111111111111111111111";
/** What IAM accepts as a service account id. */
const GSA_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function ksa(ns: string, name: string, gsa: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": gsa } } };
}

function deployment(ns: string, name: string, serviceAccountName: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { replicas: 1, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName, containers: [{ name: "main", image: `gcr.io/shared-prod/${name}:1.0` }] } } },
  };
}

const KEY_FILE = JSON.stringify({
  type: "service_account",
  project_id: "shared-prod",
  private_key_id: K1,
  private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
  client_email: COMMON,
});

/** The Secret `batch/common-batch-key` and a CronJob `common-batch` (default KSA) reading it. */
function keyCopy() {
  return [
    { apiVersion: "v1", kind: "Secret", metadata: { name: "common-batch-key", namespace: "batch" }, type: "Opaque", stringData: { "key.json": KEY_FILE } },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "common-batch", namespace: "batch" },
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
                    image: "gcr.io/shared-prod/batch:1.0",
                    env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" }],
                    volumeMounts: [{ name: "key", mountPath: "/var/secrets/google" }],
                  },
                ],
                volumes: [{ name: "key", secret: { secretName: "common-batch-key" } }],
              },
            },
          },
        },
      },
    },
  ];
}

function wiCluster(name: string, location: string, manifests: unknown[]) {
  return {
    cluster: {
      name,
      location,
      workloadIdentityConfig: { workloadPool: "shared-prod.svc.id.goog" },
      nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
    },
    manifests,
  };
}

describe("gsa-shared", () => {
  /**
   * One cluster. common-batch@ (pubsub.editor and storage.objectAdmin on the project) is the
   * annotation of etl/etl and reports/reporter, each the KSA of one Deployment; etl-pipeline@ is the
   * annotation of two KSAs of one namespace only.
   */
  describe("KSAs of two namespaces annotated with one GSA", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(
        YAML.stringify({
          now: "2026-11-29T00:00:00Z",
          organization: { name: "organizations/111111111111", displayName: "example.test" },
          projects: [
            {
              projectId: "shared-prod",
              projectNumber: "100000000001",
              iamPolicy: {
                bindings: [
                  { role: "roles/pubsub.editor", members: [`serviceAccount:${COMMON}`] },
                  { role: "roles/storage.objectAdmin", members: [`serviceAccount:${COMMON}`] },
                ],
              },
              serviceAccounts: [{ email: COMMON }, { email: PIPELINE }],
              clusters: [
                wiCluster("prod", "asia-northeast1-a", [
                  ksa("etl", "etl", COMMON),
                  deployment("etl", "etl", "etl"),
                  ksa("reports", "reporter", COMMON),
                  deployment("reports", "monthly-report-generator-for-finance-team", "reporter"),
                  ksa("etl", "loader", PIPELINE),
                  ksa("etl", "transformer", PIPELINE),
                ]),
              ],
            },
          ],
        }),
      );
    });
    const finding = () => r.findings.find((f) => f.rule === RULE)!;

    it("fires on the GSA used from two namespaces, not on the one used from two KSAs of a single namespace", () => {
      expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${COMMON} open`]);
    });

    it("states the spread and the score, with where each use is", () => {
      const f = finding();
      expect(f.severity).toBe("high");
      expect(f.gsa).toBe(COMMON);
      expect(f.project).toBe("shared-prod");
      expect(f.message).toBe(`${COMMON} is used from 2 namespaces in 1 cluster (2 KSAs, 0 key Secrets); shared-account score 27.`);
      expect(f.evidence.ksas).toEqual(["ksa:shared-prod/asia-northeast1-a/prod/etl/etl", "ksa:shared-prod/asia-northeast1-a/prod/reports/reporter"]);
      expect(f.evidence.keySecrets).toEqual([]);
      expect(f.evidence.namespaces).toEqual(["shared-prod/asia-northeast1-a/prod/etl", "shared-prod/asia-northeast1-a/prod/reports"]);
      expect(f.evidence.clusters).toEqual(["cluster:shared-prod/asia-northeast1-a/prod"]);
      expect(f.evidence.score).toBe(27);
    });

    it("proposes one valid GSA id per workload — short names padded, long ones cut to 30 — each with its own KSA", () => {
      const split = finding().evidence.proposedSplit as { workload: string; gsa: string; ksa: string }[];
      expect(split).toEqual([
        { workload: "workload:shared-prod/asia-northeast1-a/prod/etl/Deployment/etl", gsa: "wl-etl@shared-prod.iam.gserviceaccount.com", ksa: "etl/etl" },
        {
          workload: "workload:shared-prod/asia-northeast1-a/prod/reports/Deployment/monthly-report-generator-for-finance-team",
          gsa: "monthly-report-generator-for-f@shared-prod.iam.gserviceaccount.com",
          ksa: "reports/reporter",
        },
      ]);
      for (const s of split) expect(s.gsa.split("@")[0]).toMatch(GSA_ID);
    });

    it("lists the current roles to narrow, and gives each new account those roles marked TO NARROW", () => {
      const f = finding();
      expect(f.evidence.rolesToNarrow).toEqual([
        { resource: "project:shared-prod", role: "roles/pubsub.editor", condition: null },
        { resource: "project:shared-prod", role: "roles/storage.objectAdmin", condition: null },
      ]);
      expect(f.fixes[0]).toEqual({
        kind: "gcloud",
        title: "Split into 2 accounts, one per workload on its own KSA; each starts with the current roles, marked to narrow",
        content: [
          'gcloud iam service-accounts create wl-etl --project=shared-prod --display-name="etl (split from common-batch)"',
          'gcloud projects add-iam-policy-binding shared-prod \\',
          '  --role=roles/pubsub.editor --member="serviceAccount:wl-etl@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
          'gcloud projects add-iam-policy-binding shared-prod \\',
          '  --role=roles/storage.objectAdmin --member="serviceAccount:wl-etl@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
          "",
          'gcloud iam service-accounts create monthly-report-generator-for-f --project=shared-prod --display-name="monthly-report-generator-for-finance-team (split from common-batch)"',
          'gcloud projects add-iam-policy-binding shared-prod \\',
          '  --role=roles/pubsub.editor --member="serviceAccount:monthly-report-generator-for-f@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
          'gcloud projects add-iam-policy-binding shared-prod \\',
          '  --role=roles/storage.objectAdmin --member="serviceAccount:monthly-report-generator-for-f@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
        ].join("\n"),
      });
    });

    it("gives the article's Terraform module call for each new account with its one ns/ksa", () => {
      expect(finding().fixes.slice(1)).toEqual([
        {
          kind: "terraform",
          title: "Terraform (the article's module): every ns/ksa that may use wl-etl@shared-prod.iam.gserviceaccount.com",
          content:
            'module "wi_wl_etl" {\n  source   = "./modules/workload-identity"\n  gsa_id   = "projects/shared-prod/serviceAccounts/wl-etl@shared-prod.iam.gserviceaccount.com"\n  ksa_list = [\n    "etl/etl",\n  ]\n}\n',
        },
        {
          kind: "terraform",
          title: "Terraform (the article's module): every ns/ksa that may use monthly-report-generator-for-f@shared-prod.iam.gserviceaccount.com",
          content:
            'module "wi_monthly_report_generator_for_f" {\n  source   = "./modules/workload-identity"\n  gsa_id   = "projects/shared-prod/serviceAccounts/monthly-report-generator-for-f@shared-prod.iam.gserviceaccount.com"\n  ksa_list = [\n    "reports/reporter",\n  ]\n}\n',
        },
      ]);
    });
  });

  /**
   * Two clusters without Workload Identity each hold a copy of common-batch@'s key in
   * batch/common-batch-key, read by a CronJob that is itself named common-batch. The project sits in
   * folder 2001, whose policy gives common-batch@ roles/editor.
   */
  describe("the GSA's key copied into Secrets of two clusters", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(
        YAML.stringify({
          now: "2026-11-29T00:00:00Z",
          organization: { name: "organizations/111111111111", displayName: "example.test" },
          folders: [{ name: "folders/2001", displayName: "prod", iamPolicy: { bindings: [{ role: "roles/editor", members: [`serviceAccount:${COMMON}`] }] } }],
          projects: [
            {
              projectId: "shared-prod",
              projectNumber: "100000000001",
              parent: "folders/2001",
              serviceAccounts: [{ email: COMMON, keys: [{ keyId: K1, validAfterTime: "2019-12-23T03:00:00Z", validBeforeTime: "2029-12-20T03:00:00Z" }] }],
              clusters: [
                { cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] }, manifests: keyCopy() },
                { cluster: { name: "prod-osaka", location: "asia-northeast2-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] }, manifests: keyCopy() },
              ],
            },
          ],
        }),
      );
    });
    const finding = () => r.findings.find((f) => f.rule === RULE)!;

    it("fires, counting both key Secrets and both clusters", () => {
      expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${COMMON} open`]);
      const f = finding();
      expect(f.message).toBe(`${COMMON} is used from 2 namespaces in 2 clusters (0 KSAs, 2 key Secrets); shared-account score 42.`);
      expect(f.evidence.keySecrets).toEqual([
        "secret:shared-prod/asia-northeast1-a/prod/batch/common-batch-key",
        "secret:shared-prod/asia-northeast2-a/prod-osaka/batch/common-batch-key",
      ]);
      expect(f.evidence.clusters).toEqual(["cluster:shared-prod/asia-northeast1-a/prod", "cluster:shared-prod/asia-northeast2-a/prod-osaka"]);
      expect(f.evidence.rolesToNarrow).toEqual([{ resource: "folder:2001", role: "roles/editor", condition: null }]);
    });

    // Both clusters lack Workload Identity and will get shared-prod's pool: the same batch/common-batch in
    // both is one identity there, so the two CronJobs share one new GSA (a KSA carries one annotation).
    it("gives the same-named workloads of one future pool one new id, clear of the existing account, on a KSA named after them", () => {
      const split = finding().evidence.proposedSplit as { workload: string; gsa: string; ksa: string }[];
      expect(split).toEqual([
        {
          workload: "workload:shared-prod/asia-northeast1-a/prod/batch/CronJob/common-batch, workload:shared-prod/asia-northeast2-a/prod-osaka/batch/CronJob/common-batch",
          gsa: "common-batch-2@shared-prod.iam.gserviceaccount.com",
          ksa: "batch/common-batch",
        },
      ]);
      for (const s of split) expect(s.gsa.split("@")[0]).toMatch(GSA_ID);
      expect(finding().fixes.map((x) => x.kind)).toEqual(["gcloud", "terraform"]);
    });

    // A role held on a folder is granted on the folder (`gcloud projects … folder:2001` is no command).
    it("grants a role held on a folder with the folders command", () => {
      const content = finding().fixes[0].content;
      expect(content).not.toContain("gcloud projects add-iam-policy-binding");
      expect(content).toBe(
        [
          'gcloud iam service-accounts create common-batch-2 --project=shared-prod --display-name="common-batch (split from common-batch)"',
          "gcloud resource-manager folders add-iam-policy-binding 2001 \\",
          '  --role=roles/editor --member="serviceAccount:common-batch-2@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
        ].join("\n"),
      );
    });
  });

  describe("an account shared by 70 namespaces", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      const manifests = Array.from({ length: 70 }, (_, i) => [ksa(`team-${i}`, "app", COMMON), deployment(`team-${i}`, `app-${i}`, "app")]).flat();
      r = await analyzeEstate(
        YAML.stringify({
          now: "2026-11-29T00:00:00Z",
          organization: { name: "organizations/111111111111", displayName: "example.test" },
          projects: [
            {
              projectId: "shared-prod",
              projectNumber: "100000000001",
              iamPolicy: { bindings: [{ role: "roles/editor", members: [`serviceAccount:${COMMON}`] }] },
              serviceAccounts: [{ email: COMMON }],
              clusters: [wiCluster("prod", "asia-northeast1-a", manifests)],
            },
          ],
        }),
      );
    });

    it("writes the split commands out for the first 50 and names the other 20", () => {
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect((f.evidence.proposedSplit as unknown[]).length).toBe(70);
      expect(f.evidence.counts).toMatchObject({ ksas: 70, namespaces: 70, proposedSplit: 70 });
      const gcloud = f.fixes.find((x) => x.kind === "gcloud")!;
      expect(gcloud.title).toContain("Split into 70 accounts");
      expect(gcloud.title).toContain("commands for the first 50");
      expect(gcloud.content.match(/gcloud iam service-accounts create/g)!.length).toBe(50);
      expect(f.fixes.filter((x) => x.kind === "terraform").length).toBe(50);
      expect(f.fixes.at(-1)).toMatchObject({ kind: "note", title: "…and 20 more accounts" });
    });
  });
});
