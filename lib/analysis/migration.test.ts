/**
 * The article's migration steps per workload (`statuses[].steps`) and the roll-ups per cluster,
 * project and overall (`rollups`), from estates run through the real simulator and collector.
 */
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate } from "./testing";
import type { AnalysisResult, Rollup } from "./run-analysis";
import type { StepState, WorkloadStatus } from "./model";

// ---- a small estate builder ---------------------------------------------------------------------

type Obj = Record<string, unknown>;

const A = "proj-a";
const A_NUMBER = "100000000001";
const ZONE = "asia-northeast1-a";
const REGION = "asia-northeast1";
const POOL_A = `${A}.svc.id.goog`;
const NS = "apps";
const MD_LABEL = "iam.gke.io/gke-metadata-server-enabled";
const KEY_ID = "2222222222222222222222222222222222222222";

const email = (id: string) => `${id}@${A}.iam.gserviceaccount.com`;
const COMPUTE_A = `${A_NUMBER}-compute@developer.gserviceaccount.com`;
const APP_RUNNER = email("app-runner");
const LONELY = email("lonely-gsa");
const KEY_HOLDER = email("key-holder");
const QUEUE_READER = email("queue-reader");
const TEMP_ACCESS = email("temp-access");
const wiMember = (ns: string, ksa: string) => `serviceAccount:${POOL_A}[${ns}/${ksa}]`;
const principalOf = (ns: string, ksa: string) => `principal://iam.googleapis.com/projects/${A_NUMBER}/locations/global/workloadIdentityPools/${POOL_A}/subject/ns/${ns}/sa/${ksa}`;

const keyFile = (clientEmail: string, keyId: string) =>
  JSON.stringify({
    type: "service_account",
    project_id: A,
    private_key_id: keyId,
    private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n",
    client_email: clientEmail,
  });

const pool = (name: string, mode: "GKE_METADATA" | "GCE_METADATA") => ({ name, initialNodeCount: 1, config: { workloadMetadataConfig: { mode } } });
const ksa = (name: string, gsa?: string, ns = NS) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(gsa ? { annotations: { "iam.gke.io/gcp-service-account": gsa } } : {}) },
});
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
const onPool = (p: string) => ({ nodeSelector: { "cloud.google.com/gke-nodepool": p } });
const onGkeMetadata = { nodeSelector: { [MD_LABEL]: "true" } };

