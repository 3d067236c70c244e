import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "key-in-secret";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const BILLING = "billing-worker@keys-prod.iam.gserviceaccount.com";
const K1 = "1111111111111111111111111111111111111111";
const K2 = "2222222222222222222222222222222222222222";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function keyFile(email: string, keyId: string): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "keys-prod",
    private_key_id: keyId,
    private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
    client_email: email,
  });
}

// `gcloud iam workload-identity-pools create-cred-config`: no key, only how to exchange a token.
const EXTERNAL_ACCOUNT = JSON.stringify({
  type: "external_account",
  audience: "//iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/aws-pool/providers/aws",
  subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${RUNNER}:generateAccessToken`,
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { environment_id: "aws1", regional_cred_verification_url: "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15" },
});

// `gcloud auth application-default login`: a person's refresh token.
const AUTHORIZED_USER = JSON.stringify({ type: "authorized_user", client_id: "764086051850.apps.googleusercontent.com", client_secret: "FAKE", refresh_token: "1//FAKE" });

// `gcloud auth application-default login --impersonate-service-account=…` with a key as the active
// account: the source credentials are that key (https://google.aip.dev/auth/4111).
const IMPERSONATED_BY_KEY = JSON.stringify({
  delegates: [],
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${BILLING}:generateAccessToken`,
  source_credentials: JSON.parse(keyFile(RUNNER, K1)),
  type: "impersonated_service_account",
});
// The same over a federation configuration: keyless.
const IMPERSONATED_BY_WIF = JSON.stringify({
  delegates: [],
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${BILLING}:generateAccessToken`,
  source_credentials: JSON.parse(EXTERNAL_ACCOUNT),
  type: "impersonated_service_account",
});
// Workforce Identity Federation: a person's refresh token.
const WORKFORCE_USER = JSON.stringify({
  type: "external_account_authorized_user",
  audience: "//iam.googleapis.com/locations/global/workforcePools/keys-staff/providers/okta",
  refresh_token: "FAKE",
  token_url: "https://sts.googleapis.com/v1/oauthtoken",
  token_info_url: "https://sts.googleapis.com/v1/introspect",
  client_id: "keys-staff",
  client_secret: "FAKE",
});

function secret(ns: string, name: string, body: { stringData?: Record<string, string>; data?: Record<string, string> }) {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "Opaque", ...body };
}

/** A CronJob reading its key file from the Secret `secretName`. */
function cronJobWithKey(ns: string, name: string, secretName: string) {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name, namespace: ns },
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
                  image: `gcr.io/keys-prod/${name}:1.0`,
                  env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" }],
                  volumeMounts: [{ name: "key", mountPath: "/var/secrets/google" }],
                },
              ],
              volumes: [{ name: "key", secret: { secretName } }],
            },
          },
        },
      },
    },
  };
}

/**
 * keys-prod/prod holds: batch/runner-key (a key file as downloaded, mounted by the `nightly`
 * CronJob); billing/billing-key (Terraform's `google_service_account_key.private_key`, itself base64,
 * put in `data` and so base64-encoded twice, mounted by nothing); dev/adc (a person's
 * authorized_user credentials); web/wif-config (an external_account file: no key in it) and
 * web/db-password (no credential at all).
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "keys-prod",
      projectNumber: "100000000001",
      serviceAccounts: [
        { email: RUNNER, keys: [{ keyId: K1, validAfterTime: "2025-12-23T03:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
        { email: BILLING, keys: [{ keyId: K2, validAfterTime: "2025-12-23T03:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
      ],
      clusters: [
        {
          cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] },
          manifests: [
            secret("batch", "runner-key", { stringData: { "key.json": keyFile(RUNNER, K1) } }),
            cronJobWithKey("batch", "nightly", "runner-key"),
            secret("billing", "billing-key", { data: { "credentials.json": b64(b64(keyFile(BILLING, K2))) } }),
            secret("dev", "adc", { stringData: { "application_default_credentials.json": AUTHORIZED_USER } }),
            secret("web", "wif-config", { stringData: { "credential-configuration.json": EXTERNAL_ACCOUNT } }),
            secret("web", "db-password", { stringData: { password: "hunter2hunter2" } }),
            secret("ci", "deployer-adc", { stringData: { "application_default_credentials.json": IMPERSONATED_BY_KEY } }),
            secret("ci", "deployer-wif", { stringData: { "application_default_credentials.json": IMPERSONATED_BY_WIF } }),
            secret("dev", "workforce-adc", { stringData: { "application_default_credentials.json": WORKFORCE_USER } }),
          ],
        },
      ],
    },
  ],
});

describe("key-in-secret", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on Secrets holding a key file (plain or Terraform's double base64) or user credentials; an external_account file or a password does not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} secret:keys-prod/asia-northeast1-a/prod/batch/runner-key open`,
      `${RULE} secret:keys-prod/asia-northeast1-a/prod/billing/billing-key open`,
      `${RULE} secret:keys-prod/asia-northeast1-a/prod/ci/deployer-adc open`,
      `${RULE} secret:keys-prod/asia-northeast1-a/prod/dev/adc open`,
      `${RULE} secret:keys-prod/asia-northeast1-a/prod/dev/workforce-adc open`,
    ]);
  });

  it("an impersonated_service_account file is a key when its source is one (its key id and account), keyless over a federation configuration; a workforce user's token is a person's", () => {
    const f = finding("secret:keys-prod/asia-northeast1-a/prod/ci/deployer-adc");
    expect(f.gsa).toBe(RUNNER);
    expect(f.message).toBe(`Secret ci/deployer-adc holds an impersonated_service_account file whose source is key ${K1} of ${RUNNER} (acting as ${BILLING}), mounted by no workload.`);
    expect(finding("secret:keys-prod/asia-northeast1-a/prod/dev/workforce-adc").message).toBe(
      "Secret dev/workforce-adc holds external_account_authorized_user credentials (a person's refresh token), mounted by no workload.",
    );
    expect(finding("secret:keys-prod/asia-northeast1-a/prod/ci/deployer-wif")).toBeUndefined();
  });

  it("names the key, its account and the workload mounting it, and deletes the Secret in the right context", () => {
    const f = finding("secret:keys-prod/asia-northeast1-a/prod/batch/runner-key");
    expect(f.severity).toBe("critical");
    expect(f.gsa).toBe(RUNNER);
    expect(f.cluster).toBe("cluster:keys-prod/asia-northeast1-a/prod");
    expect(f.namespace).toBe("batch");
    expect(f.message).toBe(`Secret batch/runner-key holds key ${K1} of ${RUNNER}, mounted by CronJob/nightly.`);
    expect(f.evidence).toEqual({
      credentials: [{ dataKey: "key.json", type: "service_account", clientEmail: RUNNER, keyId: K1, projectId: "keys-prod", encoding: "json", audience: null, impersonates: null, sourceType: null }],
      mountedBy: ["workload:keys-prod/asia-northeast1-a/prod/batch/CronJob/nightly"],
    });
    expect(f.fixes).toEqual([
      {
        kind: "kubectl",
        title: "Once the workloads use Workload Identity: delete the Secret",
        content: "kubectl --context gke_keys-prod_asia-northeast1-a_prod -n batch delete secret runner-key",
      },
    ]);
  });

  it("reads the key id and account through Terraform's extra base64 layer, and says nothing mounts it", () => {
    const f = finding("secret:keys-prod/asia-northeast1-a/prod/billing/billing-key");
    expect(f.gsa).toBe(BILLING);
    expect(f.message).toBe(`Secret billing/billing-key holds key ${K2} of ${BILLING}, mounted by no workload.`);
    expect(f.evidence).toEqual({
      credentials: [{ dataKey: "credentials.json", type: "service_account", clientEmail: BILLING, keyId: K2, projectId: "keys-prod", encoding: "base64-json", audience: null, impersonates: null, sourceType: null }],
      mountedBy: [],
    });
    expect(f.fixes.map((x) => x.content)).toEqual(["kubectl --context gke_keys-prod_asia-northeast1-a_prod -n billing delete secret billing-key"]);
  });

  it("reports authorized_user credentials without an account", () => {
    const f = finding("secret:keys-prod/asia-northeast1-a/prod/dev/adc");
    expect(f.gsa).toBeNull();
    expect(f.message).toBe("Secret dev/adc holds authorized_user credentials (a person's refresh token), mounted by no workload.");
  });
});
