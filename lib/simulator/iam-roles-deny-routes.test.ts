import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { simulatorClients, type GoogleClients } from "../sources/gcp/clients";

/*
 * Custom roles (IAM v1) and deny policies (IAM v2) through the real googleapis clients; the wire
 * itself (how the attachment point is encoded) through plain fetch.
 */

const ROLE_COUNT = 305; // more than one default page (300)

const ESTATE = `
now: "2026-11-29T00:00:00Z"
organization:
  name: organizations/620315948271
  displayName: example.com
  customRoles:
    - name: organizations/620315948271/roles/workloadIdentityUserLite
      title: Workload Identity User (lite)
      description: getAccessToken only, for GKE workloads
      includedPermissions: [iam.serviceAccounts.getAccessToken, iam.serviceAccounts.getOpenIdToken]
      stage: GA
  denyPolicies:
    - policyId: no-token-minting-outside-platform
      displayName: Only the platform mints tokens
      rules:
        - description: tokens for service accounts only through the platform pools
          denyRule:
            deniedPrincipals: ["principalSet://goog/public:all"]
            exceptionPrincipals: ["principalSet://goog/group/platform-admins@example.com"]
            deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"]
folders:
  - name: folders/4401
    displayName: prod
    denyPolicies:
      - policyId: folder-guard
        rules:
          - denyRule:
              deniedPrincipals: ["principalSet://goog/public:all"]
              deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"]
              denialCondition: {title: only prod, expression: "resource.matchTag('620315948271/env', 'prod')"}
projects:
  - projectId: acme-payments
    projectNumber: "487812345001"
    parent: folders/4401
    customRoles:
      - name: projects/acme-payments/roles/ciDeployer
        title: CI deployer
        includedPermissions: [container.deployments.update]
        stage: DISABLED
      - name: projects/acme-payments/roles/oldTokenRole
        title: Old token role
        includedPermissions: [iam.serviceAccounts.getAccessToken]
        stage: GA
        deleted: true
${Array.from({ length: ROLE_COUNT - 2 }, (_, i) => `      - {name: projects/acme-payments/roles/bulk${String(i).padStart(3, "0")}, includedPermissions: [storage.objects.get]}`).join("\n")}
    denyPolicies:
      - policyId: block-default-ns
        displayName: No tokens for the default namespace
        rules:
          - denyRule:
              deniedPrincipals: ["principalSet://iam.googleapis.com/projects/487812345001/locations/global/workloadIdentityPools/acme-payments.svc.id.goog/namespace/default"]
              deniedPermissions: ["iam.googleapis.com/serviceAccounts.*"]
  - projectId: acme-sandbox
    projectNumber: "487812345002"
    disabledApis: [iam.googleapis.com]
`;

