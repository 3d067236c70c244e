import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "workload-default-ksa";
const C = "proj-a/asia-northeast1-a/prod";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";
const BATCH_SA = "batch-runner@proj-a.iam.gserviceaccount.com";
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
 *  - shop/frontend names no KSA (so runs as shop/default);
 *  - batch/nightly, a CronJob, says `serviceAccountName: default` outright and still uses a key file;
 *  - shop/cart runs as its own KSA (the fixed version);
 *  - kube-system/dns-helper runs as default, but kube-system is GKE's.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      serviceAccounts: [
        { email: BATCH_SA, keys: [{ keyId: KEY_ID, validAfterTime: "2024-01-10T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
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

  it("fires on workloads running as default, named or implied; its own KSA and kube-system do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      `workload-default-ksa workload:${C}/batch/CronJob/nightly open`,
      `workload-default-ksa workload:${C}/shop/Deployment/frontend open`,
    ]);
  });

  it("shows the effective identity and gives a KSA named after the workload plus the patch that uses it", () => {
    const f = finding(`workload:${C}/shop/Deployment/frontend`);
    expect(f.severity).toBe("medium");
    expect(f.message).toBe("Deployment frontend runs as shop/default.");
    expect(f.evidence).toEqual({
      serviceAccountName: "default",
      effectiveIdentity: "principal://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/proj-a.svc.id.goog/subject/ns/shop/sa/default",
    });
    expect(f.fixes).toEqual([
      {
        kind: "kubernetes-yaml",
        title: "KSA shop/frontend annotated with GSA_EMAIL",
        content: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: frontend\n  namespace: shop\n  annotations:\n    iam.gke.io/gcp-service-account: GSA_EMAIL\n",
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

  it("fills the new KSA's annotation with the GSA of the key file the workload uses, and patches a CronJob's job template", () => {
    const f = finding(`workload:${C}/batch/CronJob/nightly`);
    expect(f.message).toBe("CronJob nightly runs as batch/default.");
    expect(f.evidence).toEqual({ serviceAccountName: "default", effectiveIdentity: BATCH_SA });
    expect(f.fixes.map((x) => x.title)).toEqual([`KSA batch/nightly annotated with ${BATCH_SA}`, "Patch CronJob batch/nightly: run as nightly on GKE-metadata nodes"]);
    expect(f.fixes[0].content).toContain(`iam.gke.io/gcp-service-account: ${BATCH_SA}\n`);
    expect(f.fixes[1].content).toBe(
      "# kubectl --context gke_proj-a_asia-northeast1-a_prod -n batch patch cronjob nightly --patch-file patch.yaml\n" +
        'spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          serviceAccountName: nightly\n          nodeSelector:\n            "iam.gke.io/gke-metadata-server-enabled": "true"\n',
    );
  });
});
