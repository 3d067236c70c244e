/**
 * The what-if engine on inventories scanned for real (simulator → googleapis / client-node → Postgres):
 * the demo estate, and a small estate written here whose every answer can be worked out by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scannedDemo } from "../testing/scanned-demo";
import { estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { whatIf } from "./what-if";
import { parseChanges, type Change } from "./changes";
import { ChangeTargetError } from "./apply-changes";

function changes(list: unknown[]): Change[] {
  const p = parseChanges(list);
  if (!p.ok) throw new Error(p.error);
  return p.changes;
}
const verdicts = (a: Awaited<ReturnType<typeof whatIf>>) => a.workloads.map((w) => `${w.verdict} ${w.subject}`);
const pairs = (l: { rule: string; subject: string }[]) => l.map((f) => `${f.rule} ${f.subject}`).sort();

const DEMO_KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";

describe("what breaks if… on the demo estate", () => {
  const demo = scannedDemo();
  let t: TestDatabase;
  beforeAll(() => void (t = demo.t));

  it("deleting common-batch's live key breaks the four CronJobs whose key file it is, and says staging's Secrets could not be read", async () => {
    const a = await whatIf(t.db, changes([{ type: "delete-key", subject: DEMO_KEY }]));
    expect(a.verdict).toBe("breaks");
    expect(verdicts(a)).toEqual([
      "breaks workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
      "breaks workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "breaks workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
      "breaks workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
    ]);
    const w = a.workloads[1];
    expect(w.before).toMatchObject({ identity: "common-batch@acme-prod.iam.gserviceaccount.com", access: true });
    expect(w.after).toMatchObject({ identity: "common-batch@acme-prod.iam.gserviceaccount.com", access: false });
    expect(w.reasons).toEqual(["loses Google access: key 74177534f46dd1d1fc13635d83481cb1ea6b429c of common-batch@acme-prod.iam.gserviceaccount.com no longer exists"]);
    expect(pairs(a.findings.opened)).toEqual([
      "key-in-secret-dead secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key",
      "key-in-secret-dead secret:acme-prod/asia-northeast1/prod/batch/common-batch-key",
      "key-in-secret-dead secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key",
    ]);
    expect(pairs(a.findings.resolved)).toEqual([`key-expiring ${DEMO_KEY}`, `key-not-rotated ${DEMO_KEY}`]);
    expect(a.credentials).toEqual([
      expect.objectContaining({ subject: DEMO_KEY, kind: "key", lastAuthenticated: "2026-11-28T07:00:00Z", authenticates: "recently", usedBy: a.workloads.map((x) => x.subject) }),
    ]);
    // The staging cluster's Secrets are forbidden to the scanner: a copy of the key could sit there.
    expect(a.unknown.map((u) => u.scope)).toEqual(["cluster:acme-staging/asia-northeast1-a/staging"]);
    expect(a.safePaths).toHaveLength(1);
    expect(a.safePaths[0].steps.map((s) => [s.title, s.rollback])).toEqual([
      ["Disable the key", "gcloud iam service-accounts keys enable 74177534f46dd1d1fc13635d83481cb1ea6b429c --iam-account=common-batch@acme-prod.iam.gserviceaccount.com --project=acme-prod"],
      ["Watch its last authentication", "gcloud iam service-accounts keys enable 74177534f46dd1d1fc13635d83481cb1ea6b429c --iam-account=common-batch@acme-prod.iam.gserviceaccount.com --project=acme-prod"],
      ["Delete the key", null],
    ]);
    // Only the clusters that use the key were read, not the estate.
    expect(a.slice.clusters).toEqual(["cluster:acme-legacy/asia-northeast1-b/legacy-batch", "cluster:acme-prod/asia-northeast1/prod"]);
    expect(a.migration.overall.before).toEqual(a.migration.overall.after);
  });

  it("deleting prod's legacy pool (step 8) leaves the two web Deployments pinned to it with nowhere to run", async () => {
    const a = await whatIf(t.db, changes([{ type: "delete-nodepool", subject: "nodepool:acme-prod/asia-northeast1/prod/default-pool" }]));
    expect(a.verdict).toBe("breaks");
    expect(a.workloads.filter((w) => w.verdict === "breaks").map((w) => [w.subject, w.after.identity])).toEqual([
      ["workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend", "pending"],
      ["workload:acme-prod/asia-northeast1/prod/web/Deployment/image-resizer", "pending"],
    ]);
    expect(pairs(a.findings.resolved)).toContain("nodepool-legacy-metadata nodepool:acme-prod/asia-northeast1/prod/default-pool");
    expect(a.findings.opened).toEqual([]);
  });

  it("deleting the Secret a workload reads its key from breaks it", async () => {
    const a = await whatIf(t.db, changes([{ type: "delete-secret", subject: "secret:acme-prod/asia-northeast1/prod/billing/billing-gcp-key" }]));
    expect(verdicts(a)).toEqual(["breaks workload:acme-prod/asia-northeast1/prod/billing/Deployment/invoice-worker"]);
    expect(pairs(a.findings.resolved)).toEqual(["key-in-secret secret:acme-prod/asia-northeast1/prod/billing/billing-gcp-key"]);
  });

  it("names an unknown target subject instead of answering", async () => {
    await expect(whatIf(t.db, changes([{ type: "delete-key", subject: "key:nobody@acme-prod.iam.gserviceaccount.com/abc" }]))).rejects.toThrow(
      new ChangeTargetError(404, "Nothing is known about key:nobody@acme-prod.iam.gserviceaccount.com/abc: no service account key of that name in the latest scan"),
    );
  });

  it("answers within 2 s", async () => {
    const a = await whatIf(t.db, changes([{ type: "disable-gsa", subject: "gsa:common-batch@acme-prod.iam.gserviceaccount.com" }]));
    expect(a.timings.loadMs + a.timings.analyseMs).toBeLessThan(2000);
  });
});

const KEY_ID = "1111111111111111111111111111111111111111";
const keyFile = Buffer.from(
  JSON.stringify({ type: "service_account", project_id: "shop-prod", private_key_id: KEY_ID, private_key: "-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n", client_email: "batch-export@shop-prod.iam.gserviceaccount.com", client_id: "1" }),
).toString("base64");

/** One cluster mid-migration: web/app on Workload Identity, web/frontend still on the legacy pool, batch/exporter on a key. */
export const SHOP = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: shop-prod
    projectNumber: "400000000004"
    iamPolicy:
      bindings:
        - {role: roles/storage.objectViewer, members: ["serviceAccount:web-app@shop-prod.iam.gserviceaccount.com"]}
        - {role: roles/pubsub.publisher, members: ["serviceAccount:batch-export@shop-prod.iam.gserviceaccount.com"]}
    serviceAccounts:
      - email: web-app@shop-prod.iam.gserviceaccount.com
        lastAuthenticatedTime: "2026-11-28T07:00:00Z"
        iamPolicy:
          bindings:
            - role: roles/iam.workloadIdentityUser
              members: ["serviceAccount:shop-prod.svc.id.goog[web/app]", "serviceAccount:shop-prod.svc.id.goog[web/frontend]"]
      - email: batch-export@shop-prod.iam.gserviceaccount.com
        lastAuthenticatedTime: "2026-11-28T07:00:00Z"
        keys:
          - {keyId: "${KEY_ID}", validAfterTime: "2025-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", lastAuthenticatedTime: "2026-11-20T07:00:00Z"}
      - email: gke-nodes@shop-prod.iam.gserviceaccount.com
    clusters:
      - cluster:
          name: main
          location: us-central1-a
          workloadIdentityConfig: {workloadPool: shop-prod.svc.id.goog}
          nodePools:
            - {name: legacy, initialNodeCount: 1, config: {serviceAccount: gke-nodes@shop-prod.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GCE_METADATA}}}
            - {name: wi, initialNodeCount: 1, config: {serviceAccount: gke-nodes@shop-prod.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - {apiVersion: v1, kind: Namespace, metadata: {name: web}}
          - {apiVersion: v1, kind: Namespace, metadata: {name: batch}}
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: app, namespace: web, annotations: {iam.gke.io/gcp-service-account: web-app@shop-prod.iam.gserviceaccount.com}}}
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: frontend, namespace: web, annotations: {iam.gke.io/gcp-service-account: web-app@shop-prod.iam.gserviceaccount.com}}}
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: exporter, namespace: batch}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: app}}
              template:
                metadata: {labels: {app: app}}
                spec:
                  serviceAccountName: app
                  nodeSelector: {iam.gke.io/gke-metadata-server-enabled: "true"}
                  containers: [{name: app, image: "gcr.io/shop-prod/app:1"}]
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: frontend, namespace: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: frontend}}
              template:
                metadata: {labels: {app: frontend}}
                spec:
                  serviceAccountName: frontend
                  nodeSelector: {cloud.google.com/gke-nodepool: legacy}
                  containers: [{name: frontend, image: "gcr.io/shop-prod/frontend:1"}]
          - {apiVersion: v1, kind: Secret, metadata: {name: batch-key, namespace: batch}, type: Opaque, data: {key.json: "${keyFile}"}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: exporter, namespace: batch}
            spec:
              replicas: 1
              selector: {matchLabels: {app: exporter}}
              template:
                metadata: {labels: {app: exporter}}
                spec:
                  serviceAccountName: exporter
                  nodeSelector: {cloud.google.com/gke-nodepool: legacy}
                  containers:
                    - name: exporter
                      image: "gcr.io/shop-prod/exporter:1"
                      env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: /var/secrets/key.json}]
                      volumeMounts: [{name: key, mountPath: /var/secrets, readOnly: true}]
                  volumes: [{name: key, secret: {secretName: batch-key}}]
