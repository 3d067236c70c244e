import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { simulatorClients, type GoogleClients } from "../sources/gcp/clients";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { simulatorCluster } from "../testing/scan-helpers";

/*
 * The simulator is driven only through the real clients (googleapis, @kubernetes/client-node) and,
 * where the wire itself is the subject (headers, hangs, a missing token), through plain fetch.
 */

const NOW = "2026-11-29T00:00:00Z";
const KEY_1 = "1111111111111111111111111111111111111111";
const KEY_2 = "2222222222222222222222222222222222222222";
const KEY_3 = "3333333333333333333333333333333333333333";
const BIG_COUNT = 230;
const bigEmails = Array.from({ length: BIG_COUNT }, (_, i) => `sa-${String(i).padStart(3, "0")}@big-proj.iam.gserviceaccount.com`);

const CONDITION = { title: "office hours", expression: "request.time.getHours('Asia/Tokyo') < 18" };

/** Listing Secrets is forbidden in every cluster of keys-proj, across namespaces and in one. */
const SECRETS_FORBIDDEN = `  - match: {path: "/clusters/keys-proj/*/*/api/v1/**secrets"}
    status: 403
`;

/** The main estate: every project answers for one family of endpoints. */
const ESTATE = `
now: "${NOW}"
organization: {name: organizations/111111111111, displayName: example.com}
folders:
  - {name: folders/2001, displayName: prod}
  - {name: folders/2002, displayName: teams, parent: folders/2001}
projects:
  - projectId: big-proj
    projectNumber: "200000000001"
    parent: folders/2001
    serviceAccounts:
${bigEmails.map((e) => `      - {email: ${e}}`).join("\n")}
  - projectId: empty-proj
    projectNumber: "200000000002"
  - projectId: keys-proj
    projectNumber: "200000000003"
    displayName: Keys project
    parent: folders/2002
    labels: {env: prod}
    iamPolicy:
      etag: BwYprojetag=
      bindings:
        - {role: roles/viewer, members: ["group:devs@example.com"], condition: {title: "${CONDITION.title}", expression: "${CONDITION.expression}"}}
    serviceAccounts:
      - email: app@keys-proj.iam.gserviceaccount.com
        displayName: app
        lastAuthenticatedTime: "2026-11-27T07:00:00Z"
        iamPolicy:
          etag: BwYsaetag=
          bindings:
            - role: roles/iam.workloadIdentityUser
              members: ["serviceAccount:keys-proj.svc.id.goog[web/app]"]
            - role: roles/iam.serviceAccountTokenCreator
              members: ["user:alice@example.com"]
              condition: {title: "${CONDITION.title}", expression: "${CONDITION.expression}"}
        keys:
          - {keyId: "${KEY_1}", validAfterTime: "2019-12-23T03:00:00Z", validBeforeTime: "2029-12-20T03:00:00Z", lastAuthenticatedTime: "2026-11-25T07:00:00Z"}
          - {keyId: "${KEY_2}", validAfterTime: "2024-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", disabled: true}
      - email: ops@keys-proj.iam.gserviceaccount.com
        lastAuthenticatedTime: "2026-10-01T07:00:00Z"
        keys:
          - {keyId: "${KEY_3}", validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "2035-01-01T00:00:00Z", lastAuthenticatedTime: "2026-11-20T07:00:00Z"}
      - email: idle@keys-proj.iam.gserviceaccount.com
    clusters:
      - cluster:
          name: std
          location: asia-northeast1
          workloadIdentityConfig: {workloadPool: keys-proj.svc.id.goog}
          nodePools:
            - {name: legacy, initialNodeCount: 1, config: {workloadMetadataConfig: {mode: GCE_METADATA}}}
            - {name: wi, initialNodeCount: 2, config: {serviceAccount: nodes@keys-proj.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GKE_METADATA}}}
            - {name: beta, initialNodeCount: 1, config: {workloadMetadataConfig: {nodeMetadata: GKE_METADATA_SERVER}}}
            - {name: nomode, initialNodeCount: 1}
        manifests:
          - apiVersion: v1
            kind: Namespace
            metadata: {name: web, labels: {team: web}}
          - apiVersion: v1
            kind: ServiceAccount
            metadata: {name: app, namespace: web, annotations: {iam.gke.io/gcp-service-account: app@keys-proj.iam.gserviceaccount.com}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: web}
            spec:
              replicas: 3
              template:
                metadata: {labels: {app: app}}
                spec:
                  serviceAccountName: app
                  containers: [{name: app, image: gcr.io/keys-proj/app:1.0}]
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly, namespace: batch}
            spec:
              schedule: "0 3 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers: [{name: job, image: gcr.io/keys-proj/batch:1.0}]
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: forgetful, namespace: batch}
            spec:
              schedule: "*/5 * * * *"
              successfulJobsHistoryLimit: 0
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers: [{name: job, image: gcr.io/keys-proj/batch:1.0}]
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: wi-agent, namespace: kube-system}
            spec:
              template:
                metadata: {labels: {app: wi-agent}}
                spec:
                  nodeSelector: {iam.gke.io/gke-metadata-server-enabled: "true"}
                  containers: [{name: agent, image: gcr.io/keys-proj/agent:1.0}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: stuck, namespace: web}
            spec:
              nodeSelector: {cloud.google.com/gke-nodepool: no-such-pool}
              containers: [{name: c, image: busybox}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: no-token, namespace: web}
            spec:
              automountServiceAccountToken: false
              containers: [{name: c, image: busybox}]
          - apiVersion: v1
            kind: ServiceAccount
            metadata: {name: quiet, namespace: quiet}
            automountServiceAccountToken: false
          - apiVersion: v1
            kind: Pod
            metadata: {name: quiet, namespace: quiet}
            spec:
              serviceAccountName: quiet
              containers: [{name: c, image: busybox}]
          - apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: batch}
            type: Opaque
            data: {token: "c2Vj\\ncmV0"}
            stringData: {path: /var/secrets/google/key.json}
      - cluster:
          name: auto
          location: us-central1
          autopilot: {enabled: true}
  - projectId: zones-proj
    projectNumber: "200000000004"
    clusters:
      - cluster: {name: east, location: us-east1-b, nodePools: [{name: pool, initialNodeCount: 2}]}
      - cluster: {name: tokyo, location: asia-northeast1-a}
  - projectId: nocontainer-proj
    projectNumber: "200000000005"
    disabledApis: [container.googleapis.com]
  - projectId: locked-proj
    projectNumber: "200000000006"
    serviceAccounts:
      - email: one@locked-proj.iam.gserviceaccount.com
faults:
  - match: {path: /v1/projects/locked-proj/serviceAccounts}
    status: 403
  - match: {method: GET, path: "/v1/projects/keys-proj/serviceAccounts/idle@keys-proj.iam.gserviceaccount.com/keys"}
    status: 429
    retryAfter: 7
    times: 1
  - match: {path: "/v1/projects/zones-proj/locations/-/clusters"}
    missingZones: [us-east1-b]
${SECRETS_FORBIDDEN}  - match: {path: "/v1/projects/locked-proj/serviceAccounts/**"}
    hang: true
`;

