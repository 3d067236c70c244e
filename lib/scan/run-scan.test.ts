import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { currentSubjects, estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { runScan, ScanBusyError, SCAN_LOCK_KEY } from "./run-scan";
import { TABLES } from "../reports/tables";
import { allRowsQuery } from "../reports/table-def";
import { parseFilters } from "../api/filters";

const SMALL = readFileSync("lib/simulator/estates/test/small.yaml", "utf8");
const C = "small-prod/asia-northeast1/prod";

describe("a scan of the small estate through the simulator with the real clients", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(SMALL));
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });
  afterEach(() => {
    // Each test that edits the estate gets the original back, whatever happened.
    sim.setEstate(estateFromYaml(SMALL));
    sim.setLatency(0);
  });

  it("stores exactly the inventory the estate describes", async () => {
    const r = await scanWith(t.db, sim);
    expect(r.status).toBe("succeeded");
    expect(await currentSubjects(t.db, "project")).toEqual(["project:small-prod"]);
    expect(await currentSubjects(t.db, "organization")).toEqual(["organization:111111111111"]);
    expect(await currentSubjects(t.db, "gsa")).toEqual(["gsa:api-server@small-prod.iam.gserviceaccount.com", "gsa:batch-jobs@small-prod.iam.gserviceaccount.com"]);
    // Only the user-managed key: the system-managed one is Google's and never listed.
    expect(await currentSubjects(t.db, "key")).toEqual(["key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"]);
    expect(await currentSubjects(t.db, "cluster")).toEqual([`cluster:${C}`]);
    expect(await currentSubjects(t.db, "nodepool")).toEqual([`nodepool:${C}/legacy`, `nodepool:${C}/wi`]);
    expect(await currentSubjects(t.db, "namespace")).toEqual(
      ["batch", "default", "kube-node-lease", "kube-public", "kube-system", "web"].map((n) => `namespace:${C}/${n}`),
    );
    expect(await currentSubjects(t.db, "ksa")).toEqual(
      ["batch/default", "default/default", "kube-node-lease/default", "kube-public/default", "kube-system/default", "web/api", "web/default"].map((n) => `ksa:${C}/${n}`),
    );
    expect(await currentSubjects(t.db, "workload")).toEqual([`workload:${C}/batch/CronJob/nightly`, `workload:${C}/web/Deployment/api`]);
    expect(await currentSubjects(t.db, "secret")).toEqual([`secret:${C}/batch/batch-key`]);
    expect(await currentSubjects(t.db, "iam-policy")).toEqual([
      "gsa:api-server@small-prod.iam.gserviceaccount.com",
      "gsa:batch-jobs@small-prod.iam.gserviceaccount.com",
      "organization:111111111111",
      "project:small-prod",
    ]);
    expect(await currentSubjects(t.db, "gsa-activity")).toEqual(["gsa:batch-jobs@small-prod.iam.gserviceaccount.com"]);
    expect(await currentSubjects(t.db, "key-activity")).toEqual(["key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"]);
    // 3 legacy nodes (1 per zone) + 6 GKE-metadata nodes; 2 API pods + 1 CronJob pod.
    expect((await currentSubjects(t.db, "node")).length).toBe(9);
    const pods = await t.db.pool.query<{ workload: string; phase: string }>(
      `select data->>'workload' as workload, data->>'phase' as phase from inventory_object where kind = 'pod' and valid_to is null order by 1`,
    );
    expect(pods.rows).toEqual([
      { workload: `workload:${C}/batch/CronJob/nightly`, phase: "Succeeded" },
      { workload: `workload:${C}/web/Deployment/api`, phase: "Running" },
      { workload: `workload:${C}/web/Deployment/api`, phase: "Running" },
    ]);
    const secret = await t.db.pool.query(`select data from inventory_object where kind = 'secret' and valid_to is null`);
    expect(secret.rows[0].data.credentials).toEqual([
      { dataKey: "key.json", type: "service_account", clientEmail: "batch-jobs@small-prod.iam.gserviceaccount.com", keyId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", projectId: "small-prod", encoding: "json", audience: null, impersonates: null, sourceType: null },
    ]);
    const nodepool = await t.db.pool.query(`select data from inventory_object where subject = $1`, [`nodepool:${C}/legacy`]);
    expect(nodepool.rows[0].data).toMatchObject({ serviceAccount: "100000000001-compute@developer.gserviceaccount.com", metadataMode: "GCE_METADATA", servesGkeMetadata: false });
  });

  it("writes no new versions when nothing changed", async () => {
    const before = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object`);
    const r = await scanWith(t.db, sim);
    expect(r.status).toBe("succeeded");
    expect(r.summary.written.inserted).toBe(0);
    expect(r.summary.written.closed).toBe(0);
    const after = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("keeps what an earlier scan knew when a source fails, and marks it stale with the error", async () => {
    const edited = estateFromYaml(
      SMALL.replace(
        "# A small estate for tests",
        `faults:\n  - {match: {path: "/clusters/${C}/api/v1/pods"}, status: 403}\n  - {match: {path: "/v1/projects/small-prod/serviceAccounts/*/keys"}, status: 503}\n# A small estate for tests`,
      ),
    );
    sim.setEstate(edited);
    // The direct path: the keys are asked of IAM per account, where the fault is.
    const r = await runScan({ db: t.db, config: testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }), trigger: "test", simulator: sim });
    expect(r.status).toBe("partial");
    const failed = r.outcomes
      .filter((o) => o.status !== "ok")
      .map((o) => [o.source, o.status, o.httpStatus, o.permission])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(failed).toEqual([
      [`iam.keys:small-prod`, "partial", 503, undefined],
      [`k8s.pods:${C}`, "failed", 403, "list pods"],
    ]);
    // Pods and the key are still current…
    expect((await currentSubjects(t.db, "pod")).length).toBe(3);
    expect(await currentSubjects(t.db, "key")).toEqual(["key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"]);
    // …and shown stale with the reason.
    const stale = await t.db.pool.query(`select source, last_status, last_error, last_ok_scan_id from source_state where source in ($1, $2) order by source`, [
      `iam.keys:small-prod`,
      `k8s.pods:${C}`,
    ]);
    expect(stale.rows.map((s) => [s.source, s.last_status, s.last_ok_scan_id])).toEqual([
      ["iam.keys:small-prod", "partial", 2],
      [`k8s.pods:${C}`, "failed", 2],
    ]);
    expect(stale.rows[1].last_error).toMatch(/pods is forbidden: User "wi-atlas-scanner" cannot list resource "pods"/);
    const rows = await t.db.pool.query(allRowsQuery(TABLES.workloads, parseFilters(new URLSearchParams())).text);
    // The pods are kept (above), but a count taken from a list that failed in the last scan is
    // unknown with the reason in the tables — never a count that may be out of date (issue 13).
    expect(rows.rows.map((x) => x.pods)).toEqual([null, null]);
    for (const x of rows.rows) expect(x.pods__unknown).toMatch(/pods is forbidden/);
  });

  it("closes what disappeared once its source answers in full again", async () => {
    const without = estateFromYaml(SMALL.replace(/ {6}- email: api-server@small-prod[\s\S]*?serviceAccount:small-prod.svc.id.goog\[web\/api\]"\]\}\n/, ""));
    sim.setEstate(without);
    const r = await scanWith(t.db, sim);
    expect(r.status).toBe("succeeded");
    expect(await currentSubjects(t.db, "gsa")).toEqual(["gsa:batch-jobs@small-prod.iam.gserviceaccount.com"]);
    const gone = await t.db.pool.query(`select valid_to from inventory_object where subject = 'gsa:api-server@small-prod.iam.gserviceaccount.com' and kind = 'gsa'`);
    expect(gone.rows).toEqual([{ valid_to: r.scanId }]);
  });

  it("refuses a second scan while one holds the lock, naming the running scan", async () => {
    const holder = await t.db.pool.connect();
    await holder.query("select pg_advisory_lock($1)", [SCAN_LOCK_KEY]);
    await holder.query(`insert into scan (status, trigger, mode, target) values ('running', 'manual', 'demo', 'x')`);
    try {
      await expect(scanWith(t.db, sim)).rejects.toThrow(ScanBusyError);
      await expect(scanWith(t.db, sim)).rejects.toThrow(/Scan #\d+ \(started .*, manual\) is still running/);
    } finally {
      await holder.query("select pg_advisory_unlock($1)", [SCAN_LOCK_KEY]);
      holder.release();
    }
    // The lock is free again: the next scan marks the dead one crashed and runs.
    const r = await scanWith(t.db, sim);
    expect(r.status).toBe("succeeded");
    const crashed = await t.db.pool.query(`select count(*)::int as n from scan where status = 'crashed'`);
    expect(crashed.rows[0].n).toBe(1);
  });

  it("applies nothing from a cancelled scan", async () => {
    const versions = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object`);
    sim.setLatency(50);
    const abort = new AbortController();
    // Cancel once the first source is done (not after a wall-clock delay, which a loaded machine
    // can stretch past the whole scan): the others are still in flight behind the latency.
    const r = await runScan({
      db: t.db,
      config: testConfig(),
      trigger: "test",
      simulator: sim,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.sourcesDone >= 1 && !abort.signal.aborted) abort.abort();
      },
    });
    sim.setLatency(0);
    expect(r.status).toBe("cancelled");
    const after = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object`);
    expect(after.rows[0].n).toBe(versions.rows[0].n);
    const sources = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from scan_source where scan_id = $1`, [r.scanId]);
    expect(sources.rows[0].n).toBe(0);
  });

  // Last: its scan would shift the scan ids the tests above expect.
  it("reads the cluster as on GKE: over TLS at its endpoint, trusting its CA, on kept-alive connections", async () => {
    sim.resetStats();
    const r = await scanWith(t.db, sim);
    expect(r.status).toBe("succeeded");
    const stats = sim.stats();
    // A list per resource of one cluster (eleven today), at most eight in flight (the k8s
    // concurrency): connections are reused, and there are some — plain HTTP would open none.
    expect(stats.requests.k8s).toBeGreaterThan(8);
    expect(stats.k8sConnections).toBeGreaterThanOrEqual(1);
    expect(stats.k8sConnections).toBeLessThanOrEqual(8);
  });
});
