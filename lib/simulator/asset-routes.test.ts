import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "./server";
import { generateEstate } from "./generate-estate";
import { parseEstateText } from "./load-estate";
import { simulatorClients } from "../sources/gcp/clients";
import YAML from "yaml";

const auth = { authorization: "Bearer t" };

describe("Cloud Asset Inventory in the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: generateEstate("org-s", { seed: 3 }) });
  });
  afterAll(() => sim.close());

  const get = async (path: string) => {
    const r = await fetch(sim.url + path, { headers: auth });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };

  it("names service accounts and keys by uniqueId, pages at most 500 results, and returns every key once", async () => {
    const w = sim.world();
    const org = w.estate.organization!.name;
    const names: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const r = await get(`/v1/${org}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccountKey&pageSize=1000${token ? `&pageToken=${token}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.body.results.length).toBeLessThanOrEqual(500);
      for (const x of r.body.results) {
        expect(x.assetType).toBe("iam.googleapis.com/ServiceAccountKey");
        expect(x.name).toMatch(/^\/\/iam\.googleapis\.com\/projects\/[a-z0-9-]+\/serviceAccounts\/\d{21}\/keys\/[0-9a-f]{40}$/);
        expect(x.project).toMatch(/^projects\/\d+$/);
        // Without readMask asking for them, no versionedResources.
        expect(x.versionedResources).toBeUndefined();
        names.push(x.name);
      }
      token = r.body.nextPageToken ?? "";
      pages++;
    } while (token);
    const expected = w.serviceAccounts.reduce((n, s) => n + s.keys.length, 0); // user- and system-managed
    expect(names.length).toBe(expected);
    expect(new Set(names).size).toBe(expected);
    expect(pages).toBe(Math.ceil(expected / 500));
  });

  it("returns the key's own JSON in versionedResources when the readMask asks", async () => {
    const w = sim.world();
    const sa = w.serviceAccounts.find((s) => s.estate.keys.length > 0)!;
    const r = await get(`/v1/projects/${sa.project.projectId}:searchAllResources?assetTypes=iam.googleapis.com/ServiceAccountKey&readMask=name,versionedResources&pageSize=500`);
    const mine = r.body.results.filter((x: any) => x.parentFullResourceName.endsWith(`/serviceAccounts/${sa.json.uniqueId}`));
    expect(mine.length).toBe(sa.keys.length);
    const user = mine.find((x: any) => x.versionedResources[0].resource.keyType === "USER_MANAGED");
    expect(user.versionedResources[0].resource.validAfterTime).toMatch(/^\d{4}-/);
  });

  it("returns policies only for accounts that have one, scoped to a folder when asked", async () => {
    const w = sim.world();
    const withPolicy = w.serviceAccounts.filter((s) => s.policy.bindings.length > 0);
    const r = await get(`/v1/${w.estate.organization!.name}:searchAllIamPolicies?assetTypes=iam.googleapis.com/ServiceAccount&pageSize=500`);
    expect(r.body.results.length).toBe(withPolicy.length);
    expect(r.body.results[0].policy.bindings[0].members.length).toBeGreaterThan(0);
    const folder = w.estate.folders[0].name;
    const inFolder = await get(`/v1/${folder}:searchAllIamPolicies?assetTypes=iam.googleapis.com/ServiceAccount&pageSize=500`);
    expect(inFolder.body.results.length).toBeGreaterThan(0);
    expect(inFolder.body.results.length).toBeLessThan(withPolicy.length);
    for (const x of inFolder.body.results) expect(x.folders).toContain(folder);
  });

  it("answers 403 naming the permission for a scope it cannot see, and 400 for a bad page token", async () => {
    const r = await get(`/v1/organizations/999:searchAllIamPolicies`);
    expect(r.status).toBe(403);
    expect(r.body.error.details[0].metadata.permission).toBe("cloudasset.assets.searchAllIamPolicies");
    const bad = await get(`/v1/${sim.world().estate.organization!.name}:searchAllResources?pageToken=bm9wZQ`);
    expect(bad.status).toBe(400);
  });
});

