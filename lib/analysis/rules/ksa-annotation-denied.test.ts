import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";
import { metadataIdentity } from "../identity";

const RULE = "ksa-annotation-denied";
const C = "acme-pay/asia-northeast1/prod";
const NUMBER = "487812345001";
const POOL = "acme-pay.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";
const SET = `principalSet://iam.googleapis.com/projects/${NUMBER}/locations/global/workloadIdentityPools/${POOL}`;
const principal = (ns: string, ksa: string) => `principal://iam.googleapis.com/projects/${NUMBER}/locations/global/workloadIdentityPools/${POOL}/subject/ns/${ns}/sa/${ksa}`;
const gsa = (id: string) => `${id}@acme-pay.iam.gserviceaccount.com`;
const member = (ns: string, ksa: string) => `serviceAccount:${POOL}[${ns}/${ksa}]`;
const bound = (id: string, ns: string, ksa: string) => ({ email: gsa(id), iamPolicy: { bindings: [{ role: WI_USER, members: [member(ns, ksa)] }] } });
const ksa = (ns: string, name: string, id: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": gsa(id) } },
});

/**
 * One cluster of acme-pay, every KSA annotated and bound exactly right; what differs is the deny
 * policies above the GSAs:
 *  - the organization denies getAccessToken to the whole `sandbox` namespace, except sandbox/smoke-test;
 *  - the folder denies `iam.googleapis.com/serviceAccounts.*` to the `batch` namespace when a tag says prod;
 *  - the project denies `iam.googleapis.com/*.*` to the `cardholder` namespace but excepts getAccessToken;
 *  - another project (acme-other) denies everything to everyone: it is not above these GSAs.
 */
function estate(faults: unknown[] = []): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: {
      name: "organizations/620315948271",
      displayName: "acme.example",
      denyPolicies: [
        {
          policyId: "no-sandbox-tokens",
          displayName: "Sandboxes never mint tokens",
          rules: [
            {
              description: "sandbox namespaces are for experiments",
              denyRule: {
                deniedPrincipals: [`${SET}/namespace/sandbox`],
                exceptionPrincipals: [principal("sandbox", "smoke-test")],
                deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"],
              },
            },
          ],
        },
      ],
    },
    folders: [
      {
        name: "folders/4401",
        displayName: "payments",
        denyPolicies: [
          {
            policyId: "batch-guard",
            rules: [
              {
                denyRule: {
                  deniedPrincipals: [`${SET}/namespace/batch`],
                  deniedPermissions: ["iam.googleapis.com/serviceAccounts.*"],
                  denialCondition: { title: "prod-tagged accounts", expression: "resource.matchTag('620315948271/env', 'prod')" },
                },
              },
            ],
          },
        ],
      },
    ],
    projects: [
      {
        projectId: "acme-pay",
        projectNumber: NUMBER,
        parent: "folders/4401",
        denyPolicies: [
          {
            policyId: "cardholder-lockdown",
            rules: [
              {
                denyRule: {
                  deniedPrincipals: [`${SET}/namespace/cardholder`],
                  deniedPermissions: ["iam.googleapis.com/*.*"],
                  exceptionPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"],
                },
              },
            ],
          },
        ],
        serviceAccounts: [bound("sandbox-app", "sandbox", "app"), bound("smoke-test", "sandbox", "smoke-test"), bound("batch-app", "batch", "nightly"), bound("vault-app", "cardholder", "vault"), bound("web-app", "web", "web")],
        clusters: [
          {
            cluster: {
              name: "prod",
              location: "asia-northeast1",
              workloadIdentityConfig: { workloadPool: POOL },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [ksa("sandbox", "app", "sandbox-app"), ksa("sandbox", "smoke-test", "smoke-test"), ksa("batch", "nightly", "batch-app"), ksa("cardholder", "vault", "vault-app"), ksa("web", "web", "web-app")],
          },
        ],
      },
      {
        projectId: "acme-other",
        projectNumber: "487812345009",
        denyPolicies: [{ policyId: "deny-all", rules: [{ denyRule: { deniedPrincipals: ["principalSet://goog/public:all"], deniedPermissions: ["iam.googleapis.com/*.*"] } }] }],
      },
    ],
    faults,
  });
}

