/**
 * Effective identity, case by case, in ADC's order: key file → node service account (hostNetwork,
 * legacy pool, no workload pool) → annotated GSA (working / conditional / broken / unknown) → the
 * KSA's federated principal. Each estate runs through the real simulator and the real collector
 * (lib/analysis/testing.ts); the assertions read the workload's `statuses` entry.
 */
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate } from "./testing";
import type { AnalysisResult } from "./run-analysis";
import type { WorkloadStatus } from "./model";

// ---- a small estate builder ---------------------------------------------------------------------

type Obj = Record<string, unknown>;

const A = "proj-a";
const A_NUMBER = "100000000001";
const B = "proj-b";
const B_NUMBER = "100000000002";
const FOLDER = "folders/222222222222";
const LOC = "asia-northeast1-a";
const POOL_A = `${A}.svc.id.goog`;
const NS = "apps";
const GAC = "GOOGLE_APPLICATION_CREDENTIALS";
const MD_LABEL = "iam.gke.io/gke-metadata-server-enabled";
const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

const email = (id: string, project = A) => `${id}@${project}.iam.gserviceaccount.com`;
const COMPUTE_A = `${A_NUMBER}-compute@developer.gserviceaccount.com`;
const wiMember = (ns: string, ksa: string, pool = POOL_A) => `serviceAccount:${pool}[${ns}/${ksa}]`;
const wiUser = (...members: string[]) => ({ bindings: [{ role: "roles/iam.workloadIdentityUser", members }] });

const KEY_ID = "1111111111111111111111111111111111111111";

/** A service account key file as `gcloud iam service-accounts keys create` writes it (fake key). */
const keyFile = (clientEmail: string, keyId: string, project = A) =>
  JSON.stringify({
    type: "service_account",
    project_id: project,
    private_key_id: keyId,
    private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
    client_email: clientEmail,
    client_id: "1",
  });

// A Workload Identity Federation credential configuration (`gcloud iam workload-identity-pools
// create-cred-config … --service-account=…`): https://google.aip.dev/auth/4117
const EXTERNAL_ACCOUNT = JSON.stringify({
  type: "external_account",
  audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws",
  subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${email("uploader")}:generateAccessToken`,
  token_url: "https://sts.googleapis.com/v1/token",
  credential_source: { environment_id: "aws1", url: "http://169.254.169.254/latest/meta-data/iam/security-credentials" },
});

// `gcloud auth application-default login --impersonate-service-account=…`: https://google.aip.dev/auth/4111
const IMPERSONATED = JSON.stringify({
  delegates: [],
  service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${email("deployer")}:generateAccessToken`,
  source_credentials: { type: "authorized_user", client_id: "1.apps.googleusercontent.com", client_secret: "x", refresh_token: "1//fake" },
  type: "impersonated_service_account",
});

const gkePool = (name: string, serviceAccount?: string) => ({
  name,
  initialNodeCount: 1,
  config: { ...(serviceAccount !== undefined ? { serviceAccount } : {}), workloadMetadataConfig: { mode: "GKE_METADATA" } },
});
const gcePool = (name: string, serviceAccount?: string) => ({
  name,
  initialNodeCount: 1,
  config: { ...(serviceAccount !== undefined ? { serviceAccount } : {}), workloadMetadataConfig: { mode: "GCE_METADATA" } },
});

const ksa = (name: string, gsa?: string, ns = NS) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(gsa ? { annotations: { "iam.gke.io/gcp-service-account": gsa } } : {}) },
});

const secret = (name: string, stringData: Record<string, string>, ns = NS) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "Opaque", stringData });

const deployment = (name: string, spec: Obj, opts: { replicas?: number; ns?: string } = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: opts.ns ?? NS },
  spec: {
    replicas: opts.replicas ?? 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0" }], ...spec } },
  },
});

const onPool = (pool: string) => ({ nodeSelector: { "cloud.google.com/gke-nodepool": pool } });
const onGkeMetadata = { nodeSelector: { [MD_LABEL]: "true" } };