describe("searchAllIamPolicies with a query, as Cloud Asset Inventory matches it", () => {
  const POOL = "acme-prod.svc.id.goog";
  const EU_POOL = "eu-acme-prod.svc.id.goog";
  const principal = (number: string, pool: string, ns: string, ksa: string) =>
    `principal://iam.googleapis.com/projects/${number}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/${ksa}`;
  const INVOICE_API = principal("200000000001", POOL, "billing", "invoice-api");
  const EU_WORKER = principal("200000000002", EU_POOL, "orders", "worker");
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      estate: parseEstateText(
        YAML.stringify({
          now: "2026-11-29T00:00:00Z",
          organization: { name: "organizations/222222222222", displayName: "acme.example" },
          projects: [
            {
              projectId: "acme-prod",
              projectNumber: "200000000001",
              resourcePolicies: [
                {
                  resource: "//storage.googleapis.com/acme-invoices",
                  assetType: "storage.googleapis.com/Bucket",
                  policy: {
                    bindings: [
                      { role: "roles/storage.objectViewer", members: [INVOICE_API] },
                      { role: "roles/storage.admin", members: ["group:storage-admins@acme.example"] },
                    ],
                  },
                },
                {
                  resource: "//pubsub.googleapis.com/projects/acme-prod/topics/orders",
                  assetType: "pubsub.googleapis.com/Topic",
                  policy: { bindings: [{ role: "roles/pubsub.publisher", members: [EU_WORKER] }] },
                },
              ],
            },
            { projectId: "eu-acme-prod", projectNumber: "200000000002" },
          ],
        }),
        "asset-query.yaml",
      ),
    });
  });
  afterAll(() => sim.close());

  const search = (scope: string, query: string) => simulatorClients(sim.url).cloudasset.v1.searchAllIamPolicies({ scope, query, pageSize: 500 });

  it("serves resource-level policies with the project, folders and organization of where they sit", async () => {
    const r = await search("organizations/222222222222", 'resource:"acme-invoices"');
    expect(r.data.results).toEqual([
      {
        resource: "//storage.googleapis.com/acme-invoices",
        assetType: "storage.googleapis.com/Bucket",
        project: "projects/200000000001",
        organization: "organizations/222222222222",
        policy: {
          bindings: [
            { role: "roles/storage.objectViewer", members: [INVOICE_API] },
            { role: "roles/storage.admin", members: ["group:storage-admins@acme.example"] },
          ],
        },
      },
    ]);
  });

  it("matches policy: by consecutive words, keeping only the bindings that matched — a pool's search also finds a pool whose name ends like it", async () => {
    const r = await search("organizations/222222222222", `policy:"${POOL}"`);
    expect(r.data.results!.map((x) => [x.resource, x.policy!.bindings!.map((b) => b.role)])).toEqual([
      ["//pubsub.googleapis.com/projects/acme-prod/topics/orders", ["roles/pubsub.publisher"]],
      ["//storage.googleapis.com/acme-invoices", ["roles/storage.objectViewer"]],
    ]);
    const eu = await search("organizations/222222222222", `policy:"${EU_POOL}"`);
    expect(eu.data.results!.map((x) => x.resource)).toEqual(["//pubsub.googleapis.com/projects/acme-prod/topics/orders"]);
    const prefix = await search("projects/acme-prod", "policy:storage-adm*");
    expect(prefix.data.results!.map((x) => x.policy!.bindings!.map((b) => b.members))).toEqual([[["group:storage-admins@acme.example"]]]);
    // Every policy term holds, in one binding; words no binding has find nothing.
    const both = await search("organizations/222222222222", `policy:"${POOL}" policy:objectViewer`);
    expect(both.data.results!.map((x) => [x.resource, x.policy!.bindings!.map((b) => b.role)])).toEqual([["//storage.googleapis.com/acme-invoices", ["roles/storage.objectViewer"]]]);
    const none = await search("organizations/222222222222", `policy:"${POOL}" policy:storage-admins`);
    expect(none.data.results).toBeUndefined();
    expect((await search("organizations/222222222222", "policy:nobody-has-this")).data.results).toBeUndefined();
  });

  it("answers 400 for what it does not implement, never an unfiltered answer", async () => {
    const r = await search("organizations/222222222222", "memberTypes:user").catch((e) => e.response);
    expect(r.status).toBe(400);
    expect(r.data.error.status).toBe("INVALID_ARGUMENT");
  });
});
