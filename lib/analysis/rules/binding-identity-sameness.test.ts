import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "binding-identity-sameness";
const GSA = "payments-api@fleet-prod.iam.gserviceaccount.com";
const POOL = "fleet-prod.svc.id.goog";

function ksa(ns: string, name: string, gsa: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": gsa } } };
}

function cluster(name: string, location: string, pool: string, manifests: unknown[]) {
  return {
    cluster: {
      name,
      location,
      workloadIdentityConfig: { workloadPool: pool },
      nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
    },
    manifests,
  };
}

/**
 * fleet-prod runs two clusters on one workload pool (a fleet): `prod` in Tokyo and `prod-osaka`.
 * payments-api@ is bound to `payments/payments-api` only; Osaka's KSA is named `osakaKsa`. A third
 * project, other-prod, has its own pool and a KSA `payments/payments-api` too: a different pool, so
 * the binding does not reach it.
 */
function estate(osakaKsa: string) {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "fleet-prod",
        projectNumber: "100000000001",
        serviceAccounts: [
          {
            email: GSA,
            iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`serviceAccount:${POOL}[payments/payments-api]`] }] },
          },
        ],
        clusters: [
          cluster("prod", "asia-northeast1-a", POOL, [ksa("payments", "payments-api", GSA)]),
          cluster("prod-osaka", "asia-northeast2-a", POOL, [ksa("payments", osakaKsa, GSA)]),
        ],
      },
      {
        projectId: "other-prod",
        projectNumber: "100000000002",
        clusters: [cluster("prod", "asia-northeast1-a", "other-prod.svc.id.goog", [ksa("payments", "payments-api", GSA)])],
      },
    ],
  });
}

describe("binding-identity-sameness", () => {
  describe("the bound namespace/KSA exists in both clusters of the pool", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate("payments-api"));
    });

    it("fires once, on the GSA, naming both clusters (and not the same name in another project's pool)", () => {
      expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${GSA} open`]);
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect(f.severity).toBe("medium");
      expect(f.gsa).toBe(GSA);
      expect(f.project).toBe("fleet-prod");
      expect(f.message).toBe(
        `payments/payments-api exists in 2 clusters sharing ${POOL} (fleet-prod/asia-northeast1-a/prod, fleet-prod/asia-northeast2-a/prod-osaka); all of them get ${GSA}.`,
      );
      expect(f.evidence).toEqual({
        member: `serviceAccount:${POOL}[payments/payments-api]`,
        ksas: ["ksa:fleet-prod/asia-northeast1-a/prod/payments/payments-api", "ksa:fleet-prod/asia-northeast2-a/prod-osaka/payments/payments-api"],
        clusters: ["fleet-prod/asia-northeast1-a/prod", "fleet-prod/asia-northeast2-a/prod-osaka"],
      });
    });

    it("proposes a per-cluster principalSet naming the real pool and cluster", () => {
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect(f.fixes).toHaveLength(1);
      expect(f.fixes[0].kind).toBe("note");
      expect(f.fixes[0].title).toBe("Make sure every one of these clusters should have this GSA");
      expect(f.fixes[0].content).toContain(
        `/workloadIdentityPools/${POOL}/kubernetes.cluster/https://container.googleapis.com/v1/projects/fleet-prod/locations/asia-northeast1-a/clusters/prod`,
      );
    });

    // Regression (fixed): the principalSet in the fix keeps the placeholder `projects/PROJECT_NUMBER/` although the
    // pool's project (fleet-prod, number 100000000001) is in the scan; iam.ts's federatedPrincipal
    // already fills it in. As written the member cannot be pasted into a policy.
    it("fills the pool project's number into the principalSet", () => {
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect(f.fixes[0].content).toContain(
        `principalSet://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/${POOL}/kubernetes.cluster/https://container.googleapis.com/v1/projects/fleet-prod/locations/asia-northeast1-a/clusters/prod`,
      );
    });
  });

  it("does not fire when the other cluster's KSA in that namespace has a different name", async () => {
    const r = await analyzeEstate(estate("payments-api-osaka"));
    expect(findingLines(r, RULE)).toEqual([]);
    // The binding itself still resolves, to the one KSA of that name in the pool.
    expect(r.bindings.find((b) => b.gsa === GSA)?.ksas).toEqual(["ksa:fleet-prod/asia-northeast1-a/prod/payments/payments-api"]);
  });
});
