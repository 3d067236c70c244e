import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "wi-user-broad-grant";
const POOL = "team-prod.svc.id.goog";
const POOL_PATH = `iam.googleapis.com/projects/100000000002/locations/global/workloadIdentityPools/${POOL}`;
const KSA_MEMBER = `serviceAccount:${POOL}[web/api]`;
const PRINCIPAL = `principal://${POOL_PATH}/subject/ns/batch/sa/runner`;
const NAMESPACE_SET = `principalSet://${POOL_PATH}/namespace/web`;
const POOL_SET = `principalSet://${POOL_PATH}/*`;
const API_GSA = "api-server@team-prod.iam.gserviceaccount.com";
const RUNNER_GSA = "batch-runner@team-prod.iam.gserviceaccount.com";

/**
 * team-prod's project policy grants the two token roles to Kubernetes members (every GSA of the
 * project, future ones too), and a plain data role to a namespace (a direct grant, not a token
 * role). api-server@ lets the whole `web` namespace act as it; batch-runner@ is bound the way the
 * article does it, to one KSA. The project's folder grants a token role to the whole pool.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  folders: [{ name: "folders/2001", displayName: "prod", iamPolicy: { bindings: [{ role: "roles/iam.serviceAccountTokenCreator", members: [POOL_SET] }] } }],
  projects: [
    {
      projectId: "team-prod",
      projectNumber: "100000000002",
      parent: "folders/2001",
      iamPolicy: {
        bindings: [
          { role: "roles/iam.workloadIdentityUser", members: [KSA_MEMBER] },
          { role: "roles/iam.serviceAccountTokenCreator", members: [PRINCIPAL] },
          { role: "roles/storage.objectViewer", members: [NAMESPACE_SET] },
        ],
      },
      serviceAccounts: [
        { email: API_GSA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [NAMESPACE_SET] }] } },
        { email: RUNNER_GSA, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:team-prod.svc.id.goog[batch/runner]"] }] } },
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
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api", namespace: "web", annotations: { "iam.gke.io/gcp-service-account": API_GSA } } },
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "runner", namespace: "batch", annotations: { "iam.gke.io/gcp-service-account": RUNNER_GSA } } },
          ],
        },
      ],
    },
  ],
});

describe("wi-user-broad-grant", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

  it("fires on the project and the folder granting token roles and on the GSA granting to a namespace; a one-KSA binding and a data role do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} folder:2001 open`, `${RULE} gsa:${API_GSA} open`, `${RULE} project:team-prod open`]);
  });

  it("on a project: names both token roles and their members, and removes each from the project", () => {
    const f = finding("project:team-prod");
    expect(f.severity).toBe("high");
    expect(f.project).toBe("team-prod");
    expect(f.gsa).toBeNull();
    expect(f.message).toBe(
      `roles/iam.serviceAccountTokenCreator to ${PRINCIPAL}; roles/iam.workloadIdentityUser to ${KSA_MEMBER} on project:team-prod: every service account there, including future ones.`,
    );
    expect(f.evidence).toEqual({
      grants: [
        {
          role: "roles/iam.serviceAccountTokenCreator",
          member: PRINCIPAL,
          condition: null,
          detail: "granted on project:team-prod: applies to every service account there, including future ones",
        },
        {
          role: "roles/iam.workloadIdentityUser",
          member: KSA_MEMBER,
          condition: null,
          detail: "granted on project:team-prod: applies to every service account there, including future ones",
        },
      ],
    });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Grant roles/iam.serviceAccountTokenCreator on the one GSA it is for, then remove it from project:team-prod",
        content: `gcloud projects remove-iam-policy-binding team-prod \\\n  --role=roles/iam.serviceAccountTokenCreator --member="${PRINCIPAL}"`,
      },
      {
        kind: "gcloud",
        title: "Grant roles/iam.workloadIdentityUser on the one GSA it is for, then remove it from project:team-prod",
        content: `gcloud projects remove-iam-policy-binding team-prod \\\n  --role=roles/iam.workloadIdentityUser --member="${KSA_MEMBER}"`,
      },
    ]);
  });

  it("on a GSA: names the namespace principalSet and removes it from the GSA's policy", () => {
    const f = finding(`gsa:${API_GSA}`);
    expect(f.gsa).toBe(API_GSA);
    expect(f.project).toBe("team-prod");
    expect(f.message).toBe(`${API_GSA} grants roles/iam.workloadIdentityUser to ${NAMESPACE_SET}.`);
    expect(f.evidence).toEqual({
      grants: [{ role: "roles/iam.workloadIdentityUser", member: NAMESPACE_SET, condition: null, detail: "a principalSet: every KSA in namespace web can act as this GSA" }],
    });
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: `Grant the KSAs that need it one by one, then remove ${NAMESPACE_SET}`,
        content: `gcloud iam service-accounts remove-iam-policy-binding ${API_GSA} --project=team-prod --role=roles/iam.workloadIdentityUser \\\n  --member="${NAMESPACE_SET}"`,
      },
    ]);
  });

  it("on a folder: names the pool-wide principalSet and removes it with the folders command", () => {
    const f = finding("folder:2001");
    expect(f.project).toBeNull();
    expect(f.message).toBe(`roles/iam.serviceAccountTokenCreator to ${POOL_SET} on folder:2001: every service account there, including future ones.`);
    expect(f.fixes).toEqual([
      {
        kind: "gcloud",
        title: "Grant roles/iam.serviceAccountTokenCreator on the one GSA it is for, then remove it from folder:2001",
        content: `gcloud resource-manager folders remove-iam-policy-binding 2001 \\\n  --role=roles/iam.serviceAccountTokenCreator --member="${POOL_SET}"`,
      },
    ]);
  });

  it("leaves the plain serviceAccount:POOL[NS/KSA] binding as an ordinary, reconciled link", () => {
    expect(r.bindings.filter((b) => b.gsa === RUNNER_GSA).map((b) => [b.member, b.state])).toEqual([["serviceAccount:team-prod.svc.id.goog[batch/runner]", "ok"]]);
  });
});

/**
 * The same mistake through a custom role, and its near misses: acme's platform team defined
 * "saImpersonator" (getAccessToken + signBlob) and granted it on the project to a CI runner; the
 * old "ciTokenMinter" role was DISABLED but is still bound; a deleted account still holds
 * serviceAccountTokenCreator on the project; and the GSA policy holds the grant under an IAM condition.
 */
