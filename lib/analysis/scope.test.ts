/**
 * Scope honesty: the analysis never claims what the scan did not look at. A workload pool's clusters
 * are its project's clusters plus its fleet's members; until every one was read in full, nothing is
 * called absent there and no removal is printed. In projects/folders scopes, grants inherited from
 * every ancestor count, or the answer names the ancestor it could not read. Each case runs an estate
 * through the simulator and the real collector, in the scan mode it is about.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines, workloadLines, type ScanOptions } from "./testing";
import type { AnalysisResult } from "./run-analysis";

type Obj = Record<string, unknown>;

const ORG = "organizations/555555555555";
const SHOP = "acme-shop";
const SHOP_NUMBER = "500000000001";
const POOL = `${SHOP}.svc.id.goog`;
const LOC = "europe-west1";
const WI_USER = "roles/iam.workloadIdentityUser";
const GSA = `checkout@${SHOP}.iam.gserviceaccount.com`;
const member = (ns: string, ksa: string, pool = POOL) => `serviceAccount:${pool}[${ns}/${ksa}]`;
const principal = (ns: string, ksa: string, pool = POOL, number = SHOP_NUMBER) =>
  `principal://iam.googleapis.com/projects/${number}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/${ksa}`;

const ksa = (ns: string, name: string, annotation?: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(annotation ? { annotations: { "iam.gke.io/gcp-service-account": annotation } } : {}) },
});
const deployment = (ns: string, name: string, serviceAccountName: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns, labels: { app: name } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { serviceAccountName, containers: [{ name, image: `europe-docker.pkg.dev/${SHOP}/apps/${name}:1.4.2` }] } },
  },
});
const gkeCluster = (name: string, manifests: Obj[], opts: { pool?: string | null; metadata?: string } = {}) => ({
  cluster: {
    name,
    location: LOC,
    ...(opts.pool === null ? {} : { workloadIdentityConfig: { workloadPool: opts.pool ?? POOL } }),
    nodePools: [{ name: "pool-1", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: opts.metadata ?? "GKE_METADATA" } } }],
  },
  manifests,
});
const attached = (id: string, pool?: string) => ({
  name: `projects/${SHOP}/locations/${LOC}/memberships/${id}`,
  endpoint: { multiCloudCluster: { resourceLink: `//gkemulticloud.googleapis.com/projects/${SHOP_NUMBER}/locations/${LOC}/attachedClusters/${id}` } },
  authority: { issuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/1F2E3D4C5B6A79880716253443526170", ...(pool ? { workloadIdentityPool: pool } : {}) },
});

function estate(shop: Obj, extra: { projects?: Obj[]; folders?: Obj[]; faults?: Obj[]; org?: Obj } = {}): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: ORG, displayName: "acme.example", ...(extra.org ?? {}) },
    folders: extra.folders ?? [],
    projects: [
      {
        projectId: SHOP,
        projectNumber: SHOP_NUMBER,
        serviceAccounts: [{ email: GSA, lastAuthenticatedTime: "2026-11-28T07:00:00Z", iamPolicy: { bindings: [{ role: WI_USER, members: [member("checkout", "checkout-api")] }] } }],
        ...shop,
      },
      ...(extra.projects ?? []),
    ],
    faults: extra.faults ?? [],
  });
}

const finding = (r: AnalysisResult, rule: string, subject: string) => r.findings.find((f) => f.rule === rule && f.subject === subject);

describe("a pool used by clusters whose objects were not read", () => {
  it("a KSA only on an attached (EKS) fleet member: binding-stale is unverified, naming the member, with no removal", async () => {
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [ksa("web", "storefront")])], memberships: [attached("eks-checkout")] }));
    const f = finding(r, "binding-stale", `gsa:${GSA}`)!;
    expect([f.state, f.fixes]).toEqual(["unverified", []]);
    expect(f.lacking).toEqual([
      `fleet member projects/${SHOP}/locations/${LOC}/memberships/eks-checkout (attached cluster //gkemulticloud.googleapis.com/projects/${SHOP_NUMBER}/locations/${LOC}/attachedClusters/eks-checkout: its Kubernetes objects are not read)`,
    ]);
  });

  it("the same estate without the fleet member: the binding is stale, and only then is its removal printed", async () => {
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [ksa("web", "storefront")])] }));
    const f = finding(r, "binding-stale", `gsa:${GSA}`)!;
    expect(f.state).toBe("open");
    expect(f.fixes).toHaveLength(1);
    expect(f.fixes[0].content).toMatch(/^gcloud iam service-accounts remove-iam-policy-binding checkout@acme-shop\.iam\.gserviceaccount\.com /);
    expect(f.fixes[0].content).toContain(`--member="serviceAccount:${POOL}[checkout/checkout-api]"`);
  });

  it("a member of another pool does not count, and a member with Workload Identity off uses no pool", async () => {
    const off = { ...attached("eks-lab"), authority: undefined };
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [])], memberships: [attached("eks-other", "acme-other.svc.id.goog"), off] }));
    expect(finding(r, "binding-stale", `gsa:${GSA}`)!.state).toBe("open");
  });

  it("a GKE fleet member in a project the scan does not cover makes it unverified, naming the cluster", async () => {
    const gkeMember = {
      name: `projects/${SHOP}/locations/global/memberships/payments-us`,
      endpoint: { gkeCluster: { resourceLink: "//container.googleapis.com/projects/acme-payments/locations/us-east1/clusters/payments-us" } },
      authority: { issuer: "https://container.googleapis.com/v1/projects/acme-payments/locations/us-east1/clusters/payments-us" },
    };
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [])], memberships: [gkeMember] }));
    expect(finding(r, "binding-stale", `gsa:${GSA}`)!.lacking).toEqual([
      `fleet member projects/${SHOP}/locations/global/memberships/payments-us: GKE cluster acme-payments/us-east1/payments-us (project acme-payments not scanned)`,
    ]);
  });

  it("a GKE fleet member of another scanned project is read like the pool's own clusters", async () => {
    const gkeMember = {
      name: `projects/${SHOP}/locations/global/memberships/payments-us`,
      endpoint: { gkeCluster: { resourceLink: "//container.googleapis.com/projects/acme-payments/locations/us-east1/clusters/payments-us" } },
      authority: { issuer: "https://container.googleapis.com/v1/projects/acme-payments/locations/us-east1/clusters/payments-us" },
    };
    const payments = {
      projectId: "acme-payments",
      projectNumber: "500000000002",
      clusters: [{ ...gkeCluster("payments-us", [ksa("checkout", "checkout-api", GSA)], { pool: POOL }), cluster: { ...gkeCluster("payments-us", [], { pool: POOL }).cluster, location: "us-east1" } }],
    };
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [])], memberships: [gkeMember] }, { projects: [payments] }));
    expect(finding(r, "binding-stale", `gsa:${GSA}`)).toBeUndefined();
    expect(r.bindings.find((b) => b.gsa === GSA)!.state).toBe("ok");
  });

  it("memberships that could not be listed (no roles/gkehub.viewer) leave the pool unverified, naming the source", async () => {
    const r = await analyzeEstate(
      estate({ clusters: [gkeCluster("shop-eu", [])] }, { faults: [{ match: { path: `/v1/projects/${SHOP}/locations/-/memberships` }, status: 403 }] }),
    );
    expect(finding(r, "binding-stale", `gsa:${GSA}`)!.lacking).toEqual([`gkehub.memberships:${SHOP}`]);
  });

  it("a KSA that exists unannotated here while the pool has an unread member: binding-without-annotation is unverified", async () => {
    const r = await analyzeEstate(estate({ clusters: [gkeCluster("shop-eu", [ksa("checkout", "checkout-api")])], memberships: [attached("eks-checkout")] }));
    const f = finding(r, "binding-without-annotation", `ksa:${SHOP}/${LOC}/shop-eu/checkout/checkout-api`)!;
    expect([f.state, f.lacking?.length]).toEqual(["unverified", 1]);
  });

  it("gsa-unused: an account no read cluster uses is unverified while a fleet member is unread, and prints no deletion", async () => {
    const unused = `old-exporter@${SHOP}.iam.gserviceaccount.com`;
    const text = estate({ clusters: [gkeCluster("shop-eu", [])], memberships: [attached("eks-checkout")] }).replace(
      "serviceAccounts:\n",
      `serviceAccounts:\n      - email: ${unused}\n        lastAuthenticatedTime: "2025-01-10T07:00:00Z"\n`,
    );
    const f = finding(await analyzeEstate(text), "gsa-unused", `gsa:${unused}`)!;
    expect([f.state, f.fixes.map((x) => x.kind)]).toEqual(["unverified", ["note"]]);
  });
});

describe("WI_ATLAS_CLUSTERS: only some clusters' Kubernetes objects are read", () => {
  const shop = {
    clusters: [
      gkeCluster("shop-eu", [ksa("web", "storefront")]),
      gkeCluster("shop-batch", [ksa("checkout", "checkout-api", GSA)], { metadata: "GCE_METADATA" }),
      gkeCluster("shop-legacy", [], { pool: null, metadata: "GCE_METADATA" }),
    ],
  };
  const scan: ScanOptions = { clusters: ["shop-eu"] };

  it("a binding whose KSA lives only in a left-out cluster is unverified, naming that cluster's KSA list", async () => {
    const r = await analyzeEstate(estate(shop), { scan });
    const f = finding(r, "binding-stale", `gsa:${GSA}`)!;
    expect([f.state, f.lacking, f.fixes]).toEqual(["unverified", [`k8s.serviceaccounts:${SHOP}/${LOC}/shop-batch`], []]);
  });

  it("the Google-side rules still see the left-out clusters and their node pools", async () => {
    const r = await analyzeEstate(estate(shop), { scan });
    expect(findingLines(r, "cluster-wi-disabled")).toEqual([`cluster-wi-disabled cluster:${SHOP}/${LOC}/shop-legacy open`]);
    expect(findingLines(r, "nodepool-legacy-metadata")).toEqual([
      `nodepool-legacy-metadata nodepool:${SHOP}/${LOC}/shop-batch/pool-1 open`,
      `nodepool-legacy-metadata nodepool:${SHOP}/${LOC}/shop-legacy/pool-1 open`,
    ]);
    // What was not read is not counted as nothing.
    expect(finding(r, "cluster-wi-disabled", `cluster:${SHOP}/${LOC}/shop-legacy`)!.message).toBe("shop-legacy (europe-west1) has no workload pool: its pods (not read) use node service accounts or keys.");
    expect(finding(r, "nodepool-legacy-metadata", `nodepool:${SHOP}/${LOC}/shop-batch/pool-1`)!.evidence).toMatchObject({ nodes: null, pods: null });
    // No workload of a left-out cluster is made up: only shop-eu's objects were read.
    expect(workloadLines(r)).toEqual([]);
  });
});

describe("grants inherited from every ancestor, in projects and folders scopes", () => {
  // acme-shop sits in folders/700 (shop), under folders/600 (platform), under the organization.
  const folders = [
    { name: "folders/600", displayName: "platform" },
    { name: "folders/700", displayName: "shop", parent: "folders/600" },
  ];
  // The GSA's own policy grants nothing: whether the link works depends on the ancestors.
  const shop = () => ({
    parent: "folders/700",
    serviceAccounts: [{ email: GSA, lastAuthenticatedTime: "2026-11-28T07:00:00Z" }],
    clusters: [gkeCluster("shop-eu", [ksa("checkout", "checkout-api", GSA), deployment("checkout", "checkout-api", "checkout-api")])],
  });
  const grantingFolders = folders.map((f) => (f.name === "folders/600" ? { ...f, iamPolicy: { bindings: [{ role: WI_USER, members: [member("checkout", "checkout-api")] }] } } : f));
  const ksaSubject = `ksa:${SHOP}/${LOC}/shop-eu/checkout/checkout-api`;
  const workload = `workload:${SHOP}/${LOC}/shop-eu/checkout/Deployment/checkout-api`;

  it("WI_ATLAS_PROJECTS: a grandparent folder's workloadIdentityUser grant makes the link work", async () => {
    const r = await analyzeEstate(estate(shop(), { folders: grantingFolders }), { scan: { projects: [SHOP] } });
    expect(finding(r, "ksa-annotation-unbound", ksaSubject)).toBeUndefined();
    expect(workloadLines(r)).toEqual([`${workload} | ${GSA} | workload-identity | migrated`]);
  });

  it("WI_ATLAS_FOLDERS: the organization's grant above the scanned folder counts", async () => {
    const org = { iamPolicy: { bindings: [{ role: WI_USER, members: [member("checkout", "checkout-api")] }] } };
    const r = await analyzeEstate(estate(shop(), { folders, org }), { scan: { folders: ["700"] } });
    expect(finding(r, "ksa-annotation-unbound", ksaSubject)).toBeUndefined();
    expect(workloadLines(r)).toEqual([`${workload} | ${GSA} | workload-identity | migrated`]);
  });

  it("with no grant anywhere up the chain, the link is broken (every ancestor was read)", async () => {
    const r = await analyzeEstate(estate(shop(), { folders }), { scan: { projects: [SHOP] } });
    expect(finding(r, "ksa-annotation-unbound", ksaSubject)!.state).toBe("open");
  });

  it("an ancestor folder that cannot be read leaves the link unknown, naming it", async () => {
    const r = await analyzeEstate(estate(shop(), { folders, faults: [{ match: { path: "/v3/folders/600" }, status: 403 }] }), { scan: { projects: [SHOP] } });
    const f = finding(r, "ksa-annotation-unbound", ksaSubject)!;
    expect([f.state, f.lacking]).toEqual(["unverified", ["crm.ancestry:folders/600"]]);
  });

  it("an ancestor whose policy cannot be read leaves the link unknown, naming the policy", async () => {
    const r = await analyzeEstate(estate(shop(), { folders, faults: [{ match: { method: "POST", path: `/v3/${ORG}:getIamPolicy` }, status: 403 }] }), {
      scan: { projects: [SHOP] },
    });
    const f = finding(r, "ksa-annotation-unbound", ksaSubject)!;
    expect([f.state, f.lacking]).toEqual(["unverified", [`crm.iamPolicy:${ORG}`]]);
  });
});

describe("Google's preferred end state: a KSA with direct grants on resources and no key", () => {
  const shop = {
    clusters: [gkeCluster("shop-eu", [ksa("media", "thumbnailer"), deployment("media", "thumbnailer", "thumbnailer"), ksa("media", "uploader"), deployment("media", "uploader", "uploader")])],
    resourcePolicies: [
      {
        resource: `//storage.googleapis.com/${SHOP}-media`,
        assetType: "storage.googleapis.com/Bucket",
        policy: { bindings: [{ role: "roles/storage.objectUser", members: [principal("media", "thumbnailer")] }] },
      },
      {
        resource: `//pubsub.googleapis.com/projects/${SHOP}/topics/media-events`,
        assetType: "pubsub.googleapis.com/Topic",
        // Another pool whose name ends like this one: Cloud Asset's word match finds it, ours does not take it.
        policy: { bindings: [{ role: "roles/pubsub.publisher", members: [principal("media", "uploader", `eu-${POOL}`, "500000000009"), principal("media", "thumbnailer")] }] },
      },
    ],
  };
  const thumbnailer = `workload:${SHOP}/${LOC}/shop-eu/media/Deployment/thumbnailer`;
  const uploader = `workload:${SHOP}/${LOC}/shop-eu/media/Deployment/uploader`;
  const fed = (ksa: string) => principal("media", ksa);

  it("is recognised as migrated, its direct grants on the bucket and the topic shown", async () => {
    const r = await analyzeEstate(estate(shop));
    // Migration statuses (issue 10 §5): with grants found it is `federated`; with none, it needs no Google identity.
    expect(workloadLines(r)).toEqual([`${thumbnailer} | ${fed("thumbnailer")} | federated | federated`, `${uploader} | ${fed("uploader")} | federated | no-google-identity-needed`]);
    expect(r.statuses.find((s) => s.subject === uploader)!.migrationReason).toBe("no GSA, no key, and no grant to its principal was found");
    const st = r.statuses.find((s) => s.subject === thumbnailer)!;
    expect(st.federatedEndState).toBe(true);
    const f = finding(r, "ksa-direct-grant", `ksa:${SHOP}/${LOC}/shop-eu/media/thumbnailer`)!;
    expect(f.evidence.grants).toEqual([
      { resource: `resource://pubsub.googleapis.com/projects/${SHOP}/topics/media-events`, role: "roles/pubsub.publisher", member: fed("thumbnailer"), condition: null },
      { resource: `resource://storage.googleapis.com/${SHOP}-media`, role: "roles/storage.objectUser", member: fed("thumbnailer"), condition: null },
    ]);
    expect(f.fixes[0].content).toContain(`gcloud asset search-all-iam-policies --scope=projects/${SHOP_NUMBER} \\\n  --query='resource=//storage.googleapis.com/${SHOP}-media'`);
    expect(finding(r, "ksa-direct-grant", `ksa:${SHOP}/${LOC}/shop-eu/media/uploader`)).toBeUndefined();
  });

  it("without cloudasset permission the scan stays complete: the search is skipped, and the grants go unseen", async () => {
    const r = await analyzeEstate(estate(shop, { faults: [{ match: { path: `/v1/${ORG}:searchAllIamPolicies` }, status: 403 }] }));
    expect(r.context.input.sources.get(`asset.poolPolicies:${ORG}/${POOL}`)).toBe("skipped");
    // Done either way (no legacy path), but which of the two cannot be told: the reason names the search that did not run.
    expect(workloadLines(r)).toEqual([`${thumbnailer} | ${fed("thumbnailer")} | federated | no-google-identity-needed`, `${uploader} | ${fed("uploader")} | federated | no-google-identity-needed`]);
    expect(r.statuses.find((s) => s.subject === thumbnailer)!.migrationReason).toBe(
      `no GSA, no key, and no grant to its principal was found on the policies read; grants on resources could not be searched (asset.poolPolicies:${ORG}/${POOL})`,
    );
  });
});