describe("IAM custom roles and deny policies in the simulator", () => {
  let sim: Simulator;
  let g: GoogleClients;
  beforeAll(async () => {
    sim = await startSimulator({ estate: parseEstateText(ESTATE, "roles.yaml") });
    g = simulatorClients(sim.url);
  });
  afterAll(() => sim.close());

  const fetchJson = async (path: string) => {
    const r = await fetch(sim.url + path, { headers: { authorization: "Bearer t" } });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };

  it("lists a project's custom roles 300 a page, without permissions or deleted roles by default", async () => {
    const r1 = await g.iam.projects.roles.list({ parent: "projects/acme-payments" });
    expect(r1.data.roles).toHaveLength(300);
    expect(r1.data.nextPageToken).toBeTruthy();
    expect(r1.data.roles!.every((r) => r.includedPermissions === undefined)).toBe(true);
    const r2 = await g.iam.projects.roles.list({ parent: "projects/acme-payments", pageToken: r1.data.nextPageToken! });
    expect(r2.data.roles!.every((r) => r.includedPermissions === undefined)).toBe(true);
    const names = [...r1.data.roles!, ...r2.data.roles!].map((r) => r.name);
    expect(names).toHaveLength(ROLE_COUNT - 1);
    expect(names).not.toContain("projects/acme-payments/roles/oldTokenRole");
    expect(r2.data.nextPageToken).toBeUndefined();
    expect(r2.data.roles!.find((r) => r.name === "projects/acme-payments/roles/ciDeployer")).toEqual({
      name: "projects/acme-payments/roles/ciDeployer",
      title: "CI deployer",
      stage: "DISABLED",
      etag: expect.any(String),
    });
  });

  it("gives permissions with view=FULL and deleted roles with showDeleted=true", async () => {
    const r = await g.iam.projects.roles.list({ parent: "projects/acme-payments", view: "FULL", showDeleted: true, pageSize: 1000 });
    expect(r.data.roles).toHaveLength(ROLE_COUNT);
    expect(r.data.roles!.find((x) => x.name === "projects/acme-payments/roles/oldTokenRole")).toEqual({
      name: "projects/acme-payments/roles/oldTokenRole",
      title: "Old token role",
      includedPermissions: ["iam.serviceAccounts.getAccessToken"],
      stage: "GA",
      etag: expect.any(String),
      deleted: true,
    });
  });

  it("lists and gets the organization's custom roles; get always has the permissions", async () => {
    const list = await g.iam.organizations.roles.list({ parent: "organizations/620315948271" });
    expect(list.data.roles!.map((r) => [r.name, r.includedPermissions])).toEqual([["organizations/620315948271/roles/workloadIdentityUserLite", undefined]]);
    const role = await g.iam.organizations.roles.get({ name: "organizations/620315948271/roles/workloadIdentityUserLite" });
    expect(role.data.includedPermissions).toEqual(["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken"]);
    expect(role.data.description).toBe("getAccessToken only, for GKE workloads");
    const deleted = await g.iam.projects.roles.get({ name: "projects/acme-payments/roles/oldTokenRole" });
    expect(deleted.data.deleted).toBe(true);
  });

  it("answers 404 for an unknown role, 403 naming iam.roles.list for another organization, and SERVICE_DISABLED where IAM is off", async () => {
    await expect(g.iam.projects.roles.get({ name: "projects/acme-payments/roles/nope" })).rejects.toMatchObject({ status: 404 });
    const other = await fetchJson("/v1/organizations/999/roles");
    expect(other.status).toBe(403);
    expect(other.body.error.details[0].metadata.permission).toBe("iam.roles.list");
    const off = await fetchJson("/v1/projects/acme-sandbox/roles");
    expect(off.status).toBe(403);
    expect(off.body.error.details[0].reason).toBe("SERVICE_DISABLED");
  });

  it("lists deny policies without their rules and names projects by number, whichever way the project was named", async () => {
    for (const id of ["acme-payments", "487812345001"]) {
      const r = await g.iamV2.policies.listPolicies({ parent: `policies/cloudresourcemanager.googleapis.com%2Fprojects%2F${id}/denypolicies` });
      expect(r.data.policies).toEqual([
        {
          name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/block-default-ns",
          uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
          kind: "DenyPolicy",
          displayName: "No tokens for the default namespace",
          etag: expect.any(String),
          createTime: expect.any(String),
          updateTime: expect.any(String),
        },
      ]);
    }
  });

  it("gets a deny policy with its rules, by the name the list gave (organization, folder and project)", async () => {
    const org = await g.iamV2.policies.listPolicies({ parent: "policies/cloudresourcemanager.googleapis.com%2Forganizations%2F620315948271/denypolicies" });
    const got = await g.iamV2.policies.get({ name: org.data.policies![0].name! });
    expect(got.data.rules).toEqual([
      {
        description: "tokens for service accounts only through the platform pools",
        denyRule: {
          deniedPrincipals: ["principalSet://goog/public:all"],
          exceptionPrincipals: ["principalSet://goog/group/platform-admins@example.com"],
          deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"],
        },
      },
    ]);
    const folder = await g.iamV2.policies.get({ name: "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F4401/denypolicies/folder-guard" });
    expect(folder.data.rules![0].denyRule!.denialCondition).toEqual({ title: "only prod", expression: "resource.matchTag('620315948271/env', 'prod')" });
    expect(folder.data.displayName).toBeUndefined();
  });

  it("takes the attachment point encoded once (%2F, as curl and gcloud send it) and refuses literal slashes", async () => {
    const once = await fetchJson("/v2/policies/cloudresourcemanager.googleapis.com%2Fprojects%2Facme-payments/denypolicies/block-default-ns");
    expect(once.status).toBe(200);
    expect(once.body.rules[0].denyRule.deniedPermissions).toEqual(["iam.googleapis.com/serviceAccounts.*"]);
    const literal = await fetchJson("/v2/policies/cloudresourcemanager.googleapis.com/projects/acme-payments/denypolicies");
    expect(literal.status).toBe(404);
  });

  it("answers 403 naming iam.denypolicies.list for an attachment point it does not know, and 404 for an unknown policy", async () => {
    const r = await fetchJson("/v2/policies/cloudresourcemanager.googleapis.com%2Ffolders%2F999/denypolicies");
    expect(r.status).toBe(403);
    expect(r.body.error.details[0].metadata.permission).toBe("iam.denypolicies.list");
    await expect(g.iamV2.policies.get({ name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2Facme-payments/denypolicies/nope" })).rejects.toMatchObject({
      status: 404,
    });
    const empty = await g.iamV2.policies.listPolicies({ parent: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345002/denypolicies" }).catch((e) => e);
    expect(empty.status).toBe(403); // IAM is disabled in acme-sandbox
  });
});
