import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "key-expiring";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const SOON = "1111111111111111111111111111111111111111"; // expires in 30 days, copied into a Secret
const EXPIRED = "2222222222222222222222222222222222222222"; // expired 57 days ago
const NEVER = "3333333333333333333333333333333333333333"; // Google's "no expiry"
const LATER = "4444444444444444444444444444444444444444"; // expires in 200 days
const DAY_90 = "5555555555555555555555555555555555555555"; // expires in exactly 90 days
const DAY_91 = "6666666666666666666666666666666666666666"; // expires in 91 days
const DISABLED = "7777777777777777777777777777777777777777"; // expires in 10 days, but disabled: nothing can use it
const KEY = (id: string) => `key:${RUNNER}/${id}`;

function key(keyId: string, validBeforeTime: string) {
  return { keyId, validAfterTime: "2016-12-19T00:00:00Z", validBeforeTime };
}

const KEY_FILE = JSON.stringify({
  type: "service_account",
  project_id: "keys-prod",
  private_key_id: SOON,
  private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
  client_email: RUNNER,
});

/** now is 2026-11-29T00:00:00Z; batch-runner@ holds keys expiring at every distance from it. */
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
            key(SOON, "2026-12-29T00:00:00Z"),
            key(EXPIRED, "2026-10-03T00:00:00Z"),
            key(NEVER, "9999-12-31T23:59:59Z"),
            key(LATER, "2027-06-17T00:00:00Z"),
            key(DAY_90, "2027-02-27T00:00:00Z"),
            key(DAY_91, "2027-02-28T00:00:00Z"),
            { ...key(DISABLED, "2026-12-09T00:00:00Z"), disabled: true },
          ],
        },
      ],
      clusters: [
        {
          cluster: { name: "prod", location: "asia-northeast1-a", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] },
          manifests: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "runner-key", namespace: "batch" }, type: "Opaque", stringData: { "key.json": KEY_FILE } }],
        },
      ],
    },
  ],
});

describe("key-expiring", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (id: string) => r.findings.find((f) => f.rule === RULE && f.subject === KEY(id))!;

  // The ten-year cliff stops nothing that a disabled key serves: it is one step from deletion (key-user-managed).
  it("fires on keys expiring within 90 days (90 included) and on expired ones; no-expiry, 91-day, 200-day and disabled keys do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KEY(SOON)} open`, `${RULE} ${KEY(EXPIRED)} open`, `${RULE} ${KEY(DAY_90)} open`]);
  });

  it("gives the date and days left, and points to the Secret that holds the key", () => {
    const f = finding(SOON);
    expect(f.severity).toBe("high");
    expect(f.gsa).toBe(RUNNER);
    expect(f.project).toBe("keys-prod");
    expect(f.message).toBe(`Key ${SOON} of ${RUNNER} expires on 2026-12-29, in 30 days.`);
    expect(f.evidence).toEqual({
      validAfterTime: "2016-12-19T00:00:00Z",
      validBeforeTime: "2026-12-29T00:00:00Z",
      daysLeft: 30,
      inSecrets: ["secret:keys-prod/asia-northeast1-a/prod/batch/runner-key"],
    });
    expect(f.fixes).toEqual([
      {
        kind: "note",
        title: "Move its users to Workload Identity before the date; do not mint another ten-year key",
        content: "It sits in secret:keys-prod/asia-northeast1-a/prod/batch/runner-key: see key-in-secret.",
      },
    ]);
  });

  it("says when an expired key expired, and where to look for its users when no Secret holds it", () => {
    const f = finding(EXPIRED);
    expect(f.message).toBe(`Key ${EXPIRED} of ${RUNNER} expired on 2026-10-03.`);
    expect(f.evidence).toEqual({ validAfterTime: "2016-12-19T00:00:00Z", validBeforeTime: "2026-10-03T00:00:00Z", daysLeft: -57, inSecrets: [] });
    expect(f.fixes.map((x) => x.content)).toEqual(["No Secret of the scanned clusters holds it; find its users with key-unused / Policy Analyzer."]);
  });

  it("counts a key 90 days from expiry as expiring", () => {
    expect(finding(DAY_90).message).toBe(`Key ${DAY_90} of ${RUNNER} expires on 2027-02-27, in 90 days.`);
  });
});
