import { describe, expect, it } from "vitest";
import {
  MalformedResponseError,
  transformActivity,
  transformCluster,
  transformCustomRole,
  transformDenyPolicy,
  transformFolder,
  transformKey,
  transformOrganization,
  transformPolicy,
  transformProject,
  transformServiceAccount,
} from "./transform-gcp";

describe("transformKey", () => {
  // ServiceAccountKey as keys.list returns it (no privateKeyData on list):
  // https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys#ServiceAccountKey
  const key = {
    name: "projects/acme-prod/serviceAccounts/batch@acme-prod.iam.gserviceaccount.com/keys/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    validAfterTime: "2019-12-23T03:00:00Z",
    validBeforeTime: "2029-12-20T03:00:00Z",
    keyAlgorithm: "KEY_ALG_RSA_2048",
    keyOrigin: "GOOGLE_PROVIDED",
    keyType: "USER_MANAGED",
  };

  it("takes the key id from the last segment of name and the project from the email", () => {
    expect(transformKey(key, "iam.keys:acme-prod")).toEqual({
      kind: "key",
      subject: "key:batch@acme-prod.iam.gserviceaccount.com/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
      source: "iam.keys:acme-prod",
      project: "acme-prod",
      data: {
        email: "batch@acme-prod.iam.gserviceaccount.com",
        keyId: "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
        projectId: "acme-prod",
        keyType: "USER_MANAGED",
        keyAlgorithm: "KEY_ALG_RSA_2048",
        keyOrigin: "GOOGLE_PROVIDED",
        validAfterTime: "2019-12-23T03:00:00Z",
        validBeforeTime: "2029-12-20T03:00:00Z",
        disabled: false,
      },
    });
  });

  it("prefers the email's project over the name's, which may be `-` or a project number", () => {
    const r = transformKey({ ...key, name: "projects/-/serviceAccounts/Batch@Acme-Prod.iam.gserviceaccount.com/keys/abc", disabled: true }, "s");
    expect([r.subject, r.project, r.data.email, r.data.projectId, r.data.disabled]).toEqual([
      "key:batch@acme-prod.iam.gserviceaccount.com/abc",
      "acme-prod",
      "batch@acme-prod.iam.gserviceaccount.com",
      "acme-prod",
      true,
    ]);
  });

  it("falls back to the name's project for the Compute Engine default account", () => {
    const r = transformKey({ ...key, name: "projects/acme-prod/serviceAccounts/123456789012-compute@developer.gserviceaccount.com/keys/abc" }, "s");
    expect([r.project, r.data.email]).toEqual(["acme-prod", "123456789012-compute@developer.gserviceaccount.com"]);
  });

  it("reads a missing keyType as USER_MANAGED and missing times as null", () => {
    const r = transformKey({ name: key.name }, "s");
    expect(r.data).toMatchObject({ keyType: "USER_MANAGED", keyAlgorithm: null, keyOrigin: null, validAfterTime: null, validBeforeTime: null, disabled: false });
  });

  it("throws on a key without a name, or with a name of another form", () => {
    expect(() => transformKey({ keyType: "USER_MANAGED" }, "s")).toThrow(new MalformedResponseError("service account key", "name"));
    expect(() => transformKey({ name: "keys/abc" }, "s")).toThrow(MalformedResponseError);
  });
});

describe("transformServiceAccount", () => {
  // ServiceAccount: https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts#ServiceAccount
  it("keeps the account's identity and reads an absent disabled as false", () => {
    const sa = {
      name: "projects/acme-prod/serviceAccounts/Batch@acme-prod.iam.gserviceaccount.com",
      projectId: "acme-prod",
      uniqueId: "103456789012345678901",
      email: "Batch@acme-prod.iam.gserviceaccount.com",
      displayName: "batch jobs",
      etag: "MDEwMjE5MjA=",
      oauth2ClientId: "103456789012345678901",
    };
    expect(transformServiceAccount(sa, "iam.sa:acme-prod")).toEqual({
      kind: "gsa",
      subject: "gsa:batch@acme-prod.iam.gserviceaccount.com",
      source: "iam.sa:acme-prod",
      project: "acme-prod",
      data: {
        email: "batch@acme-prod.iam.gserviceaccount.com",
        projectId: "acme-prod",
        uniqueId: "103456789012345678901",
        displayName: "batch jobs",
        description: null,
        disabled: false,
      },
    });
    expect(transformServiceAccount({ ...sa, disabled: true }, "s").data.disabled).toBe(true);
    expect(() => transformServiceAccount({ ...sa, uniqueId: undefined }, "s")).toThrow(
      "Malformed API response: service account batch@acme-prod.iam.gserviceaccount.com has no uniqueId",
    );
  });
});