// The KSAs the "mid" cluster's workloads run as; every one but `lonely` is granted on app-runner.
const BOUND = ["migrated", "key-mounted", "mixed-pods", "pending", "legacy-only"];

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "test.example" },
  projects: [
    {
      projectId: A,
      projectNumber: A_NUMBER,
      iamPolicy: {
        // Google's preferred end state: a role granted to a KSA's own principal, no GSA.
        bindings: [{ role: "roles/storage.objectViewer", members: [principalOf(NS, "trainer")] }],
      },
      serviceAccounts: [
        { email: APP_RUNNER, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [...BOUND.map((k) => wiMember(NS, k)), wiMember(NS, "autopiloted")] }] } },
        { email: LONELY },
        { email: KEY_HOLDER, keys: [{ keyId: KEY_ID, validAfterTime: "2026-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z" }] },
        // Bound to apps/queue-worker, whose KSA nobody annotated: half a link.
        { email: QUEUE_READER, iamPolicy: { bindings: [{ role: "roles/iam.workloadIdentityUser", members: [wiMember(NS, "queue-worker")] }] } },
        // Granted only until a date: whether the link works depends on the condition.
        {
          email: TEMP_ACCESS,
          iamPolicy: {
            version: 3,
            bindings: [
              {
                role: "roles/iam.workloadIdentityUser",
                members: [wiMember(NS, "contractor")],
                condition: { title: "until-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' },
              },
            ],
          },
        },
      ],
      clusters: [
        {
          cluster: { name: "mid", location: ZONE, workloadIdentityConfig: { workloadPool: POOL_A }, nodePools: [pool("legacy", "GCE_METADATA"), pool("wi", "GKE_METADATA")] },
          manifests: [
            ...BOUND.map((k) => ksa(k, APP_RUNNER)),
            ksa("lonely", LONELY),
            ksa("trainer"),
            ksa("queue-worker"),
            ksa("contractor", TEMP_ACCESS),
            { apiVersion: "v1", kind: "Secret", metadata: { name: "app-key", namespace: NS }, type: "Opaque", stringData: { "key.json": keyFile(KEY_HOLDER, KEY_ID) } },
            deployment("migrated", { serviceAccountName: "migrated", ...onGkeMetadata }),
            deployment("federated-end", { serviceAccountName: "trainer", ...onGkeMetadata }),
            // The key is still mounted, though nothing points GOOGLE_APPLICATION_CREDENTIALS at it.
            deployment("key-mounted", {
              serviceAccountName: "key-mounted",
              ...onGkeMetadata,
              containers: [{ name: "app", image: "gcr.io/proj-a/app:1.0", volumeMounts: [{ name: "key", mountPath: "/var/secrets/google", readOnly: true }] }],
              volumes: [{ name: "key", secret: { secretName: "app-key" } }],
            }),
            // No nodeSelector: the scheduler spreads its two pods over the legacy and the GKE-metadata node.
            deployment("mixed-pods", { serviceAccountName: "mixed-pods" }, { replicas: 2 }),
            deployment("default-ksa", { ...onGkeMetadata }),
            deployment("unbound", { serviceAccountName: "lonely", ...onGkeMetadata }),
            deployment("pending", { serviceAccountName: "pending", ...onPool("gpu-pool") }),
            deployment("legacy-only", { serviceAccountName: "legacy-only", ...onPool("legacy") }),
            deployment("queue-worker", { serviceAccountName: "queue-worker", ...onGkeMetadata }),
            deployment("contractor-sync", { serviceAccountName: "contractor", ...onGkeMetadata }),
            // A GKE-managed namespace: shown, not counted — but its pod still keeps the legacy pool busy.
            deployment("metrics-agent", { ...onPool("legacy") }, { ns: "kube-system" }),
          ],
        },
        {
          cluster: { name: "autopilot", location: REGION, autopilot: { enabled: true } },
          manifests: [ksa("autopiloted", APP_RUNNER), deployment("on-autopilot", { serviceAccountName: "autopiloted" })],
        },
        {
          cluster: { name: "nowi", location: ZONE, nodePools: [pool("default-pool", "GCE_METADATA")] },
          manifests: [deployment("old-app", {})],
        },
      ],
    },
  ],
});

let r: AnalysisResult;
beforeAll(async () => {
  r = await analyzeEstate(ESTATE);
});

function statusOf(cluster: string, name: string, opts: { location?: string; ns?: string } = {}): WorkloadStatus {
  const subject = `workload:${A}/${opts.location ?? ZONE}/${cluster}/${opts.ns ?? NS}/Deployment/${name}`;
  const s = r.statuses.find((x) => x.subject === subject);
  if (!s) throw new Error(`no status for ${subject}`);
  return s;
}

const steps = (s: WorkloadStatus): [number, StepState, string][] => s.steps.map((x) => [x.n, x.state, x.evidence]);

const STEP1_MID: [number, StepState, string] = [1, "done", `workload pool ${POOL_A}`];
const STEP2_MID: [number, StepState, string] = [2, "done", "pool wi serves GKE metadata"];
const grantedTo = (k: string) => `granted roles/iam.workloadIdentityUser to ${wiMember(NS, k)} on gsa:${APP_RUNNER}`;

