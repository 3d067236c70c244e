import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "key-user-managed";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const EXPORTER = "report-exporter@keys-prod.iam.gserviceaccount.com";
const FRONTEND = "web-frontend@keys-prod.iam.gserviceaccount.com";
const K1 = "1111111111111111111111111111111111111111";
const K2 = "2222222222222222222222222222222222222222";
const K3 = "3333333333333333333333333333333333333333";
const S1 = "5555555555555555555555555555555555555555";
const S2 = "6666666666666666666666666666666666666666";
const D1 = "7777777777777777777777777777777777777777";
const D2 = "8888888888888888888888888888888888888888";
const RETIRED = "old-etl@keys-prod.iam.gserviceaccount.com";
const ROTATING = "uploader@keys-prod.iam.gserviceaccount.com";
const U1 = "9999999999999999999999999999999999999999";
const U2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

function keyFile(email: string, keyId: string): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "keys-prod",
    private_key_id: keyId,
    private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
    client_email: email,
  });
}

/**
 * keys-prod: batch-runner@ has two user-managed keys (one copied into a Secret) and a system-managed
 * one; report-exporter@ has one user-managed key; web-frontend@ has only a system-managed key, which
 * Google holds and rotates itself.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "keys-prod",
      projectNumber: "100000000001",
      serviceAccounts: [
        {
          email: RUNNER,
          keys: [
            { keyId: K1, validAfterTime: "2019-12-23T03:00:00Z", validBeforeTime: "2029-12-20T03:00:00Z", lastAuthenticatedTime: "2026-11-25T07:00:00Z" },
            { keyId: K2, validAfterTime: "2026-10-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
            { keyId: S1, keyType: "SYSTEM_MANAGED", validAfterTime: "2026-11-01T00:00:00Z", validBeforeTime: "2026-11-17T00:00:00Z" },
          ],
        },
        { email: EXPORTER, keys: [{ keyId: K3, validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
        { email: FRONTEND, keys: [{ keyId: S2, keyType: "SYSTEM_MANAGED", validAfterTime: "2026-11-01T00:00:00Z", validBeforeTime: "2026-11-17T00:00:00Z" }] },
        // Mid-rotation: the old key disabled, the new one in use.
        {
          email: ROTATING,
          keys: [
            { keyId: U1, validAfterTime: "2025-02-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", disabled: true },
            { keyId: U2, validAfterTime: "2026-11-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
          ],
        },
        // Keys disabled after the move to Workload Identity, left to see whether anything breaks.
        {
          email: RETIRED,
          keys: [
            { keyId: D1, validAfterTime: "2018-04-02T00:00:00Z", validBeforeTime: "2028-03-30T00:00:00Z", disabled: true },
            { keyId: D2, validAfterTime: "2020-07-15T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", disabled: true },
          ],
        },
      ],
      clusters: [
        {
          cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] },
          manifests: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "runner-key", namespace: "batch" }, type: "Opaque", stringData: { "key.json": keyFile(RUNNER, K1) } }],
        },
      ],
    },
  ],
});

describe("key-user-managed", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (email: string) => r.findings.find((f) => f.rule === RULE && f.subject === `gsa:${email}`)!;

  it("fires on each GSA with user-managed keys; system-managed keys never count", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${RUNNER} open`, `${RULE} gsa:${RETIRED} open`, `${RULE} gsa:${EXPORTER} open`, `${RULE} gsa:${ROTATING} open`]);
  });

  it("counts the user-managed keys, says how many sit in Secrets, and lists each with its dates and last use", () => {
    const f = finding(RUNNER);
    expect(f.severity).toBe("medium");
    expect(f.gsa).toBe(RUNNER);
    expect(f.project).toBe("keys-prod");
    expect(f.message).toBe(`${RUNNER} has 2 user-managed keys, 1 found in Kubernetes Secrets.`);
    expect(f.evidence).toEqual({
      keys: [
        { keyId: K1, created: "2019-12-23T03:00:00Z", expires: "2029-12-20T03:00:00Z", lastUsed: "2026-11-25T07:00:00Z", disabled: false },
        { keyId: K2, created: "2026-10-01T00:00:00Z", expires: "9999-12-31T23:59:59Z", lastUsed: null, disabled: false },
      ],
    });
  });

  it("disables then deletes exactly the user-managed keys, with the account and project filled in", () => {
    expect(finding(RUNNER).fixes).toEqual([
      {
        kind: "gcloud",
        title: "When no workload uses them any more: disable, watch for breakage, then delete",
        content: [
          `gcloud iam service-accounts keys disable ${K1} --iam-account=${RUNNER} --project=keys-prod`,
          `gcloud iam service-accounts keys disable ${K2} --iam-account=${RUNNER} --project=keys-prod`,
          "# after a quiet period:",
          `gcloud iam service-accounts keys delete ${K1} --iam-account=${RUNNER} --project=keys-prod`,
          `gcloud iam service-accounts keys delete ${K2} --iam-account=${RUNNER} --project=keys-prod`,
        ].join("\n"),
      },
    ]);
  });

  it("speaks of a single key in the singular, without a Secrets clause when no Secret holds it", () => {
    expect(finding(EXPORTER).message).toBe(`${EXPORTER} has 1 user-managed key.`);
  });

  // Disabling is the reversible half of removing a key: nothing authenticates with it, so there is
  // nothing to rotate, watch for expiry or disable — only the deletion is left, once nothing broke.
  it("says disabled keys are one step from deletion and gives only the delete commands for them", () => {
    const f = finding(RETIRED);
    expect(f.message).toBe(`${RETIRED} has 2 user-managed keys (all disabled: one step from deletion).`);
    expect((f.evidence.keys as { disabled: boolean }[]).map((k) => k.disabled)).toEqual([true, true]);
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Delete the disabled keys once nothing has broken since they were disabled (deleting cannot be undone; enabling can)",
        content: [`gcloud iam service-accounts keys delete ${D1} --iam-account=${RETIRED} --project=keys-prod`, `gcloud iam service-accounts keys delete ${D2} --iam-account=${RETIRED} --project=keys-prod`].join("\n"),
      },
    ]);
    for (const rule of ["key-not-rotated", "key-expiring", "key-unused"]) expect(findingLines(r, rule).filter((l) => l.includes(RETIRED)), rule).toEqual([]);
  });

  it("with enabled and disabled keys, disables-then-deletes the enabled ones and only deletes the disabled one", () => {
    const f = finding(ROTATING);
    expect(f.message).toBe(`${ROTATING} has 2 user-managed keys (1 disabled: one step from deletion).`);
    expect(f.fixes.map((x) => [x.title, x.content])).toEqual([
      [
        "When no workload uses them any more: disable, watch for breakage, then delete",
        [`gcloud iam service-accounts keys disable ${U2} --iam-account=${ROTATING} --project=keys-prod`, "# after a quiet period:", `gcloud iam service-accounts keys delete ${U2} --iam-account=${ROTATING} --project=keys-prod`].join("\n"),
      ],
      [
        "Delete the disabled key once nothing has broken since it was disabled (deleting cannot be undone; enabling can)",
        `gcloud iam service-accounts keys delete ${U1} --iam-account=${ROTATING} --project=keys-prod`,
      ],
    ]);
  });
});