/** The response of the GaxiosError a call threw (fails the test if the call succeeds). */
async function googleFailure(p: Promise<unknown>): Promise<{ status: number; data: unknown; headers: unknown }> {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: unknown; headers: unknown } }).response;
    if (r) return r;
    throw err;
  }
  throw new Error("the call succeeded");
}

/** An ApiException's code and its Status body (client-node hands the body over as text). */
async function k8sFailure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, body: typeof e.body === "string" ? JSON.parse(e.body) : (e.body as Record<string, unknown>) };
  }
  throw new Error("the call succeeded");
}

/** The real client on a cluster's HTTPS endpoint, trusting only the CA the cluster advertises. */
function cluster(sim: Simulator, path: string) {
  const client = clusterClient(simulatorCluster(sim, path), async () => "t");
  return <T>(fn: (apis: ClusterApis) => Promise<T>) => client.with(AbortSignal.timeout(5_000), fn);
}

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

let sim: Simulator;
let g: GoogleClients;
let std: ReturnType<typeof cluster>;

beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(ESTATE, "test.yaml") });
  g = simulatorClients(sim.url);
  std = cluster(sim, "keys-proj/asia-northeast1/std");
});
afterAll(async () => {
  await sim.close();
});

describe("IAM serviceAccounts.list", () => {
  it("pages 230 accounts as 100 + 100 + 30 with nextPageToken, every email exactly once", async () => {
    const sizes: number[] = [];
    const tokens: (string | null | undefined)[] = [];
    const emails: string[] = [];
    let pageToken: string | undefined;
    do {
      const r = await g.iam.projects.serviceAccounts.list({ name: "projects/big-proj", pageSize: 100, pageToken });
      sizes.push(r.data.accounts!.length);
      emails.push(...r.data.accounts!.map((a) => a.email!));
      tokens.push(r.data.nextPageToken);
      pageToken = r.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(sizes).toEqual([100, 100, 30]);
    expect(tokens.map((t) => typeof t)).toEqual(["string", "string", "undefined"]);
    expect(emails.length).toBe(BIG_COUNT);
    expect([...new Set(emails)].sort()).toEqual([...bigEmails].sort());
  });

  it("caps pageSize at 100 and defaults to 20 a page", async () => {
    const big = await g.iam.projects.serviceAccounts.list({ name: "projects/big-proj", pageSize: 500 });
    expect(big.data.accounts!.length).toBe(100);
    const dflt = await g.iam.projects.serviceAccounts.list({ name: "projects/big-proj" });
    expect(dflt.data.accounts!.length).toBe(20);
  });

  it("serves an account with its resource name, projectId and a 21-digit uniqueId, omitting disabled when false", async () => {
    const r = await g.iam.projects.serviceAccounts.list({ name: "projects/keys-proj" });
    const app = r.data.accounts!.find((a) => a.email === "app@keys-proj.iam.gserviceaccount.com")!;
    expect(Object.keys(app).sort()).toEqual(["displayName", "email", "etag", "name", "oauth2ClientId", "projectId", "uniqueId"]);
    expect(app.name).toBe("projects/keys-proj/serviceAccounts/app@keys-proj.iam.gserviceaccount.com");
    expect(app.projectId).toBe("keys-proj");
    expect(app.uniqueId).toMatch(/^\d{21}$/);
    expect(app.oauth2ClientId).toBe(app.uniqueId);
    expect(r.data.accounts!.map((a) => a.email)).toEqual([
      "app@keys-proj.iam.gserviceaccount.com",
      "idle@keys-proj.iam.gserviceaccount.com",
      "ops@keys-proj.iam.gserviceaccount.com",
    ]);
  });

  it("answers {} for a project without accounts (proto3 JSON omits the empty list)", async () => {
    const r = await g.iam.projects.serviceAccounts.list({ name: "projects/empty-proj", pageSize: 100 });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({});
  });
});

describe("IAM keys.list", () => {
  const saName = "projects/keys-proj/serviceAccounts/app@keys-proj.iam.gserviceaccount.com";
  const userKeys = [
    {
      name: `${saName}/keys/${KEY_1}`,
      keyType: "USER_MANAGED",
      keyAlgorithm: "KEY_ALG_RSA_2048",
      keyOrigin: "GOOGLE_PROVIDED",
      validAfterTime: "2019-12-23T03:00:00Z",
      validBeforeTime: "2029-12-20T03:00:00Z",
    },
    {
      name: `${saName}/keys/${KEY_2}`,
      keyType: "USER_MANAGED",
      keyAlgorithm: "KEY_ALG_RSA_2048",
      keyOrigin: "GOOGLE_PROVIDED",
      validAfterTime: "2024-01-01T00:00:00Z",
      validBeforeTime: "9999-12-31T23:59:59Z",
      disabled: true,
    },
  ];

  it("with keyTypes=USER_MANAGED returns only the user-managed keys, named projects/P/serviceAccounts/EMAIL/keys/KEYID", async () => {
    const r = await g.iam.projects.serviceAccounts.keys.list({ name: saName, keyTypes: ["USER_MANAGED"] });
    expect(r.data).toEqual({ keys: userKeys });
  });

  it("without keyTypes also returns the system-managed key Google rotates, valid for 90 days", async () => {
    const r = await g.iam.projects.serviceAccounts.keys.list({ name: saName });
    expect(r.data.keys!.slice(0, 2)).toEqual(userKeys);
    expect(r.data.keys!.length).toBe(3);
    const sys = r.data.keys![2];
    expect(sys.name).toMatch(new RegExp(`^${saName}/keys/[0-9a-f]{40}$`));
    expect(sys).toMatchObject({ keyType: "SYSTEM_MANAGED", keyAlgorithm: "KEY_ALG_RSA_2048", keyOrigin: "GOOGLE_PROVIDED" });
    expect(Date.parse(sys.validBeforeTime!) - Date.parse(sys.validAfterTime!)).toBe(90 * 86_400_000);
    expect(Date.parse(sys.validAfterTime!)).toBeLessThanOrEqual(Date.parse(NOW));
  });

  it("filters by keyTypes=SYSTEM_MANAGED too, and answers {} when no key matches", async () => {
    const r = await g.iam.projects.serviceAccounts.keys.list({
      name: "projects/keys-proj/serviceAccounts/ops@keys-proj.iam.gserviceaccount.com",
      keyTypes: ["SYSTEM_MANAGED"],
    });
    expect(r.data.keys!.map((k) => k.keyType)).toEqual(["SYSTEM_MANAGED"]);
    const none = await g.iam.projects.serviceAccounts.keys.list({
      name: "projects/big-proj/serviceAccounts/sa-000@big-proj.iam.gserviceaccount.com",
      keyTypes: ["USER_MANAGED"],
    });
    expect(none.data).toEqual({});
  });
});

describe("getIamPolicy", () => {
  const resource = "projects/keys-proj/serviceAccounts/app@keys-proj.iam.gserviceaccount.com";

  it("keeps conditions and answers version 3 when asked for requestedPolicyVersion 3", async () => {
    const r = await g.iam.projects.serviceAccounts.getIamPolicy({ resource, "options.requestedPolicyVersion": 3 });
    expect(r.data).toEqual({
      version: 3,
      etag: "BwYsaetag=",
      bindings: [
        { role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:keys-proj.svc.id.goog[web/app]"] },
        { role: "roles/iam.serviceAccountTokenCreator", members: ["user:alice@example.com"], condition: CONDITION },
      ],
    });
  });

  it("asked for version 1, drops the condition and suffixes the role with _withcond_", async () => {
    const r = await g.iam.projects.serviceAccounts.getIamPolicy({ resource, "options.requestedPolicyVersion": 1 });
    expect(r.data.version).toBe(1);
    expect(r.data.etag).toBe("BwYsaetag=");
    expect(r.data.bindings![0]).toEqual({ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:keys-proj.svc.id.goog[web/app]"] });
    expect(Object.keys(r.data.bindings![1]).sort()).toEqual(["members", "role"]);
    expect(r.data.bindings![1].role).toMatch(/^roles\/iam\.serviceAccountTokenCreator_withcond_[0-9a-f]{20}$/);
    expect(r.data.bindings![1].members).toEqual(["user:alice@example.com"]);
  });

  it("reads requestedPolicyVersion from the request body for Resource Manager v3 projects", async () => {
    const v3 = await g.crmV3.projects.getIamPolicy({ resource: "projects/keys-proj", requestBody: { options: { requestedPolicyVersion: 3 } } });
    expect(v3.data).toEqual({
      version: 3,
      etag: "BwYprojetag=",
      bindings: [{ role: "roles/viewer", members: ["group:devs@example.com"], condition: CONDITION }],
    });
    const v1 = await g.crmV1.projects.getIamPolicy({ resource: "keys-proj", requestBody: {} });
    expect(v1.data.version).toBe(1);
    expect(v1.data.bindings![0].role).toMatch(/^roles\/viewer_withcond_[0-9a-f]{20}$/);
    expect(v1.data.bindings![0].condition).toBeUndefined();
  });
});

describe("Resource Manager", () => {
  it("v3 projects.search returns every project in the v3 shape", async () => {
    const r = await g.crmV3.projects.search({});
    expect(r.data.projects!.map((p) => p.projectId)).toEqual(["big-proj", "empty-proj", "keys-proj", "zones-proj", "nocontainer-proj", "locked-proj"]);
    const keys = r.data.projects!.find((p) => p.projectId === "keys-proj")!;
    expect(keys).toEqual({
      name: "projects/200000000003",
      projectId: "keys-proj",
      state: "ACTIVE",
      displayName: "Keys project",
      parent: "folders/2002",
      labels: { env: "prod" },
      createTime: "2024-06-12T00:00:00Z",
      updateTime: "2024-06-12T00:00:00Z",
      etag: expect.stringMatching(/^W\/"[0-9a-f]{16}"$/),
    });
    // Without a parent of its own, a project sits under the organization.
    expect(r.data.projects!.find((p) => p.projectId === "empty-proj")!.parent).toBe("organizations/111111111111");
  });

  it("v3 projects.search filters by parent", async () => {
    const r = await g.crmV3.projects.search({ query: "parent:folders/2001" });
    expect(r.data.projects!.map((p) => p.projectId)).toEqual(["big-proj"]);
  });

  it("v3 projects.list?parent lists a folder's direct children only", async () => {
    const f1 = await g.crmV3.projects.list({ parent: "folders/2001" });
    expect(f1.data.projects!.map((p) => p.projectId)).toEqual(["big-proj"]);
    const f2 = await g.crmV3.projects.list({ parent: "folders/2002" });
    expect(f2.data.projects!.map((p) => p.projectId)).toEqual(["keys-proj"]);
    const org = await g.crmV3.projects.list({ parent: "organizations/111111111111" });
    expect(org.data.projects!.map((p) => p.projectId)).toEqual(["empty-proj", "zones-proj", "nocontainer-proj", "locked-proj"]);
  });

  it("v3 folders.list lists the folders under a parent", async () => {
    const top = await g.crmV3.folders.list({ parent: "organizations/111111111111" });
    expect(top.data.folders!.map((f) => [f.name, f.displayName, f.parent, f.state])).toEqual([["folders/2001", "prod", "organizations/111111111111", "ACTIVE"]]);
    const sub = await g.crmV3.folders.list({ parent: "folders/2001" });
    expect(sub.data.folders!.map((f) => [f.name, f.displayName, f.parent])).toEqual([["folders/2002", "teams", "folders/2001"]]);
    const leaf = await g.crmV3.folders.list({ parent: "folders/2002" });
    expect(leaf.data).toEqual({});
  });

  it("v1 projects.list returns the v1 shape with a typed parent", async () => {
    const r = await g.crmV1.projects.list({});
    const keys = r.data.projects!.find((p) => p.projectId === "keys-proj")!;
    expect(keys).toEqual({
      projectNumber: "200000000003",
      projectId: "keys-proj",
      lifecycleState: "ACTIVE",
      name: "Keys project",
      parent: { type: "folder", id: "2002" },
      labels: { env: "prod" },
      createTime: "2024-06-12T00:00:00Z",
    });
  });
});

describe("container clusters.list", () => {
  it("lists every cluster of a project through locations/- with node pools and Workload Identity", async () => {
    const r = await g.container.projects.locations.clusters.list({ parent: "projects/keys-proj/locations/-" });
    expect(r.data.missingZones).toBeUndefined();
    expect(r.data.clusters!.map((c) => [c.name, c.location, c.workloadIdentityConfig?.workloadPool])).toEqual([
      ["std", "asia-northeast1", "keys-proj.svc.id.goog"],
      // Autopilot always runs Workload Identity, with the project's pool.
      ["auto", "us-central1", "keys-proj.svc.id.goog"],
    ]);
    const std = r.data.clusters![0];
    expect(std.locations).toEqual(["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"]);
    expect(std.nodePools!.map((p) => [p.name, p.initialNodeCount, p.config!.serviceAccount, p.config!.workloadMetadataConfig ?? null])).toEqual([
      ["legacy", 1, "default", { mode: "GCE_METADATA" }],
      ["wi", 2, "nodes@keys-proj.iam.gserviceaccount.com", { mode: "GKE_METADATA" }],
      // The beta API's nodeMetadata is answered as v1 has it.
      ["beta", 1, "default", { mode: "GKE_METADATA" }],
      ["nomode", 1, "default", null],
    ]);
    expect(std.nodePools![0].config!.oauthScopes).toEqual(["https://www.googleapis.com/auth/cloud-platform"]);
    expect(std.status).toBe("RUNNING");
    expect(std.endpoint).toBe(sim.world().clusterByPath.get("keys-proj/asia-northeast1/std")!.tls.address);
    const auto = r.data.clusters![1];
    expect(auto.autopilot).toEqual({ enabled: true });
    expect(auto.nodePools!.map((p) => [p.name, p.config!.workloadMetadataConfig])).toEqual([["default-pool", { mode: "GKE_METADATA" }]]);
  });

  it("leaves out the clusters of a missingZones fault's zones and names the zones", async () => {
    const r = await g.container.projects.locations.clusters.list({ parent: "projects/zones-proj/locations/-" });
    expect(r.data.clusters!.map((c) => c.name)).toEqual(["tokyo"]);
    expect(r.data.missingZones).toEqual(["us-east1-b"]);
  });

  it("answers 403 SERVICE_DISABLED for a project where container.googleapis.com is disabled", async () => {
    const r = await googleFailure(g.container.projects.locations.clusters.list({ parent: "projects/nocontainer-proj/locations/-" }));
    expect(r.status).toBe(403);
    expect(r.data).toEqual({
      error: {
        code: 403,
        message:
          "Kubernetes Engine API has not been used in project 200000000005 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/container.googleapis.com/overview?project=200000000005 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
        status: "PERMISSION_DENIED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "SERVICE_DISABLED",
            domain: "googleapis.com",
            metadata: { service: "container.googleapis.com", consumer: "projects/200000000005" },
          },
        ],
      },
    });
  });
});

describe("Policy Analyzer activities:query", () => {
  const observationPeriod = { startTime: "2025-11-28T07:00:00Z", endTime: "2026-11-28T07:00:00Z" };
  const saResource = (email: string) => `//iam.googleapis.com/projects/keys-proj/serviceAccounts/${email}`;

  async function allPages(type: string, pageSize: number) {
    const pages: number[] = [];
    const acts: Record<string, unknown>[] = [];
    let pageToken: string | undefined;
    do {
      const r = await g.policyanalyzer.projects.locations.activityTypes.activities.query({
        parent: `projects/keys-proj/locations/global/activityTypes/${type}`,
        pageSize,
        pageToken,
      });
      pages.push(r.data.activities!.length);
      acts.push(...(r.data.activities as Record<string, unknown>[]));
      pageToken = r.data.nextPageToken ?? undefined;
    } while (pageToken);
    return { pages, acts };
  }

  it("pages serviceAccountLastAuthentication activities, named by email in fullResourceName", async () => {
    const { pages, acts } = await allPages("serviceAccountLastAuthentication", 1);
    expect(pages).toEqual([1, 1]);
    const app = await g.iam.projects.serviceAccounts.get({ name: "projects/keys-proj/serviceAccounts/app@keys-proj.iam.gserviceaccount.com" });
    expect(acts[0]).toEqual({
      fullResourceName: saResource("app@keys-proj.iam.gserviceaccount.com"),
      activityType: "serviceAccountLastAuthentication",
      observationPeriod,
      activity: {
        lastAuthenticatedTime: "2026-11-27T07:00:00Z",
        serviceAccount: { serviceAccountId: app.data.uniqueId, projectNumber: "200000000003", fullResourceName: saResource("app@keys-proj.iam.gserviceaccount.com") },
      },
    });
    expect(acts.map((a) => [a.fullResourceName, (a.activity as { lastAuthenticatedTime: string }).lastAuthenticatedTime])).toEqual([
      [saResource("app@keys-proj.iam.gserviceaccount.com"), "2026-11-27T07:00:00Z"],
      [saResource("ops@keys-proj.iam.gserviceaccount.com"), "2026-10-01T07:00:00Z"],
    ]);
  });

  it("returns serviceAccountKeyLastAuthentication activities for keys that authenticated, named .../keys/KEYID", async () => {
    const { pages, acts } = await allPages("serviceAccountKeyLastAuthentication", 1000);
    expect(pages).toEqual([2]);
    expect(acts.map((a) => [a.fullResourceName, a.activityType, (a.activity as { lastAuthenticatedTime: string }).lastAuthenticatedTime])).toEqual([
      [`${saResource("app@keys-proj.iam.gserviceaccount.com")}/keys/${KEY_1}`, "serviceAccountKeyLastAuthentication", "2026-11-25T07:00:00Z"],
      [`${saResource("ops@keys-proj.iam.gserviceaccount.com")}/keys/${KEY_3}`, "serviceAccountKeyLastAuthentication", "2026-11-20T07:00:00Z"],
    ]);
    expect((acts[0].activity as { serviceAccountKey: { fullResourceName: string } }).serviceAccountKey.fullResourceName).toBe(
      `${saResource("app@keys-proj.iam.gserviceaccount.com")}/keys/${KEY_1}`,
    );
  });

  it("answers {} when no account of the project authenticated", async () => {
    const r = await g.policyanalyzer.projects.locations.activityTypes.activities.query({
      parent: "projects/empty-proj/locations/global/activityTypes/serviceAccountLastAuthentication",
    });
    expect(r.data).toEqual({});
  });
});

describe("Google errors", () => {
  const deniedBody = {
    error: {
      code: 403,
      message: "Permission 'iam.serviceAccounts.list' denied on resource (or it may not exist).",
      status: "PERMISSION_DENIED",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "IAM_PERMISSION_DENIED",
          domain: "iam.googleapis.com",
          metadata: { permission: "iam.serviceAccounts.list", resource: "projects/locked-proj/serviceAccounts" },
        },
      ],
    },
  };

  it("a 403 fault answers Google's error body with an ErrorInfo naming the permission (raw fetch)", async () => {
    const res = await fetch(`${sim.url}/v1/projects/locked-proj/serviceAccounts`, { headers: { Authorization: "Bearer x" } });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    expect(await res.json()).toEqual(deniedBody);
  });

  it("a 403 fault reaches the googleapis client as response.status and response.data", async () => {
    const r = await googleFailure(g.iam.projects.serviceAccounts.list({ name: "projects/locked-proj" }));
    expect(r.status).toBe(403);
    expect(r.data).toEqual(deniedBody);
  });

  it("answers 401 UNAUTHENTICATED without an Authorization header", async () => {
    const res = await fetch(`${sim.url}/v1/projects/keys-proj/serviceAccounts`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        code: 401,
        message:
          "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        status: "UNAUTHENTICATED",
      },
    });
  });

  it("answers 401 with a Kubernetes Status without a bearer token", async () => {
    const res = await fetch(`${sim.url}/clusters/keys-proj/asia-northeast1/std/api/v1/pods`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
  });

  it("a 429 fault with retryAfter sets Retry-After, and times: 1 fails only the first request", async () => {
    const url = `${sim.url}/v1/projects/keys-proj/serviceAccounts/idle@keys-proj.iam.gserviceaccount.com/keys`;
    const first = await fetch(url, { headers: { Authorization: "Bearer x" } });
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    expect(await first.json()).toEqual({
      error: {
        code: 429,
        message: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service.",
        status: "RESOURCE_EXHAUSTED",
      },
    });
    const second = await fetch(url, { headers: { Authorization: "Bearer x" } });
    expect(second.status).toBe(200);
    expect(second.headers.get("retry-after")).toBeNull();
    expect(((await second.json()) as { keys: { keyType: string }[] }).keys.map((k) => k.keyType)).toEqual(["SYSTEM_MANAGED"]);
  });

  it("a hang fault never answers: the client's own timeout ends the request", async () => {
    const started = Date.now();
    const p = fetch(`${sim.url}/v1/projects/locked-proj/serviceAccounts/one@locked-proj.iam.gserviceaccount.com/keys`, {
      headers: { Authorization: "Bearer x" },
      signal: AbortSignal.timeout(300),
    });
    await expect(p).rejects.toMatchObject({ name: "TimeoutError" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("answers 404 in Google's shape for a path no API serves", async () => {
    const res = await fetch(`${sim.url}/v1/nothing/here`, { headers: { Authorization: "Bearer x" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 404, message: "The requested URL /v1/nothing/here was not found on this server.", status: "NOT_FOUND" } });
  });
});

describe("Kubernetes lists", () => {
  it("pages pods across namespaces with limit/continue: every pod once, in namespace/name order, with remainingItemCount", async () => {
    const whole = await std((a) => a.core.listPodForAllNamespaces({}));
    const expected = whole.items.map(keyOf);
    expect(expected).toEqual([...expected].sort());
    expect(new Set(expected).size).toBe(expected.length);
    expect(whole.metadata?._continue).toBeUndefined();

    const seen: string[] = [];
    const remaining: (number | undefined)[] = [];
    let cont: string | undefined;
    do {
      const page = await std((a) => a.core.listPodForAllNamespaces({ limit: 4, _continue: cont }));
      seen.push(...page.items.map(keyOf));
      remaining.push(page.metadata?.remainingItemCount);
      expect(page.metadata?.resourceVersion).toBe(whole.metadata?.resourceVersion);
      cont = page.metadata?._continue;
    } while (cont);
    expect(seen).toEqual(expected);
    const total = expected.length;
    const pages = Math.ceil(total / 4);
    expect(remaining).toEqual(Array.from({ length: pages }, (_, i) => (i === pages - 1 ? undefined : total - 4 * (i + 1))));
  });

  it("answers a Forbidden Status from a 403 fault on secrets, as an ApiException with code 403", async () => {
    const r = await k8sFailure(std((a) => a.core.listSecretForAllNamespaces({})));
    expect(r).toEqual({
      code: 403,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'secrets is forbidden: User "wi-atlas-scanner" cannot list resource "secrets" in API group "" at the cluster scope',
        reason: "Forbidden",
        code: 403,
      },
    });
  });

  it("names the namespace in a Forbidden message for a namespaced list", async () => {
    const r = await k8sFailure(std((a) => a.core.listNamespacedSecret({ namespace: "batch" })));
    expect(r.code).toBe(403);
    expect(r.body.message).toBe('secrets is forbidden: User "wi-atlas-scanner" cannot list resource "secrets" in API group "" in the namespace "batch"');
  });

  it("answers 404 NotFound for an object that does not exist", async () => {
    const r = await k8sFailure(std((a) => a.core.readNamespacedServiceAccount({ namespace: "web", name: "ghost" })));
    expect(r.code).toBe(404);
    expect(r.body).toMatchObject({ kind: "Status", reason: "NotFound", message: 'serviceaccounts "ghost" not found', code: 404 });
  });
});

describe("derived Kubernetes objects", () => {
  let nodes: V1Node[];
  let pods: V1Pod[];
  beforeAll(async () => {
    nodes = (await std((a) => a.core.listNode({}))).items;
    pods = (await std((a) => a.core.listPodForAllNamespaces({}))).items;
  });
  const pool = (n: V1Node) => n.metadata!.labels!["cloud.google.com/gke-nodepool"];
  const podsIn = (ns: string, prefix: string) => pods.filter((p) => p.metadata!.namespace === ns && p.metadata!.name!.startsWith(prefix));

  it("creates a default ServiceAccount in every namespace beside the declared ones", async () => {
    const ksas = (await std((a) => a.core.listServiceAccountForAllNamespaces({}))).items;
    expect(ksas.map(keyOf)).toEqual([
      "batch/default",
      "default/default",
      "kube-node-lease/default",
      "kube-public/default",
      "kube-system/default",
      "quiet/default",
      "quiet/quiet",
      "web/app",
      "web/default",
    ]);
    expect(ksas.find((k) => keyOf(k) === "web/app")!.metadata!.annotations).toEqual({ "iam.gke.io/gcp-service-account": "app@keys-proj.iam.gserviceaccount.com" });
    const nss = (await std((a) => a.core.listNamespace({}))).items;
    expect(nss.map((n) => n.metadata!.name)).toEqual(["batch", "default", "kube-node-lease", "kube-public", "kube-system", "quiet", "web"]);
    expect(nss.find((n) => n.metadata!.name === "web")!.metadata!.labels).toEqual({ team: "web", "kubernetes.io/metadata.name": "web" });
  });

  it("creates initialNodeCount nodes per zone (3 zones in a region), labelled with their pool", () => {
    const counts: Record<string, number> = {};
    for (const n of nodes) counts[pool(n)] = (counts[pool(n)] ?? 0) + 1;
    expect(counts).toEqual({ legacy: 3, wi: 6, beta: 3, nomode: 3 });
    expect(new Set(nodes.filter((n) => pool(n) === "wi").map((n) => n.metadata!.labels!["topology.kubernetes.io/zone"]))).toEqual(
      new Set(["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"]),
    );
    for (const n of nodes) expect(n.metadata!.name).toMatch(new RegExp(`^gke-std-${pool(n)}-[a-z0-9]{8}-[a-z0-9]{4}$`));
  });

  it("labels iam.gke.io/gke-metadata-server-enabled=true only on GKE_METADATA and GKE_METADATA_SERVER pools", () => {
    const labelled = Object.fromEntries(
      ["legacy", "wi", "beta", "nomode"].map((p) => [p, nodes.filter((n) => pool(n) === p).map((n) => n.metadata!.labels!["iam.gke.io/gke-metadata-server-enabled"] ?? null)]),
    );
    expect(labelled).toEqual({ legacy: [null, null, null], wi: ["true", "true", "true", "true", "true", "true"], beta: ["true", "true", "true"], nomode: [null, null, null] });
  });

  it("makes one zonal pool's initialNodeCount nodes in its one zone", async () => {
    const east = cluster(sim, "zones-proj/us-east1-b/east");
    const zonal = (await east((a) => a.core.listNode({}))).items;
    expect(zonal.map((n) => [pool(n), n.metadata!.labels!["topology.kubernetes.io/zone"]])).toEqual([
      ["pool", "us-east1-b"],
      ["pool", "us-east1-b"],
    ]);
  });

  it("gives an autopilot cluster gk3- nodes in 3 zones that all serve the GKE metadata server", async () => {
    const auto = cluster(sim, "keys-proj/us-central1/auto");
    const an = (await auto((a) => a.core.listNode({}))).items;
    expect(an.length).toBe(3);
    for (const n of an) {
      expect(n.metadata!.name).toMatch(/^gk3-auto-default-pool-/);
      expect(n.metadata!.labels!["iam.gke.io/gke-metadata-server-enabled"]).toBe("true");
    }
  });

  it("derives Deployment → ReplicaSet → Pods linked by ownerReferences and pod-template-hash", async () => {
    const deps = (await std((a) => a.apps.listNamespacedDeployment({ namespace: "web" }))).items;
    const rss = (await std((a) => a.apps.listNamespacedReplicaSet({ namespace: "web" }))).items;
    expect(deps.map((d) => d.metadata!.name)).toEqual(["app"]);
    expect(rss.length).toBe(1);
    const [dep, rs] = [deps[0], rss[0]];
    const hash = rs.metadata!.labels!["pod-template-hash"];
    expect(rs.metadata!.name).toBe(`app-${hash}`);
    expect(rs.metadata!.ownerReferences!.map((o) => ({ ...o }))).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", name: "app", uid: dep.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const appPods = podsIn("web", `app-${hash}-`);
    expect(appPods.length).toBe(3);
    for (const p of appPods) {
      expect(p.metadata!.name).toMatch(new RegExp(`^app-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata!.generateName).toBe(`app-${hash}-`);
      expect(p.metadata!.labels).toEqual({ app: "app", "pod-template-hash": hash });
      expect(p.metadata!.ownerReferences!.map((o) => ({ ...o }))).toEqual([
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata!.name, uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(p.spec!.serviceAccountName).toBe("app");
      expect(p.status!.phase).toBe("Running");
    }
  });

  it("derives CronJob → Job → Pod, and no Job when successfulJobsHistoryLimit is 0", async () => {
    const cjs = (await std((a) => a.batch.listNamespacedCronJob({ namespace: "batch" }))).items;
    const jobs = (await std((a) => a.batch.listNamespacedJob({ namespace: "batch" }))).items;
    expect(cjs.map((c) => c.metadata!.name)).toEqual(["forgetful", "nightly"]);
    expect(jobs.length).toBe(1);
    const job = jobs[0];
    expect(job.metadata!.name).toMatch(/^nightly-\d{8}$/);
    expect(job.metadata!.ownerReferences!.map((o) => [o.kind, o.name, o.uid])).toEqual([["CronJob", "nightly", cjs[1].metadata!.uid]]);
    const jobPods = podsIn("batch", "");
    expect(jobPods.map((p) => p.metadata!.name)).toEqual([expect.stringMatching(new RegExp(`^${job.metadata!.name}-[a-z0-9]{5}$`))]);
    expect(jobPods[0].metadata!.ownerReferences!.map((o) => [o.kind, o.name, o.uid])).toEqual([["Job", job.metadata!.name, job.metadata!.uid]]);
    expect(jobPods[0].status!.phase).toBe("Succeeded");
    expect(jobPods[0].spec!.restartPolicy).toBe("OnFailure");
  });

  it("runs a DaemonSet pod on each node its nodeSelector admits, and only there", () => {
    const ds = podsIn("kube-system", "wi-agent-");
    const eligible = nodes.filter((n) => n.metadata!.labels!["iam.gke.io/gke-metadata-server-enabled"] === "true").map((n) => n.metadata!.name);
    expect(eligible.length).toBe(9);
    expect(ds.map((p) => p.spec!.nodeName).sort()).toEqual([...eligible].sort());
    for (const p of ds) expect(p.metadata!.ownerReferences!.map((o) => [o.kind, o.name])).toEqual([["DaemonSet", "wi-agent"]]);
  });

  it("leaves a pod whose nodeSelector no node satisfies Pending, without nodeName", () => {
    const stuck = pods.find((p) => keyOf(p) === "web/stuck")!;
    expect(stuck.spec!.nodeName).toBeUndefined();
    expect(stuck.status!.phase).toBe("Pending");
    expect(stuck.status!.conditions!.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }))).toEqual([
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message: "0/15 nodes are available: 15 node(s) didn't match Pod's node affinity/selector.",
      },
    ]);
    expect(stuck.metadata!.ownerReferences).toBeUndefined();
  });

  it("places scheduled pods only on nodes that exist", () => {
    const names = new Set(nodes.map((n) => n.metadata!.name));
    for (const p of pods.filter((x) => x.status!.phase !== "Pending")) expect(names.has(p.spec!.nodeName)).toBe(true);
  });

  it("adds the admission-injected kube-api-access projected volume and its mount to pods", () => {
    const app = podsIn("web", "app-")[0];
    const vols = app.spec!.volumes!;
    expect(vols.length).toBe(1);
    expect(vols[0].name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vols[0].projected!.sources!.map((s) => Object.keys(s).filter((k) => (s as Record<string, unknown>)[k] !== undefined))).toEqual([
      ["serviceAccountToken"],
      ["configMap"],
      ["downwardAPI"],
    ]);
    expect(vols[0].projected!.sources![0].serviceAccountToken!.path).toBe("token");
    expect(app.spec!.containers[0].volumeMounts!.map((m) => ({ ...m }))).toEqual([
      { name: vols[0].name, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
    ]);
  });

  it("adds no token volume to a pod with automountServiceAccountToken: false", () => {
    const p = pods.find((x) => keyOf(x) === "web/no-token")!;
    expect(p.spec!.volumes).toBeUndefined();
    expect(p.spec!.containers[0].volumeMounts).toBeUndefined();
    expect(p.spec!.serviceAccountName).toBe("default");
  });

  // Regression (fixed; lib/simulator/world.ts, admitPodSpec): the ServiceAccount admission plugin mounts the token
  // only if the pod's automountServiceAccountToken, or else its ServiceAccount's, is not false
  // (https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting).
  // The simulator looks at the pod only, so pods of a ServiceAccount with
  // `automountServiceAccountToken: false` still get a kube-api-access-* volume and mount.
  it("adds no token volume to a pod whose ServiceAccount sets automountServiceAccountToken: false", () => {
    const p = pods.find((x) => keyOf(x) === "quiet/quiet")!;
    expect(p.spec!.serviceAccountName).toBe("quiet");
    expect([p.spec!.volumes?.map((v) => v.name), p.spec!.containers[0].volumeMounts?.map((m) => m.name)]).toEqual([undefined, undefined]);
  });

  it("folds a Secret's stringData into base64 data and strips whitespace from data", async () => {
    const fresh = await startSimulator({ estate: parseEstateText(ESTATE.replace(SECRETS_FORBIDDEN, ""), "test.yaml") });
    try {
      const c = cluster(fresh, "keys-proj/asia-northeast1/std");
      const secrets = (await c((a) => a.core.listSecretForAllNamespaces({}))).items;
      expect(secrets.map((s) => [keyOf(s), s.type, s.data])).toEqual([
        ["batch/creds", "Opaque", { token: "c2VjcmV0", path: Buffer.from("/var/secrets/google/key.json").toString("base64") }],
      ]);
      expect(secrets[0].stringData).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});

describe("a separate simulator", () => {
  /** A one-cluster estate whose pods are given as namespace/name. */
  const tiny = (pods: string[]) =>
    parseEstateText(
      `
now: "${NOW}"
projects:
  - projectId: tiny-proj
    projectNumber: "300000000001"
    serviceAccounts: [{email: a@tiny-proj.iam.gserviceaccount.com}]
    clusters:
      - cluster: {name: c1, location: europe-west1-b, nodePools: [{name: p, initialNodeCount: 1}]}
        manifests:
${pods.map((p) => `          - {apiVersion: v1, kind: Pod, metadata: {name: ${p.split("/")[1]}, namespace: ${p.split("/")[0]}}, spec: {containers: [{name: c, image: i}]}}`).join("\n")}
`,
      "test.yaml",
    );
  let s: Simulator;
  let c1: ReturnType<typeof cluster>;
  beforeAll(async () => {
    s = await startSimulator({ estate: tiny(["a/p1", "a/p2", "b/p3"]) });
    c1 = cluster(s, "tiny-proj/europe-west1-b/c1");
  });
  afterAll(async () => {
    await s.close();
  });

  it("counts requests per API in stats()", async () => {
    s.resetStats();
    const gc = simulatorClients(s.url);
    await gc.iam.projects.serviceAccounts.list({ name: "projects/tiny-proj" });
    await gc.iam.projects.serviceAccounts.keys.list({ name: "projects/tiny-proj/serviceAccounts/a@tiny-proj.iam.gserviceaccount.com" });
    await gc.container.projects.locations.clusters.list({ parent: "projects/tiny-proj/locations/-" });
    await gc.crmV3.projects.search({});
    await c1((a) => a.core.listNode({}));
    await c1((a) => a.core.listPodForAllNamespaces({}));
    await c1((a) => a.core.listNamespace({}));
    const st = s.stats();
    expect(st.requests).toEqual({ crm: 1, iam: 2, container: 1, policyanalyzer: 0, cloudasset: 0, gkehub: 0, k8s: 3, pubsub: 0 });
    expect(st.total).toBe(7);
    expect(st.faultsInjected).toBe(0);
    const viaHttp = await (await fetch(`${s.url}/_sim/stats`)).json();
    expect(viaHttp).toEqual(st);
    s.resetStats();
    expect(s.stats().total).toBe(0);
  });

  it("records the most requests in flight at once per API", async () => {
    s.resetStats();
    s.setLatency(100);
    try {
      const gc = simulatorClients(s.url);
      await Promise.all(Array.from({ length: 5 }, () => gc.iam.projects.serviceAccounts.list({ name: "projects/tiny-proj" })));
      await gc.container.projects.locations.clusters.list({ parent: "projects/tiny-proj/locations/-" });
    } finally {
      s.setLatency(0);
    }
    const st = s.stats();
    expect(st.requests.iam).toBe(5);
    expect(st.maxInFlight).toEqual({ crm: 0, iam: 5, container: 1, policyanalyzer: 0, cloudasset: 0, gkehub: 0, k8s: 0, pubsub: 0 });
  });

  it("answers 410 Expired to a continue token once the estate has changed", async () => {
    s.setEstate(tiny(["a/p1", "a/p2", "b/p3"]));
    const first = await c1((a) => a.core.listPodForAllNamespaces({ limit: 1 }));
    expect(first.items.map(keyOf)).toEqual(["a/p1"]);
    expect(first.metadata!.remainingItemCount).toBe(2);
    s.setEstate(tiny(["a/p1", "a/p2", "b/p3", "b/p4"]));
    const r = await k8sFailure(c1((a) => a.core.listPodForAllNamespaces({ limit: 1, _continue: first.metadata!._continue })));
    expect(r.code).toBe(410);
    expect(r.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410 });
    expect(r.body.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\./);
  });

  // Regression (fixed; lib/simulator/world.ts, buildCluster): a cluster's list resourceVersion is derived from the
  // cluster's coordinates and the *number* of objects (`++ctx.rv` per object), not from their content.
  // An estate edit that keeps the count (here pod a/p1 renamed a/p9) keeps the resourceVersion, so
  // the old continue token is accepted and the list mixes two versions of the cluster: a/p1, a/p2,
  // a/p9, b/p3 — four pods where each version has three. A real API server serves the old snapshot
  // or answers 410 Expired; it never mixes them.
  it("answers 410 to a continue token after an edit that keeps the number of objects", async () => {
    s.setEstate(tiny(["a/p1", "a/p2", "b/p3"]));
    const first = await c1((a) => a.core.listPodForAllNamespaces({ limit: 1 }));
    s.setEstate(tiny(["a/p9", "a/p2", "b/p3"]));
    const rest = await c1((a) => a.core.listPodForAllNamespaces({ limit: 10, _continue: first.metadata!._continue })).then(
      (r) => ({ code: 200, items: r.items.map(keyOf) }),
      (e: { code?: number }) => ({ code: e.code, items: [] as string[] }),
    );
    // Today: {code: 200, items: ["a/p2", "a/p9", "b/p3"]} after a first page of ["a/p1"].
    expect(rest).toEqual({ code: 410, items: [] });
  });
});