describe("transformCluster", () => {
  // Cluster and NodePool as clusters.list returns them (fields trimmed to those read):
  // https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Cluster
  // https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools#NodePool
  // https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/NodeConfig#WorkloadMetadataConfig
  const pool = (name: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name,
    config: { machineType: "e2-standard-4", diskSizeGb: 100, oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"], ...config },
    initialNodeCount: 1,
    locations: ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"],
    selfLink: `https://container.googleapis.com/v1/projects/acme-prod/locations/asia-northeast1/clusters/prod/nodePools/${name}`,
    version: "1.33.5-gke.1308000",
    status: "RUNNING",
    ...extra,
  });
  const standard = {
    name: "prod",
    nodePools: [
      pool("legacy", { serviceAccount: "default", workloadMetadataConfig: { mode: "GCE_METADATA" } }),
      pool("wi", { serviceAccount: "Nodes@acme-prod.iam.gserviceaccount.com", workloadMetadataConfig: { mode: "GKE_METADATA" } }, { initialNodeCount: 2 }),
      pool("beta", { serviceAccount: "default", workloadMetadataConfig: { nodeMetadata: "GKE_METADATA_SERVER" } }),
      pool("nomode", {}, { locations: ["asia-northeast1-a"] }),
      pool("unspecified", { serviceAccount: "default", workloadMetadataConfig: { mode: "MODE_UNSPECIFIED" } }),
    ],
    workloadIdentityConfig: { workloadPool: "acme-prod.svc.id.goog" },
    selfLink: "https://container.googleapis.com/v1/projects/acme-prod/locations/asia-northeast1/clusters/prod",
    zone: "asia-northeast1",
    endpoint: "34.84.10.20",
    initialClusterVersion: "1.33.5-gke.1308000",
    currentMasterVersion: "1.33.5-gke.1308000",
    currentNodeVersion: "1.33.5-gke.1308000",
    createTime: "2024-05-01T00:00:00+00:00",
    status: "RUNNING",
    location: "asia-northeast1",
    locations: ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"],
    id: "427a8fb4857c506e8a27807cd0f47726",
  };

  it("returns the cluster with its workload pool and node pool names", () => {
    const { cluster } = transformCluster(standard, "acme-prod", "123456789012", "container:acme-prod");
    expect(cluster).toEqual({
      kind: "cluster",
      subject: "cluster:acme-prod/asia-northeast1/prod",
      source: "container:acme-prod",
      project: "acme-prod",
      cluster: "cluster:acme-prod/asia-northeast1/prod",
      data: {
        projectId: "acme-prod",
        projectNumber: "123456789012",
        location: "asia-northeast1",
        name: "prod",
        workloadPool: "acme-prod.svc.id.goog",
        autopilot: false,
        status: "RUNNING",
        endpoint: "34.84.10.20",
        currentMasterVersion: "1.33.5-gke.1308000",
        nodePools: ["legacy", "wi", "beta", "nomode", "unspecified"],
        locations: ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"],
        nodeAutoprovisioning: false,
        autoprovisioningServiceAccount: null,
      },
    });
  });

  it("resolves default (and absent) node accounts to PROJECT_NUMBER-compute@developer.gserviceaccount.com", () => {
    const { nodePools } = transformCluster(standard, "acme-prod", "123456789012", "s");
    expect(nodePools.map((p) => [p.data.name, p.data.serviceAccount, p.data.serviceAccountRaw])).toEqual([
      ["legacy", "123456789012-compute@developer.gserviceaccount.com", "default"],
      ["wi", "nodes@acme-prod.iam.gserviceaccount.com", "Nodes@acme-prod.iam.gserviceaccount.com"],
      ["beta", "123456789012-compute@developer.gserviceaccount.com", "default"],
      ["nomode", "123456789012-compute@developer.gserviceaccount.com", null],
      ["unspecified", "123456789012-compute@developer.gserviceaccount.com", "default"],
    ]);
  });

  it("keeps `default` when the project number is unknown", () => {
    const { nodePools, cluster } = transformCluster(standard, "acme-prod", null, "s");
    expect(nodePools[0].data.serviceAccount).toBe("default");
    expect(cluster.data.projectNumber).toBeNull();
  });

  it("tells GKE_METADATA, GCE_METADATA, nodeMetadata GKE_METADATA_SERVER and no mode apart", () => {
    const { nodePools } = transformCluster(standard, "acme-prod", "123456789012", "s");
    expect(nodePools.map((p) => [p.data.name, p.data.metadataMode, p.data.servesGkeMetadata, p.data.nodeCount])).toEqual([
      ["legacy", "GCE_METADATA", false, 3],
      ["wi", "GKE_METADATA", true, 6],
      ["beta", "GKE_METADATA_SERVER", true, 3],
      ["nomode", null, false, 1],
      ["unspecified", "UNSPECIFIED", false, 3],
    ]);
  });

  it("returns a node pool record with its scopes and cluster", () => {
    const { nodePools } = transformCluster(standard, "acme-prod", "123456789012", "s");
    expect(nodePools[1]).toEqual({
      kind: "nodepool",
      subject: "nodepool:acme-prod/asia-northeast1/prod/wi",
      source: "s",
      project: "acme-prod",
      cluster: "cluster:acme-prod/asia-northeast1/prod",
      data: {
        projectId: "acme-prod",
        location: "asia-northeast1",
        cluster: "prod",
        name: "wi",
        serviceAccount: "nodes@acme-prod.iam.gserviceaccount.com",
        serviceAccountRaw: "Nodes@acme-prod.iam.gserviceaccount.com",
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        metadataMode: "GKE_METADATA",
        servesGkeMetadata: true,
        nodeCount: 6,
        autopilot: false,
        labels: {},
        taints: [],
        machineType: "e2-standard-4",
        imageType: null,
        spot: false,
        preemptible: false,
        accelerators: [],
        architectureTaintBehavior: null,
        windowsOsVersion: null,
        locations: ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"],
        autoscaling: null,
      },
    });
  });

  it("keeps what scheduling reads of a pool: labels, taints (as Kubernetes writes their effects), machine and image type, spot, accelerators, autoscaling", () => {
    // A Spot GPU pool scaled to zero, as `gcloud container node-pools create gpu --spot --accelerator=type=nvidia-l4,count=1
    // --node-taints=team=ml:NoSchedule --node-labels=team=ml --enable-autoscaling --min-nodes=0 --max-nodes=4` leaves it.
    const gpu = pool(
      "gpu",
      {
        machineType: "g2-standard-8",
        imageType: "COS_CONTAINERD",
        spot: true,
        labels: { team: "ml" },
        taints: [{ key: "team", value: "ml", effect: "NO_SCHEDULE" }],
        accelerators: [{ acceleratorCount: "1", acceleratorType: "nvidia-l4", gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } }],
        workloadMetadataConfig: { mode: "GKE_METADATA" },
      },
      { initialNodeCount: 0, autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 4, locationPolicy: "ANY" } },
    );
    const { nodePools, cluster } = transformCluster(
      { ...standard, nodePools: [gpu], autoscaling: { enableNodeAutoprovisioning: true, autoprovisioningNodePoolDefaults: { serviceAccount: "nap-nodes@acme-prod.iam.gserviceaccount.com" } } },
      "acme-prod",
      "123456789012",
      "s",
    );
    expect(nodePools[0].data).toMatchObject({
      labels: { team: "ml" },
      taints: [{ key: "team", value: "ml", effect: "NoSchedule" }],
      machineType: "g2-standard-8",
      imageType: "COS_CONTAINERD",
      spot: true,
      preemptible: false,
      accelerators: ["nvidia-l4"],
      autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 4, autoprovisioned: false },
      nodeCount: 0,
    });
    expect(cluster.data).toMatchObject({ nodeAutoprovisioning: true, autoprovisioningServiceAccount: "nap-nodes@acme-prod.iam.gserviceaccount.com" });
  });

  it("does not serve the GKE metadata server on a GKE_METADATA pool when the cluster has no workload pool", () => {
    const { cluster, nodePools } = transformCluster({ ...standard, workloadIdentityConfig: undefined }, "acme-prod", "123456789012", "s");
    expect(cluster.data.workloadPool).toBeNull();
    expect(nodePools.map((p) => p.data.servesGkeMetadata)).toEqual([false, false, false, false, false]);
  });

  it("gives an autopilot cluster the project's workload pool and GKE metadata on every pool", () => {
    // Autopilot clusters report `autopilot: {enabled: true}`:
    // https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Autopilot
    const autopilot = {
      name: "auto",
      location: "us-central1",
      autopilot: { enabled: true },
      nodePools: [pool("default-pool", { serviceAccount: "default" }), pool("pool-1", { serviceAccount: "default", workloadMetadataConfig: { mode: "GKE_METADATA" } })],
      status: "RUNNING",
    };
    const { cluster, nodePools } = transformCluster(autopilot, "acme-prod", "123456789012", "s");
    expect(cluster.data).toMatchObject({ workloadPool: "acme-prod.svc.id.goog", autopilot: true, endpoint: null, currentMasterVersion: null });
    expect(nodePools.map((p) => [p.data.name, p.data.metadataMode, p.data.servesGkeMetadata, p.data.autopilot])).toEqual([
      ["default-pool", null, true, true],
      ["pool-1", "GKE_METADATA", true, true],
    ]);
  });

  it("reads the location from the deprecated zone field when location is absent", () => {
    const { cluster } = transformCluster({ name: "old", zone: "us-east1-b" }, "acme-prod", "123456789012", "s");
    expect([cluster.subject, cluster.data.location, cluster.data.nodePools]).toEqual(["cluster:acme-prod/us-east1-b/old", "us-east1-b", []]);
  });

  it("throws on a cluster without a name or a location", () => {
    expect(() => transformCluster({ location: "us-east1" }, "p", "1", "s")).toThrow(new MalformedResponseError("cluster", "name"));
    expect(() => transformCluster({ name: "x" }, "p", "1", "s")).toThrow(new MalformedResponseError("cluster x", "zone"));
  });
});