describe(RULE, () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(estate());
  });

  it("fires on the KSA a deny rule covers, unverified where the rule has a denialCondition, and nowhere else", () => {
    expect(findingLines(r, RULE)).toEqual([`${RULE} ksa:${C}/batch/nightly unverified`, `${RULE} ksa:${C}/sandbox/app open`]);
  });

  it("breaks the working link, naming the policy, where it is attached and the principal set that covers the KSA", () => {
    const id = metadataIdentity(r.context, `cluster:${C}`, "sandbox", "app");
    expect(id).toMatchObject({
      type: "workload-identity",
      status: "broken",
      reason: `granted ${WI_USER} to ${member("sandbox", "app")} on gsa:${gsa("sandbox-app")}, but deny policy "Sandboxes never mint tokens" (no-sandbox-tokens) on organization:620315948271 denies iam.googleapis.com/serviceAccounts.getAccessToken to ${SET}/namespace/sandbox: token requests fail with 403`,
    });
    const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/sandbox/app`)!;
    expect(f.fixes[0].content).toBe(
      "gcloud iam policies get no-sandbox-tokens \\\n  --attachment-point=cloudresourcemanager.googleapis.com/organizations/620315948271 --kind=denypolicies --format=json",
    );
    expect(f.fixes[1].content).toContain(`add its principal ${principal("sandbox", "app")} to the rule's exceptionPrincipals`);
  });

  it("leaves the excepted principal working, and the KSA whose getAccessToken is an exception permission", () => {
    expect(metadataIdentity(r.context, `cluster:${C}`, "sandbox", "smoke-test")).toMatchObject({ status: "working" });
    expect(metadataIdentity(r.context, `cluster:${C}`, "cardholder", "vault")).toMatchObject({ status: "working" });
    expect(metadataIdentity(r.context, `cluster:${C}`, "web", "web")).toMatchObject({ status: "working", reason: `granted ${WI_USER} to ${member("web", "web")} on gsa:${gsa("web-app")}` });
  });

  it("makes a link under a conditional deny rule unknown, with the condition", () => {
    expect(metadataIdentity(r.context, `cluster:${C}`, "batch", "nightly")).toMatchObject({
      status: "unknown",
      reason: `granted ${WI_USER} to ${member("batch", "nightly")} on gsa:${gsa("batch-app")}, but deny policy batch-guard on folder:4401 denies iam.googleapis.com/serviceAccounts.* to ${SET}/namespace/batch when prod-tagged accounts: whether it applies cannot be told`,
    });
  });

  it("does not report the broken link as unbound: the binding exists (step 5 done, step 6 to do)", () => {
    expect(findingLines(r, "ksa-annotation-unbound")).toEqual([]);
  });

  describe("when deny policies could not be read", () => {
    let r2: AnalysisResult;
    beforeAll(async () => {
      r2 = await analyzeEstate(estate([{ match: { path: "/v2/policies/**" }, status: 403 }]));
    });

    it("keeps granted links working, says which deny policies were not read, and raises nothing", () => {
      expect(findingLines(r2, RULE)).toEqual([]);
      expect(metadataIdentity(r2.context, `cluster:${C}`, "sandbox", "app")).toMatchObject({
        status: "working",
        denyUnread: ["iam.denyPolicies:projects/acme-pay", "iam.denyPolicies:folders/4401", "iam.denyPolicies:organizations/620315948271"],
        reason: `granted ${WI_USER} to ${member("sandbox", "app")} on gsa:${gsa("sandbox-app")} (deny policies not read: iam.denyPolicies:projects/acme-pay, iam.denyPolicies:folders/4401, iam.denyPolicies:organizations/620315948271)`,
      });
    });
  });
});