describe("steps per workload", () => {
  it("a fully migrated workload has every step done and is migrated", () => {
    const s = statusOf("mid", "migrated");
    expect(steps(s)).toEqual([
      STEP1_MID,
      STEP2_MID,
      [3, "done", `KSA migrated → ${APP_RUNNER}`],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "done", grantedTo("migrated")],
      [6, "done", `effective identity ${APP_RUNNER}`],
      [7, "done", "no key file used or mounted"],
    ]);
    expect(s.steps.map((x) => x.id)).toEqual([
      "step1_workload_pool",
      "step2_gke_metadata_pool",
      "step3_own_ksa_annotated",
      "step4_on_gke_metadata_nodes",
      "step5_binding_exists",
      "step6_identity_is_gsa",
      "step7_no_key_file",
    ]);
    expect([s.migrated, s.federatedEndState, s.system]).toEqual([true, false, false]);
  });

  it("the federated end state (no annotation, no key, a direct principal:// grant) has steps 3, 5 and 6 n/a and is migrated", () => {
    const s = statusOf("mid", "federated-end");
    expect(steps(s)).toEqual([
      STEP1_MID,
      STEP2_MID,
      [3, "n/a", "uses its federated principal with direct grants (roles/storage.objectViewer)"],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "n/a", "no GSA to bind"],
      [6, "n/a", "its federated principal is the intended identity"],
      [7, "done", "no key file used or mounted"],
    ]);
    expect([s.migrated, s.federatedEndState]).toEqual([true, true]);
    expect(s.identity.label).toBe(principalOf(NS, "trainer"));
  });

  it("on Autopilot, with no node pools declared, steps 2 and 4 are n/a and the workload is migrated", () => {
    const s = statusOf("autopilot", "on-autopilot", { location: REGION });
    expect(steps(s)).toEqual([
      [1, "done", `workload pool ${POOL_A}`],
      [2, "n/a", "Autopilot always serves the GKE metadata server"],
      [3, "done", `KSA autopiloted → ${APP_RUNNER}`],
      [4, "n/a", "Autopilot"],
      [5, "done", grantedTo("autopiloted")],
      [6, "done", `effective identity ${APP_RUNNER}`],
      [7, "done", "no key file used or mounted"],
    ]);
    expect(s.migrated).toBe(true);
  });

  it("a key mounted but not used leaves step 7 to do, naming the Secret", () => {
    const s = statusOf("mid", "key-mounted");
    expect(s.identity.source).toBe("workload-identity");
    expect(steps(s)).toEqual([
      STEP1_MID,
      STEP2_MID,
      [3, "done", `KSA key-mounted → ${APP_RUNNER}`],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "done", grantedTo("key-mounted")],
      [6, "done", `effective identity ${APP_RUNNER}`],
      [7, "todo", "mounts app-key, which holds a Google key"],
    ]);
    expect(s.migrated).toBe(false);
  });

  it("a Deployment whose pods land on both a legacy and a GKE-metadata pool leaves step 4 (and 6) to do, with the split", () => {
    const s = statusOf("mid", "mixed-pods");
    expect(s.pods).toBe(2);
    expect(s.identity.mode).toBe("mixed");
    expect(steps(s)).toEqual([
      STEP1_MID,
      STEP2_MID,
      [3, "done", `KSA mixed-pods → ${APP_RUNNER}`],
      [4, "todo", "1 of 2 pods run on nodes without the GKE metadata server"],
      [5, "done", grantedTo("mixed-pods")],
      [6, "todo", `effective identity: mixed (1× ${COMPUTE_A}, 1× ${APP_RUNNER})`],
      [7, "done", "no key file used or mounted"],
    ]);
    expect(s.migrated).toBe(false);
  });

  // A workload that talks to no Google API needs no GSA: nothing to annotate or bind, nothing to migrate.
  it("a workload on the namespace's default KSA with no key, no GSA and no grant needs no Google identity: steps 3, 5 and 6 are n/a and it is done", () => {
    const s = statusOf("mid", "default-ksa");
    expect(steps(s).slice(2, 6)).toEqual([
      [3, "n/a", "needs no GSA: no key, and no grant to its principal was found"],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "n/a", "no GSA to bind"],
      [6, "n/a", "its federated principal is the intended identity"],
    ]);
    expect([s.migration, s.migrated, s.federatedEndState, s.legacyPaths]).toEqual(["no-google-identity-needed", true, false, []]);
    expect(s.migrationReason).toBe("no GSA, no key, and no grant to its principal was found");
  });

  it("a KSA a GSA is bound to but that nobody annotated is half a link: to migrate, with steps 3, 5 and 6 to do", () => {
    const s = statusOf("mid", "queue-worker");
    expect(s.identity.label).toBe(principalOf(NS, "queue-worker"));
    expect(steps(s).slice(2, 6)).toEqual([
      [3, "todo", "KSA queue-worker has no iam.gke.io/gcp-service-account annotation"],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "todo", "no annotated GSA to bind"],
      [6, "todo", `effective identity: ${principalOf(NS, "queue-worker")}`],
    ]);
    expect([s.migration, s.migrated]).toEqual(["to-migrate", false]);
    expect(s.legacyPaths).toEqual([`half a Workload Identity link: ${QUEUE_READER} grants it workloadIdentityUser, but its KSA is not annotated`]);
    // The plan completes the link with the GSA already bound: no new account, no second binding.
    expect(s.plan.map((x) => x.title)).toEqual([`KSA apps/queue-worker annotated with ${QUEUE_READER}`, `Check: a pod running as apps/queue-worker gets a token as ${QUEUE_READER}`]);
  });

  it("has nothing in the plan of a workload on its own principal (federated, or needing no Google identity)", () => {
    expect([statusOf("mid", "federated-end").plan, statusOf("mid", "default-ksa").plan]).toEqual([[], []]);
  });

  it("a link granted only under an IAM condition is unknown, not done and not on a legacy path", () => {
    const s = statusOf("mid", "contractor-sync");
    expect(s.steps[5]).toMatchObject({ n: 6, state: "unknown" });
    expect([s.migration, s.migrated, s.legacyPaths]).toEqual(["unknown", false, []]);
    expect(s.migrationReason).toBe(`Workload Identity to ${TEMP_ACCESS} is conditional: granted only under an IAM condition (until-2027)`);
  });

  it("an annotated but unbound KSA has step 5 to do with the reason, and step 6 shows the broken identity", () => {
    const s = statusOf("mid", "unbound");
    expect(steps(s).slice(2, 6)).toEqual([
      [3, "done", `KSA lonely → ${LONELY}`],
      [4, "done", "1 pods on GKE-metadata nodes"],
      [5, "todo", `${LONELY} does not grant roles/iam.workloadIdentityUser to ${POOL_A}[${NS}/lonely]: token requests fail with 403`],
      [6, "todo", `effective identity: ${LONELY} (broken)`],
    ]);
  });

  it("Pending pods and pods pinned to the legacy pool leave step 4 to do", () => {
    expect(statusOf("mid", "pending").steps[3]).toMatchObject({ n: 4, state: "todo", evidence: "1 pods are Pending: no node matches their selector" });
    expect(statusOf("mid", "legacy-only").steps[3]).toMatchObject({ n: 4, state: "todo", evidence: "1 of 1 pods run on nodes without the GKE metadata server" });
  });

  it("in a cluster without a workload pool, step 1 is to do with the gcloud command, and step 2 too", () => {
    const s = statusOf("nowi", "old-app");
    expect(steps(s).slice(0, 2)).toEqual([
      [1, "todo", `${A}/${ZONE}/nowi has no workload pool: gcloud container clusters update nowi --location ${ZONE} --workload-pool=${POOL_A}`],
      [2, "todo", "no node pool serves the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA)"],
    ]);
    expect(s.identity.source).toBe("node");
    expect(s.migrated).toBe(false);
  });

  it("a workload in kube-system is marked system", () => {
    expect(statusOf("mid", "metrics-agent", { ns: "kube-system" }).system).toBe(true);
  });
});