`;

const C = "shop-prod/us-central1-a/main";
const APP = `workload:${C}/web/Deployment/app`;
const FRONTEND = `workload:${C}/web/Deployment/frontend`;
const EXPORTER = `workload:${C}/batch/Deployment/exporter`;
const KEY = `key:batch-export@shop-prod.iam.gserviceaccount.com/${KEY_ID}`;

describe("what breaks if… on a small written estate", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(SHOP));
    await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("deleting the exporter's key: it loses Google access and the Pub/Sub role it held through the key's account", async () => {
    const a = await whatIf(t.db, changes([{ type: "delete-key", subject: KEY }]));
    expect(verdicts(a)).toEqual([`breaks ${EXPORTER}`]);
    expect(a.workloads[0].before).toEqual({
      identity: "batch-export@shop-prod.iam.gserviceaccount.com",
      source: "key-file",
      migration: "to-migrate",
      access: true,
      accessWhy: [`key ${KEY_ID} of batch-export@shop-prod.iam.gserviceaccount.com is valid`],
      roles: ["roles/pubsub.publisher on project:shop-prod"],
    });
    expect(a.workloads[0].after.access).toBe(false);
    expect(a.credentials).toEqual([
      { subject: KEY, kind: "key", email: "batch-export@shop-prod.iam.gserviceaccount.com", keyId: KEY_ID, disabled: false, lastAuthenticated: "2026-11-20T07:00:00Z", daysSinceLastAuthentication: 8, authenticates: "recently", lacking: [], usedBy: [EXPORTER] },
    ]);
    expect(a.unknown).toEqual([]);
    expect(pairs(a.findings.opened)).toEqual([`key-in-secret-dead secret:${C}/batch/batch-key`]);
  });

  it("disabling the key breaks the exporter the same way, and opens nothing about a dead Secret", async () => {
    const a = await whatIf(t.db, changes([{ type: "disable-key", subject: KEY }]));
    expect(verdicts(a)).toEqual([`breaks ${EXPORTER}`]);
    expect(a.workloads[0].reasons).toEqual([`loses Google access: key ${KEY_ID} of batch-export@shop-prod.iam.gserviceaccount.com is disabled`]);
  });

  it("removing web/app's workloadIdentityUser binding breaks its link and opens ksa-annotation-unbound", async () => {
    const a = await whatIf(t.db, changes([{ type: "remove-binding", subject: "gsa:web-app@shop-prod.iam.gserviceaccount.com", member: "serviceAccount:shop-prod.svc.id.goog[web/app]" }]));
    expect(verdicts(a)).toEqual([`breaks ${APP}`]);
    expect(a.workloads[0].after.identity).toBe("web-app@shop-prod.iam.gserviceaccount.com (broken)");
    expect(pairs(a.findings.opened)).toEqual([`ksa-annotation-unbound ksa:${C}/web/app`]);
  });

  it("moving frontend to the GKE-metadata pool changes its identity from the node's account to its GSA, and the migration share goes up", async () => {
    const a = await whatIf(t.db, changes([{ type: "move-workload", subject: FRONTEND, pool: `nodepool:${C}/wi` }]));
    expect(a.verdict).toBe("changes");
    expect(a.workloads.map((w) => [w.verdict, w.subject, w.before.identity, w.after.identity])).toEqual([
      ["changes", FRONTEND, "gke-nodes@shop-prod.iam.gserviceaccount.com", "web-app@shop-prod.iam.gserviceaccount.com"],
    ]);
    expect(pairs(a.findings.resolved)).toEqual([`workload-on-legacy-node ${FRONTEND}`]);
    expect(a.migration.overall.before).toMatchObject({ workloads: 3, migrated: 1 });
    expect(a.migration.overall.after).toMatchObject({ workloads: 3, migrated: 2, percent: 66.7 });
  });

  it("refuses a pool of another cluster, naming both", async () => {
    await expect(whatIf(t.db, changes([{ type: "move-workload", subject: FRONTEND, pool: "nodepool:other/us-central1-a/x/wi" }]))).rejects.toThrow(
      "Nothing is known about nodepool:other/us-central1-a/x/wi: no node pool of that name in the latest scan",
    );
  });

  it("deleting the account behind web/app breaks its link (the GSA is gone) and opens ksa-annotation-gsa-missing", async () => {
    const a = await whatIf(t.db, changes([{ type: "delete-gsa", subject: "gsa:web-app@shop-prod.iam.gserviceaccount.com" }]));
    expect(verdicts(a)).toEqual([`breaks ${APP}`]);
    expect(a.safePaths[0].steps.map((s) => s.title)).toEqual(["Disable the account", "Watch its last authentication", "Delete the account"]);
    expect(pairs(a.findings.opened)).toContain(`ksa-annotation-gsa-missing ksa:${C}/web/app`);
  });
});
