import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { compareScans } from "../store/changes";
import { trends, timeline } from "../store/queries";
import { startScan, ScanBusyError, reapCrashedScans } from "./scan-control";
import { openDb } from "../store/db";
import { pruneHistory } from "../store/retention";

const C = "hist-prod/asia-northeast1-a/prod";
const BASE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: hist-prod
    projectNumber: "400000000004"
    serviceAccounts:
      - email: batch-jobs@hist-prod.iam.gserviceaccount.com
        keys:
          - {keyId: ccccccccccccccccccccccccccccccccccccccc1, validAfterTime: "2026-10-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z"}
      - email: web-api@hist-prod.iam.gserviceaccount.com
        iamPolicy: {bindings: [{role: roles/iam.workloadIdentityUser, members: ["serviceAccount:hist-prod.svc.id.goog[web/api]"]}]}
    clusters:
      - cluster:
          name: prod
          location: asia-northeast1-a
          workloadIdentityConfig: {workloadPool: hist-prod.svc.id.goog}
          nodePools:
            - {name: legacy, config: {serviceAccount: nodes-sa@hist-prod.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GCE_METADATA}}}
            - {name: wi, config: {serviceAccount: nodes-sa@hist-prod.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: api, namespace: web, annotations: {iam.gke.io/gcp-service-account: web-api@hist-prod.iam.gserviceaccount.com}}}
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: worker, namespace: batch}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: web}
            spec:
              template:
                spec:
                  serviceAccountName: api
                  nodeSelector: {cloud.google.com/gke-nodepool: legacy}
                  containers: [{name: api, image: api}]