describe("migration status: what its pods hold, not the steps", () => {
  it("is to-migrate only on a legacy path (key, node account, broken link, mounted key) or with nothing running, and names the path", () => {
    const view = (s: WorkloadStatus) => [s.name, s.migration, s.migrated, s.legacyPaths];
    expect(r.statuses.filter((s) => s.namespace === NS || s.system).map(view).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))).toEqual([
      ["contractor-sync", "unknown", false, []],
      ["default-ksa", "no-google-identity-needed", true, []],
      ["federated-end", "federated", true, []],
      ["key-mounted", "to-migrate", false, ["mounts key Secret app-key"]],
      ["legacy-only", "to-migrate", false, [`node account ${COMPUTE_A} (legacy node pool)`]],
      ["metrics-agent", "to-migrate", false, [`node account ${COMPUTE_A} (legacy node pool)`]],
      ["migrated", "migrated", true, []],
      ["mixed-pods", "to-migrate", false, [`node account ${COMPUTE_A} (legacy node pool)`]],
      ["old-app", "to-migrate", false, [`node account ${COMPUTE_A} (no workload pool)`]],
      ["on-autopilot", "migrated", true, []],
      ["pending", "to-migrate", false, []],
      ["queue-worker", "to-migrate", false, [`half a Workload Identity link: ${QUEUE_READER} grants it workloadIdentityUser, but its KSA is not annotated`]],
      ["unbound", "to-migrate", false, [`broken Workload Identity link to ${LONELY} (${LONELY} does not grant roles/iam.workloadIdentityUser to ${POOL_A}[${NS}/lonely]: token requests fail with 403)`]],
    ]);
    expect(statusOf("mid", "pending").migrationReason).toBe("its pods do not run yet: the pod is Pending: no node yet");
  });

  it("keeps federatedEndState for the federated status only, and `migrated` true exactly for the three done statuses", () => {
    for (const s of r.statuses) {
      expect(s.federatedEndState, s.subject).toBe(s.migration === "federated");
      expect(s.migrated, s.subject).toBe(["migrated", "federated", "no-google-identity-needed"].includes(s.migration));
    }
  });
});