/** A container using a key file at /var/secrets/google/<file> from a volume named `key`. */
const keyContainer = (name: string, file = "key.json") => ({
  name,
  image: "gcr.io/proj-a/app:1.0",
  env: [{ name: GAC, value: `/var/secrets/google/${file}` }],
  volumeMounts: [{ name: "key", mountPath: "/var/secrets/google", readOnly: true }],
});
const keyVolume = (secretName: string) => ({ name: "key", secret: { secretName } });

const cluster = (name: string, pools: Obj[], manifests: Obj[], workloadPool: string | null = POOL_A) => ({
  cluster: { name, location: LOC, ...(workloadPool ? { workloadIdentityConfig: { workloadPool } } : {}), nodePools: pools },
  manifests,
});

function estateYaml(e: { projects: Obj[]; folders?: Obj[]; faults?: Obj[] }): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "test.example" },
    folders: e.folders ?? [],
    projects: e.projects,
    faults: e.faults ?? [],
  });
}

const subjectOf = (clusterName: string, name: string, project = A, kind = "Deployment", ns = NS) => `workload:${project}/${LOC}/${clusterName}/${ns}/${kind}/${name}`;

function statusOf(r: AnalysisResult, subject: string): WorkloadStatus {
  const s = r.statuses.find((x) => x.subject === subject);
  if (!s) throw new Error(`no status for ${subject}; have ${r.statuses.map((x) => x.subject).join(", ")}`);
  return s;
}

// ---- the estate: one project with a mid-migration cluster, a cluster without Workload Identity --
// ---- and one whose Secrets cannot be read; a second project in a folder, with a fleet cluster ---

const APP_RUNNER = email("app-runner");
const KEY_HOLDER = email("key-holder");
const BOUND_KSA = "annotated-bound";

/** The workload-identity grant every "annotated, bound" KSA gets from app-runner. */
const APP_RUNNER_GRANT = { resource: `gsa:${APP_RUNNER}`, role: "roles/iam.workloadIdentityUser", member: wiMember(NS, BOUND_KSA), condition: null };

