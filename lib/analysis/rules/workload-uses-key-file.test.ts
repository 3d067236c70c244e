import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "workload-uses-key-file";
const C = "proj-a/asia-northeast1-a/prod";
const POOL = "proj-a.svc.id.goog";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";
const GAC = "GOOGLE_APPLICATION_CREDENTIALS";

const BATCH = { email: "batch-runner@proj-a.iam.gserviceaccount.com", keyId: "1111111111111111111111111111111111111111" };
const REPORT = { email: "report-writer@proj-a.iam.gserviceaccount.com", keyId: "2222222222222222222222222222222222222222" };
const INVOICE = { email: "invoice-signer@proj-a.iam.gserviceaccount.com", keyId: "3333333333333333333333333333333333333333" };
const ETL = { email: "etl-loader@proj-a.iam.gserviceaccount.com", keyId: "4444444444444444444444444444444444444444" };
const CART = "cart-api@proj-a.iam.gserviceaccount.com";

/** A key file as the console downloads it (the fields the scanner reads). */
const keyJson = (k: { email: string; keyId: string }) =>
  JSON.stringify({ type: "service_account", project_id: "proj-a", private_key_id: k.keyId, private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n", client_email: k.email });
const gsa = (k: { email: string; keyId: string }) => ({ email: k.email, keys: [{ keyId: k.keyId, validAfterTime: "2024-01-10T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] });
const secret = (ns: string, name: string, stringData: Record<string, string>) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "Opaque", stringData });
const ksa = (ns: string, name: string, annotation?: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(annotation ? { annotations: { "iam.gke.io/gcp-service-account": annotation } } : {}) },
});
const deployment = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { replicas: 1, template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { [GKE_MD]: "true" }, ...spec } } },
});