describe("wi-user-broad-grant with custom roles, deleted members and conditions", () => {
  const CUSTOM = "projects/team-prod/roles/saImpersonator";
  const DISABLED = "projects/team-prod/roles/ciTokenMinter";
  const DELETED = "deleted:serviceAccount:jenkins@team-prod.iam.gserviceaccount.com?uid=112233445566778899001";
  const CONDITION = { title: "business hours", expression: "request.time.getHours('Asia/Tokyo') >= 9 && request.time.getHours('Asia/Tokyo') < 18", description: "only while people watch, e.g. 9–18" };
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: { name: "organizations/111111111111", displayName: "example.test" },
        projects: [
          {
            projectId: "team-prod",
            projectNumber: "100000000002",
            customRoles: [
              { name: CUSTOM, title: "SA impersonator", includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob"], stage: "GA" },
              { name: DISABLED, title: "CI token minter", includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "DISABLED" },
            ],
            iamPolicy: {
              bindings: [
                { role: CUSTOM, members: ["serviceAccount:team-prod.svc.id.goog[ci/runner]"] },
                { role: DISABLED, members: ["serviceAccount:team-prod.svc.id.goog[ci/old-runner]"] },
                { role: "roles/iam.serviceAccountTokenCreator", members: [DELETED] },
              ],
            },
            serviceAccounts: [
              {
                email: API_GSA,
                iamPolicy: {
                  version: 3,
                  bindings: [
                    { role: "roles/iam.workloadIdentityUser", members: [NAMESPACE_SET], condition: CONDITION },
                    { role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:team-prod.svc.id.goog[web/api]"] },
                  ],
                },
              },
            ],
          },
        ],
      }),
    );
  });

  it("fires on the project granting a custom role that holds getAccessToken; not for a DISABLED role, nor for a deleted member", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} gsa:${API_GSA} open`, `${RULE} project:team-prod open`]);
    expect(r.findings.find((f) => f.rule === RULE && f.subject === "project:team-prod")!.message).toBe(
      `${CUSTOM} to serviceAccount:team-prod.svc.id.goog[ci/runner] on project:team-prod: every service account there, including future ones.`,
    );
  });

  it("shows the DISABLED role's grant as inactive and the deleted account's grant as deleted in the bindings", () => {
    expect(r.bindings.filter((b) => b.resource === "project:team-prod").map((b) => [b.role, b.state, b.detail])).toEqual([
      [DISABLED, "inactive", `${DISABLED} is DISABLED: it grants nothing`],
      [CUSTOM, "broad", "granted on project:team-prod: applies to every service account there, including future ones"],
      ["roles/iam.serviceAccountTokenCreator", "deleted", "granted to a deleted serviceAccount (uid 112233445566778899001): it grants nothing"],
    ]);
  });

  it("removes a conditional grant with its exact condition, so gcloud runs without a prompt", () => {
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `gsa:${API_GSA}`)!;
    expect(f.fixes[0].content).toBe(
      `gcloud iam service-accounts remove-iam-policy-binding ${API_GSA} --project=team-prod --role=roles/iam.workloadIdentityUser \\\n  --member="${NAMESPACE_SET}" ` +
        `--condition='^|^expression=${CONDITION.expression.replaceAll("'", "'\\''")}|title=business hours|description=only while people watch, e.g. 9–18'`,
    );
  });
});
