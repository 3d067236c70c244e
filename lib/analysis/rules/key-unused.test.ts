import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";

const RULE = "key-unused";
const RUNNER = "batch-runner@keys-prod.iam.gserviceaccount.com";
const STALE = "1111111111111111111111111111111111111111"; // old key, last used 2026-05-01
const NEVER = "2222222222222222222222222222222222222222"; // old key, no use on record
const ACTIVE = "3333333333333333333333333333333333333333"; // old key, used last week
const NEW = "4444444444444444444444444444444444444444"; // created 59 days ago, not used yet
const DISABLED = "5555555555555555555555555555555555555555"; // old, no use on record: disabled, awaiting deletion
const KEY = (id: string) => `key:${RUNNER}/${id}`;
const KEY_SOURCE = "policyanalyzer.serviceAccountKeyLastAuthentication:keys-prod";

/** now is 2026-11-29T00:00:00Z. */
function estate(extra: { disabledApis?: string[]; faults?: unknown[] } = {}) {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "keys-prod",
        projectNumber: "100000000001",
        ...(extra.disabledApis ? { disabledApis: extra.disabledApis } : {}),
        serviceAccounts: [
          {
            email: RUNNER,
            lastAuthenticatedTime: "2026-11-20T07:00:00Z",
            keys: [
              { keyId: STALE, validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", lastAuthenticatedTime: "2026-05-01T07:00:00Z" },
              { keyId: NEVER, validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
              { keyId: ACTIVE, validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", lastAuthenticatedTime: "2026-11-20T07:00:00Z" },
              { keyId: NEW, validAfterTime: "2026-10-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" },
              { keyId: DISABLED, validAfterTime: "2024-06-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", disabled: true },
            ],
          },
        ],
      },
    ],
    faults: extra.faults ?? [],
  });
}

describe("key-unused", () => {
  // A disabled key cannot authenticate: "not used" is no news about it, and "disable it" is done already.
  it("fires on keys older than 90 days whose last use is older than 90 days or absent; a recently used, recently created or disabled key does not fire", async () => {
    const r = await analyzeEstate(estate());
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KEY(STALE)} open`, `${RULE} ${KEY(NEVER)} open`]);
    const by = (id: string) => r.findings.find((f) => f.rule === RULE && f.subject === KEY(id))!;

    const stale = by(STALE);
    expect(stale.severity).toBe("low");
    expect(stale.gsa).toBe(RUNNER);
    expect(stale.lacking).toBeUndefined();
    expect(stale.message).toBe(`Key ${STALE} of ${RUNNER} last authenticated on 2026-05-01.`);
    expect(stale.evidence).toEqual({ lastAuthenticatedTime: "2026-05-01T07:00:00Z", validAfterTime: "2025-01-01T00:00:00Z" });
    expect(stale.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Disable it, watch for breakage, then delete it",
        content: `gcloud iam service-accounts keys disable ${STALE} --iam-account=${RUNNER} --project=keys-prod\ngcloud iam service-accounts keys delete ${STALE} --iam-account=${RUNNER} --project=keys-prod`,
      },
    ]);

    const never = by(NEVER);
    expect(never.message).toBe(`Key ${NEVER} of ${RUNNER} has no authentication on record.`);
    expect(never.evidence).toEqual({ lastAuthenticatedTime: null, validAfterTime: "2025-01-01T00:00:00Z" });
  });

  it("is unverified, naming Policy Analyzer's key activity, for every old key when the API is disabled in the project", async () => {
    const r = await analyzeEstate(estate({ disabledApis: ["policyanalyzer.googleapis.com"] }));
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KEY(STALE)} unverified`, `${RULE} ${KEY(NEVER)} unverified`, `${RULE} ${KEY(ACTIVE)} unverified`]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === KEY(ACTIVE))!;
    expect(f.lacking).toEqual([KEY_SOURCE]);
    expect(f.message).toBe(`Key ${ACTIVE} of ${RUNNER}: its last use cannot be told (${KEY_SOURCE}).`);
    expect(f.evidence).toEqual({ lastAuthenticatedTime: null, validAfterTime: "2025-01-01T00:00:00Z" });
  });

  it("is unverified when the key-activity query answers 403", async () => {
    const r = await analyzeEstate(
      estate({ faults: [{ match: { path: "/v1/projects/keys-prod/locations/global/activityTypes/serviceAccountKeyLastAuthentication/activities:query" }, status: 403 }] }),
    );
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KEY(STALE)} unverified`, `${RULE} ${KEY(NEVER)} unverified`, `${RULE} ${KEY(ACTIVE)} unverified`]);
    expect(r.findings.filter((f) => f.rule === RULE).map((f) => f.lacking)).toEqual([[KEY_SOURCE], [KEY_SOURCE], [KEY_SOURCE]]);
  });
});
