import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "binding-stale";
const PROD = "proj-a/asia-northeast1-a/prod";
const DR = "proj-a/asia-northeast2-a/dr";
const POOL = "proj-a.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";

const PAYMENTS = "payments-api@proj-a.iam.gserviceaccount.com";
const LEDGER = "ledger@proj-a.iam.gserviceaccount.com";
const CHECKOUT = "checkout@proj-a.iam.gserviceaccount.com";
const PARTNER = "partner-sync@proj-a.iam.gserviceaccount.com";
const CROSS = "cross-fleet@proj-a.iam.gserviceaccount.com";

const member = (pool: string, ns: string, ksa: string) => `serviceAccount:${pool}[${ns}/${ksa}]`;
const grants = (...members: string[]) => ({ bindings: [{ role: WI_USER, members }] });
const ksa = (ns: string, name: string, annotation: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": annotation } },
});
const wiCluster = (name: string, location: string, pool: string) => ({
  name,
  location,
  workloadIdentityConfig: { workloadPool: pool },
  nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
});

/**
 * prod and dr share the pool proj-a.svc.id.goog (a fleet); proj-b has its own cluster and pool.
 *  - payments-api@ grants payments/payments-api (in prod) and payments/refund-worker (in no cluster): stale;
 *  - ledger@ grants payments/ledger, which exists only in dr — another cluster of the pool: not stale;
 *  - checkout@ grants shop/checkout, in prod (the fixed version);
 *  - partner-sync@ grants a KSA in other-proj's pool, a project outside the scan: cannot be ruled out;
 *  - cross-fleet@ grants a missing KSA in each of the two pools.
 */
function estate(faults: unknown[] = []): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "proj-a",
        projectNumber: "100000000001",
        serviceAccounts: [
          { email: PAYMENTS, iamPolicy: grants(member(POOL, "payments", "payments-api"), member(POOL, "payments", "refund-worker")) },
          { email: LEDGER, iamPolicy: grants(member(POOL, "payments", "ledger")) },
          { email: CHECKOUT, iamPolicy: grants(member(POOL, "shop", "checkout")) },
          { email: PARTNER, iamPolicy: grants(member("other-proj.svc.id.goog", "sync", "partner")) },
          { email: CROSS, iamPolicy: grants(member(POOL, "jobs", "gone"), member("proj-b.svc.id.goog", "jobs", "gone-too")) },
        ],
        clusters: [
          { cluster: wiCluster("prod", "asia-northeast1-a", POOL), manifests: [ksa("payments", "payments-api", PAYMENTS), ksa("shop", "checkout", CHECKOUT)] },
          { cluster: wiCluster("dr", "asia-northeast2-a", POOL), manifests: [ksa("payments", "payments-api", PAYMENTS), ksa("payments", "ledger", LEDGER)] },
        ],
      },
      { projectId: "proj-b", projectNumber: "100000000002", clusters: [{ cluster: wiCluster("jobs", "asia-northeast1-b", "proj-b.svc.id.goog") }] },
    ],
    faults,
  });
}

