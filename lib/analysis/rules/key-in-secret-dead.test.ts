import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";

const RULE = "key-in-secret-dead";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const CRAWLER = "old-crawler@keys-prod.iam.gserviceaccount.com";
const VENDOR = "data-exporter@vendor-proj.iam.gserviceaccount.com";
const LIVE = "1111111111111111111111111111111111111111";
const ROTATED = "2222222222222222222222222222222222222222";
const ORPHAN = "3333333333333333333333333333333333333333";
const FOREIGN = "4444444444444444444444444444444444444444";
const SECRET = (name: string) => `secret:keys-prod/asia-northeast1-a/prod/batch/${name}`;

function keyFile(project: string, email: string, keyId: string): string {
  return JSON.stringify({
    type: "service_account",
    project_id: project,
    private_key_id: keyId,
    private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
    client_email: email,
  });
}

function secret(name: string, file: string) {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "batch" }, type: "Opaque", stringData: { "key.json": file } };
}

/**
 * keys-prod has one GSA, batch-runner@, with one live key. Its cluster's `batch` namespace holds
 * four key Secrets: the live key; a rotated-away key of batch-runner@ (deleted from IAM); a key of
 * old-crawler@ (the account itself deleted); and a key of vendor-proj, a project outside the scan.
 */
function estate(faults: { match: { path: string }; status: number }[] = []) {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "keys-prod",
        projectNumber: "100000000001",
        serviceAccounts: [{ email: RUNNER, keys: [{ keyId: LIVE, validAfterTime: "2025-12-23T03:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] }],
        clusters: [
          {
            cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] },
            manifests: [
              secret("live-key", keyFile("keys-prod", RUNNER, LIVE)),
              secret("rotated-key", keyFile("keys-prod", RUNNER, ROTATED)),
              secret("crawler-key", keyFile("keys-prod", CRAWLER, ORPHAN)),
              secret("vendor-key", keyFile("vendor-proj", VENDOR, FOREIGN)),
            ],
          },
        ],
      },
    ],
    faults,
  });
}

describe("key-in-secret-dead", () => {
  it("fires on the Secrets whose key or account is gone, is unverified for a project outside the scan, and leaves the live key alone", async () => {
    const r = await analyzeEstate(estate());
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} ${SECRET("crawler-key")} open`,
      `${RULE} ${SECRET("rotated-key")} open`,
      `${RULE} ${SECRET("vendor-key")} unverified`,
    ]);
    const by = (name: string) => r.findings.find((f) => f.rule === RULE && f.subject === SECRET(name))!;

    const rotated = by("rotated-key");
    expect(rotated.severity).toBe("medium");
    expect(rotated.gsa).toBe(RUNNER);
    expect(rotated.lacking).toBeUndefined();
    expect(rotated.message).toBe(`Secret batch/rotated-key holds key ${ROTATED} of ${RUNNER}, a key that no longer exists.`);
    expect(rotated.evidence).toEqual({ keyId: ROTATED, clientEmail: RUNNER, dataKey: "key.json", gsaExists: true });
    expect(rotated.fixes).toEqual([
      { kind: "kubectl", title: "Delete the dead Secret (and whatever still mounts it)", content: "kubectl --context gke_keys-prod_asia-northeast1-a_prod -n batch delete secret rotated-key" },
    ]);

    const crawler = by("crawler-key");
    expect(crawler.gsa).toBe(CRAWLER);
    expect(crawler.message).toBe(`Secret batch/crawler-key holds key ${ORPHAN} of ${CRAWLER}, an account that no longer exists.`);
    expect(crawler.evidence).toEqual({ keyId: ORPHAN, clientEmail: CRAWLER, dataKey: "key.json", gsaExists: false });
    expect(crawler.fixes.map((x) => x.content)).toEqual(["kubectl --context gke_keys-prod_asia-northeast1-a_prod -n batch delete secret crawler-key"]);

    const vendor = by("vendor-key");
    expect(vendor.lacking).toEqual(["project vendor-proj (not in the scan's scope)"]);
    expect(vendor.message).toBe(`Secret batch/vendor-key holds key ${FOREIGN} of ${VENDOR}, which could not be checked: project vendor-proj (not in the scan's scope).`);
  });

  it("is unverified for every key Secret of the project when listing its keys is forbidden", async () => {
    const r = await analyzeEstate(estate([{ match: { path: "/v1/projects/keys-prod/serviceAccounts/*/keys" }, status: 403 }]));
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} ${SECRET("crawler-key")} unverified`,
      `${RULE} ${SECRET("live-key")} unverified`,
      `${RULE} ${SECRET("rotated-key")} unverified`,
      `${RULE} ${SECRET("vendor-key")} unverified`,
    ]);
    const live = r.findings.find((f) => f.rule === RULE && f.subject === SECRET("live-key"))!;
    expect(live.lacking).toEqual(["iam.keys:keys-prod"]);
    expect(live.message).toBe(`Secret batch/live-key holds key ${LIVE} of ${RUNNER}, which could not be checked: iam.keys:keys-prod.`);
  });

  it("names both IAM sources when listing the project's service accounts is forbidden", async () => {
    const r = await analyzeEstate(estate([{ match: { path: "/v1/projects/keys-prod/serviceAccounts" }, status: 403 }]));
    const crawler = r.findings.find((f) => f.rule === RULE && f.subject === SECRET("crawler-key"))!;
    expect(crawler.state).toBe("unverified");
    expect(crawler.lacking).toEqual(["iam.serviceAccounts:keys-prod", "iam.keys:keys-prod"]);
    expect(findingLines(r, RULE).filter((l) => l.endsWith(" open"))).toEqual([]);
  });
});
