/**
 * The scanner's custom-role and deny-policy sources, through the real googleapis clients against the
 * simulator: which sources a scan runs, their outcomes on the Coverage page, and what they keep.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseEstateText } from "../simulator/load-estate";
import { startSimulator } from "../simulator/server";
import { simulatorClients } from "../sources/gcp/clients";
import { Caller } from "../sources/http/caller";
import { parseApiLimits } from "../config";
import { collect, type SourceOutcome } from "./collect";
import type { CustomRoleData, DenyPolicyData } from "../inventory/model";

const ORG = "organizations/620315948271";
const estate = (faults: unknown[] = []) =>
  YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: {
      name: ORG,
      displayName: "acme.example",
      customRoles: [{ name: `${ORG}/roles/workloadIdentityUserLite`, includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "GA" }],
    },
    folders: [
      {
        name: "folders/4401",
        displayName: "payments",
        denyPolicies: [{ policyId: "folder-guard", rules: [{ denyRule: { deniedPrincipals: ["principalSet://goog/public:all"], deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"] } }] }],
      },
    ],
    projects: [
      {
        projectId: "acme-pay",
        projectNumber: "487812345001",
        parent: "folders/4401",
        customRoles: [
          { name: "projects/acme-pay/roles/ciDeployer", includedPermissions: ["container.deployments.update"], stage: "GA" },
          { name: "projects/acme-pay/roles/oldMinter", includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "GA", deleted: true },
        ],
        denyPolicies: [
          { policyId: "no-default-ns", rules: [{ denyRule: { deniedPrincipals: ["principalSet://goog/public:all"], deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"] } }] },
          { policyId: "no-keys", rules: [{ denyRule: { deniedPrincipals: ["principalSet://goog/public:all"], deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"] } }] },
        ],
        iamPolicy: { bindings: [{ role: "projects/acme-pay/roles/ciDeployer", members: ["group:ci@acme.example"] }] },
        serviceAccounts: [
          {
            email: "ledger@acme-pay.iam.gserviceaccount.com",
            iamPolicy: {
              bindings: [
                // A role of a project outside the scan, one of the organization (listed through the ancestry walk), one deleted, one gone.
                { role: "projects/acme-shared/roles/wiUser", members: ["serviceAccount:acme-pay.svc.id.goog[payments/ledger]"] },
                { role: `${ORG}/roles/workloadIdentityUserLite`, members: ["serviceAccount:acme-pay.svc.id.goog[payments/ledger-v2]"] },
                { role: "projects/acme-pay/roles/oldMinter", members: ["serviceAccount:acme-pay.svc.id.goog[payments/ledger-v0]"] },
                { role: "projects/acme-pay/roles/gone", members: ["serviceAccount:acme-pay.svc.id.goog[payments/ledger-old]"] },
              ],
            },
          },
        ],
      },
      {
        projectId: "acme-shared",
        projectNumber: "487812345002",
        customRoles: [{ name: "projects/acme-shared/roles/wiUser", includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "BETA" }],
      },
    ],
    faults,
  });

async function scan(faults: unknown[] = []): Promise<SourceOutcome[]> {
  const sim = await startSimulator({ estate: parseEstateText(estate(faults), "iam.yaml") });
  try {
    const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 5000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    return await collect(
      { projects: ["acme-pay"], folders: [], clusters: [], readSecrets: true },
      { google: simulatorClients(sim.url), caller, endpointFor: (c) => ({ server: `${sim.url}/clusters/${c.projectId}/${c.location}/${c.name}`, skipTLSVerify: true }) },
    );
  } finally {
    await sim.close();
  }
}

const summary = (outcomes: SourceOutcome[]) =>
  outcomes
    .filter((o) => o.family === "iam.roles" || o.family === "iam.denyPolicies")
    .map((o) => `${o.source} ${o.status} objects=${o.objects} requests=${o.requests}${o.permission ? ` permission=${o.permission}` : ""}`)
    .sort();

describe("custom roles and deny policies in a scan", () => {
  it("lists the roles of the scanned project and of the organization above it once, reads only the referenced roles no list answered for, and lists then gets the deny policies of the project and its ancestors", async () => {
    const outcomes = await scan();
    expect(summary(outcomes)).toEqual([
      "iam.denyPolicies:folders/4401 ok objects=1 requests=2",
      `iam.denyPolicies:${ORG} ok objects=0 requests=1`,
      "iam.denyPolicies:projects/acme-pay ok objects=2 requests=3",
      "iam.roles:acme-pay ok objects=2 requests=1",
      `iam.roles:${ORG} ok objects=1 requests=1`,
      "iam.roles:projects/acme-shared/roles/wiUser ok objects=1 requests=1",
    ]);
    const records = outcomes.flatMap((o) => o.records);
    expect(records.filter((r) => r.kind === "custom-role").map((r) => [r.subject, r.source, (r.data as CustomRoleData).stage, (r.data as CustomRoleData).deleted])).toEqual([
      ["role:projects/acme-pay/roles/ciDeployer", "iam.roles:acme-pay", "GA", false],
      ["role:projects/acme-pay/roles/oldMinter", "iam.roles:acme-pay", "GA", true],
      [`role:${ORG}/roles/workloadIdentityUserLite`, `iam.roles:${ORG}`, "GA", false],
      ["role:projects/acme-shared/roles/wiUser", "iam.roles:projects/acme-shared/roles/wiUser", "BETA", false],
    ]);
    const deny = records.filter((r) => r.kind === "deny-policy").map((r) => r.data as DenyPolicyData);
    expect(deny.map((d) => [d.name, d.attachedTo, d.rules.map((x) => x.deniedPermissions)]).sort()).toEqual([
      ["policies/cloudresourcemanager.googleapis.com%2Ffolders%2F4401/denypolicies/folder-guard", "folder:4401", [["iam.googleapis.com/serviceAccountKeys.create"]]],
      ["policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/no-default-ns", "project:acme-pay", [["iam.googleapis.com/serviceAccounts.getAccessToken"]]],
      ["policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/no-keys", "project:acme-pay", [["iam.googleapis.com/serviceAccountKeys.create"]]],
    ]);
  });

  it("reports what it may not read with the permission IAM named, and then asks for each referenced role of that project on its own", async () => {
    const outcomes = await scan([
      { match: { path: "/v2/policies/**" }, status: 403 },
      { match: { path: "/v1/projects/acme-pay/roles" }, status: 403 },
    ]);
    expect(summary(outcomes)).toEqual([
      "iam.denyPolicies:folders/4401 failed objects=0 requests=1 permission=iam.denypolicies.list",
      `iam.denyPolicies:${ORG} failed objects=0 requests=1 permission=iam.denypolicies.list`,
      "iam.denyPolicies:projects/acme-pay failed objects=0 requests=1 permission=iam.denypolicies.list",
      "iam.roles:acme-pay failed objects=0 requests=1 permission=iam.roles.list",
      `iam.roles:${ORG} ok objects=1 requests=1`,
      // Every custom role a policy grants (here the project's own policy) decides whether it mints tokens.
      "iam.roles:projects/acme-pay/roles/ciDeployer ok objects=1 requests=1",
      // Not found (404): the role is gone, and the source answered in full.
      "iam.roles:projects/acme-pay/roles/gone ok objects=0 requests=1",
      "iam.roles:projects/acme-pay/roles/oldMinter ok objects=1 requests=1",
      "iam.roles:projects/acme-shared/roles/wiUser ok objects=1 requests=1",
    ]);
  });
});
