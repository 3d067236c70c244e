import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";
import { rule } from "./workload-default-ksa";

const RULE = "workload-default-ksa";
const C = "proj-a/asia-northeast1-a/prod";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";
const BATCH_SA = "batch-runner@proj-a.iam.gserviceaccount.com";
const LEDGER_SA = "ledger@proj-a.iam.gserviceaccount.com";
const QUEUE_SA = "queue-consumer@proj-a.iam.gserviceaccount.com";
const TOOLS_SA = "tools@proj-a.iam.gserviceaccount.com";
const POOL_SET = "principalSet://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/proj-a.svc.id.goog";
const principalOf = (ns: string, ksa: string) =>
  `principal://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/proj-a.svc.id.goog/subject/ns/${ns}/sa/${ksa}`;
const KEY_ID = "0123456789abcdef0123456789abcdef01234567";
const KEY_JSON = JSON.stringify({
  type: "service_account",
  project_id: "proj-a",
  private_key_id: KEY_ID,
  private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
  client_email: BATCH_SA,
});

const podSpec = (name: string, extra: Record<string, unknown> = {}) => ({
  nodeSelector: { [GKE_MD]: "true" },
  containers: [{ name, image: `gcr.io/proj-a/${name}:1.0` }],
  ...extra,
});
const deployment = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { replicas: 1, template: { metadata: { labels: { app: name } }, spec } },
});

