import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { estateFromYaml, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { cancelScan, requestScan, ScanPendingError } from "./scan-request";
import { startScanner, type Scanner } from "./scanner";

const SMALL = readFileSync("lib/simulator/estates/test/small.yaml", "utf8");

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const scans = async (t: TestDatabase) =>
  (await t.db.pool.query<{ id: number; status: string; trigger: string; mode: string }>(`select id, status, trigger, mode from scan order by id`)).rows;

describe("scans asked for by the web server and run by the scanner", () => {
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

  it("a request is a scan row waiting for a scanner; a second request answers with the first", async () => {
    const first = await requestScan(t.db);
    expect(first.status).toBe("requested");
    const err = await requestScan(t.db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanPendingError);
    expect((err as ScanPendingError).running).toMatchObject({ id: first.scanId, status: "requested", trigger: "manual" });
    expect((err as ScanPendingError).message).toMatch(new RegExp(`^Scan #${first.scanId} \\(requested .*, manual\\) is waiting for the scanner$`));
    // Cancelling a request nobody has claimed ends it at once.
    expect(await cancelScan(t.db, first.scanId)).toEqual({ scanId: first.scanId, status: "cancelled" });
    expect(await scans(t)).toEqual([{ id: first.scanId, status: "cancelled", trigger: "manual", mode: "" }]);
    await t.db.pool.query(`delete from scan`);
  });

  it("two requests at the same moment leave exactly one waiting scan", async () => {
    const results = await Promise.allSettled([requestScan(t.db), requestScan(t.db), requestScan(t.db)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected", "rejected"]);
    expect((await scans(t)).map((s) => s.status)).toEqual(["requested"]);
    await t.db.pool.query(`delete from scan`);
  });

  it("the scanner claims a requested scan within a couple of seconds and runs it under the request's id", async () => {
    let scanner: Scanner | undefined;
    try {
      scanner = startScanner({ db: t.db, config: testConfig({ WI_ATLAS_SCAN_INTERVAL_MINUTES: "0" }), simulator: sim, pollMs: 200 });
      // Nothing is asked for and the schedule is off: the scanner stays idle.
      await new Promise((r) => setTimeout(r, 600));
      expect(await scans(t)).toEqual([]);
      const { scanId } = await requestScan(t.db);
      const done = await waitFor("the requested scan to finish", async () => {
        const rows = await scans(t);
        return rows.length === 1 && rows[0].status !== "requested" && rows[0].status !== "running" ? rows : undefined;
      });
      // testConfig names no estate, so the scan records the demo mode (the simulator serves the small estate).
      expect(done).toEqual([{ id: scanId, status: "succeeded", trigger: "manual", mode: "demo" }]);
    } finally {
      await scanner?.stop();
    }
  });

  it("a scanner runs a scheduled scan when the last one is older than the interval, and not again before", async () => {
    await t.db.pool.query(`delete from scan`);
    const ran: number[] = [];
    const scanner = startScanner({ db: t.db, config: testConfig({ WI_ATLAS_SCAN_INTERVAL_MINUTES: "60" }), simulator: sim, pollMs: 100, onScan: (r) => ran.push(r.scanId) });
    try {
      await waitFor("the scheduled scan", async () => (ran.length ? true : undefined));
      await new Promise((r) => setTimeout(r, 1000));
      expect((await scans(t)).map((s) => [s.status, s.trigger])).toEqual([["succeeded", "schedule"]]);
    } finally {
      await scanner.stop();
    }
  });

  it("marks a scan whose process died as crashed, without being asked", async () => {
    await t.db.pool.query(`delete from scan`);
    // A running row whose lock nobody holds: the process that ran it is gone.
    const dead = await t.db.pool.query<{ id: number }>(`insert into scan (status, trigger, mode, target, phase, runner) values ('running', 'schedule', 'estate', '', 'collecting', 'gone:1') returning id`);
    const scanner = startScanner({ db: t.db, config: testConfig({ WI_ATLAS_SCAN_INTERVAL_MINUTES: "0" }), simulator: sim, pollMs: 100 });
    try {
      await waitFor("the dead scan to be reaped", async () => ((await scans(t))[0]?.status === "crashed" ? true : undefined), 15_000);
      expect(await scans(t)).toEqual([{ id: dead.rows[0].id, status: "crashed", trigger: "schedule", mode: "estate" }]);
    } finally {
      await scanner.stop();
    }
  });

  it("stopping the scanner mid-scan cancels the scan, applies nothing from it, and returns", async () => {
    await t.db.pool.query(`delete from scan`);
    sim.setLatency(300);
    try {
      const scanner = startScanner({ db: t.db, config: testConfig({ WI_ATLAS_SCAN_INTERVAL_MINUTES: "0" }), simulator: sim, pollMs: 100 });
      const { scanId } = await requestScan(t.db);
      await waitFor("the scan to run", async () => ((await scans(t))[0]?.status === "running" ? true : undefined));
      const objectsBefore = (await t.db.pool.query(`select count(*)::int as n from inventory_object`)).rows[0].n;
      await scanner.stop();
      expect((await scans(t)).map((s) => [s.id, s.status])).toEqual([[scanId, "cancelled"]]);
      expect((await t.db.pool.query(`select count(*)::int as n from inventory_object`)).rows[0].n).toBe(objectsBefore);
    } finally {
      sim.setLatency(0);
    }
  });
});

describe("scanners that are shards of sharded scans", () => {
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

  it("pick up the web's request together: one claims it, the other joins, the last applies it under the request's id", async () => {
    const config = testConfig({ WI_ATLAS_SCAN_INTERVAL_MINUTES: "0", WI_ATLAS_SCAN_LEASE_SECONDS: "5" });
    const applied: number[] = [];
    const scanners = [0, 1].map((index) =>
      startScanner({ db: t.db, config, simulator: sim, pollMs: 200, sharding: { slice: { index, count: 2 } }, onScan: (r) => applied.push(r.scanId) }),
    );
    try {
      const { scanId } = await requestScan(t.db);
      const done = await waitFor("the sharded scan to end", async () => {
        const s = (await scans(t)).find((x) => x.id === scanId);
        return s && s.status !== "running" && s.status !== "requested" ? s : undefined;
      }, 60_000);
      expect(done).toMatchObject({ id: scanId, status: "succeeded", trigger: "manual" });
      // The applier reports the scan once it has notified (just after the row says succeeded).
      await waitFor("the applier to report", async () => (applied.length ? true : undefined));
      expect(applied).toEqual([scanId]);
      const rows = await t.db.pool.query(`select shard, status from scan_shard where scan_id = $1 order by shard`, [scanId]);
      expect(rows.rows).toEqual([{ shard: 0, status: "collected" }, { shard: 1, status: "collected" }]);
      const inv = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object where valid_from = $1`, [scanId]);
      expect(inv.rows[0].n).toBeGreaterThan(0);
    } finally {
      await Promise.all(scanners.map((s) => s.stop()));
    }
  }, 180_000);
});