describe("binding-stale", () => {
  describe("with every source read", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate());
    });
    const finding = (gsa: string) => r.findings.find((f) => f.rule === RULE && f.subject === `gsa:${gsa}`)!;

    it("fires on GSAs granting a KSA that exists in no cluster of the pool; a KSA found in any cluster of the pool is not stale; an unscanned pool is unverified", () => {
      expect(findingLines(r, RULE)).toEqual([
        `binding-stale gsa:${CROSS} open`,
        `binding-stale gsa:${PARTNER} unverified`,
        `binding-stale gsa:${PAYMENTS} open`,
      ]);
      // ledger@'s KSA lives only in dr: found through the pool.
      expect(r.bindings.filter((b) => b.gsa === LEDGER).map((b) => [b.state, b.ksas])).toEqual([["ok", [`ksa:${DR}/payments/ledger`]]]);
    });

    it("lists only the stale members, names the clusters searched, and gives the command that removes each", () => {
      const f = finding(PAYMENTS);
      expect(f.severity).toBe("high");
      expect(f.message).toBe(`${PAYMENTS} grants payments/refund-worker in ${POOL}, which exists in no cluster using the pool.`);
      expect(f.evidence).toEqual({
        members: [
          {
            member: member(POOL, "payments", "refund-worker"),
            state: "stale",
            detail: `payments/refund-worker exists in none of ${PROD}, ${DR}: whoever creates it gets ${PAYMENTS}`,
          },
        ],
      });
      expect(f.lacking).toBeUndefined();
      expect(f.gsa).toBe(PAYMENTS);
      expect(f.project).toBe("proj-a");
      expect(f.fixes).toEqual([
        {
          kind: "gcloud",
          title: `Remove ${WI_USER} from ${POOL}[payments/refund-worker]`,
          content: `gcloud iam service-accounts remove-iam-policy-binding ${PAYMENTS} \\\n  --project=proj-a \\\n  --role=${WI_USER} \\\n  --member="${member(POOL, "payments", "refund-worker")}"`,
        },
      ]);
    });

    it("a pool that no scanned cluster uses cannot be ruled out: unverified, naming it", () => {
      const f = finding(PARTNER);
      expect(f.message).toBe(`${PARTNER} grants sync/partner, not found in the clusters scanned; cannot be ruled out.`);
      expect(f.lacking).toEqual(["project other-proj (not scanned): its clusters and fleet members use other-proj.svc.id.goog"]);
      expect(f.fixes).toEqual([]);
    });

    it("gives one removal per stale member, each in its own pool", () => {
      const f = finding(CROSS);
      expect(f.evidence.members).toEqual([
        { member: member(POOL, "jobs", "gone"), state: "stale", detail: `jobs/gone exists in none of ${PROD}, ${DR}: whoever creates it gets ${CROSS}` },
        { member: member("proj-b.svc.id.goog", "jobs", "gone-too"), state: "stale", detail: `jobs/gone-too exists in none of proj-b/asia-northeast1-b/jobs: whoever creates it gets ${CROSS}` },
      ]);
      expect(f.fixes.map((x) => x.title)).toEqual([`Remove ${WI_USER} from ${POOL}[jobs/gone]`, `Remove ${WI_USER} from proj-b.svc.id.goog[jobs/gone-too]`]);
    });

    // Regression (fixed; binding-stale.ts, the open message): it names one pool, `stale[0].pool`, for every stale
    // member, so a GSA granting missing KSAs in two pools reads "grants jobs/gone, jobs/gone-too in
    // proj-a.svc.id.goog" — jobs/gone-too was granted in proj-b.svc.id.goog, which the message never names.
    it("names the pool of each stale member when they are in different pools", () => {
      const f = finding(CROSS);
      expect(f.message).toContain(POOL);
      expect(f.message).toContain("proj-b.svc.id.goog");
    });
  });

  describe("when dr's ServiceAccount list answers 403", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate([{ match: { path: `/clusters/${DR}/api/v1/serviceaccounts` }, status: 403 }]));
    });
    const finding = (gsa: string) => r.findings.find((f) => f.rule === RULE && f.subject === `gsa:${gsa}`)!;

    it("a KSA missing from prod may be in dr: the GSA is unverified, not stale; a KSA found in prod is still decided", () => {
      expect(findingLines(r, RULE)).toEqual([
        `binding-stale gsa:${CROSS} open`,
        `binding-stale gsa:${LEDGER} unverified`,
        `binding-stale gsa:${PARTNER} unverified`,
        `binding-stale gsa:${PAYMENTS} unverified`,
      ]);
    });

    it("names the ServiceAccount list it lacked and proposes no removal", () => {
      const f = finding(PAYMENTS);
      expect(f.message).toBe(`${PAYMENTS} grants payments/refund-worker, not found in the clusters scanned; cannot be ruled out.`);
      expect(f.lacking).toEqual([`k8s.serviceaccounts:${DR}`]);
      expect(f.evidence).toEqual({
        members: [{ member: member(POOL, "payments", "refund-worker"), state: "unverified", detail: `not found, but cannot be ruled out: k8s.serviceaccounts:${DR}` }],
      });
      expect(f.fixes).toEqual([]);
      expect(finding(LEDGER).lacking).toEqual([`k8s.serviceaccounts:${DR}`]);
    });

    it("a GSA with one member stale in a fully read pool stays open, its unreadable member in the evidence", () => {
      const f = finding(CROSS);
      expect(f.message).toBe(`${CROSS} grants jobs/gone-too in proj-b.svc.id.goog, which exists in no cluster using the pool.`);
      expect((f.evidence.members as { state: string }[]).map((m) => m.state)).toEqual(["unverified", "stale"]);
      expect(f.fixes.map((x) => x.title)).toEqual([`Remove ${WI_USER} from proj-b.svc.id.goog[jobs/gone-too]`]);
    });
  });
});