describe("transformPolicy", () => {
  // Policy as getIamPolicy returns it with requestedPolicyVersion 3:
  // https://cloud.google.com/iam/docs/reference/rest/v1/Policy
  const policy = {
    version: 3,
    etag: "BwWKmjvelug=",
    bindings: [
      { role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:acme-prod.svc.id.goog[web/api]", "serviceAccount:acme-prod.svc.id.goog[batch/job]"] },
      {
        role: "roles/iam.serviceAccountTokenCreator",
        members: ["user:zed@example.com", "group:admins@example.com"],
        condition: { title: "expirable access", description: "Does not grant access after Sep 2026", expression: "request.time < timestamp('2026-10-01T00:00:00.000Z')" },
      },
      { role: "roles/iam.serviceAccountTokenCreator", members: ["user:bob@example.com"] },
    ],
  };

  it("sorts members and bindings, keeps conditions, and drops the etag", () => {
    expect(transformPolicy(policy, "gsa:api@acme-prod.iam.gserviceaccount.com", "iam.policy:acme-prod", "acme-prod")).toEqual({
      kind: "iam-policy",
      subject: "gsa:api@acme-prod.iam.gserviceaccount.com",
      source: "iam.policy:acme-prod",
      project: "acme-prod",
      data: {
        resource: "gsa:api@acme-prod.iam.gserviceaccount.com",
        version: 3,
        etag: null,
        bindings: [
          { role: "roles/iam.serviceAccountTokenCreator", members: ["user:bob@example.com"], condition: null },
          {
            role: "roles/iam.serviceAccountTokenCreator",
            members: ["group:admins@example.com", "user:zed@example.com"],
            condition: {
              title: "expirable access",
              expression: "request.time < timestamp('2026-10-01T00:00:00.000Z')",
              description: "Does not grant access after Sep 2026",
            },
          },
          {
            role: "roles/iam.workloadIdentityUser",
            members: ["serviceAccount:acme-prod.svc.id.goog[batch/job]", "serviceAccount:acme-prod.svc.id.goog[web/api]"],
            condition: null,
          },
        ],
      },
    });
  });

  it("does not reorder the caller's arrays", () => {
    const members = ["user:zed@example.com", "group:admins@example.com"];
    transformPolicy({ bindings: [{ role: "roles/viewer", members }] }, "project:p", "s", "p");
    expect(members).toEqual(["user:zed@example.com", "group:admins@example.com"]);
  });

  it("reads an empty policy (`{etag}` only) as version 1 without bindings", () => {
    expect(transformPolicy({ etag: "ACAB" }, "project:p", "s", "p").data).toEqual({ resource: "project:p", version: 1, etag: null, bindings: [] });
  });

  it("throws on a binding without a role", () => {
    expect(() => transformPolicy({ bindings: [{ members: ["user:a@example.com"] }] }, "project:p", "s", "p")).toThrow(
      new MalformedResponseError("binding on project:p", "role"),
    );
  });
});

describe("transformActivity", () => {
  // Activity as activities:query returns it; the response example of
  // https://cloud.google.com/iam/docs/service-account-recent-usage and
  // https://cloud.google.com/policy-intelligence/docs/reference/policyanalyzer/rest/v1/projects.locations.activityTypes.activities/query
  const observationPeriod = { startTime: "2025-11-28T07:00:00Z", endTime: "2026-11-28T07:00:00Z" };
  const byEmail = {
    activity: {
      lastAuthenticatedTime: "2026-11-27T07:00:00Z",
      serviceAccount: {
        fullResourceName: "//iam.googleapis.com/projects/acme-prod/serviceAccounts/Api@acme-prod.iam.gserviceaccount.com",
        projectNumber: "123456789012",
        serviceAccountId: "103456789012345678901",
      },
    },
    activityType: "serviceAccountLastAuthentication",
    fullResourceName: "//iam.googleapis.com/projects/acme-prod/serviceAccounts/Api@acme-prod.iam.gserviceaccount.com",
    observationPeriod,
  };
  const keyActivity = {
    activity: {
      lastAuthenticatedTime: "2026-11-25T07:00:00Z",
      serviceAccountKey: {
        fullResourceName:
          "//iam.googleapis.com/projects/acme-prod/serviceAccounts/batch@acme-prod.iam.gserviceaccount.com/keys/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
        projectNumber: "123456789012",
        serviceAccountId: "113456789012345678901",
      },
    },
    activityType: "serviceAccountKeyLastAuthentication",
    fullResourceName:
      "//iam.googleapis.com/projects/acme-prod/serviceAccounts/batch@acme-prod.iam.gserviceaccount.com/keys/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    observationPeriod,
  };
  const ids = new Map([["113456789012345678901", "Batch@acme-prod.iam.gserviceaccount.com"]]);

  it("names an account by the email in fullResourceName", () => {
    expect(transformActivity(byEmail, "pa:acme-prod", "acme-prod", new Map())).toEqual({
      kind: "gsa-activity",
      subject: "gsa:api@acme-prod.iam.gserviceaccount.com",
      source: "pa:acme-prod",
      project: "acme-prod",
      data: { lastAuthenticatedTime: "2026-11-27T07:00:00Z" },
    });
  });

  it("maps a uniqueId in fullResourceName to the account's email", () => {
    const byId = { ...byEmail, fullResourceName: "//iam.googleapis.com/projects/acme-prod/serviceAccounts/113456789012345678901" };
    expect(transformActivity(byId, "s", "acme-prod", ids)?.subject).toBe("gsa:batch@acme-prod.iam.gserviceaccount.com");
    expect(transformActivity(byId, "s", "acme-prod", new Map())).toBeUndefined();
  });

  it("makes a key activity for a .../keys/KEYID resource, by email or uniqueId", () => {
    expect(transformActivity(keyActivity, "s", "acme-prod", new Map())).toEqual({
      kind: "key-activity",
      subject: "key:batch@acme-prod.iam.gserviceaccount.com/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
      source: "s",
      project: "acme-prod",
      data: { lastAuthenticatedTime: "2026-11-25T07:00:00Z" },
    });
    const byId = {
      ...keyActivity,
      fullResourceName: "//iam.googleapis.com/projects/acme-prod/serviceAccounts/113456789012345678901/keys/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    };
    expect(transformActivity(byId, "s", "acme-prod", ids)?.subject).toBe("key:batch@acme-prod.iam.gserviceaccount.com/5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b");
  });

  it("skips an activity without lastAuthenticatedTime or about something else", () => {
    expect(transformActivity({ ...byEmail, activity: {} }, "s", "acme-prod", new Map())).toBeUndefined();
    expect(transformActivity({ ...byEmail, fullResourceName: "//cloudresourcemanager.googleapis.com/projects/acme-prod" }, "s", "acme-prod", new Map())).toBeUndefined();
    expect(() => transformActivity({ activity: byEmail.activity }, "s", "acme-prod", new Map())).toThrow(new MalformedResponseError("activity", "fullResourceName"));
  });
});

describe("transformProject", () => {
  it("reads a Resource Manager v3 project (name projects/NUMBER, string parent, state)", () => {
    // https://cloud.google.com/resource-manager/reference/rest/v3/projects#Project
    const v3 = {
      name: "projects/123456789012",
      parent: "folders/234567890123",
      projectId: "acme-prod",
      state: "ACTIVE",
      displayName: "Acme Prod",
      createTime: "2022-01-10T08:00:00.000Z",
      updateTime: "2022-01-10T08:00:00.000Z",
      etag: 'W/"7e3c4a1b2d9f0e8a"',
      labels: { env: "prod" },
    };
    expect(transformProject(v3, "crm.projects")).toEqual({
      kind: "project",
      subject: "project:acme-prod",
      source: "crm.projects",
      project: "acme-prod",
      data: { projectId: "acme-prod", projectNumber: "123456789012", displayName: "Acme Prod", parent: "folders/234567890123", state: "ACTIVE", labels: { env: "prod" } },
    });
  });

  it("reads a Resource Manager v1 project (projectNumber, typed parent, lifecycleState, name as display name)", () => {
    // https://cloud.google.com/resource-manager/reference/rest/v1/projects#Project
    const v1 = {
      projectNumber: "123456789012",
      projectId: "acme-prod",
      lifecycleState: "ACTIVE",
      name: "Acme Prod",
      createTime: "2022-01-10T08:00:00.000Z",
      parent: { type: "organization", id: "111111111111" },
    };
    expect(transformProject(v1, "crm.projects").data).toEqual({
      projectId: "acme-prod",
      projectNumber: "123456789012",
      displayName: "Acme Prod",
      parent: "organizations/111111111111",
      state: "ACTIVE",
      labels: {},
    });
    expect(transformProject({ ...v1, parent: { type: "folder", id: "234567890123" } }, "s").data.parent).toBe("folders/234567890123");
  });

  // Regression (fixed; lib/inventory/transform-gcp.ts, transformProject): the v1 display name (`name`) is used only
  // when `parent` is an object, i.e. when the project has a parent. A v1 project with no organization
  // or folder (common outside an organization) has no `parent`, so its display name is lost (null)
  // although `name` holds it. Telling v1 apart by `projectNumber`/`lifecycleState` would fix it.
  it("keeps the display name of a v1 project that has no parent", () => {
    const v1 = { projectNumber: "123456789012", projectId: "acme-sandbox", lifecycleState: "ACTIVE", name: "Acme Sandbox", createTime: "2022-01-10T08:00:00.000Z" };
    expect(transformProject(v1, "s").data).toEqual({
      projectId: "acme-sandbox",
      projectNumber: "123456789012",
      displayName: "Acme Sandbox",
      parent: null,
      state: "ACTIVE",
      labels: {},
    });
  });

  it("throws on a project with neither projectNumber nor a projects/NUMBER name", () => {
    expect(() => transformProject({ projectId: "acme-prod", name: "Acme" }, "s")).toThrow(new MalformedResponseError("project acme-prod", "projectNumber"));
    expect(() => transformProject({ name: "projects/1" }, "s")).toThrow(new MalformedResponseError("project", "projectId"));
  });
});

describe("transformFolder and transformOrganization", () => {
  it("keep the resource names and display names", () => {
    // https://cloud.google.com/resource-manager/reference/rest/v3/folders#Folder
    expect(
      transformFolder(
        { name: "folders/234567890123", parent: "organizations/111111111111", displayName: "prod", state: "ACTIVE", createTime: "2020-01-01T00:00:00Z", etag: 'W/"a"' },
        "crm.folders",
      ),
    ).toEqual({ kind: "folder", subject: "folder:234567890123", source: "crm.folders", data: { name: "folders/234567890123", displayName: "prod", parent: "organizations/111111111111" } });
    // https://cloud.google.com/resource-manager/reference/rest/v3/organizations#Organization
    expect(
      transformOrganization({ name: "organizations/111111111111", displayName: "example.com", directoryCustomerId: "C0abc123", state: "ACTIVE" }, "crm.org"),
    ).toEqual({ kind: "organization", subject: "organization:111111111111", source: "crm.org", data: { name: "organizations/111111111111", displayName: "example.com" } });
  });
});

describe("transformCustomRole", () => {
  // Role as roles.list with view=FULL and showDeleted returns it:
  // https://cloud.google.com/iam/docs/reference/rest/v1/organizations.roles#Role
  it("keeps the name, permissions (sorted), stage and deleted flag", () => {
    const r = transformCustomRole(
      {
        name: "organizations/620315948271/roles/workloadIdentityUserLite",
        title: "Workload Identity User (lite)",
        includedPermissions: ["iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.getAccessToken"],
        stage: "DISABLED",
        etag: "BwYbq1Xh9Ho=",
        deleted: true,
      },
      "iam.roles:organizations/620315948271",
    );
    expect(r).toEqual({
      kind: "custom-role",
      subject: "role:organizations/620315948271/roles/workloadIdentityUserLite",
      source: "iam.roles:organizations/620315948271",
      project: null,
      data: {
        name: "organizations/620315948271/roles/workloadIdentityUserLite",
        title: "Workload Identity User (lite)",
        includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken"],
        stage: "DISABLED",
        deleted: true,
      },
    });
  });

  it("reads an absent stage as ALPHA (proto3 may leave out an enum's first value) and a project role's project", () => {
    const r = transformCustomRole({ name: "projects/acme-prod/roles/ciDeployer" }, "iam.roles:acme-prod");
    expect([r.project, r.data.stage, r.data.includedPermissions, r.data.deleted]).toEqual(["acme-prod", "ALPHA", [], false]);
  });

  it("refuses a role without a custom role's name", () => {
    expect(() => transformCustomRole({ name: "roles/editor" }, "x")).toThrow(MalformedResponseError);
    expect(() => transformCustomRole({ title: "nameless" }, "x")).toThrow(MalformedResponseError);
  });
});

describe("transformDenyPolicy", () => {
  // Policy as policies.get returns it (IAM v2): https://cloud.google.com/iam/docs/reference/rest/v2/policies#Policy
  it("keeps every rule with empty lists as empty arrays, and the condition's title", () => {
    const r = transformDenyPolicy(
      {
        name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/no-sandbox-tokens",
        uid: "6a1f0c2e-3b4d-4e5f-a617-28394a5b6c7d",
        kind: "DenyPolicy",
        displayName: "Sandboxes never mint tokens",
        etag: "MTc2NzI=",
        rules: [
          {
            description: "sandbox",
            denyRule: {
              deniedPrincipals: ["principalSet://goog/public:all"],
              deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"],
              denialCondition: { title: "prod", expression: "resource.matchTag('620315948271/env', 'prod')" },
            },
          },
          { denyRule: { deniedPrincipals: ["principalSet://goog/public:all"], deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"] } },
        ],
      },
      "iam.denyPolicies:projects/acme-pay",
      "project:acme-pay",
      "acme-pay",
    );
    expect(r.subject).toBe("deny-policy:policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/no-sandbox-tokens");
    expect(r.data).toEqual({
      name: "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F487812345001/denypolicies/no-sandbox-tokens",
      attachedTo: "project:acme-pay",
      displayName: "Sandboxes never mint tokens",
      rules: [
        {
          description: "sandbox",
          deniedPrincipals: ["principalSet://goog/public:all"],
          exceptionPrincipals: [],
          deniedPermissions: ["iam.googleapis.com/serviceAccounts.getAccessToken"],
          exceptionPermissions: [],
          denialCondition: { title: "prod", expression: "resource.matchTag('620315948271/env', 'prod')" },
        },
        {
          description: null,
          deniedPrincipals: ["principalSet://goog/public:all"],
          exceptionPrincipals: [],
          deniedPermissions: ["iam.googleapis.com/serviceAccountKeys.create"],
          exceptionPermissions: [],
          denialCondition: null,
        },
      ],
    });
  });
});
