import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";

const RULE = "gsa-unused";
const gsa = (id: string) => `${id}@idle-prod.iam.gserviceaccount.com`;
const CRAWLER = gsa("old-crawler"); // last authenticated 2026-05-01, nothing refers to it
const BUSY = gsa("busy-worker"); // authenticated two days ago
const API = gsa("api-server"); // old activity, but a KSA is annotated with it
const NODE = gsa("node-runner"); // old activity, but the node pool runs as it
const NEVER = gsa("never-used"); // no activity on record, nothing refers to it
const PA_GSA_SOURCE = "policyanalyzer.serviceAccountLastAuthentication:idle-prod";
const line = (email: string, state: string) => `${RULE} gsa:${email} ${state}`;

/** now is 2026-11-29T00:00:00Z. */
function estate(extra: { disabledApis?: string[]; faults?: unknown[] } = {}) {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "idle-prod",
        projectNumber: "100000000001",
        ...(extra.disabledApis ? { disabledApis: extra.disabledApis } : {}),
        serviceAccounts: [
          { email: CRAWLER, lastAuthenticatedTime: "2026-05-01T07:00:00Z" },
          { email: BUSY, lastAuthenticatedTime: "2026-11-27T07:00:00Z" },
          { email: API, lastAuthenticatedTime: "2026-05-01T07:00:00Z" },
          { email: NODE, lastAuthenticatedTime: "2026-05-01T07:00:00Z" },
          { email: NEVER },
        ],
        clusters: [
          {
            cluster: {
              name: "prod",
              location: "asia-northeast1-a",
              workloadIdentityConfig: { workloadPool: "idle-prod.svc.id.goog" },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { serviceAccount: NODE, workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api", namespace: "web", annotations: { "iam.gke.io/gcp-service-account": API } } }],
          },
        ],
      },
    ],
    faults: extra.faults ?? [],
  });
}

describe("gsa-unused", () => {
  it("is open for a GSA last used over 90 days ago that nothing refers to; recent use, a KSA annotation or a node pool keep a GSA off the list", async () => {
    const r = await analyzeEstate(estate());
    expect(findingLines(r, RULE)).toEqual([line(NEVER, "unverified"), line(CRAWLER, "open")]);

    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${CRAWLER}`)!;
    expect(f.severity).toBe("low");
    expect(f.gsa).toBe(CRAWLER);
    expect(f.project).toBe("idle-prod");
    expect(f.lacking).toBeUndefined();
    expect(f.message).toBe(`${CRAWLER} last authenticated on 2026-05-01; no KSA, key Secret or node pool uses it.`);
    expect(f.evidence).toEqual({ lastAuthenticatedTime: "2026-05-01T07:00:00Z", firstSeen: "2026-11-29T00:00:00.000Z", disabled: false });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Disable it, wait, then delete it",
        content: `gcloud iam service-accounts disable ${CRAWLER} --project=idle-prod\n# after a quiet period:\ngcloud iam service-accounts delete ${CRAWLER} --project=idle-prod`,
      },
    ]);
  });

  it("is unverified for a GSA with no activity on record that was first seen only now (IAM has no creation time)", async () => {
    const r = await analyzeEstate(estate());
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${NEVER}`)!;
    expect(f.state).toBe("unverified");
    // Every source answered: what is missing is the history before the account was first seen.
    expect(f.lacking).toEqual(["authentication history before 2026-11-29"]);
    expect(f.message).toBe(
      `${NEVER} has no authentication on record, but was first seen only on 2026-11-29 (IAM has no creation time): nothing uses it in the clusters scanned.`,
    );
    expect(f.evidence).toEqual({ lastAuthenticatedTime: null, firstSeen: "2026-11-29T00:00:00.000Z", disabled: false });
  });

  it("is open for a GSA with no activity on record first seen by a scan over 90 days ago", async () => {
    const r = await analyzeEstate(estate(), { firstSeen: new Map([[`gsa:${NEVER}`, new Date("2020-01-01")]]) });
    expect(findingLines(r, RULE)).toEqual([line(NEVER, "open"), line(CRAWLER, "open")]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${NEVER}`)!;
    expect(f.message).toBe(`${NEVER} has no authentication on record and was first seen on 2020-01-01; nothing uses it.`);
    expect(f.evidence).toEqual({ lastAuthenticatedTime: null, firstSeen: "2020-01-01T00:00:00.000Z", disabled: false });
    expect(f.fixes.map((x) => x.content)).toEqual([`gcloud iam service-accounts disable ${NEVER} --project=idle-prod\n# after a quiet period:\ngcloud iam service-accounts delete ${NEVER} --project=idle-prod`]);
  });

  it("is unverified, naming Policy Analyzer, for every GSA nothing refers to when the API is disabled in the project", async () => {
    const r = await analyzeEstate(estate({ disabledApis: ["policyanalyzer.googleapis.com"] }), { firstSeen: new Map([[`gsa:${NEVER}`, new Date("2020-01-01")]]) });
    expect(findingLines(r, RULE)).toEqual([line(BUSY, "unverified"), line(NEVER, "unverified"), line(CRAWLER, "unverified")]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${BUSY}`)!;
    expect(f.lacking).toEqual([PA_GSA_SOURCE]);
    expect(f.message).toBe(`${BUSY} has no authentication on record, but was first seen only on 2026-11-29 (IAM has no creation time): nothing uses it in the clusters scanned. Could not check: ${PA_GSA_SOURCE}.`);
    const never = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${NEVER}`)!;
    expect(never.lacking).toEqual([PA_GSA_SOURCE]);
    expect(never.message).toBe(`${NEVER} has no authentication on record and was first seen on 2020-01-01; nothing uses it. Could not check: ${PA_GSA_SOURCE}.`);
  });

  it("is unverified, naming the cluster's KSA list, when listing KSAs is forbidden (an annotation may be hiding there)", async () => {
    const r = await analyzeEstate(estate({ faults: [{ match: { path: "/clusters/idle-prod/asia-northeast1-a/prod/api/v1/serviceaccounts" }, status: 403 }] }));
    expect(findingLines(r, RULE)).toEqual([line(API, "unverified"), line(NEVER, "unverified"), line(CRAWLER, "unverified")]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${API}`)!;
    expect(f.lacking).toEqual(["k8s.serviceaccounts:idle-prod/asia-northeast1-a/prod"]);
    expect(f.message).toBe(
      `${API} last authenticated on 2026-05-01; no KSA, key Secret or node pool uses it. Could not check: k8s.serviceaccounts:idle-prod/asia-northeast1-a/prod.`,
    );
  });

  // Regression (fixed): the rule only counts the KSA lists of clusters it knows. When the project's cluster list
  // itself fails (container.clusters:idle-prod, 403), no cluster, node pool or KSA is known, nothing
  // is lacking, and api-server@ (annotated on web/api) and node-runner@ (the pool's node account)
  // come out "open" as unused — an absence asserted although the source that disproves it failed.
  // Expected: unverified, with container.clusters:idle-prod in `lacking` (bindings.ts's ksasInPool
  // already treats every project's container.clusters source this way).
  it("is unverified, naming the cluster list, when listing the project's clusters is forbidden", async () => {
    const r = await analyzeEstate(estate({ faults: [{ match: { path: "/v1/projects/idle-prod/locations/*/clusters" }, status: 403 }] }));
    expect(findingLines(r, RULE).filter((l) => l.endsWith(" open"))).toEqual([]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${API}`)!;
    expect(f.lacking).toContain("container.clusters:idle-prod");
  });
});
