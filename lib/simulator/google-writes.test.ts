import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { cloudresourcemanager_v2 } from "googleapis/build/src/apis/cloudresourcemanager/v2";
import { OAuth2Client } from "google-auth-library";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { simulatorClients, type GoogleClients } from "../sources/gcp/clients";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { simulatorCluster } from "../testing/scan-helpers";

/*
 * The Google Cloud writes the printed fixes make (issue 12), driven through the real googleapis
 * client over HTTP, as gcloud and Terraform make them: IAM policies (etag races included), keys and
 * accounts, GKE clusters and node pools with their Operations — and what the world then serves.
 */

const KEY = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const APP = "app@w-prod.iam.gserviceaccount.com";
const BATCH = "batch@w-prod.iam.gserviceaccount.com";
const WI_MEMBER = "serviceAccount:w-prod.svc.id.goog[web/app]";
const CONDITION = { title: "office hours", expression: "request.time.getHours('Europe/Paris') < 18" };

const estateText = (lagSeconds = 0) => `
now: "2026-11-29T00:00:00Z"
assetLagSeconds: ${lagSeconds}
organization:
  name: organizations/900000000001
  displayName: w.example
  iamPolicy:
    bindings: [{role: roles/browser, members: ["group:all@w.example"]}]
folders:
  - name: folders/9001
    displayName: apps
    iamPolicy:
      bindings: [{role: roles/editor, members: ["serviceAccount:${BATCH}"]}]
projects:
  - projectId: w-prod
    projectNumber: "900000000011"
    parent: folders/9001
    iamPolicy:
      bindings:
        - {role: roles/editor, members: ["serviceAccount:${BATCH}", "group:ops@w.example"]}
        - {role: roles/viewer, members: ["group:devs@w.example"], condition: {title: "${CONDITION.title}", expression: "${CONDITION.expression}"}}
    serviceAccounts:
      - email: ${APP}
        iamPolicy:
          bindings: [{role: roles/iam.workloadIdentityUser, members: ["${WI_MEMBER}"]}]
      - email: ${BATCH}
        keys:
          - {keyId: "${KEY}", validAfterTime: "2020-01-01T00:00:00Z", validBeforeTime: "2030-01-01T00:00:00Z"}
    clusters:
      - cluster:
          name: std
          location: europe-west1-b
          workloadIdentityConfig: {workloadPool: w-prod.svc.id.goog}
          nodePools:
            - {name: old-pool, initialNodeCount: 2, config: {workloadMetadataConfig: {mode: GCE_METADATA}}}
            - {name: wi-pool, initialNodeCount: 1, config: {workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  serviceAccountName: app
                  nodeSelector: {iam.gke.io/gke-metadata-server-enabled: "true"}
                  containers: [{name: web, image: nginx}]
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: legacy, namespace: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: legacy}}
              template:
                metadata: {labels: {app: legacy}}
                spec:
                  nodeSelector: {cloud.google.com/gke-nodepool: old-pool}
                  containers: [{name: legacy, image: busybox}]
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: kube-system}
            spec: {template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: fluent-bit}]}}}
          - {apiVersion: v1, kind: Pod, metadata: {name: debug, namespace: web}, spec: {nodeSelector: {cloud.google.com/gke-nodepool: old-pool}, containers: [{name: sh, image: busybox}]}}
      - cluster: {name: nowi, location: europe-west1-c, nodePools: [{name: default-pool, config: {}}]}
      - cluster: {name: auto, location: europe-west4, autopilot: {enabled: true}}
`;

let sim: Simulator;
let g: GoogleClients;
let crmV2: cloudresourcemanager_v2.Cloudresourcemanager;

beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(estateText(), "writes.yaml") });
  g = simulatorClients(sim.url);
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: "t", expiry_date: Date.now() + 86_400_000 });
  crmV2 = new cloudresourcemanager_v2.Cloudresourcemanager({ auth, rootUrl: sim.url + "/", retry: false });
});
afterAll(async () => {
  await sim.close();
});
// Every test starts from the estate as written: the reset endpoint is itself under test here.
beforeEach(async () => {
  const r = await fetch(`${sim.url}/_simulator/reset`, { method: "POST" });
  expect(r.status).toBe(200);
});