/**
 * Leftovers real policies carry: a GSA recreated after deletion whose policy still names the old
 * CI account as `deleted:serviceAccount:…?uid=…`; a stale member granted under an IAM condition
 * (its removal must name the condition, or gcloud stops to ask); and a stale member granted through a
 * custom role the scanner may not read.
 */
describe("binding-stale with deleted members, conditions and unreadable custom roles", () => {
  const DELETED = "deleted:serviceAccount:ci-deployer@proj-a.iam.gserviceaccount.com?uid=104938271650493827165";
  const CONDITION = { title: "expires-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' };
  const UNREAD_ROLE = "projects/proj-z/roles/wiUser";
  const BATCH = "batch-runner@proj-a.iam.gserviceaccount.com";
  const VENDOR = "vendor-sync@proj-a.iam.gserviceaccount.com";
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: { name: "organizations/111111111111", displayName: "example.test" },
        projects: [
          {
            projectId: "proj-a",
            projectNumber: "100000000001",
            serviceAccounts: [
              {
                email: BATCH,
                iamPolicy: {
                  version: 3,
                  bindings: [
                    { role: WI_USER, members: [member(POOL, "batch", "runner")] },
                    { role: "roles/iam.serviceAccountUser", members: [DELETED] },
                    { role: WI_USER, members: [member(POOL, "batch", "old-runner")], condition: CONDITION },
                  ],
                },
              },
              { email: VENDOR, iamPolicy: { bindings: [{ role: UNREAD_ROLE, members: [member(POOL, "vendor", "sync")] }] } },
            ],
            clusters: [{ cluster: wiCluster("prod", "asia-northeast1-a", POOL), manifests: [ksa("batch", "runner", BATCH)] }],
          },
        ],
        faults: [{ match: { path: "/v1/projects/proj-z/roles/**" }, status: 403 }],
      }),
    );
  });

  it("never calls a deleted member stale: it is shown as deleted", () => {
    expect(r.bindings.filter((b) => b.gsa === BATCH).map((b) => [b.member, b.state])).toEqual([
      [DELETED, "deleted"],
      [member(POOL, "batch", "old-runner"), "stale"],
      [member(POOL, "batch", "runner"), "ok"],
    ]);
    expect(r.bindings.find((b) => b.member === DELETED)!.detail).toBe("granted to a deleted serviceAccount (uid 104938271650493827165): it grants nothing");
  });

  it("removes a stale conditional binding by its exact condition, and keeps the unconditional one", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${BATCH} open`, `${RULE} gsa:${VENDOR} unverified`]);
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${BATCH}`)!;
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: `Remove ${WI_USER} from ${POOL}[batch/old-runner] (the binding conditional on expires-2027)`,
        content: `gcloud iam service-accounts remove-iam-policy-binding ${BATCH} \\\n  --project=proj-a \\\n  --role=${WI_USER} \\\n  --member="${member(POOL, "batch", "old-runner")}" \\\n  --condition='^|^expression=request.time < timestamp("2027-01-01T00:00:00Z")|title=expires-2027'`,
      },
    ]);
  });

  it("a member granted through a custom role that could not be read is unverified, naming the role, with no removal", () => {
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${VENDOR}`)!;
    expect(f.lacking).toEqual([`iam.roles:${UNREAD_ROLE}`]);
    expect(f.fixes).toEqual([]);
  });
});