`;

// The edit: the key deleted, the workload moved to the GKE-metadata pool, a binding added.
const EDITED = BASE.replace(/        keys:\n          - \{keyId: c+1[^\n]*\n/, "")
  .replace("nodeSelector: {cloud.google.com/gke-nodepool: legacy}", 'nodeSelector: {iam.gke.io/gke-metadata-server-enabled: "true"}')
  .replace("      - email: batch-jobs@hist-prod.iam.gserviceaccount.com\n", '      - email: batch-jobs@hist-prod.iam.gserviceaccount.com\n        iamPolicy: {bindings: [{role: roles/iam.workloadIdentityUser, members: ["serviceAccount:hist-prod.svc.id.goog[batch/worker]"]}]}\n');

describe("history across scans", () => {
  let t: TestDatabase;
  let sim: Simulator;
  const ids: number[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(BASE));
    ids.push((await scanWith(t.db, sim)).scanId);
    ids.push((await scanWith(t.db, sim)).scanId);
    sim.setEstate(estateFromYaml(EDITED));
    ids.push((await scanWith(t.db, sim)).scanId);
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("finds nothing between two scans of an unchanged estate", async () => {
    expect((await compareScans(t.db, ids[0], ids[1])).changes).toEqual([]);
  });

  it("reports exactly the key deleted, the binding added and the workload moved", async () => {
    const c = await compareScans(t.db, ids[1], ids[2]);
    const lines = c.changes.map((x) => `${x.category} ${x.change} ${x.subject} | ${x.detail}`).sort();
    expect(lines).toEqual([
      "binding appeared gsa:batch-jobs@hist-prod.iam.gserviceaccount.com | + roles/iam.workloadIdentityUser → serviceAccount:hist-prod.svc.id.goog[batch/worker]",
      `finding appeared ksa:${C}/batch/worker | binding-without-annotation opened: batch-jobs@hist-prod.iam.gserviceaccount.com grants roles/iam.workloadIdentityUser to serviceAccount:hist-prod.svc.id.goog[batch/worker], but batch/worker is not annotated.`,
      "finding disappeared gsa:batch-jobs@hist-prod.iam.gserviceaccount.com | key-user-managed resolved: batch-jobs@hist-prod.iam.gserviceaccount.com has 1 user-managed key.",
      `finding disappeared workload:${C}/web/Deployment/api | workload-on-legacy-node resolved: 1 of 1 pods run on legacy and act as nodes-sa@hist-prod.iam.gserviceaccount.com.`,
      "key disappeared key:batch-jobs@hist-prod.iam.gserviceaccount.com/ccccccccccccccccccccccccccccccccccccccc1 | deleted",
      `migration changed workload:${C}/web/Deployment/api | moved to Workload Identity: nodes-sa@hist-prod.iam.gserviceaccount.com → web-api@hist-prod.iam.gserviceaccount.com`,
    ]);
  });

  it("plots the trend points of each scan", async () => {
    const tr = await trends(t.db, "overall");
    expect(tr.points.map((p) => [p.scanId, p.not_migrated, p.user_managed_keys, p.key_file_workloads])).toEqual([
      [ids[0], 1, 1, 0],
      [ids[1], 1, 1, 0],
      [ids[2], 0, 0, 0],
    ]);
    const cl = await trends(t.db, `cluster:${C}`);
    expect(cl.points.map((p) => p.migrated)).toEqual([0, 0, 1]);
  });

  it("gives each object its own timeline", async () => {
    const key = await timeline(t.db, "key:batch-jobs@hist-prod.iam.gserviceaccount.com/ccccccccccccccccccccccccccccccccccccccc1");
    expect(key.current).toBe(false);
    expect(key.events.map((e) => [e.scanId, e.kind, e.event])).toEqual([
      [ids[0], "key", "first seen"],
      [ids[2], "key", "gone"],
    ]);
    const w = await timeline(t.db, `workload:${C}/web/Deployment/api`);
    expect(w.events.map((e) => [e.scanId, e.kind, e.event])).toEqual([
      [ids[0], "finding:workload-on-legacy-node", "finding opened"],
      [ids[0], "workload", "first seen"],
      [ids[0], "workload-status", "first seen"],
      [ids[2], "finding:workload-on-legacy-node", "finding resolved"],
      [ids[2], "workload", "changed"],
      [ids[2], "workload-status", "changed"],
    ]);
    expect(w.events.find((e) => e.kind === "workload")!.detail).toBe("");
    expect(w.events.find((e) => e.kind === "workload" && e.event === "changed")!.fields).toEqual(["template"]);
  });

  it("prunes scans older than the retention window without breaking the timelines that remain", async () => {
    await t.db.pool.query(`update scan set started_at = now() - interval '40 days' where id = any($1::int[])`, [[ids[0], ids[1]]]);
    const r = await pruneHistory(t.db, 30);
    expect(r.cutoffScanId).toBe(ids[2]);
    expect(r.scansPruned).toBe(2);
    // Versions that ended at the cutoff are gone; what is still current keeps its first-seen scan.
    const key = await t.db.pool.query(`select count(*)::int as n from inventory_object where subject like 'key:batch-jobs%'`);
    expect(key.rows[0].n).toBe(0);
    const w = await timeline(t.db, `workload:${C}/web/Deployment/api`);
    // The finding resolved before the window is gone with its versions; the workload still reads
    // first seen in scan 1, and the change at the cutoff says its details were pruned.
    expect(w.events.map((e) => [e.scanId, e.kind, e.event, e.detail])).toEqual([
      [ids[0], "workload", "first seen", ""],
      [ids[0], "workload-status", "first seen", ""],
      [ids[2], "workload", "changed", "(what changed before this scan was pruned)"],
      [ids[2], "workload-status", "changed", "(what changed before this scan was pruned)"],
    ]);
    const gsa = await timeline(t.db, "gsa:web-api@hist-prod.iam.gserviceaccount.com");
    expect(gsa.events[0]).toMatchObject({ scanId: ids[0], event: "first seen" });
    await expect(compareScans(t.db, ids[0], ids[2])).rejects.toThrow(/older than the retention window/);
  });
});

describe("one scan at a time", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(BASE.replace('now: "2026-11-29T00:00:00Z"', 'now: "2026-11-29T00:00:00Z"\nlatencyMs: 20')));
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("two processes sharing one database, started at once, leave exactly one scan", async () => {
    const a = openDb(t.url);
    const b = openDb(t.url);
    const config = testConfig({ WI_ATLAS_SIMULATOR_URL: sim.url });
    const results = await Promise.allSettled([startScan(a, config, "schedule"), startScan(b, config, "schedule")]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(ScanBusyError);
    // Wait for the one that started.
    for (let i = 0; i < 100; i++) {
      const r = await t.db.pool.query(`select status from scan`);
      if (r.rows.every((x) => x.status !== "running")) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const scans = await t.db.pool.query(`select status from scan`);
    expect(scans.rows).toEqual([{ status: "succeeded" }]);
    await a.close();
    await b.close();
  });

  it("a scan killed midway leaves the previous state intact, and the next scan succeeds", async () => {
    const before = await t.db.pool.query(`select count(*)::int as n, max(id) as last from inventory_object`);
    const dir = mkdtempSync(path.join(os.tmpdir(), "wi-kill-"));
    const estate = path.join(dir, "estate.yaml");
    writeFileSync(estate, BASE.replace('now: "2026-11-29T00:00:00Z"', 'now: "2026-11-29T00:00:00Z"\nlatencyMs: 400'));
    // One process (no tsx wrapper), so SIGKILL kills the scan itself.
    const child = spawn(process.execPath, ["--import", "tsx", "lib/cli/scan.ts", "--estate", estate], {
      env: { ...process.env, DATABASE_URL: t.url, WI_ATLAS_LOG_LEVEL: "error" },
      stdio: "ignore",
    });
    // Kill it while it collects. Starting a scan process (tsx, the simulator, its clusters' TLS) can
    // take over ten seconds on a machine busy with other tests: wait for it by the clock.
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; ) {
      const r = await t.db.pool.query(`select count(*)::int as n from scan where status = 'running' and progress is not null`);
      if (r.rows[0].n) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    child.kill("SIGKILL");
    await new Promise((res) => child.once("exit", res));
    const after = await t.db.pool.query(`select count(*)::int as n, max(id) as last from inventory_object`);
    expect(after.rows).toEqual(before.rows);
    expect((await t.db.pool.query(`select count(*)::int as n from scan where status = 'running'`)).rows[0].n).toBe(1);
    // The dead process's database session ends a moment after the process (Postgres notices the
    // closed socket, then drops the scan's temporary stage table); only then is its lock free.
    let reaped = 0;
    for (let i = 0; i < 100 && reaped === 0; i++) {
      reaped = await reapCrashedScans(t.db);
      if (!reaped) await new Promise((res) => setTimeout(res, 50));
    }
    expect(reaped).toBe(1);
    const next = await scanWith(t.db, sim, testConfig());
    expect(next.status).toBe("succeeded");
    const statuses = await t.db.pool.query(`select status from scan order by id`);
    expect(statuses.rows.map((r) => r.status)).toEqual(["succeeded", "crashed", "succeeded"]);
  });

  it("waits out a 429 with Retry-After and then succeeds", async () => {
    sim.setEstate(
      estateFromYaml(BASE.replace('now: "2026-11-29T00:00:00Z"', 'now: "2026-11-29T00:00:00Z"\nfaults:\n  - {match: {path: "/v1/projects/hist-prod/serviceAccounts"}, status: 429, retryAfter: 1, times: 1}')),
    );
    const started = Date.now();
    const r = await scanWith(t.db, sim, testConfig());
    expect(r.status).toBe("succeeded");
    expect(r.summary.retries).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    void readFileSync;
  });
});

// What a workload became when it left its legacy path, said in the terms of its status: a job that
// stops reading a key and needs no Google identity did not "move to Workload Identity". And a status
// stored before statuses existed (no `migration`, `migrated` false for a workload that only needed
// nothing) is not reported as a move when only the definition changed.
describe("history of migration statuses", () => {
  const NS_C = "hist-stat/asia-northeast1-a/prod";
  const KEYED = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: hist-stat
    projectNumber: "400000000005"
    serviceAccounts:
      - email: uploader@hist-stat.iam.gserviceaccount.com
        keys:
          - {keyId: dddddddddddddddddddddddddddddddddddddd01, validAfterTime: "2026-10-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z"}
    clusters:
      - cluster:
          name: prod
          location: asia-northeast1-a
          workloadIdentityConfig: {workloadPool: hist-stat.svc.id.goog}
          nodePools:
            - {name: wi, config: {serviceAccount: nodes-sa@hist-stat.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - apiVersion: v1
            kind: Secret
            metadata: {name: uploader-key, namespace: media}
            stringData:
              key.json: '{"type": "service_account", "project_id": "hist-stat", "private_key_id": "dddddddddddddddddddddddddddddddddddddd01", "private_key": "-----BEGIN PRIVATE KEY-----\\nFAKE\\n-----END PRIVATE KEY-----\\n", "client_email": "uploader@hist-stat.iam.gserviceaccount.com"}'
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: thumbnailer, namespace: media}
            spec:
              template:
                spec:
                  containers:
                    - name: thumbnailer
                      image: thumbnailer
                      env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: /var/secrets/google/key.json}]
                      volumeMounts: [{name: key, mountPath: /var/secrets/google}]
                  volumes: [{name: key, secret: {secretName: uploader-key}}]
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: media}
            spec:
              template:
                spec:
                  containers: [{name: nginx, image: nginx}]
`;
  // The thumbnailer stopped uploading: the key, its Secret and its mount are gone.
  const KEYLESS = KEYED.replace(/^ {8}keys:\n[^\n]*\n/m, "")
    .replace(/          - apiVersion: v1\n            kind: Secret[\s\S]*?client_email[^\n]*\n/, "")
    .replace(/                      env: \[[^\n]*\n                      volumeMounts: \[[^\n]*\n                  volumes: \[[^\n]*\n/, "");
  let t: TestDatabase;
  let sim: Simulator;
  const ids: number[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(KEYED));
    ids.push((await scanWith(t.db, sim)).scanId);
    // As a scan before migration statuses stored it: no `migration`, and media/web (which needs no
    // Google identity) not migrated; its hash differs, so the next scan writes a new version.
    await t.db.pool.query(
      `update analysis_object set data = jsonb_set(data - 'migration', '{migrated}', 'false'), hash = 'stored-before-statuses'
        where kind = 'workload-status' and subject = $1 and valid_to is null`,
      [`workload:${NS_C}/media/Deployment/web`],
    );
    sim.setEstate(estateFromYaml(KEYLESS));
    ids.push((await scanWith(t.db, sim)).scanId);
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("says a workload left its legacy path for needing no Google identity, and that a status stored before statuses only changed definition", async () => {
    expect(KEYLESS).not.toContain("GOOGLE_APPLICATION_CREDENTIALS");
    const c = await compareScans(t.db, ids[0], ids[1]);
    const lines = c.changes.filter((x) => x.category === "migration").map((x) => `${x.subject} | ${x.detail}`).sort();
    const principal = (ksa: string) => `principal://iam.googleapis.com/projects/400000000005/locations/global/workloadIdentityPools/hist-stat.svc.id.goog/subject/ns/media/sa/${ksa}`;
    expect(lines).toEqual([
      `workload:${NS_C}/media/Deployment/thumbnailer | left its legacy path (needs no Google identity): uploader@hist-stat.iam.gserviceaccount.com → ${principal("default")}`,
      `workload:${NS_C}/media/Deployment/web | now counted as no-google-identity-needed (migration statuses introduced; its identity ${principal("default")} did not change)`,
    ]);
  });
});
