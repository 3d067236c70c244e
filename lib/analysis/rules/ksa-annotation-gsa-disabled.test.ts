import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "ksa-annotation-gsa-disabled";
const C = "proj-a/asia-northeast1-a/prod";
const POOL = "proj-a.svc.id.goog";
const DISABLED = "search-svc@proj-a.iam.gserviceaccount.com";
const ENABLED = "search-api@proj-a.iam.gserviceaccount.com";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";

const annotated = (ns: string, name: string, email: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": email } },
});
const binding = (ns: string, ksa: string) => ({ bindings: [{ role: "roles/iam.workloadIdentityUser", members: [`serviceAccount:${POOL}[${ns}/${ksa}]`] }] });

/**
 * web/search is annotated with search-svc@proj-a, bound but disabled (someone disabled it "to see
 * who breaks"); web/search-api with search-api@proj-a, bound and enabled (the fixed version). A
 * Deployment runs as web/search on GKE-metadata nodes.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      serviceAccounts: [
        { email: DISABLED, disabled: true, iamPolicy: binding("web", "search") },
        { email: ENABLED, iamPolicy: binding("web", "search-api") },
      ],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: POOL },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            annotated("web", "search", DISABLED),
            annotated("web", "search-api", ENABLED),
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name: "search", namespace: "web" },
              spec: {
                replicas: 1,
                template: {
                  metadata: { labels: { app: "search" } },
                  spec: { serviceAccountName: "search", nodeSelector: { [GKE_MD]: "true" }, containers: [{ name: "search", image: "gcr.io/proj-a/search:1.0" }] },
                },
              },
            },
          ],
        },
      ],
    },
  ],
});

describe("ksa-annotation-gsa-disabled", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });

  it("fires on the KSA annotated with a disabled GSA; an enabled GSA does not fire", () => {
    expect(findingLines(r, RULE)).toEqual([`ksa-annotation-gsa-disabled ksa:${C}/web/search open`]);
  });

  it("says the GSA is disabled and gives the command that enables it, in its project", () => {
    const f = r.findings.find((x) => x.rule === RULE)!;
    expect(f.severity).toBe("high");
    expect(f.message).toBe(`web/search is annotated with ${DISABLED}, which is disabled.`);
    expect(f.evidence).toEqual({ annotation: DISABLED, disabled: true });
    expect(f.gsa).toBe(DISABLED);
    expect(f.fixes).toEqual([{ kind: "gcloud", title: "Enable the account again, or point the KSA at a live one", content: `gcloud iam service-accounts enable ${DISABLED} --project=proj-a` }]);
  });

  it("agrees with the effective identity (broken: disabled), and the binding rules stay quiet since the binding is there", () => {
    const st = r.statuses.find((s) => s.subject === `workload:${C}/web/Deployment/search`)!;
    expect(st.identity.label).toBe(`${DISABLED} (broken)`);
    expect(findingLines(r).filter((l) => l.includes(`ksa:${C}/web/search `))).toEqual([`ksa-annotation-gsa-disabled ksa:${C}/web/search open`]);
  });
});