/**
 * One Workload Identity cluster on GKE-metadata nodes:
 *  - batch/uploader: the classic — GOOGLE_APPLICATION_CREDENTIALS as an env value, the key in a Secret volume (runs as default);
 *  - reports/monthly: the key file mounted alone with subPath, GOOGLE_APPLICATION_CREDENTIALS naming that file;
 *  - billing/invoicer: the key Secret mounted, but no GOOGLE_APPLICATION_CREDENTIALS;
 *  - etl/migrate: a Job whose init container uses the key, its main container not;
 *  - shop/cart: migrated — annotated KSA, no key (the fixed version);
 *  - shop/storefront: mounts a TLS Secret, which is no Google key;
 *  - partners/exporter: a Workload Identity Federation configuration (external_account) in a Secret: keyless;
 *  - partners/sync: GOOGLE_APPLICATION_CREDENTIALS may come from a ConfigMap that answered 403: unverified.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  faults: [{ match: { method: "GET", path: `/clusters/${C}/api/v1/namespaces/partners/configmaps/sync-env` }, status: 403 }],
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      serviceAccounts: [
        gsa(BATCH),
        gsa(REPORT),
        gsa(INVOICE),
        gsa(ETL),
        { email: CART, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`serviceAccount:${POOL}[shop/cart]`] }] } },
      ],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: POOL },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            secret("batch", "batch-key", { "key.json": keyJson(BATCH) }),
            deployment("batch", "uploader", {
              containers: [
                {
                  name: "uploader",
                  image: "gcr.io/proj-a/uploader:1.0",
                  env: [{ name: GAC, value: "/var/secrets/google/key.json" }],
                  volumeMounts: [{ name: "google-key", mountPath: "/var/secrets/google", readOnly: true }],
                },
              ],
              volumes: [{ name: "google-key", secret: { secretName: "batch-key" } }],
            }),

            ksa("reports", "monthly"),
            secret("reports", "reports-sa", { "sa.json": keyJson(REPORT) }),
            deployment("reports", "monthly", {
              serviceAccountName: "monthly",
              containers: [
                {
                  name: "report",
                  image: "gcr.io/proj-a/report:1.0",
                  env: [{ name: GAC, value: "/etc/gcp/sa.json" }],
                  volumeMounts: [{ name: "creds", mountPath: "/etc/gcp/sa.json", subPath: "sa.json", readOnly: true }],
                },
              ],
              volumes: [{ name: "creds", secret: { secretName: "reports-sa" } }],
            }),

            ksa("billing", "invoicer"),
            secret("billing", "billing-key", { "credentials.json": keyJson(INVOICE) }),
            deployment("billing", "invoicer", {
              serviceAccountName: "invoicer",
              containers: [{ name: "invoicer", image: "gcr.io/proj-a/invoicer:1.0", volumeMounts: [{ name: "key", mountPath: "/secrets", readOnly: true }] }],
              volumes: [{ name: "key", secret: { secretName: "billing-key" } }],
            }),

            ksa("etl", "migrate"),
            secret("etl", "etl-key", { "key.json": keyJson(ETL) }),
            {
              apiVersion: "batch/v1",
              kind: "Job",
              metadata: { name: "migrate", namespace: "etl" },
              spec: {
                template: {
                  spec: {
                    serviceAccountName: "migrate",
                    restartPolicy: "Never",
                    nodeSelector: { [GKE_MD]: "true" },
                    initContainers: [
                      {
                        name: "fetch-schema",
                        image: "gcr.io/proj-a/fetch:1.0",
                        env: [{ name: GAC, value: "/var/secrets/google/key.json" }],
                        volumeMounts: [{ name: "google-key", mountPath: "/var/secrets/google", readOnly: true }],
                      },
                    ],
                    containers: [{ name: "migrate", image: "gcr.io/proj-a/migrate:1.0" }],
                    volumes: [{ name: "google-key", secret: { secretName: "etl-key" } }],
                  },
                },
              },
            },

            ksa("shop", "cart", CART),
            deployment("shop", "cart", { serviceAccountName: "cart", containers: [{ name: "cart", image: "gcr.io/proj-a/cart:1.0" }] }),

            ksa("shop", "storefront"),
            secret("shop", "storefront-tls", {
              "tls.crt": "-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n",
              "tls.key": "-----BEGIN EC PRIVATE KEY-----\nFAKE\n-----END EC PRIVATE KEY-----\n",
            }),
            deployment("shop", "storefront", {
              serviceAccountName: "storefront",
              containers: [{ name: "web", image: "gcr.io/proj-a/storefront:1.0", volumeMounts: [{ name: "tls", mountPath: "/etc/tls", readOnly: true }] }],
              volumes: [{ name: "tls", secret: { secretName: "storefront-tls" } }],
            }),

            secret("partners", "wif-config", {
              "credential-configuration.json": JSON.stringify({
                type: "external_account",
                audience: "//iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/partners/providers/azure-prod",
                subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
                service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${CART}:generateAccessToken`,
                token_url: "https://sts.googleapis.com/v1/token",
                credential_source: { url: "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://partners", headers: { Metadata: "True" }, format: { type: "json", subject_token_field_name: "access_token" } },
              }),
            }),
            deployment("partners", "exporter", {
              containers: [
                {
                  name: "exporter",
                  image: "gcr.io/proj-a/exporter:1.0",
                  env: [{ name: GAC, value: "/etc/wif/credential-configuration.json" }],
                  volumeMounts: [{ name: "wif", mountPath: "/etc/wif", readOnly: true }],
                },
              ],
              volumes: [{ name: "wif", secret: { secretName: "wif-config" } }],
            }),
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "sync-env", namespace: "partners" }, data: { SYNC_INTERVAL: "60s" } },
            deployment("partners", "sync", { containers: [{ name: "sync", image: "gcr.io/proj-a/sync:1.0", envFrom: [{ configMapRef: { name: "sync-env" } }] }] }),
          ],
        },
      ],
    },
  ],
});

describe("workload-uses-key-file", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;
  const keyFile = (k: { email: string; keyId: string }, secret: string, dataKey: string, path: string, container: string) => ({
    type: "key-file",
    email: k.email,
    keyId: k.keyId,
    secret: `secret:${C}/${secret}`,
    dataKey,
    path,
    container,
    keyExists: true,
  });

  it("fires on workloads that use or mount a key file; a migrated workload and a non-Google Secret do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      `workload-uses-key-file workload:${C}/batch/Deployment/uploader open`,
      `workload-uses-key-file workload:${C}/billing/Deployment/invoicer open`,
      `workload-uses-key-file workload:${C}/etl/Job/migrate open`,
      `workload-uses-key-file workload:${C}/partners/Deployment/sync unverified`,
      `workload-uses-key-file workload:${C}/reports/Deployment/monthly open`,
    ]);
  });

  it("a workload whose GOOGLE_APPLICATION_CREDENTIALS may come from an unreadable ConfigMap is unverified, naming the source, with a check to run — not an open HIGH", () => {
    const f = finding(`workload:${C}/partners/Deployment/sync`);
    expect([f.state, f.lacking, f.gsa]).toEqual(["unverified", [`k8s.configmaps:${C}`], null]);
    expect(f.message).toBe(`Deployment sync may use a key file: ${GAC} may come from ConfigMap sync-env, which could not be read.`);
    expect(f.fixes.map((x) => x.content)).toEqual([`kubectl --context gke_${C.replaceAll("/", "_")} -n partners exec deployment/sync -- printenv ${GAC}`]);
  });

  it("a federation configuration (external_account) is no key: partners/exporter does not fire", () => {
    expect(r.findings.filter((f) => f.subject.endsWith("/partners/Deployment/exporter") && f.rule === RULE)).toEqual([]);
  });

  it("GOOGLE_APPLICATION_CREDENTIALS as an env value into a Secret volume: names the key, the GSA, the file and the Secret, and gives every migration step with real names", () => {
    const f = finding(`workload:${C}/batch/Deployment/uploader`);
    expect(f.severity).toBe("high");
    expect(f.message).toBe(`Deployment uploader uses key ${BATCH.keyId} of ${BATCH.email} (/var/secrets/google/key.json from Secret batch-key).`);
    expect(f.evidence).toEqual({
      used: [keyFile(BATCH, "batch/batch-key", "key.json", "/var/secrets/google/key.json", "uploader")],
      mountedSecrets: [`secret:${C}/batch/batch-key`],
    });
    expect(f.gsa).toBe(BATCH.email);
    // It runs as default, so the fixes create a KSA named after the workload.
    expect(f.fixes).toEqual([
      {
        kind: "kubernetes-yaml",
        title: `KSA batch/uploader annotated with ${BATCH.email}`,
        content: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: uploader\n  namespace: batch\n  annotations:\n    iam.gke.io/gcp-service-account: ${BATCH.email}\n`,
      },
      {
        kind: "terraform",
        title: `Terraform: let batch/uploader act as ${BATCH.email}`,
        content:
          'resource "google_service_account_iam_member" "batch_runner_batch_uploader_wi" {\n' +
          `  service_account_id = "projects/proj-a/serviceAccounts/${BATCH.email}"\n` +
          '  role               = "roles/iam.workloadIdentityUser"\n' +
          `  member             = "serviceAccount:${POOL}[batch/uploader]"\n}\n`,
      },
      {
        kind: "gcloud",
        title: `Grant roles/iam.workloadIdentityUser to ${POOL}[batch/uploader]`,
        content: `gcloud iam service-accounts add-iam-policy-binding ${BATCH.email} \\\n  --project=proj-a \\\n  --role=roles/iam.workloadIdentityUser \\\n  --member="serviceAccount:${POOL}[batch/uploader]"`,
      },
      {
        kind: "kubernetes-yaml",
        title: "Patch Deployment batch/uploader: run as uploader on GKE-metadata nodes",
        content:
          "# kubectl --context gke_proj-a_asia-northeast1-a_prod -n batch patch deployment uploader --patch-file patch.yaml\n" +
          'spec:\n  template:\n    spec:\n      serviceAccountName: uploader\n      nodeSelector:\n        "iam.gke.io/gke-metadata-server-enabled": "true"\n',
      },
      {
        kind: "kubectl",
        title: "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
        content: "kubectl --context gke_proj-a_asia-northeast1-a_prod -n batch edit deployment uploader\n# delete: env GOOGLE_APPLICATION_CREDENTIALS, volumeMounts/volumes for batch-key",
      },
    ]);
  });

  it("follows a subPath mount of the single key file to its Secret key", () => {
    const f = finding(`workload:${C}/reports/Deployment/monthly`);
    expect(f.message).toBe(`Deployment monthly uses key ${REPORT.keyId} of ${REPORT.email} (/etc/gcp/sa.json from Secret reports-sa).`);
    expect(f.evidence).toEqual({ used: [keyFile(REPORT, "reports/reports-sa", "sa.json", "/etc/gcp/sa.json", "report")], mountedSecrets: [`secret:${C}/reports/reports-sa`] });
    expect(f.fixes.map((x) => x.title)).toEqual([
      `KSA reports/monthly annotated with ${REPORT.email}`,
      `Terraform: let reports/monthly act as ${REPORT.email}`,
      `Grant roles/iam.workloadIdentityUser to ${POOL}[reports/monthly]`,
      "Patch Deployment reports/monthly: run as monthly on GKE-metadata nodes",
      "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
    ]);
    expect(f.fixes[4].content).toBe("kubectl --context gke_proj-a_asia-northeast1-a_prod -n reports edit deployment monthly\n# delete: env GOOGLE_APPLICATION_CREDENTIALS, volumeMounts/volumes for reports-sa");
  });

  it("a key Secret mounted without GOOGLE_APPLICATION_CREDENTIALS still fires: the application may load it", () => {
    const f = finding(`workload:${C}/billing/Deployment/invoicer`);
    expect(f.message).toBe("Deployment invoicer mounts billing-key, which holds a Google key (GOOGLE_APPLICATION_CREDENTIALS is not set, but the application may load it).");
    expect(f.evidence).toEqual({ used: [], mountedSecrets: [`secret:${C}/billing/billing-key`] });
    expect(f.fixes).toEqual([
      {
        kind: "kubectl",
        title: "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
        content: "kubectl --context gke_proj-a_asia-northeast1-a_prod -n billing edit deployment invoicer\n# delete: env GOOGLE_APPLICATION_CREDENTIALS, volumeMounts/volumes for billing-key",
      },
    ]);
  });

  it("a key used only by an init container fires, naming that container", () => {
    const f = finding(`workload:${C}/etl/Job/migrate`);
    expect(f.message).toBe(`Job migrate uses key ${ETL.keyId} of ${ETL.email} (/var/secrets/google/key.json from Secret etl-key).`);
    expect(f.evidence).toEqual({ used: [keyFile(ETL, "etl/etl-key", "key.json", "/var/secrets/google/key.json", "fetch-schema")], mountedSecrets: [`secret:${C}/etl/etl-key`] });
    expect(f.gsa).toBe(ETL.email);
    expect(f.fixes.map((x) => x.title)).toEqual([
      `KSA etl/migrate annotated with ${ETL.email}`,
      `Terraform: let etl/migrate act as ${ETL.email}`,
      `Grant roles/iam.workloadIdentityUser to ${POOL}[etl/migrate]`,
      "Patch Job etl/migrate: run as migrate on GKE-metadata nodes",
      "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
    ]);
  });
});
