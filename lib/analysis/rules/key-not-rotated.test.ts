import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "key-not-rotated";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const OLD = "1111111111111111111111111111111111111111"; // created 91 days before now
const FRESH = "2222222222222222222222222222222222222222"; // created 89 days before now
const SYSTEM = "3333333333333333333333333333333333333333"; // Google-managed, years old
const DISABLED = "4444444444444444444444444444444444444444"; // years old, disabled: awaiting deletion

/** now is 2026-11-29T00:00:00Z. */
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
            { keyId: OLD, validAfterTime: "2026-08-30T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
            { keyId: FRESH, validAfterTime: "2026-09-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
            { keyId: SYSTEM, keyType: "SYSTEM_MANAGED", validAfterTime: "2020-01-01T00:00:00Z", validBeforeTime: "2030-01-01T00:00:00Z" },
            { keyId: DISABLED, validAfterTime: "2019-03-01T00:00:00Z", validBeforeTime: "2029-02-26T00:00:00Z", disabled: true },
          ],
        },
      ],
    },
  ],
});

describe("key-not-rotated", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });

  // A disabled key is one step from deletion: rotating it would mean minting a new key to replace one
  // nothing can use. key-user-managed tells to delete it.
  it("fires on the user-managed key 91 days old, not on the one 89 days old, a system-managed key, nor a disabled one however old", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} key:${RUNNER}/${OLD} open`]);
  });

  it("gives its age and creation date, and the command that deletes it", () => {
    const f = r.findings.find((x) => x.rule === RULE)!;
    expect(f.severity).toBe("medium");
    expect(f.gsa).toBe(RUNNER);
    expect(f.project).toBe("keys-prod");
    expect(f.message).toBe(`Key ${OLD} of ${RUNNER} was created 91 days ago (2026-08-30).`);
    expect(f.evidence).toEqual({ validAfterTime: "2026-08-30T00:00:00Z", ageDays: 91 });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Replace its users with Workload Identity, then delete it",
        content: `gcloud iam service-accounts keys delete ${OLD} --iam-account=${RUNNER} --project=keys-prod`,
      },
    ]);
  });
});
