/**
 * What one scan reads, source by source, when its scope is narrower than the organization: clusters
 * left out by WI_ATLAS_CLUSTERS, the ancestry above a projects/folders scope, fleet memberships, and
 * the per-pool Cloud Asset search — through the simulator and the real clients, no database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { startSimulator, type Simulator } from "../simulator/server";
import { parseEstateText } from "../simulator/load-estate";
import { simulatorClients } from "../sources/gcp/clients";
import { gkeEndpoint } from "../sources/k8s/clients";
import { Caller } from "../sources/http/caller";
import { parseApiLimits } from "../config";
import { collect, type CollectScope, type SourceOutcome } from "./collect";
import { SOURCE_PERMISSIONS } from "./permissions";
import { inventoryPathOf } from "./inventory-path";

const ORG = "organizations/333333333333";
const POOL = "acme-shop.svc.id.goog";
const principal = (ns: string, ksa: string) => `principal://iam.googleapis.com/projects/400000000001/locations/global/workloadIdentityPools/${POOL}/subject/ns/${ns}/sa/${ksa}`;
const cluster = (name: string) => ({
  cluster: {
    name,
    location: "europe-west1",
    workloadIdentityConfig: { workloadPool: POOL },
    nodePools: [{ name: "pool-1", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
  },
  manifests: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }],
});

function estate(faults: unknown[] = []) {
  return parseEstateText(
    YAML.stringify({
      now: "2026-11-29T00:00:00Z",
      organization: { name: ORG, displayName: "acme.example" },
      folders: [
        { name: "folders/100", displayName: "platform" },
        { name: "folders/101", displayName: "prod", parent: "folders/100" },
      ],
      projects: [
        {
          projectId: "acme-shop",
          projectNumber: "400000000001",
          parent: "folders/101",
          clusters: [cluster("shop-eu"), cluster("shop-tools")],
          memberships: [
            {
              name: "projects/acme-shop/locations/europe-west1/memberships/eks-storefront",
              endpoint: { multiCloudCluster: { resourceLink: "//gkemulticloud.googleapis.com/projects/400000000001/locations/europe-west1/attachedClusters/eks-storefront" } },
              authority: { issuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9" },
            },
          ],
          resourcePolicies: [
            {
              resource: "//storage.googleapis.com/acme-shop-images",
              assetType: "storage.googleapis.com/Bucket",
              policy: { bindings: [{ role: "roles/storage.objectViewer", members: [principal("shop", "storefront")] }] },
            },
          ],
        },
        { projectId: "acme-sandbox", projectNumber: "400000000002", parent: "folders/100", disabledApis: ["gkehub.googleapis.com"] },
      ],
      faults,
    }),
    "collect.yaml",
  );
}

async function scan(sim: Simulator, scope: Partial<CollectScope>): Promise<SourceOutcome[]> {
  const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 5000, retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
  return collect(
    { folders: [], projects: [], clusters: [], readSecrets: true, ...scope },
    { google: simulatorClients(sim.url), caller, endpointFor: (c, raw) => gkeEndpoint(c, raw, sim.kubernetesPort) },
  );
}

const line = (o: SourceOutcome) => `${o.source} ${o.status}${o.error && o.status !== "ok" ? `: ${o.error}` : ""}`;

describe("collecting a scope narrower than the organization", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: estate() });
  });
  afterAll(() => sim.close());

  it("WI_ATLAS_CLUSTERS: keeps every cluster and node pool, and records the left-out cluster's Kubernetes sources as skipped", async () => {
    const out = await scan(sim, { projects: ["acme-shop"], clusters: ["shop-eu"] });
    const clusters = out.find((o) => o.source === "container.clusters:acme-shop")!;
    expect(clusters.status).toBe("ok");
    expect(clusters.records.map((r) => r.subject)).toEqual([
      "cluster:acme-shop/europe-west1/shop-eu",
      "nodepool:acme-shop/europe-west1/shop-eu/pool-1",
      "cluster:acme-shop/europe-west1/shop-tools",
      "nodepool:acme-shop/europe-west1/shop-tools/pool-1",
    ]);
    const k8s = (key: string) => out.filter((o) => o.scope === key && o.family.startsWith("k8s.")).map(line).sort();
    const why = "not read: WI_ATLAS_CLUSTERS (shop-eu) does not name shop-tools";
    expect(k8s("acme-shop/europe-west1/shop-tools")).toEqual(
      ["configmaps", "cronjobs", "daemonsets", "deployments", "jobs", "namespaces", "nodes", "pods", "replicasets", "secrets", "serviceaccounts", "statefulsets"].map(
        (r) => `k8s.${r}:acme-shop/europe-west1/shop-tools skipped: ${why}`,
      ),
    );
    expect(k8s("acme-shop/europe-west1/shop-eu").every((l) => l.endsWith(" ok"))).toBe(true);
  });

  it("reads the ancestry above a projects scope up to the organization, and every ancestor's policy", async () => {
    const out = await scan(sim, { projects: ["acme-shop"] });
    expect(out.filter((o) => o.family === "crm.ancestry" || o.family === "crm.iamPolicy").map(line).sort()).toEqual([
      "crm.ancestry:folders/100 ok",
      "crm.ancestry:folders/101 ok",
      "crm.iamPolicy:folders/100 ok",
      "crm.iamPolicy:folders/101 ok",
      `crm.iamPolicy:${ORG} ok`,
      "crm.iamPolicy:projects/acme-shop ok",
    ]);
    expect(out.find((o) => o.source === "crm.ancestry:folders/101")!.records.map((r) => r.data)).toEqual([{ name: "folders/101", displayName: "prod", parent: "folders/100" }]);
  });

  it("reads the ancestry above a folders scope, without walking anything the folder walk already knows", async () => {
    const out = await scan(sim, { folders: ["101"] });
    expect(out.filter((o) => o.family.startsWith("crm.")).map(line).sort()).toEqual([
      "crm.ancestry:folders/100 ok",
      "crm.folder:folders/101 ok",
      "crm.iamPolicy:folders/100 ok",
      "crm.iamPolicy:folders/101 ok",
      `crm.iamPolicy:${ORG} ok`,
      "crm.iamPolicy:projects/acme-shop ok",
      "crm.projects:folders/101 ok",
    ]);
  });

  it("an organization scan walks no ancestry: its folder walk knows every parent", async () => {
    const out = await scan(sim, { organization: ORG.slice(14) });
    expect(out.filter((o) => o.family === "crm.ancestry")).toEqual([]);
  });

  it("lists each project's fleet memberships; a project with the GKE Hub API off hosts no fleet", async () => {
    const out = await scan(sim, { projects: ["acme-shop", "acme-sandbox"] });
    expect(out.filter((o) => o.family === "gkehub.memberships").map((o) => `${line(o)} ${o.records.map((r) => r.subject).join(",")}`).sort()).toEqual([
      "gkehub.memberships:acme-sandbox ok ",
      "gkehub.memberships:acme-shop ok membership:acme-shop/europe-west1/eks-storefront",
    ]);
    const m = out.find((o) => o.source === "gkehub.memberships:acme-shop")!.records[0].data;
    expect(m).toMatchObject({ memberKind: "attached", pool: POOL, gkeCluster: null, state: "READY" });
  });

  it("asks Cloud Asset once per workload pool which resources grant its principals anything", async () => {
    const out = await scan(sim, { projects: ["acme-shop", "acme-sandbox"] });
    const searches = out.filter((o) => o.family === "asset.poolPolicies").sort((a, b) => (a.source < b.source ? -1 : 1));
    expect(searches.map((o) => `${line(o)} ${o.requests}`)).toEqual([`asset.poolPolicies:projects/acme-sandbox/${POOL} ok 1`, `asset.poolPolicies:projects/acme-shop/${POOL} ok 1`]);
    expect(searches[1].records.map((r) => [r.kind, r.subject])).toEqual([["resource-policy", `resource://storage.googleapis.com/acme-shop-images#${POOL}`]]);
  });

  it("records what it could not read: a folder above the scope, the memberships, the pool search (optional: skipped)", async () => {
    sim.setEstate(
      estate([
        { match: { path: "/v3/folders/100" }, status: 403 },
        { match: { path: "/v1/projects/acme-shop/locations/-/memberships" }, status: 403 },
        { match: { path: "/v1/projects/acme-shop:searchAllIamPolicies" }, status: 403 },
      ]),
    );
    try {
      const out = await scan(sim, { projects: ["acme-shop"] });
      const get = (s: string) => out.find((o) => o.source === s)!;
      expect([get("crm.ancestry:folders/100").status, get("crm.ancestry:folders/100").permission]).toEqual(["failed", "resourcemanager.folders.get"]);
      // Its policy is still asked for: the child named the folder, so it is known to exist.
      expect(get("crm.iamPolicy:folders/100").status).toBe("ok");
      expect([get("gkehub.memberships:acme-shop").status, get("gkehub.memberships:acme-shop").permission]).toEqual(["failed", "gkehub.memberships.list"]);
      const pool = get(`asset.poolPolicies:projects/acme-shop/${POOL}`);
      expect([pool.status, pool.httpStatus, pool.permission]).toEqual(["skipped", 403, "cloudasset.assets.searchAllIamPolicies"]);
      expect(pool.error).toMatch(/^not read \(optional\): .*roles\/cloudasset\.viewer on projects\/acme-shop shows them$/);
    } finally {
      sim.setEstate(estate());
    }
  });

  it("WI_ATLAS_INVENTORY_PATH=auto searches Cloud Asset Inventory over a folder scope, and asks IAM per account for a projects scope, saying why", async () => {
    const assetSources = (out: SourceOutcome[]) => out.filter((o) => o.family === "asset.keys" || o.family === "asset.iamPolicies").map(line).sort();
    const folder = await scan(sim, { folders: ["100"], inventoryPath: "auto" });
    expect(assetSources(folder)).toEqual(["asset.iamPolicies:folders/100 ok", "asset.keys:folders/100 ok"]);
    expect(inventoryPathOf({ folders: ["100"], projects: [], inventoryPath: "auto" }, folder)).toEqual({
      inventoryPath: "asset",
      inventoryPathSetting: "auto",
      inventoryPathReason: "via Cloud Asset Inventory (folders/100), chosen by WI_ATLAS_INVENTORY_PATH=auto",
    });
    const projects = await scan(sim, { projects: ["acme-shop"], inventoryPath: "auto" });
    expect(assetSources(projects)).toEqual([]);
    expect(projects.find((o) => o.source === "iam.keys:acme-shop")!.status).toBe("ok");
    expect(inventoryPathOf({ folders: [], projects: ["acme-shop"], inventoryPath: "auto" }, projects)).toEqual({
      inventoryPath: "direct",
      inventoryPathSetting: "auto",
      inventoryPathReason:
        "asked IAM per account: the scan's scope is projects, and WI_ATLAS_INVENTORY_PATH=auto searches Cloud Asset Inventory only where one search covers an organization or folders (WI_ATLAS_INVENTORY_PATH=asset searches each project)",
    });
    // `asset` was asked for: it searches a projects scope too.
    expect(assetSources(await scan(sim, { projects: ["acme-shop"], inventoryPath: "asset" }))).toEqual(["asset.iamPolicies:projects/acme-shop ok", "asset.keys:projects/acme-shop ok"]);
  });

  it("every source family it records is on the Coverage page's least-privilege list", async () => {
    const families = new Set([...(await scan(sim, { projects: ["acme-shop"] })), ...(await scan(sim, { folders: ["100"], inventoryPath: "asset" }))].map((o) => o.family));
    expect([...families].filter((f) => !SOURCE_PERMISSIONS.some((p) => p.family === f))).toEqual([]);
    expect(SOURCE_PERMISSIONS.find((p) => p.family === "gkehub.memberships")!.role).toBe("roles/gkehub.viewer");
  });
});
