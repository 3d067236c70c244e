import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { currentSubjects, estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { deadlineMessage, runScan, SCAN_LOCK_KEY } from "./run-scan";
import { isMassRetirement } from "../store/write-inventory";

/*
 * What a scan survives, on a real PostgreSQL through the real clients and the simulator: a list that
 * never ends, a scan past its deadline, a mass disappearance, and its database connection killed.
 */

const SMALL = readFileSync("lib/simulator/estates/test/small.yaml", "utf8");
const C = "small-prod/asia-northeast1/prod";

/** The small estate with `ksas` extra ServiceAccounts in `web` and these faults. */
function estate(opts: { ksas?: number; faults?: string[] } = {}) {
  const extra = Array.from({ length: opts.ksas ?? 0 }, (_, i) => `          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa-${String(i).padStart(3, "0")}, namespace: web}}`).join("\n");
  let text = extra ? SMALL.replace("        manifests:\n", `        manifests:\n${extra}\n`) : SMALL;
  if (opts.faults?.length) text = text.replace("# A small estate for tests", `faults:\n${opts.faults.map((f) => `  - ${f}`).join("\n")}\n# A small estate for tests`);
  return estateFromYaml(text);
}

async function count(db: TestDatabase["db"], sql: string, params: unknown[] = []): Promise<number> {
  const r = await db.pool.query<{ n: number }>(sql, params);
  return r.rows[0].n;
}

describe("what a scan survives", () => {
  let t: TestDatabase;
  let sim: Simulator;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estate());
    process.on("unhandledRejection", onUnhandled);
    expect((await scanWith(t.db, sim)).status).toBe("succeeded");
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await sim.close();
    await t.drop();
  });
  afterEach(() => {
    sim.setEstate(estate());
    sim.setLatency(0);
    expect(unhandled.map(String)).toEqual([]);
  });

  it("fails the source of a list whose continue token repeats, and keeps what it knew of it as stale", async () => {
    // Pods come one a page, and every page hands back the same token.
    sim.setEstate(estate({ faults: [`{match: {path: "/clusters/${C}/api/v1/pods"}, repeatContinue: true}`] }));
    const before = await currentSubjects(t.db, "pod");
    const r = await runScan({ db: t.db, config: testConfig(), trigger: "test", simulator: sim });
    expect(r.status).toBe("partial");
    const pods = r.outcomes.find((o) => o.source === `k8s.pods:${C}`);
    // 3 pods at 500 a page: the token the first page gives comes back on the second.
    expect([pods?.status, pods?.error]).toEqual(["failed", "list pods: the API server returned a continue token it had already returned (after 2 pages); the list was abandoned"]);
    expect(await currentSubjects(t.db, "pod")).toEqual(before);
    expect(before.length).toBe(3);
    const state = await t.db.pool.query(`select last_status, last_error from source_state where source = $1`, [`k8s.pods:${C}`]);
    expect(state.rows[0]).toEqual({ last_status: "failed", last_error: pods?.error });
  });

  it("stops a scan past WI_ATLAS_SCAN_TIMEOUT_MINUTES as a cancel does, marks it failed with the reason, and applies nothing", async () => {
    sim.setLatency(400);
    const versions = await count(t.db, `select count(*)::int as n from inventory_object`);
    const config = testConfig({ WI_ATLAS_SCAN_TIMEOUT_MINUTES: "0.01" }); // 600 ms
    expect(config.scanTimeoutMs).toBe(600);
    const started = Date.now();
    const r = await runScan({ db: t.db, config, trigger: "test", simulator: sim });
    expect(r.status).toBe("failed");
    expect(r.error).toBe("The scan passed its deadline of 0.01 minutes (WI_ATLAS_SCAN_TIMEOUT_MINUTES) and was stopped; nothing from this scan was applied");
    expect(r.error).toBe(deadlineMessage(600));
    // Stopped within a request's latency or two of the deadline, not after the whole scan.
    expect(Date.now() - started).toBeLessThan(3000);
    const row = await t.db.pool.query(`select status, error from scan where id = $1`, [r.scanId]);
    expect(row.rows[0]).toEqual({ status: "failed", error: r.error });
    expect(await count(t.db, `select count(*)::int as n from inventory_object`)).toBe(versions);
    expect(await count(t.db, `select count(*)::int as n from scan_source where scan_id = $1`, [r.scanId])).toBe(0);
    // The lock was let go: the next scan runs.
    sim.setLatency(0);
    expect((await scanWith(t.db, sim)).status).toBe("succeeded");
  });

  it("refuses a malformed or out-of-range WI_ATLAS_SCAN_TIMEOUT_MINUTES with a message naming it", () => {
    expect(() => testConfig({ WI_ATLAS_SCAN_TIMEOUT_MINUTES: "0" })).toThrow(/WI_ATLAS_SCAN_TIMEOUT_MINUTES must be a number of minutes above 0/);
    expect(() => testConfig({ WI_ATLAS_SCAN_TIMEOUT_MINUTES: "soon" })).toThrow(/WI_ATLAS_SCAN_TIMEOUT_MINUTES/);
    expect(testConfig().scanTimeoutMs).toBe(120 * 60_000);
    expect(() => testConfig({ WI_ATLAS_MAX_RETIRE_PERCENT: "101" })).toThrow(/WI_ATLAS_MAX_RETIRE_PERCENT must be a whole number from 0 to 100/);
  });

  it("keeps a kind that lost more than WI_ATLAS_MAX_RETIRE_PERCENT (and at least 50) of its objects, as partial, until a scan accepts the retirement", async () => {
    sim.setEstate(estate({ ksas: 100 }));
    expect((await scanWith(t.db, sim)).status).toBe("succeeded");
    expect((await currentSubjects(t.db, "ksa")).length).toBe(107); // 100 + api + the 6 namespaces' default

    // 60 of the 100 disappear: 60 of 107 current KSAs (56%) is over 30% and at least 50.
    const kept = estate({ ksas: 40 });
    sim.setEstate(kept);
    const held = await scanWith(t.db, sim);
    expect(held.status).toBe("partial");
    expect(held.summary.written.held).toEqual([{ kind: "ksa", wouldClose: 60, current: 107 }]);
    expect(held.summary.written.closed).toBe(0);
    const why =
      "Retirement held back: this scan no longer saw 60 of the 107 current ksa objects (56%, more than WI_ATLAS_MAX_RETIRE_PERCENT=30); they are kept. " +
      'If they are really gone, run a scan that accepts the retirement (npm run scan -- --accept-retirement, or "Accept retirement" on the Scans page).';
    expect(held.error).toBe(why);
    expect((await currentSubjects(t.db, "ksa")).length).toBe(107);
    const row = await t.db.pool.query(`select status, error from scan where id = $1`, [held.scanId]);
    expect(row.rows[0]).toEqual({ status: "partial", error: why });
    // The source is shown partial (stale) with the reason.
    const src = await t.db.pool.query(`select status, error from scan_source where scan_id = $1 and source = $2`, [held.scanId, `k8s.serviceaccounts:${C}`]);
    expect(src.rows[0]).toEqual({ status: "partial", error: why });

    // Held again on the next scan: a hold does not wear off by itself…
    expect((await scanWith(t.db, sim)).status).toBe("partial");
    // …until a scan accepts it.
    const accepted = await runScan({ db: t.db, config: testConfig(), trigger: "test", simulator: sim, acceptRetirement: true });
    expect(accepted.status).toBe("succeeded");
    expect(accepted.summary.written.held).toBeUndefined();
    expect(accepted.summary.written.closed).toBe(60);
    expect(accepted.summary.acceptedRetirement).toBe(true);
    expect((await currentSubjects(t.db, "ksa")).length).toBe(47);
    expect((await currentSubjects(t.db, "ksa")).filter((s) => s.includes("/web/sa-"))).toEqual(
      Array.from({ length: 40 }, (_, i) => `ksa:${C}/web/sa-${String(i).padStart(3, "0")}`),
    );

    // 40 of 47 is most of them, but fewer than 50: applied at once.
    sim.setEstate(estate());
    const small = await scanWith(t.db, sim);
    expect([small.status, small.summary.written.closed]).toEqual(["succeeded", 40]);
  });

  it("holds a retirement only above the share and at 50 or more", () => {
    const guard = { maxPercent: 30, minObjects: 50, accept: false };
    expect(isMassRetirement(50, 166, guard)).toBe(true); // 30.1%
    expect(isMassRetirement(50, 167, guard)).toBe(false); // 29.9%
    expect(isMassRetirement(49, 49, guard)).toBe(false);
    expect(isMassRetirement(500, 500, { ...guard, accept: true })).toBe(false);
    expect(isMassRetirement(60, 100, { ...guard, maxPercent: 100 })).toBe(false);
  });

  it("fails a scan whose database connection is killed midway, releases the lock, and lets the next scan run", async () => {
    sim.setLatency(150);
    const versions = await count(t.db, `select count(*)::int as n from inventory_object`);
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    let scanId = 0;
    const running = runScan({ db: t.db, config: testConfig(), trigger: "test", simulator: sim, onStarted: (id) => (scanId = id) });
    try {
      // Wait until the scan is well under way (its stage table exists and sources are answering)…
      for (let i = 0; i < 200 && !(await admin.query(`select 1 from scan where status = 'running' and phase <> 'starting'`)).rowCount; i++) await new Promise((r) => setTimeout(r, 25));
      // …then kill every other session of the database, the scan's own included.
      const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      expect(killed.rowCount).toBeGreaterThan(0);
      const r = await running;
      expect(r.scanId).toBe(scanId);
      expect(r.status).toBe("failed");
      expect(r.error).toBe("The scan's database connection was lost (terminating connection due to administrator command); nothing from this scan was applied");
      // Recorded through a fresh connection; the lock is free.
      const row = await admin.query(`select status, error from scan where id = $1`, [scanId]);
      expect(row.rows[0].status).toBe("failed");
      const lock = await admin.query(`select pg_try_advisory_lock($1) as ok`, [SCAN_LOCK_KEY]);
      expect(lock.rows[0].ok).toBe(true);
      await admin.query(`select pg_advisory_unlock($1)`, [SCAN_LOCK_KEY]);
      expect(await count(t.db, `select count(*)::int as n from inventory_object`)).toBe(versions);
    } finally {
      await admin.end();
    }
    sim.setLatency(0);
    const next = await scanWith(t.db, sim);
    expect(next.status).toBe("succeeded");
  });
});