const mainManifests: Obj[] = [
  ksa(BOUND_KSA, APP_RUNNER),
  ksa("annotated-unbound", email("lonely-gsa")),
  ksa("annotated-missing", email("ghost-gsa")),
  ksa("annotated-disabled", email("retired-gsa")),
  ksa("annotated-foreign", email("outsider", "proj-z")),
  ksa("annotated-conditional", email("cond-gsa")),
  ksa("project-granted", email("proj-granted")),
  ksa("folder-granted", email("folder-granted", B)),
  ksa("plain"),
  secret("app-key", { "key.json": keyFile(KEY_HOLDER, KEY_ID) }),
  secret("wif-config", { "credentials.json": EXTERNAL_ACCOUNT }),
  secret("adc-impersonated", { "adc.json": IMPERSONATED }),

  // Key file beats node GSA beats annotation.
  deployment("key-beats-all", { serviceAccountName: BOUND_KSA, ...onPool("legacy"), containers: [keyContainer("app")], volumes: [keyVolume("app-key")] }),
  deployment("node-beats-annotation", { serviceAccountName: BOUND_KSA, ...onPool("legacy") }),
  deployment("on-legacy-default", { serviceAccountName: BOUND_KSA, ...onPool("legacy-default") }),
  deployment("on-legacy-own", { serviceAccountName: BOUND_KSA, ...onPool("legacy-own") }),
  deployment("host-network", { serviceAccountName: BOUND_KSA, hostNetwork: true, ...onPool("wi") }),

  // The annotated GSA on GKE-metadata nodes.
  deployment("working", { serviceAccountName: BOUND_KSA, ...onGkeMetadata }),
  deployment("unbound", { serviceAccountName: "annotated-unbound", ...onGkeMetadata }),
  deployment("gsa-missing", { serviceAccountName: "annotated-missing", ...onGkeMetadata }),
  deployment("gsa-disabled", { serviceAccountName: "annotated-disabled", ...onGkeMetadata }),
  deployment("gsa-foreign", { serviceAccountName: "annotated-foreign", ...onGkeMetadata }),
  deployment("conditional", { serviceAccountName: "annotated-conditional", ...onGkeMetadata }),
  deployment("project-grant", { serviceAccountName: "project-granted", ...onGkeMetadata }),
  deployment("folder-grant", { serviceAccountName: "folder-granted", ...onGkeMetadata }),
  deployment("federated", { serviceAccountName: "plain", ...onGkeMetadata }),

  // GOOGLE_APPLICATION_CREDENTIALS that cannot be resolved, and other credential types.
  deployment("gac-unmounted", { serviceAccountName: "plain", ...onGkeMetadata, containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0", env: [{ name: GAC, value: "/secrets/key.json" }] }] }),
  deployment("gac-csi", {
    serviceAccountName: "plain",
    ...onGkeMetadata,
    containers: [keyContainer("app")],
    volumes: [{ name: "key", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "gcp-key" } } }],
  }),
  deployment("gac-hostpath", { serviceAccountName: "plain", ...onGkeMetadata, containers: [keyContainer("app")], volumes: [{ name: "key", hostPath: { path: "/etc/gcp", type: "Directory" } }] }),
  deployment("gac-configmap", {
    serviceAccountName: "plain",
    ...onGkeMetadata,
    containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0", env: [{ name: GAC, valueFrom: { configMapKeyRef: { name: "gcp-config", key: "credentials-path" } } }] }],
  }),
  deployment("gac-projected", {
    serviceAccountName: "plain",
    ...onGkeMetadata,
    containers: [keyContainer("app", "sa/credentials.json")],
    volumes: [{ name: "key", projected: { sources: [{ secret: { name: "app-key", items: [{ key: "key.json", path: "sa/credentials.json" }] } }] } }],
  }),
  deployment("external-account", { serviceAccountName: "plain", ...onGkeMetadata, containers: [keyContainer("app", "credentials.json")], volumes: [keyVolume("wif-config")] }),
  deployment("impersonated", { serviceAccountName: "plain", ...onGkeMetadata, containers: [keyContainer("app", "adc.json")], volumes: [keyVolume("adc-impersonated")] }),

  // Several containers, several identities.
  deployment("init-key", {
    serviceAccountName: BOUND_KSA,
    ...onGkeMetadata,
    initContainers: [keyContainer("fetch")],
    containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0" }],
    volumes: [keyVolume("app-key")],
  }),
  deployment("sidecar-key", {
    serviceAccountName: BOUND_KSA,
    ...onGkeMetadata,
    containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0" }, keyContainer("uploader")],
    volumes: [keyVolume("app-key")],
  }),
  deployment("key-everywhere", {
    serviceAccountName: BOUND_KSA,
    ...onGkeMetadata,
    initContainers: [keyContainer("fetch")],
    containers: [keyContainer("app")],
    volumes: [keyVolume("app-key")],
  }),

  // No node, no pods.
  deployment("pending", { serviceAccountName: BOUND_KSA, ...onPool("gpu-pool") }),
  deployment("scaled-zero-wi", { serviceAccountName: BOUND_KSA, ...onGkeMetadata }, { replicas: 0 }),
  deployment("scaled-zero-anywhere", { serviceAccountName: BOUND_KSA }, { replicas: 0 }),
];