type Failure = { status: number; data: { error: { code: number; status: string; message: string } } };
async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    return (err as { response: Failure }).response;
  }
  throw new Error("the call succeeded");
}

const V3 = { options: { requestedPolicyVersion: 3 } };
const saName = (email: string) => `projects/w-prod/serviceAccounts/${email}`;
const members = (policy: { bindings?: { role?: string | null; members?: string[] | null }[] | null }, role: string) =>
  (policy.bindings ?? []).find((b) => b.role === role)?.members ?? [];

function cluster(path: string) {
  const client = clusterClient(simulatorCluster(sim, path), async () => "t");
  return <T>(fn: (apis: ClusterApis) => Promise<T>) => client.with(AbortSignal.timeout(5_000), fn);
}
const poolOf = (n: V1Node) => n.metadata!.labels!["cloud.google.com/gke-nodepool"];
const podsOf = (pods: V1Pod[], prefix: string) => pods.filter((p) => p.metadata!.name!.startsWith(prefix));
async function clusterState(path: string) {
  const c = cluster(path);
  const nodes = (await c((a) => a.core.listNode({}))).items;
  const podList = await c((a) => a.core.listPodForAllNamespaces({}));
  return { nodes, pods: podList.items, resourceVersion: podList.metadata!.resourceVersion! };
}

describe("IAM setIamPolicy on a service account", () => {
  it("adds a binding by read-modify-write: the next read serves it with a new etag", async () => {
    const before = (await g.iam.projects.serviceAccounts.getIamPolicy({ resource: saName(APP), "options.requestedPolicyVersion": 3 })).data;
    const bindings = [...before.bindings!, { role: "roles/iam.serviceAccountTokenCreator", members: ["group:ops@w.example"] }];
    const set = (await g.iam.projects.serviceAccounts.setIamPolicy({ resource: saName(APP), requestBody: { policy: { ...before, bindings } } })).data;
    expect(set.etag).not.toBe(before.etag);
    expect(set.bindings).toEqual(bindings);
    const after = (await g.iam.projects.serviceAccounts.getIamPolicy({ resource: saName(APP), "options.requestedPolicyVersion": 3 })).data;
    expect(after).toEqual({ version: 1, etag: set.etag, bindings });
  });

  it("answers 409 ABORTED to a write carrying an etag read before another write, and keeps the winner's policy", async () => {
    const read = (await g.iam.projects.serviceAccounts.getIamPolicy({ resource: saName(APP) })).data;
    const first = await g.iam.projects.serviceAccounts.setIamPolicy({ resource: saName(APP), requestBody: { policy: { etag: read.etag, bindings: [] } } });
    const r = await failure(g.iam.projects.serviceAccounts.setIamPolicy({ resource: saName(APP), requestBody: { policy: { etag: read.etag, bindings: read.bindings } } }));
    expect(r.status).toBe(409);
    expect(r.data.error.status).toBe("ABORTED");
    expect(r.data.error.message).toBe(
      `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${read.etag}' did not match the current policy's ETag '${first.data.etag}'.`,
    );
    expect((await g.iam.projects.serviceAccounts.getIamPolicy({ resource: saName(APP) })).data).toEqual({ etag: first.data.etag });
  });

  it("answers 403 naming iam.serviceAccounts.setIamPolicy for an account that does not exist, as its getIamPolicy does", async () => {
    const r = await failure(g.iam.projects.serviceAccounts.setIamPolicy({ resource: saName("ghost@w-prod.iam.gserviceaccount.com"), requestBody: { policy: { bindings: [] } } }));
    expect(r.status).toBe(403);
    expect(r.data.error.message).toBe("Permission 'iam.serviceAccounts.setIamPolicy' denied on resource (or it may not exist).");
  });

  it("refuses to bind an account of the estate that does not exist: 400 'Service account … does not exist.'", async () => {
    const r = await failure(
      g.iam.projects.serviceAccounts.setIamPolicy({
        resource: saName(APP),
        requestBody: { policy: { bindings: [{ role: "roles/iam.serviceAccountUser", members: ["serviceAccount:ghost@w-prod.iam.gserviceaccount.com"] }] } },
      }),
    );
    expect([r.status, r.data.error.message]).toEqual([400, "Service account ghost@w-prod.iam.gserviceaccount.com does not exist."]);
  });
});