/**
 * One Workload Identity cluster, all on GKE-metadata nodes:
 *  - shop/frontend names no KSA (so runs as shop/default), which nobody annotated or granted: it needs
 *    no Google identity — a latent risk only (low);
 *  - batch/nightly, a CronJob, says `serviceAccountName: default` outright and still uses a key file;
 *  - shop/cart runs as its own KSA (the fixed version);
 *  - kube-system/dns-helper runs as default, but kube-system is GKE's;
 *  - payments/ledger runs as payments/default, which is annotated with ledger@ (bound: it works);
 *  - reports/exporter runs as reports/default, which holds a role straight on the project (principal://);
 *  - queue/consumer runs as queue/default, which queue-consumer@ grants workloadIdentityUser (no annotation);
 *  - tools/cli runs as tools/default, covered by a namespace-wide principalSet on tools@.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      iamPolicy: { bindings: [{ role: "roles/bigquery.dataViewer", members: [principalOf("reports", "default")] }] },
      serviceAccounts: [
        { email: BATCH_SA, keys: [{ keyId: KEY_ID, validAfterTime: "2024-01-10T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
        { email: LEDGER_SA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:proj-a.svc.id.goog[payments/default]"] }] } },
        { email: QUEUE_SA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:proj-a.svc.id.goog[queue/default]"] }] } },
        { email: TOOLS_SA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`${POOL_SET}/namespace/tools`] }] } },
      ],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "cart", namespace: "shop" } },
            deployment("shop", "frontend", podSpec("frontend")),
            deployment("shop", "cart", podSpec("cart", { serviceAccountName: "cart" })),
            deployment("kube-system", "dns-helper", podSpec("dns-helper")),
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "payments", annotations: { "iam.gke.io/gcp-service-account": LEDGER_SA } } },
            deployment("payments", "ledger", podSpec("ledger")),
            deployment("reports", "exporter", podSpec("exporter")),
            deployment("queue", "consumer", podSpec("consumer")),
            deployment("tools", "cli", podSpec("cli")),
            { apiVersion: "v1", kind: "Secret", metadata: { name: "batch-key", namespace: "batch" }, type: "Opaque", stringData: { "key.json": KEY_JSON } },
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
                        serviceAccountName: "default",
                        restartPolicy: "OnFailure",
                        nodeSelector: { [GKE_MD]: "true" },
                        containers: [
                          {
                            name: "job",
                            image: "gcr.io/proj-a/batch:1.0",
                            env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" }],
                            volumeMounts: [{ name: "key", mountPath: "/var/secrets/google", readOnly: true }],
                          },
                        ],
                        volumes: [{ name: "key", secret: { secretName: "batch-key" } }],
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

describe("workload-default-ksa", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on workloads running as default, named or implied, at low where nothing is handed out; its own KSA and kube-system do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      `workload-default-ksa workload:${C}/batch/CronJob/nightly open`,
      `workload-default-ksa workload:${C}/payments/Deployment/ledger open`,
      `workload-default-ksa workload:${C}/queue/Deployment/consumer open`,
      `workload-default-ksa workload:${C}/reports/Deployment/exporter open`,
      `workload-default-ksa workload:${C}/shop/Deployment/frontend open (low)`,
      `workload-default-ksa workload:${C}/tools/Deployment/cli open`,
    ]);
  });

  // Nothing to hand out yet: the namespace's default KSA is not annotated, holds no grant, and the
  // workload needs no Google identity (it is counted as done). The fix is a KSA of its own, with no GSA.
  it("is low for a workload needing no Google identity on an unannotated, ungranted default, and proposes a KSA of its own with no GSA", () => {
    const f = finding(`workload:${C}/shop/Deployment/frontend`);
    expect(f.severity).toBe("low");
    expect(f.message).toBe(
      "Deployment frontend runs as shop/default, which is not annotated and holds no grant, and the workload holds no legacy path: nothing is handed out yet (low). Annotating or granting default later would give it to every workload of the namespace.",
    );
    expect(f.evidence).toEqual({
      serviceAccountName: "default",
      effectiveIdentity: principalOf("shop", "default"),
      migration: "no-google-identity-needed",
      liveRisk: [],
    });
    expect(f.fixes).toEqual([
      {
        kind: "kubernetes-yaml",
        title: "KSA shop/frontend of its own, with no GSA (it needs no Google identity)",
        content: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: frontend\n  namespace: shop\n",
      },
      {
        kind: "kubernetes-yaml",
        title: "Patch Deployment shop/frontend: run as frontend on GKE-metadata nodes",
        content:
          "# kubectl --context gke_proj-a_asia-northeast1-a_prod -n shop patch deployment frontend --patch-file patch.yaml\n" +
          'spec:\n  template:\n    spec:\n      serviceAccountName: frontend\n      nodeSelector:\n        "iam.gke.io/gke-metadata-server-enabled": "true"\n',
      },
    ]);
  });

  it("stays medium when the workload still holds a legacy path, fills the new KSA's annotation with its key's GSA, and patches a CronJob's job template", () => {
    const f = finding(`workload:${C}/batch/CronJob/nightly`);
    expect(f.severity).toBe("medium");
    expect(f.message).toBe(`CronJob nightly runs as batch/default: its pods still hold a legacy path (key file: key ${KEY_ID} of ${BATCH_SA} from Secret batch-key).`);
    expect(f.evidence).toMatchObject({ serviceAccountName: "default", effectiveIdentity: BATCH_SA, migration: "to-migrate" });
    expect(f.fixes.map((x) => x.title)).toEqual([
      `KSA batch/nightly annotated with ${BATCH_SA}`,
      `Terraform: let batch/nightly act as ${BATCH_SA}`,
      "Grant roles/iam.workloadIdentityUser to proj-a.svc.id.goog[batch/nightly]",
      "Patch CronJob batch/nightly: run as nightly on GKE-metadata nodes",
    ]);
    expect(f.fixes[0].content).toContain(`iam.gke.io/gcp-service-account: ${BATCH_SA}\n`);
    expect(f.fixes[3].content).toBe(
      "# kubectl --context gke_proj-a_asia-northeast1-a_prod -n batch patch cronjob nightly --patch-file patch.yaml\n" +
        'spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          serviceAccountName: nightly\n          nodeSelector:\n            "iam.gke.io/gke-metadata-server-enabled": "true"\n',
    );
  });

  it("stays medium when the default KSA is annotated (its GSA moves to the workload's own KSA) or granted — a token role on a GSA, a role straight to its principal, or a namespace principalSet", () => {
    const view = (name: string, ns: string) => {
      const f = finding(`workload:${C}/${ns}/Deployment/${name}`);
      return [f.severity, f.message, f.fixes[0].title];
    };
    expect(view("ledger", "payments")).toEqual([
      "medium",
      `Deployment ledger runs as payments/default: payments/default is annotated with ${LEDGER_SA}; granted roles/iam.workloadIdentityUser on gsa:${LEDGER_SA} to serviceAccount:proj-a.svc.id.goog[payments/default].`,
      `KSA payments/ledger annotated with ${LEDGER_SA}`,
    ]);
    expect(view("exporter", "reports")).toEqual([
      "medium",
      `Deployment exporter runs as reports/default: granted roles/bigquery.dataViewer on project:proj-a to ${principalOf("reports", "default")}.`,
      "KSA reports/exporter of its own, with no GSA (it needs no Google identity)",
    ]);
    expect(view("consumer", "queue")).toEqual([
      "medium",
      `Deployment consumer runs as queue/default: granted roles/iam.workloadIdentityUser on gsa:${QUEUE_SA} to serviceAccount:proj-a.svc.id.goog[queue/default]; its pods still hold a legacy path (half a Workload Identity link: ${QUEUE_SA} grants it workloadIdentityUser, but its KSA is not annotated).`,
      "KSA queue/consumer annotated with GSA_EMAIL",
    ]);
    expect(view("cli", "tools")).toEqual([
      "medium",
      `Deployment cli runs as tools/default: granted roles/iam.workloadIdentityUser on gsa:${TOOLS_SA} to ${POOL_SET}/namespace/tools.`,
      // Not annotated, cli itself does not act as tools@ (needs no Google identity): no GSA for its own KSA either.
      "KSA tools/cli of its own, with no GSA (it needs no Google identity)",
    ]);
  });

  // payments/ledger works today through payments/default's link: its own KSA is a new identity, so
  // patching it first would make every token request fail with 403 until the binding exists.
  it("binds the workload's own KSA before the patch that moves it off an annotated default, so a working link never breaks", () => {
    const f = finding(`workload:${C}/payments/Deployment/ledger`);
    expect(f.fixes.map((x) => [x.kind, x.title])).toEqual([
      ["kubernetes-yaml", `KSA payments/ledger annotated with ${LEDGER_SA}`],
      ["terraform", `Terraform: let payments/ledger act as ${LEDGER_SA}`],
      ["gcloud", "Grant roles/iam.workloadIdentityUser to proj-a.svc.id.goog[payments/ledger]"],
      ["kubernetes-yaml", "Patch Deployment payments/ledger: run as ledger on GKE-metadata nodes"],
    ]);
    expect(f.fixes[2].content).toContain('--member="serviceAccount:proj-a.svc.id.goog[payments/ledger]"');
  });

  // reports/exporter is on its own principal already (federated, done): no GSA to introduce. Its roles
  // follow it to its own KSA's principal; default's are left for whoever else in the namespace needs them.
  it("moves the roles a granted default KSA holds to the workload's own principal, without removing default's", () => {
    const f = finding(`workload:${C}/reports/Deployment/exporter`);
    expect(f.evidence).toMatchObject({ migration: "federated" });
    expect(f.fixes[2]).toEqual({
      kind: "gcloud",
      title: "Give reports/exporter's own principal the roles reports/default holds",
      content: [
        "gcloud projects add-iam-policy-binding proj-a \\",
        `  --role=roles/bigquery.dataViewer --member="${principalOf("reports", "exporter")}"`,
        "# then, once no other workload of reports runs as default and needs them, remove them from reports/default's principal",
      ].join("\n"),
    });
  });

  it("declares medium as the rule's severity, with the condition for low shown in the rule table", () => {
    expect(rule.severity).toBe("medium");
    expect(rule.severityNote).toBe("low when the default KSA is not annotated, not granted, and the workload holds no legacy path");
  });
});