const ESTATE = estateYaml({
  folders: [
    {
      name: FOLDER,
      displayName: "shared-services",
      parent: "organizations/111111111111",
      iamPolicy: wiUser(wiMember(NS, "folder-granted")),
    },
  ],
  projects: [
    {
      projectId: A,
      projectNumber: A_NUMBER,
      iamPolicy: wiUser(wiMember(NS, "project-granted")),
      serviceAccounts: [
        { email: APP_RUNNER, iamPolicy: wiUser(wiMember(NS, BOUND_KSA)) },
        {
          email: KEY_HOLDER,
          keys: [{ keyId: KEY_ID, validAfterTime: "2026-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }],
        },
        { email: email("lonely-gsa") },
        { email: email("retired-gsa"), disabled: true, iamPolicy: wiUser(wiMember(NS, "annotated-disabled")) },
        {
          email: email("cond-gsa"),
          iamPolicy: {
            bindings: [
              {
                role: "roles/iam.workloadIdentityUser",
                members: [wiMember(NS, "annotated-conditional")],
                condition: { title: "until-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' },
              },
            ],
          },
        },
        { email: email("proj-granted") },
        { email: email("gke-nodes") },
      ],
      clusters: [
        cluster(
          "main",
          [gcePool("legacy"), gcePool("legacy-default", "default"), gcePool("legacy-own", email("gke-nodes")), gkePool("wi", email("gke-nodes"))],
          mainManifests,
        ),
        cluster("nowi", [gkePool("default-pool")], [ksa(BOUND_KSA, APP_RUNNER), deployment("no-pool", { serviceAccountName: BOUND_KSA })], null),
        cluster(
          "locked",
          [gkePool("wi")],
          [ksa(BOUND_KSA, APP_RUNNER), secret("app-key", { "key.json": keyFile(KEY_HOLDER, KEY_ID) }), deployment("locked-key", { serviceAccountName: BOUND_KSA, containers: [keyContainer("app")], volumes: [keyVolume("app-key")] })],
        ),
      ],
    },
    {
      projectId: B,
      projectNumber: B_NUMBER,
      parent: FOLDER,
      serviceAccounts: [{ email: email("folder-granted", B) }, { email: email("pool-b-bound", B), iamPolicy: wiUser(wiMember(NS, "pool-b", `${B}.svc.id.goog`)) }],
      clusters: [
        // A fleet member: a cluster of project B in project A's workload pool.
        cluster(
          "fleet",
          [gkePool("wi")],
          [
            ksa(BOUND_KSA, APP_RUNNER),
            ksa("pool-b", email("pool-b-bound", B)),
            ksa("plain"),
            deployment("fleet-working", { serviceAccountName: BOUND_KSA }),
            deployment("fleet-pool-b", { serviceAccountName: "pool-b" }),
            deployment("fleet-federated", { serviceAccountName: "plain" }),
          ],
          POOL_A,
        ),
      ],
    },
  ],
  faults: [{ match: { path: `/clusters/${A}/${LOC}/locked/api/v1/secrets` }, status: 403 }],
});

let r: AnalysisResult;
beforeAll(async () => {
  r = await analyzeEstate(ESTATE);
});

const main = (name: string) => statusOf(r, subjectOf("main", name));

const KEY_SECRET = `secret:${A}/${LOC}/main/${NS}/app-key`;
const keyFileIdentity = (container: string, path = "/var/secrets/google/key.json") => ({
  type: "key-file",
  email: KEY_HOLDER,
  keyId: KEY_ID,
  secret: KEY_SECRET,
  dataKey: "key.json",
  path,
  container,
  keyExists: true,
});
const working = {
  type: "workload-identity",
  email: APP_RUNNER,
  annotation: APP_RUNNER,
  status: "working",
  reason: `granted roles/iam.workloadIdentityUser to ${wiMember(NS, BOUND_KSA)} on gsa:${APP_RUNNER}`,
  grants: [APP_RUNNER_GRANT],
  lacking: [],
};

describe("ADC order: key file, then node, then annotation", () => {
  it("a pod with GOOGLE_APPLICATION_CREDENTIALS on a legacy node with an annotated, bound KSA uses the key file", () => {
    expect(main("key-beats-all").identity).toEqual({
      mode: "single",
      source: "key-file",
      label: KEY_HOLDER,
      shares: [{ identity: keyFileIdentity("app"), label: KEY_HOLDER, pods: 1, containers: ["app"] }],
    });
  });

  it("without the key file, the same pod on the legacy node acts as the node pool's account, not the annotated GSA", () => {
    expect(main("node-beats-annotation").identity).toEqual({
      mode: "single",
      source: "node",
      label: COMPUTE_A,
      shares: [
        {
          identity: { type: "node", email: COMPUTE_A, pool: `nodepool:${A}/${LOC}/main/legacy`, scopes: [CLOUD_PLATFORM], reason: "legacy-pool" },
          label: COMPUTE_A,
          pods: 1,
          containers: ["app"],
        },
      ],
    });
  });

  it("a pool whose service account is absent or `default` runs as PROJECT_NUMBER-compute@developer.gserviceaccount.com; a pool with its own account runs as that", () => {
    const id = (name: string) => main(name).identity.shares.map((s) => s.identity);
    expect(id("node-beats-annotation")).toEqual([{ type: "node", email: COMPUTE_A, pool: `nodepool:${A}/${LOC}/main/legacy`, scopes: [CLOUD_PLATFORM], reason: "legacy-pool" }]);
    expect(id("on-legacy-default")).toEqual([{ type: "node", email: COMPUTE_A, pool: `nodepool:${A}/${LOC}/main/legacy-default`, scopes: [CLOUD_PLATFORM], reason: "legacy-pool" }]);
    expect(id("on-legacy-own")).toEqual([{ type: "node", email: email("gke-nodes"), pool: `nodepool:${A}/${LOC}/main/legacy-own`, scopes: [CLOUD_PLATFORM], reason: "legacy-pool" }]);
  });

  it("hostNetwork on a GKE-metadata node bypasses the GKE metadata server: the node's identity", () => {
    expect(main("host-network").identity).toEqual({
      mode: "single",
      source: "node",
      label: email("gke-nodes"),
      shares: [
        {
          identity: { type: "node", email: email("gke-nodes"), pool: `nodepool:${A}/${LOC}/main/wi`, scopes: [CLOUD_PLATFORM], reason: "host-network" },
          label: email("gke-nodes"),
          pods: 1,
          containers: ["app"],
        },
      ],
    });
  });

  it("in a cluster without a workload pool, an annotated KSA changes nothing: the node's identity (no-workload-pool)", () => {
    const st = statusOf(r, subjectOf("nowi", "no-pool"));
    expect(st.identity.source).toBe("node");
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      { type: "node", email: COMPUTE_A, pool: `nodepool:${A}/${LOC}/nowi/default-pool`, scopes: [CLOUD_PLATFORM], reason: "no-workload-pool" },
    ]);
  });
});

describe("the annotated GSA on a GKE-metadata node", () => {
  it("annotated and bound on the GSA: working, with the grant that makes it work", () => {
    expect(main("working").identity).toEqual({
      mode: "single",
      source: "workload-identity",
      label: APP_RUNNER,
      shares: [{ identity: working, label: APP_RUNNER, pods: 1, containers: ["app"] }],
    });
  });

  it("annotated but not bound: broken, and the label says so", () => {
    const st = main("unbound");
    expect(st.identity.source).toBe("workload-identity");
    expect(st.identity.label).toBe(`${email("lonely-gsa")} (broken)`);
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("lonely-gsa"),
        annotation: email("lonely-gsa"),
        status: "broken",
        reason: `${email("lonely-gsa")} does not grant roles/iam.workloadIdentityUser to ${POOL_A}[${NS}/annotated-unbound]: token requests fail with 403`,
        grants: [],
        lacking: [],
      },
    ]);
  });

  it("annotated with a GSA that does not exist: broken", () => {
    const st = main("gsa-missing");
    expect(st.identity.label).toBe(`${email("ghost-gsa")} (broken)`);
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("ghost-gsa"),
        annotation: email("ghost-gsa"),
        status: "broken",
        reason: `${email("ghost-gsa")} does not exist: the email shows, token requests fail with 403`,
        grants: [],
        lacking: [],
      },
    ]);
  });

  it("annotated with a disabled GSA, even one that grants the KSA: broken", () => {
    const st = main("gsa-disabled");
    expect(st.identity.label).toBe(`${email("retired-gsa")} (broken)`);
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("retired-gsa"),
        annotation: email("retired-gsa"),
        status: "broken",
        reason: `${email("retired-gsa")} is disabled: token requests fail with 403`,
        grants: [],
        lacking: [],
      },
    ]);
  });

  it("annotated with a GSA of a project outside the estate: unknown, naming the project", () => {
    const st = main("gsa-foreign");
    expect(st.identity.label).toBe(`${email("outsider", "proj-z")} (unknown)`);
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("outsider", "proj-z"),
        annotation: email("outsider", "proj-z"),
        status: "unknown",
        reason: "the GSA's project proj-z was not scanned",
        grants: [],
        lacking: ["project proj-z"],
      },
    ]);
  });

  it("granted only under an IAM condition: conditional, with the condition's title", () => {
    const st = main("conditional");
    expect(st.identity.label).toBe(`${email("cond-gsa")} (conditional)`);
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("cond-gsa"),
        annotation: email("cond-gsa"),
        status: "conditional",
        reason: "granted only under an IAM condition (until-2027)",
        grants: [{ resource: `gsa:${email("cond-gsa")}`, role: "roles/iam.workloadIdentityUser", member: wiMember(NS, "annotated-conditional"), condition: "until-2027" }],
        lacking: [],
      },
    ]);
  });

  it("granted on the GSA's project rather than on the GSA: working, through the project", () => {
    const st = main("project-grant");
    expect(st.identity.label).toBe(email("proj-granted"));
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("proj-granted"),
        annotation: email("proj-granted"),
        status: "working",
        reason: `granted roles/iam.workloadIdentityUser to ${wiMember(NS, "project-granted")} on project:${A}`,
        grants: [{ resource: `project:${A}`, role: "roles/iam.workloadIdentityUser", member: wiMember(NS, "project-granted"), condition: null }],
        lacking: [],
      },
    ]);
  });

  it("granted on the folder above the GSA's project: working, inherited from the folder", () => {
    const st = main("folder-grant");
    expect(st.identity.label).toBe(email("folder-granted", B));
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("folder-granted", B),
        annotation: email("folder-granted", B),
        status: "working",
        reason: `granted roles/iam.workloadIdentityUser to ${wiMember(NS, "folder-granted")} on folder:222222222222`,
        grants: [{ resource: "folder:222222222222", role: "roles/iam.workloadIdentityUser", member: wiMember(NS, "folder-granted"), condition: null }],
        lacking: [],
      },
    ]);
  });

  it("no annotation: the KSA's federated principal, whose principal:// URI is the label", () => {
    const principal = `principal://iam.googleapis.com/projects/${A_NUMBER}/locations/global/workloadIdentityPools/${POOL_A}/subject/ns/${NS}/sa/plain`;
    expect(main("federated").identity).toEqual({
      mode: "single",
      source: "federated",
      label: principal,
      shares: [{ identity: { type: "federated", principal, pool: POOL_A, grants: [] }, label: principal, pods: 1, containers: ["app"] }],
    });
  });
});

