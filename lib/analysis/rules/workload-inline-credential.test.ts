import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "workload-inline-credential";
const C = "ci-prod/us-east1/build";
const DEPLOYER = "deployer@ci-prod.iam.gserviceaccount.com";
const K1 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE\n-----END RSA PRIVATE KEY-----\n";
const KEY = JSON.stringify({ type: "service_account", project_id: "ci-prod", private_key_id: K1, private_key: PEM, client_email: DEPLOYER, client_id: "1" });
const WIF = JSON.stringify({ type: "external_account", audience: "//iam.googleapis.com/projects/600000000001/locations/global/workloadIdentityPools/gh/providers/actions", subject_token_type: "urn:ietf:params:oauth:token-type:jwt", token_url: "https://sts.googleapis.com/v1/token", credential_source: { file: "/var/run/token" } });

const deploy = (name: string, env: { name: string; value: string }[]) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "ci" },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "runner", image: "ghcr.io/acme/runner:2", env }] } } },
});

/**
 * - `terraform`: GOOGLE_CREDENTIALS holds the key file (as Terraform's google provider reads it), in base64;
 * - `signer`: a PEM private key in SIGNING_KEY, and a key pasted into GOOGLE_APPLICATION_CREDENTIALS;
 * - `federated`: a federation configuration inline (no secret): low;
 * - `plain`: ordinary values only.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  projects: [
    {
      projectId: "ci-prod",
      projectNumber: "600000000001",
      serviceAccounts: [{ email: DEPLOYER, keys: [{ keyId: K1, validAfterTime: "2026-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] }],
      clusters: [
        {
          cluster: { name: "build", location: "us-east1", workloadIdentityConfig: { workloadPool: "ci-prod.svc.id.goog" }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
          manifests: [
            deploy("terraform", [{ name: "GOOGLE_CREDENTIALS", value: Buffer.from(KEY).toString("base64") }, { name: "TF_VAR_region", value: "us-east1" }]),
            deploy("signer", [{ name: "SIGNING_KEY", value: PEM }, { name: "GOOGLE_APPLICATION_CREDENTIALS", value: KEY }]),
            deploy("federated", [{ name: "GOOGLE_EXTERNAL_ACCOUNT", value: WIF }]),
            deploy("plain", [{ name: "DATABASE_URL", value: "postgres://app:s3cr3t-password@db/app" }]),
          ],
        },
      ],
    },
  ],
});

describe("workload-inline-credential", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });

  it("fires on a workload whose env holds a key file, a PEM private key or a credential configuration; never on ordinary values", () => {
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} workload:${C}/ci/Deployment/federated open (low)`,
      `${RULE} workload:${C}/ci/Deployment/signer open`,
      `${RULE} workload:${C}/ci/Deployment/terraform open`,
    ]);
  });

  it("names the workload, container, variable name and the key id and account — never the value", () => {
    const tf = r.findings.find((f) => f.rule === RULE && f.subject.endsWith("/terraform"))!;
    expect(tf.severity).toBe("critical");
    expect(tf.gsa).toBe(DEPLOYER);
    expect(tf.message).toBe(`Deployment terraform has key ${K1} of ${DEPLOYER} in GOOGLE_CREDENTIALS (container runner).`);
    expect(tf.fixes.map((f) => f.content)).toEqual(["kubectl --context gke_ci-prod_us-east1_build -n ci set env deployment/terraform -c runner GOOGLE_CREDENTIALS-"]);
    const signer = r.findings.find((f) => f.rule === RULE && f.subject.endsWith("/signer"))!;
    expect(signer.message).toBe(`Deployment signer has a PEM private key in SIGNING_KEY (container runner); key ${K1} of ${DEPLOYER} in GOOGLE_APPLICATION_CREDENTIALS (container runner).`);
    const text = JSON.stringify(r.findings);
    for (const m of ["MIIEFAKE", "PRIVATE KEY", "s3cr3t-password"]) expect(text).not.toContain(m);
  });

  it("a key pasted into GOOGLE_APPLICATION_CREDENTIALS is not a path: the key file is unknown, not a file named after the JSON", () => {
    const s = r.statuses.find((x) => x.name === "signer")!;
    expect(s.identity.shares.map((x) => [x.identity.type, "reason" in x.identity ? x.identity.reason : ""])).toEqual([
      ["unknown-key-file", "GOOGLE_APPLICATION_CREDENTIALS has a value that is not kept (it holds a credential, which is never kept)"],
    ]);
  });
});