describe("Resource Manager setIamPolicy on projects, folders and the organization", () => {
  it("keeps a conditional binding through a version-3 read-modify-write on the v1 API (as gcloud) and the v3 API", async () => {
    const read = (await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data;
    expect(read.version).toBe(3);
    const bindings = [...read.bindings!, { role: "roles/browser", members: ["user:new@w.example"] }];
    const v1 = (await g.crmV1.projects.setIamPolicy({ resource: "w-prod", requestBody: { policy: { ...read, version: 3, bindings } } })).data;
    expect(v1.version).toBe(3);
    const v3read = (await g.crmV3.projects.getIamPolicy({ resource: "projects/w-prod", requestBody: V3 })).data;
    expect(v3read.bindings).toEqual(bindings);
    expect(v3read.bindings!.find((b) => b.role === "roles/viewer")!.condition).toEqual(CONDITION);
    const v3 = (await g.crmV3.projects.setIamPolicy({ resource: "projects/900000000011", requestBody: { policy: { ...v3read, bindings: v3read.bindings!.slice(1) } } })).data;
    expect(v3.etag).not.toBe(v1.etag);
    expect(members((await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data, "roles/editor")).toEqual([]);
  });

  it("answers 400 to a conditional binding set with policy version 1", async () => {
    const read = (await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data;
    const r = await failure(g.crmV1.projects.setIamPolicy({ resource: "w-prod", requestBody: { policy: { ...read, version: 1 } } }));
    expect(r.status).toBe(400);
    expect(r.data.error.message).toMatch(/conditional role bindings must be set with version 3/);
  });

  it("honours updateMask: with `auditConfigs` only, the bindings stay as they were", async () => {
    const read = (await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data;
    const auditConfigs = [{ service: "allServices", auditLogConfigs: [{ logType: "DATA_READ" }] }];
    const set = (await g.crmV1.projects.setIamPolicy({ resource: "w-prod", requestBody: { policy: { version: 3, bindings: [], auditConfigs }, updateMask: "auditConfigs" } })).data;
    expect(set.auditConfigs).toEqual(auditConfigs);
    expect(set.bindings).toEqual(read.bindings);
  });

  it("answers 403 for a project outside the estate", async () => {
    const r = await failure(g.crmV1.projects.setIamPolicy({ resource: "nope", requestBody: { policy: { bindings: [] } } }));
    expect([r.status, r.data.error.message]).toEqual([403, "The caller does not have permission"]);
  });

  it("sets a folder's policy through v2 (as gcloud) and v3, each read back by the other", async () => {
    const read = (await crmV2.folders.getIamPolicy({ resource: "folders/9001", requestBody: V3 })).data;
    expect(members(read, "roles/editor")).toEqual([`serviceAccount:${BATCH}`]);
    await crmV2.folders.setIamPolicy({ resource: "folders/9001", requestBody: { policy: { ...read, bindings: [...read.bindings!, { role: "roles/viewer", members: ["user:a@w.example"] }] } } });
    const v3 = (await g.crmV3.folders.getIamPolicy({ resource: "folders/9001", requestBody: V3 })).data;
    expect(members(v3, "roles/viewer")).toEqual(["user:a@w.example"]);
    await g.crmV3.folders.setIamPolicy({ resource: "folders/9001", requestBody: { policy: { etag: v3.etag, bindings: [] } } });
    expect((await crmV2.folders.getIamPolicy({ resource: "folders/9001" })).data.bindings).toBeUndefined();
  });

  it("sets the organization's policy through v1 (as gcloud) and v3, and a stale etag answers 409", async () => {
    const read = (await g.crmV1.organizations.getIamPolicy({ resource: "organizations/900000000001", requestBody: V3 })).data;
    const set = (await g.crmV1.organizations.setIamPolicy({ resource: "organizations/900000000001", requestBody: { policy: { ...read, bindings: [{ role: "roles/viewer", members: ["group:all@w.example"] }] } } })).data;
    expect(members((await g.crmV3.organizations.getIamPolicy({ resource: "organizations/900000000001" })).data, "roles/viewer")).toEqual(["group:all@w.example"]);
    const stale = await failure(g.crmV3.organizations.setIamPolicy({ resource: "organizations/900000000001", requestBody: { policy: { ...read } } }));
    expect([stale.status, stale.data.error.status]).toEqual([409, "ABORTED"]);
    await g.crmV3.organizations.setIamPolicy({ resource: "organizations/900000000001", requestBody: { policy: { etag: set.etag, bindings: [] } } });
    expect((await g.crmV1.organizations.getIamPolicy({ resource: "organizations/900000000001" })).data.bindings).toBeUndefined();
  });

  it("Cloud Asset's searchAllIamPolicies serves the new policy (no lag in this estate)", async () => {
    const read = (await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data;
    await g.crmV1.projects.setIamPolicy({ resource: "w-prod", requestBody: { policy: { ...read, bindings: [...read.bindings!, { role: "roles/browser", members: ["user:asset@w.example"] }] } } });
    const r = await g.cloudasset.v1.searchAllIamPolicies({ scope: "projects/w-prod", query: 'policy:"asset@w.example"' });
    expect(r.data.results!.map((x) => x.resource)).toEqual(["//cloudresourcemanager.googleapis.com/projects/900000000011"]);
  });
});

describe("IAM keys and accounts", () => {
  const keyName = `${saName(BATCH)}/keys/${KEY}`;
  const userKeys = async () => (await g.iam.projects.serviceAccounts.keys.list({ name: saName(BATCH), keyTypes: ["USER_MANAGED"] })).data.keys ?? [];

  it("disables, enables and deletes a key: the key list follows, and `disabled` is omitted when false", async () => {
    await g.iam.projects.serviceAccounts.keys.disable({ name: keyName, requestBody: {} });
    expect((await userKeys()).map((k) => [k.name, k.disabled])).toEqual([[keyName, true]]);
    await g.iam.projects.serviceAccounts.keys.enable({ name: keyName, requestBody: {} });
    expect(Object.keys((await userKeys())[0])).not.toContain("disabled");
    // gcloud deletes through `projects/-`.
    await g.iam.projects.serviceAccounts.keys.delete({ name: `projects/-/serviceAccounts/${BATCH}/keys/${KEY}` });
    expect(await userKeys()).toEqual([]);
    const again = await failure(g.iam.projects.serviceAccounts.keys.delete({ name: keyName }));
    expect([again.status, again.data.error.message]).toEqual([404, `Service account key ${KEY} does not exist.`]);
  });

  it("answers 404 for a key or account that does not exist, and 400 for a Google-managed key", async () => {
    const noKey = await failure(g.iam.projects.serviceAccounts.keys.disable({ name: `${saName(BATCH)}/keys/${"b".repeat(40)}`, requestBody: {} }));
    expect([noKey.status, noKey.data.error.status, noKey.data.error.message]).toEqual([404, "NOT_FOUND", `Service account key ${"b".repeat(40)} does not exist.`]);
    const noSa = await failure(g.iam.projects.serviceAccounts.disable({ name: saName("ghost@w-prod.iam.gserviceaccount.com"), requestBody: {} }));
    expect([noSa.status, noSa.data.error.message]).toEqual([404, "Service account projects/w-prod/serviceAccounts/ghost@w-prod.iam.gserviceaccount.com does not exist."]);
    const sys = (await g.iam.projects.serviceAccounts.keys.list({ name: saName(BATCH), keyTypes: ["SYSTEM_MANAGED"] })).data.keys![0];
    const r = await failure(g.iam.projects.serviceAccounts.keys.delete({ name: sys.name! }));
    expect([r.status, r.data.error.status]).toEqual([400, "FAILED_PRECONDITION"]);
  });

  it("disables and enables an account; Cloud Asset reports its state", async () => {
    await g.iam.projects.serviceAccounts.disable({ name: saName(APP), requestBody: {} });
    expect((await g.iam.projects.serviceAccounts.get({ name: saName(APP) })).data.disabled).toBe(true);
    const found = await g.cloudasset.v1.searchAllResources({ scope: "projects/w-prod", assetTypes: ["iam.googleapis.com/ServiceAccount"] });
    expect(found.data.results!.map((x) => [x.displayName, x.state])).toContainEqual(["", "DISABLED"]);
    await g.iam.projects.serviceAccounts.enable({ name: saName(APP), requestBody: {} });
    expect(Object.keys((await g.iam.projects.serviceAccounts.get({ name: saName(APP) })).data)).not.toContain("disabled");
  });

  it("deletes an account: it is gone, and every policy that named it names `deleted:serviceAccount:EMAIL?uid=ID`", async () => {
    const uniqueId = (await g.iam.projects.serviceAccounts.get({ name: saName(BATCH) })).data.uniqueId!;
    await g.iam.projects.serviceAccounts.delete({ name: `projects/-/serviceAccounts/${BATCH}` });
    const gone = await failure(g.iam.projects.serviceAccounts.get({ name: saName(BATCH) }));
    expect(gone.status).toBe(404);
    const list = (await g.iam.projects.serviceAccounts.list({ name: "projects/w-prod" })).data.accounts!.map((a) => a.email);
    expect(list).toEqual([APP]);
    const deleted = `deleted:serviceAccount:${BATCH}?uid=${uniqueId}`;
    expect(members((await g.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data, "roles/editor")).toEqual([deleted, "group:ops@w.example"]);
    expect(members((await crmV2.folders.getIamPolicy({ resource: "folders/9001" })).data, "roles/editor")).toEqual([deleted]);
  });

  it("creates an account as `gcloud iam service-accounts create` does, and refuses a duplicate (409) or a malformed id (400)", async () => {
    const made = (await g.iam.projects.serviceAccounts.create({ name: "projects/w-prod", requestBody: { accountId: "wl-etl", serviceAccount: { displayName: "ETL" } } })).data;
    expect(made).toMatchObject({ email: "wl-etl@w-prod.iam.gserviceaccount.com", name: "projects/w-prod/serviceAccounts/wl-etl@w-prod.iam.gserviceaccount.com", displayName: "ETL", projectId: "w-prod" });
    expect(made.uniqueId).toMatch(/^[1-9]\d{20}$/);
    expect((await g.iam.projects.serviceAccounts.get({ name: saName("wl-etl@w-prod.iam.gserviceaccount.com") })).data.uniqueId).toBe(made.uniqueId);
    const dup = await failure(g.iam.projects.serviceAccounts.create({ name: "projects/w-prod", requestBody: { accountId: "wl-etl" } }));
    expect([dup.status, dup.data.error.status, dup.data.error.message]).toEqual([409, "ALREADY_EXISTS", "Service account wl-etl already exists within project projects/w-prod."]);
    const bad = await failure(g.iam.projects.serviceAccounts.create({ name: "projects/w-prod", requestBody: { accountId: "1bad" } }));
    expect(bad.status).toBe(400);
  });
});

describe("the write log and reset", () => {
  it("logs every accepted write, and POST /_simulator/reset undoes them all", async () => {
    await g.iam.projects.serviceAccounts.keys.delete({ name: `${saName(BATCH)}/keys/${KEY}` });
    await g.iam.projects.serviceAccounts.delete({ name: saName(APP) });
    await g.container.projects.locations.clusters.nodePools.delete({ name: "projects/w-prod/locations/europe-west1-b/clusters/std/nodePools/wi-pool" });
    const writes = (await (await fetch(`${sim.url}/_simulator/writes`)).json()) as { writes: { api: string; method: string; summary: string }[] };
    expect(writes.writes.map((w) => `${w.api} ${w.method} ${w.summary}`)).toEqual([
      `iam DELETE deleted key ${KEY} of ${BATCH}`,
      `iam DELETE deleted service account ${APP}`,
      "container DELETE deleted node pool wi-pool of w-prod/europe-west1-b/std",
    ]);
    expect((await fetch(`${sim.url}/_simulator/reset`, { method: "POST" })).status).toBe(200);
    expect((await g.iam.projects.serviceAccounts.list({ name: "projects/w-prod" })).data.accounts!.map((a) => a.email)).toEqual([APP, BATCH]);
    expect((await g.iam.projects.serviceAccounts.keys.list({ name: saName(BATCH), keyTypes: ["USER_MANAGED"] })).data.keys!.length).toBe(1);
    expect(members((await g.crmV1.projects.getIamPolicy({ resource: "w-prod" })).data, "roles/editor")).toContain(`serviceAccount:${BATCH}`);
    const pools = (await g.container.projects.locations.clusters.nodePools.list({ parent: "projects/w-prod/locations/europe-west1-b/clusters/std" })).data.nodePools!;
    expect(pools.map((p) => p.name)).toEqual(["old-pool", "wi-pool"]);
    expect(((await (await fetch(`${sim.url}/_simulator/writes`)).json()) as { writes: unknown[] }).writes).toEqual([]);
  });
});

describe("container writes and their Operations", () => {
  const STD = "projects/w-prod/locations/europe-west1-b/clusters/std";

  it("clusters.update sets the workload pool; the Operation is RUNNING, then DONE when polled, as gcloud polls", async () => {
    const op = (await g.container.projects.locations.clusters.update({ name: "projects/w-prod/locations/europe-west1-c/clusters/nowi", requestBody: { update: { desiredWorkloadIdentityConfig: { workloadPool: "w-prod.svc.id.goog" } } } })).data;
    expect(op).toMatchObject({ operationType: "UPDATE_CLUSTER", status: "RUNNING", zone: "europe-west1-c", targetLink: "https://container.googleapis.com/v1/projects/900000000011/locations/europe-west1-c/clusters/nowi" });
    expect(op.selfLink).toBe(`https://container.googleapis.com/v1/projects/900000000011/locations/europe-west1-c/operations/${op.name}`);
    const polled = (await g.container.projects.locations.operations.get({ name: `projects/w-prod/locations/europe-west1-c/operations/${op.name}` })).data;
    expect([polled.status, typeof polled.endTime]).toEqual(["DONE", "string"]);
    const zonal = (await g.container.projects.zones.operations.get({ projectId: "w-prod", zone: "europe-west1-c", operationId: op.name! })).data;
    expect(zonal.status).toBe("DONE");
    expect((await g.container.projects.locations.clusters.get({ name: "projects/w-prod/locations/europe-west1-c/clusters/nowi" })).data.workloadIdentityConfig).toEqual({ workloadPool: "w-prod.svc.id.goog" });
  });

  it("clusters.update refuses a pool other than PROJECT.svc.id.goog (400) and an unknown cluster (404)", async () => {
    const bad = await failure(g.container.projects.locations.clusters.update({ name: "projects/w-prod/locations/europe-west1-c/clusters/nowi", requestBody: { update: { desiredWorkloadIdentityConfig: { workloadPool: "other.svc.id.goog" } } } }));
    expect(bad.status).toBe(400);
    const none = await failure(g.container.projects.locations.clusters.update({ name: "projects/w-prod/locations/europe-west1-c/clusters/ghost", requestBody: { update: { desiredWorkloadIdentityConfig: { workloadPool: "w-prod.svc.id.goog" } } } }));
    expect([none.status, none.data.error.message]).toEqual([404, "Not found: projects/w-prod/locations/europe-west1-c/clusters/ghost."]);
    const op = await failure(g.container.projects.locations.operations.get({ name: "projects/w-prod/locations/europe-west1-c/operations/operation-1-x" }));
    expect(op.status).toBe(404);
    // A field the simulator does not model is refused by name, never accepted and ignored.
    const unmodelled = await failure(g.container.projects.locations.clusters.update({ name: "projects/w-prod/locations/europe-west1-c/clusters/nowi", requestBody: { update: { desiredLoggingService: "none" } } }));
    expect([unmodelled.status, unmodelled.data.error.message]).toEqual([501, "The simulator does not model cluster update field(s) desiredLoggingService; it models desiredWorkloadIdentityConfig."]);
  });

  it("nodePools.update to GKE_METADATA relabels the pool's nodes (recreated): the ReplicaSet's pods come back on them under new names, the bare pod does not", async () => {
    const before = await clusterState("w-prod/europe-west1-b/std");
    const oldNodes = before.nodes.filter((n) => poolOf(n) === "old-pool").map((n) => n.metadata!.name!);
    expect(oldNodes.length).toBe(2);
    const op = (await g.container.projects.locations.clusters.nodePools.update({ name: `${STD}/nodePools/old-pool`, requestBody: { workloadMetadataConfig: { mode: "GKE_METADATA" } } })).data;
    expect([op.operationType, op.status, op.targetLink]).toEqual(["UPGRADE_NODES", "RUNNING", `https://container.googleapis.com/v1/projects/900000000011/locations/europe-west1-b/clusters/std/nodePools/old-pool`]);
    const pool = (await g.container.projects.locations.clusters.nodePools.get({ name: `${STD}/nodePools/old-pool` })).data;
    expect(pool.config!.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
    const after = await clusterState("w-prod/europe-west1-b/std");
    expect(Number(after.resourceVersion)).toBeGreaterThan(Number(before.resourceVersion));
    expect(after.nodes.filter((n) => poolOf(n) === "old-pool").map((n) => n.metadata!.labels!["iam.gke.io/gke-metadata-server-enabled"])).toEqual(["true", "true"]);
    // The drained nodes' pods come back (the ReplicaSet's under new names; the bare pod does not).
    expect(podsOf(after.pods, "legacy-").map((p) => [p.status!.phase, oldNodes.includes(p.spec!.nodeName!)])).toEqual([["Running", true], ["Running", true]]);
    expect(podsOf(after.pods, "legacy-").map((p) => p.metadata!.name).sort()).not.toEqual(podsOf(before.pods, "legacy-").map((p) => p.metadata!.name).sort());
    expect(after.pods.some((p) => p.metadata!.name === "debug")).toBe(false);
    expect(podsOf(after.pods, "web-").every((p) => p.status!.phase === "Running")).toBe(true);
  });

  it("nodePools.update refuses GKE_METADATA in a cluster without a workload pool, and an unknown mode", async () => {
    const r = await failure(g.container.projects.locations.clusters.nodePools.update({ name: "projects/w-prod/locations/europe-west1-c/clusters/nowi/nodePools/default-pool", requestBody: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }));
    expect(r.status).toBe(400);
    const mode = await failure(g.container.projects.locations.clusters.nodePools.update({ name: `${STD}/nodePools/old-pool`, requestBody: { workloadMetadataConfig: { mode: "SOMETHING" } } }));
    expect(mode.status).toBe(400);
    const none = await failure(g.container.projects.locations.clusters.nodePools.update({ name: `${STD}/nodePools/ghost`, requestBody: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }));
    expect([none.status, none.data.error.message]).toEqual([404, "Not found: projects/w-prod/locations/europe-west1-b/clusters/std/nodePools/ghost."]);
  });

  it("refuses node pool changes on an Autopilot cluster (400): Autopilot manages its nodes", async () => {
    const auto = "projects/w-prod/locations/europe-west4/clusters/auto";
    const made = await failure(g.container.projects.locations.clusters.nodePools.create({ parent: auto, requestBody: { nodePool: { name: "extra" } } }));
    const gone = await failure(g.container.projects.locations.clusters.nodePools.delete({ name: `${auto}/nodePools/default-pool` }));
    expect([made.status, gone.status]).toEqual([400, 400]);
    expect(made.data.error.message).toBe("Node pool operations are not supported on Autopilot cluster auto: Autopilot manages its nodes.");
  });

  it("nodePools.delete removes the pool's nodes: pods that only fit there go Pending with the scheduler's message, DaemonSet pods leave with their nodes", async () => {
    const op = (await g.container.projects.locations.clusters.nodePools.delete({ name: `${STD}/nodePools/wi-pool` })).data;
    expect([op.operationType, op.status]).toEqual(["DELETE_NODE_POOL", "RUNNING"]);
    const after = await clusterState("w-prod/europe-west1-b/std");
    expect(after.nodes.map(poolOf)).toEqual(["old-pool", "old-pool"]);
    const web = podsOf(after.pods, "web-");
    expect(web.map((p) => [p.status!.phase, p.spec!.nodeName, p.status!.conditions![0].message])).toEqual([
      ["Pending", undefined, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."],
      ["Pending", undefined, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."],
    ]);
    expect(podsOf(after.pods, "agent-").map((p) => p.spec!.nodeName).sort()).toEqual(after.nodes.map((n) => n.metadata!.name).sort());
    const dep = await cluster("w-prod/europe-west1-b/std")((a) => a.apps.readNamespacedDeployment({ name: "web", namespace: "web" }));
    expect(dep.status!.readyReplicas).toBe(0);
    expect((await g.container.projects.locations.clusters.get({ name: STD })).data.nodePools!.map((p) => p.name)).toEqual(["old-pool"]);
  });

  it("nodePools.create adds nodes labelled as GKE labels them: Pending pods are scheduled onto them and the DaemonSet follows", async () => {
    await g.container.projects.locations.clusters.nodePools.delete({ name: `${STD}/nodePools/wi-pool` });
    const op = (await g.container.projects.locations.clusters.nodePools.create({
      parent: STD,
      requestBody: { nodePool: { name: "wi-pool-v2", initialNodeCount: 2, config: { serviceAccount: APP, workloadMetadataConfig: { mode: "GKE_METADATA" } } } },
    })).data;
    expect([op.operationType, op.status]).toEqual(["CREATE_NODE_POOL", "RUNNING"]);
    const after = await clusterState("w-prod/europe-west1-b/std");
    const fresh = after.nodes.filter((n) => poolOf(n) === "wi-pool-v2");
    expect(fresh.map((n) => [n.metadata!.labels!["iam.gke.io/gke-metadata-server-enabled"], n.metadata!.labels!["topology.kubernetes.io/zone"]])).toEqual([
      ["true", "europe-west1-b"],
      ["true", "europe-west1-b"],
    ]);
    expect(fresh.every((n) => /^gke-std-wi-pool-v2-[a-z0-9]{8}-[a-z0-9]{4}$/.test(n.metadata!.name!))).toBe(true);
    const freshNames = fresh.map((n) => n.metadata!.name!);
    expect(podsOf(after.pods, "web-").map((p) => [p.status!.phase, freshNames.includes(p.spec!.nodeName!)])).toEqual([["Running", true], ["Running", true]]);
    expect(podsOf(after.pods, "agent-").length).toBe(4);
    const pool = (await g.container.projects.locations.clusters.nodePools.get({ name: `${STD}/nodePools/wi-pool-v2` })).data;
    expect(pool).toMatchObject({ name: "wi-pool-v2", status: "RUNNING", initialNodeCount: 2, locations: ["europe-west1-b"], config: { serviceAccount: APP, workloadMetadataConfig: { mode: "GKE_METADATA" } } });
    const dup = await failure(g.container.projects.locations.clusters.nodePools.create({ parent: STD, requestBody: { nodePool: { name: "wi-pool-v2" } } }));
    expect(dup.status).toBe(409);
  });
});

describe("Cloud Asset's lag after a write", () => {
  it("serves the policy as it was before a write until assetLagSeconds have passed, then the new one", async () => {
    const lagged = await startSimulator({ estate: parseEstateText(estateText(1), "lag.yaml") });
    try {
      const c = simulatorClients(lagged.url);
      const search = async () => (await c.cloudasset.v1.searchAllIamPolicies({ scope: "projects/w-prod", query: 'policy:"late@w.example"' })).data.results ?? [];
      const read = (await c.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data;
      await c.crmV1.projects.setIamPolicy({ resource: "w-prod", requestBody: { policy: { ...read, bindings: [...read.bindings!, { role: "roles/browser", members: ["user:late@w.example"] }] } } });
      expect(members((await c.crmV1.projects.getIamPolicy({ resource: "w-prod", requestBody: V3 })).data, "roles/browser")).toEqual(["user:late@w.example"]);
      expect(await search()).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await search()).length).toBe(1);
    } finally {
      await lagged.close();
    }
  });
});