describe("GOOGLE_APPLICATION_CREDENTIALS that cannot be resolved: ADC fails on it, it does not fall through", () => {
  const unknownKey = (name: string) => {
    const st = main(name);
    expect(st.identity.source).toBe("unknown-key-file");
    expect(st.identity.label).toBe("unknown (key file)");
    return st.identity.shares.map((s) => s.identity);
  };

  it("a path on no mounted volume", () => {
    expect(unknownKey("gac-unmounted")).toEqual([
      { type: "unknown-key-file", path: "/secrets/key.json", container: "app", reason: "/secrets/key.json is not on any mounted volume, so ADC fails to read it", lacking: [] },
    ]);
  });

  // Regression (fixed; identity.ts, resolveFile): the volume type in the reason is `Object.keys(volume).find((k) => k !== "name")`.
  // Volumes collected through @kubernetes/client-node are V1Volume objects that carry *every* property of
  // the type, unset ones as `undefined`, in the type's own order — so the first key is always
  // `awsElasticBlockStore` and the reason reads "…is on a awsElasticBlockStore volume…" for a csi or
  // hostPath volume. (Records read back from Postgres jsonb lose the undefined keys, so the same scan
  // reads right there and wrong in any in-memory analysis.) It should take the first key whose value is set.
  it("a path on a CSI volume (Secret Manager's CSI driver)", () => {
    expect(unknownKey("gac-csi")).toEqual([
      {
        type: "unknown-key-file",
        path: "/var/secrets/google/key.json",
        container: "app",
        reason: "/var/secrets/google/key.json is on a csi volume, which the scanner cannot read",
        lacking: [],
      },
    ]);
  });

  // Regression (fixed): the same as above — the reason names awsElasticBlockStore instead of hostPath.
  it("a path on a hostPath volume", () => {
    expect(unknownKey("gac-hostpath")).toEqual([
      {
        type: "unknown-key-file",
        path: "/var/secrets/google/key.json",
        container: "app",
        reason: "/var/secrets/google/key.json is on a hostPath volume, which the scanner cannot read",
        lacking: [],
      },
    ]);
  });

  it("a value taken through valueFrom.configMapKeyRef from a ConfigMap that does not exist (the container could not start)", () => {
    expect(unknownKey("gac-configmap")).toEqual([
      {
        type: "unknown-key-file",
        path: null,
        container: "app",
        reason: "GOOGLE_APPLICATION_CREDENTIALS comes from ConfigMap gcp-config, which does not exist (the container cannot start without it)",
        lacking: [],
      },
    ]);
  });

  it("a Secret volume in a cluster whose Secrets answer 403: unknown, lacking k8s.secrets of that cluster", () => {
    const st = statusOf(r, subjectOf("locked", "locked-key"));
    expect(st.identity.source).toBe("unknown-key-file");
    expect(st.identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "unknown-key-file",
        path: "/var/secrets/google/key.json",
        container: "app",
        reason: "Secret app-key could not be read",
        lacking: [`k8s.secrets:${A}/${LOC}/locked`],
      },
    ]);
  });
});

