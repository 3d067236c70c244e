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

    // Identity sameness is Google's design, and the old advice — a per-cluster principalSet in place of
    // the one KSA — would hand the GSA to every KSA of that cluster: a wider grant, never a fix.
    it("never proposes a principalSet: it explains the design, then offers distinct names or separate pools, each with its trade-off", () => {
      const f = r.findings.find((x) => x.rule === RULE)!;
      expect(f.fixes.map((x) => [x.kind, x.title])).toEqual([
        ["note", "If every one of these clusters should act as this GSA: nothing to change"],
        ["note", "If only some should: make the identities differ, keep the grant as narrow as it is"],
        ["note", "Or separate the pools"],
      ]);
      for (const x of f.fixes) expect(x.content, x.title).not.toMatch(/principalSet:\/\/|kubernetes\.cluster/);
      expect(f.fixes[0].content).toBe(
        `Workload Identity names a KSA by pool, namespace and name only: payments/payments-api in every cluster of ${POOL} is one identity, by Google's design. That is what lets one binding serve an app replicated across a fleet. Accept (suppress) this finding, naming why.`,
      );
      expect(f.fixes[1].content).toBe(
        `Keep payments/payments-api only in the cluster(s) that need ${GSA}; elsewhere run the workload under another KSA name (or namespace), e.g.\n` +
          "fleet-prod/asia-northeast2-a/prod-osaka: payments/payments-api-prod-osaka\n" +
          "and give that name a GSA of its own only if it needs one. Trade-off: the per-cluster names must be carried in manifests and bindings from then on.",
      );
      expect(f.fixes[2].content).toBe(
        "Clusters that must never share identities belong in different workload pools — another project (its own PROJECT_ID.svc.id.goog) or another fleet. Trade-off: every KSA there becomes a new identity, so each binding to it must be made again. " +
          `Do not replace the KSA member with a cluster or namespace principalSet: that grants ${GSA} to every KSA there, not to payments/payments-api.`,
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
