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

/** The Secret `NS/common-batch-key` and a CronJob `JOB` (default KSA) reading it. */
function keyCopy(ns = "batch", job = "common-batch") {
  return [
    { apiVersion: "v1", kind: "Secret", metadata: { name: "common-batch-key", namespace: ns }, type: "Opaque", stringData: { "key.json": KEY_FILE } },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: job, namespace: ns },
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
      expect(f.message).toBe(`${COMMON} is used from 2 namespaces in 1 workload pool (2 KSA identities, 0 key Secrets); shared-account score 27.`);
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

    it("gives the article's Terraform module call for each new account with its one ns/ksa, then says the split resolves nothing until the workloads move", () => {
      expect(finding().fixes.slice(1, 3)).toEqual([
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
      expect(finding().fixes.slice(3).map((x) => [x.kind, x.title])).toEqual([["note", "Then move each workload onto its account, and narrow the roles"]]);
      expect(finding().fixes[3].content).toContain("Not proven by wi-atlas's tests: which roles each workload needs is yours to decide");
    });
  });

  const folderEstate = (osaka: unknown[]) =>
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
            { cluster: { name: "prod-osaka", location: "asia-northeast2-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] }, manifests: osaka },
          ],
        },
      ],
    });

  /**
   * Two clusters without Workload Identity each hold a copy of common-batch@'s key in
   * batch/common-batch-key, read by the same CronJob batch/common-batch: one app deployed twice. Each
   * cluster counts alone today, but once Workload Identity is on they share shared-prod's pool, where
   * batch/common-batch is one identity: the split would be one account — nothing to split.
   */
  describe("one app's key copied into Secrets of two clusters without a pool", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(folderEstate(keyCopy()));
    });

    it("does not fire: a split into one account is no split (key-in-secret speaks of the copies)", () => {
      expect(findingLines(r, RULE)).toEqual([]);
      expect(findingLines(r, "key-in-secret")).toEqual([
        "key-in-secret secret:shared-prod/asia-northeast1-a/prod/batch/common-batch-key open",
        "key-in-secret secret:shared-prod/asia-northeast2-a/prod-osaka/batch/common-batch-key open",
      ]);
    });

    it("counts each cluster without a pool alone in the score", () => {
      const u = r.usage.find((x) => x.email === COMMON)!;
      expect([u.pools, u.poolNamespaces, u.keyPlaces]).toEqual([
        ["cluster:shared-prod/asia-northeast1-a/prod", "cluster:shared-prod/asia-northeast2-a/prod-osaka"],
        ["cluster:shared-prod/asia-northeast1-a/prod/batch", "cluster:shared-prod/asia-northeast2-a/prod-osaka/batch"],
        ["cluster:shared-prod/asia-northeast1-a/prod/batch/common-batch-key", "cluster:shared-prod/asia-northeast2-a/prod-osaka/batch/common-batch-key"],
      ]);
      // 2 namespaces ×3 + 2 clusters without a pool ×5 + 1 project ×8 + 2 key Secrets ×4 + roles/editor ×10.
      expect(u.score).toBe(42);
    });
  });

  /**
   * The same two clusters, but Osaka's copy is read by another app in another namespace
   * (reporting/monthly-report): two users of one key. The project sits in folder 2001, whose policy
   * gives common-batch@ roles/editor.
   */
  describe("the GSA's key copied into Secrets of two apps in two clusters", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(folderEstate(keyCopy("reporting", "monthly-report")));
    });
    const finding = () => r.findings.find((f) => f.rule === RULE)!;

    it("fires, counting both key Secrets and both clusters", () => {
      expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${COMMON} open`]);
      const f = finding();
      expect(f.message).toBe(`${COMMON} is used from 2 namespaces in 2 clusters without a workload pool (0 KSA identities, 2 key Secrets); shared-account score 42.`);
      expect(f.evidence.keySecrets).toEqual([
        "secret:shared-prod/asia-northeast1-a/prod/batch/common-batch-key",
        "secret:shared-prod/asia-northeast2-a/prod-osaka/reporting/common-batch-key",
      ]);
      expect(f.evidence.clusters).toEqual(["cluster:shared-prod/asia-northeast1-a/prod", "cluster:shared-prod/asia-northeast2-a/prod-osaka"]);
      expect(f.evidence.rolesToNarrow).toEqual([{ resource: "folder:2001", role: "roles/editor", condition: null }]);
    });

    it("gives each app a new id, clear of the existing account, on a KSA named after it", () => {
      const split = finding().evidence.proposedSplit as { workload: string; gsa: string; ksa: string }[];
      expect(split).toEqual([
        { workload: "workload:shared-prod/asia-northeast1-a/prod/batch/CronJob/common-batch", gsa: "common-batch-2@shared-prod.iam.gserviceaccount.com", ksa: "batch/common-batch" },
        { workload: "workload:shared-prod/asia-northeast2-a/prod-osaka/reporting/CronJob/monthly-report", gsa: "monthly-report@shared-prod.iam.gserviceaccount.com", ksa: "reporting/monthly-report" },
      ]);
      for (const s of split) expect(s.gsa.split("@")[0]).toMatch(GSA_ID);
      expect(finding().fixes.map((x) => x.kind)).toEqual(["gcloud", "terraform", "terraform", "note"]);
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
          "",
          'gcloud iam service-accounts create monthly-report --project=shared-prod --display-name="monthly-report (split from common-batch)"',
          "gcloud resource-manager folders add-iam-policy-binding 2001 \\",
          '  --role=roles/editor --member="serviceAccount:monthly-report@shared-prod.iam.gserviceaccount.com"  # TO NARROW',
        ].join("\n"),
      );
    });
  });

  /**
   * A fleet: five clusters of fleet-prod share the workload pool fleet-prod.svc.id.goog and run the
   * same app, checkout/checkout on KSA checkout annotated with checkout@ — the way a platform team
   * deploys one app to every region. To IAM that is one identity, fleet-prod.svc.id.goog[checkout/checkout].
   */
  describe("one app in five clusters of a fleet", () => {
    const CHECKOUT = "checkout@fleet-prod.iam.gserviceaccount.com";
    const REGIONS = ["asia-northeast1", "asia-northeast2", "asia-southeast1", "europe-west1", "us-central1"];
    const fleet = (extra: unknown[] = []) =>
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: { name: "organizations/111111111111", displayName: "example.test" },
        projects: [
          {
            projectId: "fleet-prod",
            projectNumber: "100000000003",
            iamPolicy: { bindings: [{ role: "roles/pubsub.editor", members: [`serviceAccount:${CHECKOUT}`] }] },
            serviceAccounts: [{ email: CHECKOUT, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:fleet-prod.svc.id.goog[checkout/checkout]"] }] } }],
            clusters: REGIONS.map((region, i) => ({
              cluster: {
                name: `shop-${region}`,
                location: region,
                workloadIdentityConfig: { workloadPool: "fleet-prod.svc.id.goog" },
                nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
              },
              manifests: [ksa("checkout", "checkout", CHECKOUT), deployment("checkout", "checkout", "checkout"), ...(i === 0 ? extra : [])],
            })),
          },
        ],
      });

    it("is one user: gsa-shared does not fire, and the score counts one identity, one namespace, one pool", async () => {
      const r = await analyzeEstate(fleet());
      expect(findingLines(r, RULE)).toEqual([]);
      const u = r.usage.find((x) => x.email === CHECKOUT)!;
      expect([u.ksas.length, u.namespaces.length, u.clusters.length]).toEqual([5, 5, 5]);
      expect([u.identities, u.poolNamespaces, u.pools]).toEqual([["fleet-prod.svc.id.goog[checkout/checkout]"], ["fleet-prod.svc.id.goog/checkout"], ["fleet-prod.svc.id.goog"]]);
      expect(u.scoreParts.map((p) => [p.what, p.count, p.points])).toEqual([
        ["KSA identities annotated with it (pool + namespace + KSA)", 1, 1],
        ["namespaces using it (once per workload pool)", 1, 3],
        ["workload pools using it (a cluster without one counts alone)", 1, 5],
        ["projects of those pools and clusters", 1, 8],
      ]);
      expect(u.score).toBe(17);
    });

    it("fires when a second app in another namespace of the fleet uses it, splitting per identity: the fleet's app keeps one account", async () => {
      const r = await analyzeEstate(fleet([ksa("payments", "refunds", CHECKOUT), deployment("payments", "refunds", "refunds")]));
      expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${CHECKOUT} open`]);
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect(f.message).toBe(`${CHECKOUT} is used from 2 namespaces in 1 workload pool (2 KSA identities, 0 key Secrets; 5 clusters in all); shared-account score 21.`);
      expect((f.evidence.proposedSplit as { ksa: string }[]).map((x) => x.ksa)).toEqual(["checkout/checkout", "payments/refunds"]);
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