describe("credential files that resolve", () => {
  it("a projected volume whose Secret source maps the key through items", () => {
    expect(main("gac-projected").identity).toEqual({
      mode: "single",
      source: "key-file",
      label: KEY_HOLDER,
      shares: [{ identity: keyFileIdentity("app", "/var/secrets/google/sa/credentials.json"), label: KEY_HOLDER, pods: 1, containers: ["app"] }],
    });
  });

  it("an external_account file (Workload Identity Federation) is keyless: its pool's principal and the account it impersonates", () => {
    expect(main("external-account").identity).toEqual({
      mode: "single",
      source: "external-account",
      label: `${email("uploader")} (via aws-pool)`,
      shares: [
        {
          identity: {
            type: "external-account",
            credentialType: "external_account",
            principal: "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/*",
            pool: "projects/123456789012/locations/global/workloadIdentityPools/aws-pool",
            audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws",
            email: email("uploader"),
            secret: `secret:${A}/${LOC}/main/${NS}/wif-config`,
            path: "/var/secrets/google/credentials.json",
            container: "app",
          },
          label: `${email("uploader")} (via aws-pool)`,
          pods: 1,
          containers: ["app"],
        },
      ],
    });
  });

  it("an impersonated_service_account file whose source is a person's refresh token: credential-file, with the target account and the source's type", () => {
    expect(main("impersonated").identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "credential-file",
        credentialType: "impersonated_service_account",
        email: email("deployer"),
        secret: `secret:${A}/${LOC}/main/${NS}/adc-impersonated`,
        path: "/var/secrets/google/adc.json",
        container: "app",
        sourceType: "authorized_user",
      },
    ]);
    expect(main("impersonated").identity.source).toBe("credential-file");
  });
});

