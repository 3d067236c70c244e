import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "ksa-cross-project-gsa";
const SHARED_GSA = "report-exporter@shared-svc.iam.gserviceaccount.com";
const SHARED_COMPUTE = "100000000009-compute@developer.gserviceaccount.com";
const LOCAL_GSA = "web-frontend@app-prod.iam.gserviceaccount.com";

function ksa(ns: string, name: string, gsa: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": gsa } } };
}

/**
 * app-prod's cluster has three annotated KSAs: reporting/exporter uses a GSA of shared-svc,
 * legacy/crawler uses shared-svc's Compute Engine default account (named by project number), and
 * web/frontend uses a GSA of app-prod itself.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "app-prod",
      projectNumber: "100000000001",
      serviceAccounts: [{ email: LOCAL_GSA }],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "app-prod.svc.id.goog" },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [ksa("reporting", "exporter", SHARED_GSA), ksa("legacy", "crawler", SHARED_COMPUTE), ksa("web", "frontend", LOCAL_GSA)],
        },
      ],
    },
    { projectId: "shared-svc", projectNumber: "100000000009", serviceAccounts: [{ email: SHARED_GSA }] },
  ],
});

describe("ksa-cross-project-gsa", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on the KSAs annotated with another project's GSAs, not on the one using its own project's GSA", () => {
    expect(findingLines(r, RULE)).toEqual([
      `${RULE} ksa:app-prod/asia-northeast1-a/prod/legacy/crawler open`,
      `${RULE} ksa:app-prod/asia-northeast1-a/prod/reporting/exporter open`,
    ]);
  });

  it("names both projects and the GSA, and says how to keep or undo the dependency", () => {
    const f = finding("ksa:app-prod/asia-northeast1-a/prod/reporting/exporter");
    expect(f.severity).toBe("low");
    expect(f.gsa).toBe(SHARED_GSA);
    expect(f.project).toBe("app-prod");
    expect(f.cluster).toBe("cluster:app-prod/asia-northeast1-a/prod");
    expect(f.namespace).toBe("reporting");
    expect(f.message).toBe(`reporting/exporter in app-prod uses ${SHARED_GSA}, a service account of shared-svc.`);
    expect(f.evidence).toEqual({ ksaProject: "app-prod", gsaProject: "shared-svc" });
    expect(f.fixes).toEqual([{ kind: "note", title: "Keep it if intended", content: "Record the dependency on shared-svc; or create the GSA in app-prod and move the roles it needs." }]);
  });

  it("maps a Compute Engine default account to its project through the project number", () => {
    const f = finding("ksa:app-prod/asia-northeast1-a/prod/legacy/crawler");
    expect(f.message).toBe(`legacy/crawler in app-prod uses ${SHARED_COMPUTE}, a service account of shared-svc.`);
    expect(f.evidence).toEqual({ ksaProject: "app-prod", gsaProject: "shared-svc" });
  });
});
