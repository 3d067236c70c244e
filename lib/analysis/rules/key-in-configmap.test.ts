import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "key-in-configmap";
const C = "ml-prod/europe-west4-a/train";
const TRAINER = "trainer@ml-prod.iam.gserviceaccount.com";
const K1 = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c";

const keyFile = JSON.stringify({
  type: "service_account",
  project_id: "ml-prod",
  private_key_id: K1,
  private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
  client_email: TRAINER,
  client_id: "1",
});

// Workload Identity Federation with an AWS provider, as `gcloud iam workload-identity-pools
// create-cred-config … --aws` writes it: no key, only how to exchange AWS credentials.
const AWS_CONFIG = JSON.stringify({
  universe_domain: "googleapis.com",
  type: "external_account",
  audience: "//iam.googleapis.com/projects/500000000001/locations/global/workloadIdentityPools/aws-eks/providers/eks-prod",
  subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${TRAINER}:generateAccessToken`,
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { environment_id: "aws1", region_url: "http://169.254.169.254/latest/meta-data/placement/availability-zone", url: "http://169.254.169.254/latest/meta-data/iam/security-credentials", regional_cred_verification_url: "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15" },
});

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ml" }, data });
const deploy = (name: string, file: string, cmName: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "ml" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: "app", image: "europe-docker.pkg.dev/ml-prod/ml/trainer:0.9", env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: `/etc/gcp/${file}` }], volumeMounts: [{ name: "gcp", mountPath: "/etc/gcp" }] }],
        volumes: [{ name: "gcp", configMap: { name: cmName } }],
      },
    },
  },
});

/**
 * - `trainer-sa` holds a service account key pasted into a ConfigMap (readable by the `view` role);
 * - `aws-wif` holds a federation configuration: no key;
 * - `unused-key` holds a key too, but no credential comes from it: the scanner never reads it.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  projects: [
    {
      projectId: "ml-prod",
      projectNumber: "500000000001",
      serviceAccounts: [{ email: TRAINER, keys: [{ keyId: K1, validAfterTime: "2026-03-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] }],
      clusters: [
        {
          cluster: { name: "train", location: "europe-west4-a", workloadIdentityConfig: { workloadPool: "ml-prod.svc.id.goog" }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
          manifests: [
            cm("trainer-sa", { "sa.json": keyFile }),
            cm("aws-wif", { "credential-configuration.json": AWS_CONFIG }),
            cm("unused-key", { "sa.json": keyFile }),
            deploy("trainer", "sa.json", "trainer-sa"),
            deploy("exporter", "credential-configuration.json", "aws-wif"),
          ],
        },
      ],
    },
  ],
});

describe("key-in-configmap", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });

  it("fires on a key in a ConfigMap a workload reads its credentials from; never on a federation configuration; never on one the scanner did not read", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} configmap:${C}/ml/trainer-sa open`]);
  });

  it("names the key, its account and the workload, with the fix in the cluster's context", () => {
    const f = r.findings.find((x) => x.rule === RULE)!;
    expect(f.severity).toBe("critical");
    expect(f.gsa).toBe(TRAINER);
    expect(f.message).toBe(`ConfigMap ml/trainer-sa holds key ${K1} of ${TRAINER}, mounted by Deployment/trainer.`);
    expect(f.fixes.map((x) => x.content)).toEqual([`kubectl --context gke_ml-prod_europe-west4-a_train -n ml edit configmap trainer-sa`]);
  });

  it("the workload on the federation configuration is keyless: no workload-uses-key-file", () => {
    expect(findingLines(r, "workload-uses-key-file")).toEqual([`workload-uses-key-file workload:${C}/ml/Deployment/trainer open`]);
    expect(r.statuses.find((s) => s.name === "exporter")!.identity.source).toBe("external-account");
  });
});