describe("several containers", () => {
  it("an init container with a key file beside a Workload Identity app container makes the workload mixed, split by container", () => {
    expect(main("init-key").identity).toEqual({
      mode: "mixed",
      source: "mixed",
      label: "mixed",
      shares: [
        { identity: working, label: APP_RUNNER, pods: 1, containers: ["app"] },
        { identity: keyFileIdentity("fetch"), label: KEY_HOLDER, pods: 1, containers: ["fetch"] },
      ],
    });
  });

  it("a sidecar with a key file does the same", () => {
    expect(main("sidecar-key").identity).toEqual({
      mode: "mixed",
      source: "mixed",
      label: "mixed",
      shares: [
        { identity: working, label: APP_RUNNER, pods: 1, containers: ["app"] },
        { identity: keyFileIdentity("uploader"), label: KEY_HOLDER, pods: 1, containers: ["uploader"] },
      ],
    });
  });

  it("when every container uses the same key file the workload is key-file, one share naming both containers", () => {
    expect(main("key-everywhere").identity).toEqual({
      mode: "single",
      source: "key-file",
      label: KEY_HOLDER,
      shares: [{ identity: keyFileIdentity("fetch"), label: KEY_HOLDER, pods: 1, containers: ["fetch", "app"] }],
    });
  });
});

