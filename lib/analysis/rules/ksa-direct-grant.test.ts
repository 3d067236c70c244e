import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "ksa-direct-grant";
const POOL = "data-prod.svc.id.goog";
const POOLS = "principal://iam.googleapis.com/projects/100000000005/locations/global/workloadIdentityPools";
const TRAINER = `${POOLS}/${POOL}/subject/ns/ml/sa/trainer`;
const SCORER = `${POOLS}/${POOL}/subject/ns/ml/sa/scorer`;
const WEB_SET = `principalSet://iam.googleapis.com/projects/100000000005/locations/global/workloadIdentityPools/${POOL}/namespace/web`;
const OTHER_POOL_SET = "principalSet://iam.googleapis.com/projects/100000000006/locations/global/workloadIdentityPools/other-prod.svc.id.goog/namespace/ml";
const SCORER_GSA = "model-scorer@data-prod.iam.gserviceaccount.com";
const KSA = (ns: string, name: string) => `ksa:data-prod/asia-northeast1-a/analytics/${ns}/${name}`;

function ksa(ns: string, name: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } };
}

/**
 * data-prod's policy gives ml/trainer's federated principal a conditional storage role, the whole
 * `web` namespace a BigQuery role, and `ml` of another project's pool a Pub/Sub role. ml/scorer is
 * only a member on a GSA (a token role: impersonation, not a direct grant). The `legacy` cluster has
 * an ml/trainer too, but no workload pool.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "data-prod",
      projectNumber: "100000000005",
      iamPolicy: {
        version: 3,
        bindings: [
          { role: "roles/storage.objectViewer", members: [TRAINER], condition: { title: "office hours", expression: "request.time.getHours('Asia/Tokyo') < 18" } },
          { role: "roles/bigquery.dataViewer", members: [WEB_SET] },
          { role: "roles/pubsub.subscriber", members: [OTHER_POOL_SET] },
        ],
      },
      serviceAccounts: [{ email: SCORER_GSA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [SCORER] }] } }],
      clusters: [
        {
          cluster: {
            name: "analytics",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: POOL },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [ksa("ml", "trainer"), ksa("ml", "scorer"), ksa("web", "api")],
        },
        { cluster: { name: "legacy", location: "asia-northeast1-b", nodePools: [{ name: "default-pool", initialNodeCount: 1 }] }, manifests: [ksa("ml", "trainer")] },
      ],
    },
  ],
});

describe("ksa-direct-grant", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on the KSA named by a principal:// member and on every existing KSA of a principalSet namespace, nowhere else", () => {
    // Not ml/scorer (a member on a GSA only), ml/default (no grant), the other pool's `ml`, nor legacy's ml/trainer (no pool).
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KSA("ml", "trainer")} open`, `${RULE} ${KSA("web", "api")} open`, `${RULE} ${KSA("web", "default")} open`]);
  });

  it("names the role, the resource and the member, keeping the grant's condition", () => {
    const f = finding(KSA("ml", "trainer"));
    expect(f.severity).toBe("info");
    expect(f.project).toBe("data-prod");
    expect(f.cluster).toBe("cluster:data-prod/asia-northeast1-a/analytics");
    expect(f.namespace).toBe("ml");
    expect(f.message).toBe("ml/trainer holds roles/storage.objectViewer on project:data-prod directly.");
    expect(f.evidence).toEqual({ grants: [{ resource: "project:data-prod", role: "roles/storage.objectViewer", member: TRAINER, condition: "office hours" }] });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Nothing to fix — review these grants where they live (they appear on no GSA)",
        // Filtered on the exact, pool-qualified members the rule counted (no substring matches).
        content: `gcloud projects get-iam-policy data-prod \\\n  --flatten="bindings[].members" --format="table(bindings.role, bindings.members)" \\\n  --filter='bindings.members="${TRAINER}"'`,
      },
    ]);
  });

  it("reports the namespace grant on each KSA it covers", () => {
    for (const name of ["api", "default"]) {
      const f = finding(KSA("web", name));
      expect(f.message).toBe(`web/${name} holds roles/bigquery.dataViewer on project:data-prod directly.`);
      expect(f.evidence).toEqual({ grants: [{ resource: "project:data-prod", role: "roles/bigquery.dataViewer", member: WEB_SET, condition: null }] });
    }
  });
});

describe("ksa-direct-grant with a DISABLED custom role", () => {
  it("does not count a grant of a DISABLED custom role as a direct grant", async () => {
    const r = await analyzeEstate(
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: {
          name: "organizations/111111111111",
          displayName: "example.test",
          customRoles: [
            { name: "organizations/111111111111/roles/featureStoreReader", includedPermissions: ["bigquery.tables.getData"], stage: "DISABLED" },
            { name: "organizations/111111111111/roles/modelReader", includedPermissions: ["storage.objects.get"], stage: "GA" },
          ],
        },
        projects: [
          {
            projectId: "data-prod",
            projectNumber: "100000000005",
            iamPolicy: {
              bindings: [
                { role: "organizations/111111111111/roles/featureStoreReader", members: [TRAINER] },
                { role: "organizations/111111111111/roles/modelReader", members: [SCORER] },
              ],
            },
            clusters: [
              {
                cluster: { name: "analytics", location: "asia-northeast1-a", workloadIdentityConfig: { workloadPool: POOL }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
                manifests: [ksa("ml", "trainer"), ksa("ml", "scorer")],
              },
            ],
          },
        ],
      }),
    );
    expect(findingLines(r, RULE)).toEqual([`${RULE} ${KSA("ml", "scorer")} open`]);
  });
});