describe("roll-ups", () => {
  const view = (x: Rollup) => ({
    scope: x.scope,
    workloads: x.workloads,
    migrated: x.migrated,
    share: x.share,
    keyFileWorkloads: x.keyFileWorkloads,
    nodeIdentityWorkloads: x.nodeIdentityWorkloads,
    legacyPools: x.legacyPools,
  });
  const LEGACY_MID = { pool: `nodepool:${A}/${ZONE}/mid/legacy`, pods: 3 };
  const LEGACY_NOWI = { pool: `nodepool:${A}/${ZONE}/nowi/default-pool`, pods: 1 };

  it("per cluster: the share migrated (system workloads not counted) and every legacy pool with the pods still on it", () => {
    const byScope = new Map(r.rollups.map((x) => [x.scope, view(x)]));
    // mid: migrated, federated-end and default-ksa (needs no Google identity) done, of 10 (metrics-agent
    // in kube-system is not counted, but its pod is on legacy).
    expect(byScope.get(`cluster:${A}/${ZONE}/mid`)).toEqual({
      scope: `cluster:${A}/${ZONE}/mid`,
      workloads: 10,
      migrated: 3,
      share: 0.3,
      keyFileWorkloads: 0,
      nodeIdentityWorkloads: 2,
      legacyPools: [LEGACY_MID],
    });
    expect(byScope.get(`cluster:${A}/${REGION}/autopilot`)).toEqual({
      scope: `cluster:${A}/${REGION}/autopilot`,
      workloads: 1,
      migrated: 1,
      share: 1,
      keyFileWorkloads: 0,
      nodeIdentityWorkloads: 0,
      legacyPools: [],
    });
    expect(byScope.get(`cluster:${A}/${ZONE}/nowi`)).toEqual({
      scope: `cluster:${A}/${ZONE}/nowi`,
      workloads: 1,
      migrated: 0,
      share: 0,
      keyFileWorkloads: 0,
      nodeIdentityWorkloads: 1,
      legacyPools: [LEGACY_NOWI],
    });
  });

  it("the overall scope comes first, then the others in subject order; overall sums every cluster and the project scope matches it here", () => {
    expect(r.rollups.map((x) => x.scope)).toEqual(["overall", `cluster:${A}/${ZONE}/mid`, `cluster:${A}/${ZONE}/nowi`, `cluster:${A}/${REGION}/autopilot`, `project:${A}`]);
    const overall = { workloads: 12, migrated: 4, share: 4 / 12, keyFileWorkloads: 0, nodeIdentityWorkloads: 3, legacyPools: [LEGACY_MID, LEGACY_NOWI] };
    expect(view(r.rollups[0])).toEqual({ scope: "overall", ...overall });
    expect(r.rollups[0].byStatus).toEqual({ migrated: 2, federated: 1, "no-google-identity-needed": 1, "to-migrate": 7, unknown: 1 });
    expect(view(r.rollups.find((x) => x.scope === `project:${A}`)!)).toEqual({ scope: `project:${A}`, ...overall });
    expect(r.rollups[0].keysInSecrets).toBe(1);
    expect(r.rollups[0].userManagedKeys).toBe(1);
  });
});

// Slotted in through credentialPath: a Workload Identity Federation credential configuration (a
// fleet's or a partner's external_account file) is keyless, so the workload is done, on its own
// identity — no GSA to annotate or bind.
describe("a workload on a Workload Identity Federation credential configuration", () => {
  it("is federated (done), with steps 3, 5 and 6 n/a", async () => {
    const { analyzeEstateFile } = await import("./testing");
    const w = await analyzeEstateFile("lib/simulator/estates/corpus/wif-credential-configuration-configmap/estate.yaml");
    const s = w.statuses.find((x) => x.subject === "workload:northwind-data/us-central1/nw-analytics-usc1/partner-feeds/Deployment/feed-ingest")!;
    expect([s.migration, s.migrated, s.legacyPaths]).toEqual(["federated", true, []]);
    expect(s.steps.filter((x) => [3, 5, 6].includes(x.n)).map((x) => [x.n, x.state, x.evidence])).toEqual([
      [3, "n/a", "uses a credential configuration (external_account) as principalSet://iam.googleapis.com/projects/604817735920/locations/global/workloadIdentityPools/northwind-gke/*, impersonating feed-reader@contoso-partner-feeds.iam.gserviceaccount.com"],
      [5, "n/a", "no GSA to bind"],
      [6, "n/a", "its keyless credential configuration is the intended identity"],
    ]);
  });
});