describe("no running pods", () => {
  it("a pod no node accepts is Pending: its identity is pending", () => {
    expect(main("pending").identity).toEqual({
      mode: "single",
      source: "pending",
      label: "pending",
      shares: [{ identity: { type: "pending", reason: "the pod is Pending: no node yet" }, label: "pending", pods: 1, containers: ["app"] }],
    });
  });

  it("a Deployment scaled to 0 gets a predicted identity from its template and the one pool it can land on", () => {
    const st = main("scaled-zero-wi");
    expect(st.pods).toBe(0);
    expect(st.identity).toEqual({
      mode: "predicted",
      source: "workload-identity",
      label: APP_RUNNER,
      shares: [{ identity: working, label: APP_RUNNER, pods: 1, containers: ["app"] }],
    });
  });

  it("a Deployment scaled to 0 that could land on any pool is predicted per pool: the node accounts of the legacy pools and its GSA on the GKE-metadata pool", () => {
    const st = main("scaled-zero-anywhere");
    expect(st.identity.mode).toBe("predicted");
    expect(st.identity.source).toBe("mixed");
    expect(st.identity.label).toBe("mixed");
    // `pods` counts pools here: legacy and legacy-default both run as the Compute Engine default account.
    expect(st.identity.shares.map((s) => [s.label, s.identity.type, s.pods, s.containers])).toEqual([
      [COMPUTE_A, "node", 2, ["app"]],
      [APP_RUNNER, "workload-identity", 1, ["app"]],
      [email("gke-nodes"), "node", 1, ["app"]],
    ]);
  });
});

describe("a fleet: a cluster of project B in project A's workload pool", () => {
  const fleet = (name: string) => statusOf(r, subjectOf("fleet", name, B));

  it("resolves grants against pool A: the member serviceAccount:proj-a.svc.id.goog[ns/ksa] makes it work", () => {
    expect(fleet("fleet-working").identity).toEqual({
      mode: "single",
      source: "workload-identity",
      label: APP_RUNNER,
      shares: [{ identity: working, label: APP_RUNNER, pods: 1, containers: ["app"] }],
    });
  });

  it("a grant to its own project's pool (proj-b.svc.id.goog) does not apply to it: broken", () => {
    expect(fleet("fleet-pool-b").identity.shares.map((s) => s.identity)).toEqual([
      {
        type: "workload-identity",
        email: email("pool-b-bound", B),
        annotation: email("pool-b-bound", B),
        status: "broken",
        reason: `${email("pool-b-bound", B)} does not grant roles/iam.workloadIdentityUser to ${POOL_A}[${NS}/pool-b]: token requests fail with 403`,
        grants: [],
        lacking: [],
      },
    ]);
  });

  it("its federated principal is in pool A, under project A's number", () => {
    const principal = `principal://iam.googleapis.com/projects/${A_NUMBER}/locations/global/workloadIdentityPools/${POOL_A}/subject/ns/${NS}/sa/plain`;
    expect(fleet("fleet-federated").identity.label).toBe(principal);
    expect(fleet("fleet-federated").identity.shares.map((s) => s.identity)).toEqual([{ type: "federated", principal, pool: POOL_A, grants: [] }]);
  });
});
