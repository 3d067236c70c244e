/**
 * Sharded scans (issue 14) in one process: N shards run side by side against the same simulator and
 * database; the shard that finishes last applies the scan, which must store exactly what a single
 * scan stores. The lease: a shard that stops heartbeating fails the scan with nothing applied; a
 * retried shard of the same run rejoins it. (lib/scan/shards-processes.test.ts does the same with
 * separate processes on org-m.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import { loadEstateFile } from "../simulator/load-estate";
import { generateEstate } from "../simulator/generate-estate";
import type { Simulator } from "../simulator/server";
import { DEMO_ESTATE } from "../config";
import { runShard } from "./run-shard";
import { runScan, ScanBusyError } from "./run-scan";
import { reapCrashedScans } from "./scan-control";
import { resolveShard, shardOf, owns } from "./shard-slice";
import { joinShardedScan, ShardJoinError } from "./shard-lease";
import { SCAN_LOCK_KEY } from "./run-scan-lock";

const config = testConfig({ WI_ATLAS_SCAN_LEASE_SECONDS: "5" });
const env = (e: Record<string, string>) => e as unknown as NodeJS.ProcessEnv;

async function sources(t: TestDatabase, scanId: number) {
  const r = await t.db.pool.query<{ source: string; status: string; objects: number }>(`select source, status, objects from scan_source where scan_id = $1 order by source`, [scanId]);
  return r.rows;
}
async function stageTables(t: TestDatabase) {
  const r = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from pg_class where relname ~ '^inventory_stage_[0-9]+_[0-9]+$'`);
  return r.rows[0].n;
}
async function versionsOf(t: TestDatabase, scanId: number) {
  const inv = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object where valid_from = $1 or valid_to = $1`, [scanId]);
  const ana = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from analysis_object where valid_from = $1 or valid_to = $1`, [scanId]);
  return { inventory: inv.rows[0].n, analysis: ana.rows[0].n };
}

describe("the shard slice", () => {
  it("gives every project and cluster to exactly one shard, and the organisation to shard 0", () => {
    const keys = Array.from({ length: 300 }, (_, i) => `p-${i}`);
    for (const count of [1, 2, 3, 7]) {
      for (const k of keys) {
        const owners = Array.from({ length: count }, (_, index) => owns({ index, count }, { project: k })).filter(Boolean);
        expect(owners).toHaveLength(1);
      }
      expect(Array.from({ length: count }, (_, index) => owns({ index, count }, { org: true }))).toEqual(Array.from({ length: count }, (_, i) => i === 0));
    }
    // Spread: with 3 shards, 300 projects land within a reasonable band of 100 each.
    const per = [0, 0, 0];
    for (const k of keys) per[shardOf(`project:${k}`, 3)]++;
    for (const n of per) expect(n).toBeGreaterThan(70);
  });

  it("reads the shard from flags, wi-atlas's variables, an Indexed Job or a Cloud Run job, and names what is missing", () => {
    expect(resolveShard({}, env({}))).toEqual({});
    expect(resolveShard({ shards: "3", shard: "2" }, env({}))).toEqual({ slice: { index: 2, count: 3 }, runKey: undefined });
    expect(resolveShard({}, env({ WI_ATLAS_SCAN_SHARDS: "4", JOB_COMPLETION_INDEX: "1", WI_ATLAS_SCAN_RUN_KEY: "uid-1" }))).toEqual({ slice: { index: 1, count: 4 }, runKey: "uid-1" });
    expect(resolveShard({}, env({ CLOUD_RUN_TASK_COUNT: "5", CLOUD_RUN_TASK_INDEX: "4", CLOUD_RUN_EXECUTION: "wi-atlas-scan-x7k2p" }))).toEqual({ slice: { index: 4, count: 5 }, runKey: "wi-atlas-scan-x7k2p" });
    // A one-task Cloud Run job, or index 0 alone, is the single scan.
    expect(resolveShard({}, env({ CLOUD_RUN_TASK_COUNT: "1", CLOUD_RUN_TASK_INDEX: "0" }))).toEqual({});
    expect(() => resolveShard({}, env({ JOB_COMPLETION_INDEX: "2" }))).toThrow(/JOB_COMPLETION_INDEX is 2 but no shard count is set: pass --shards N or set WI_ATLAS_SCAN_SHARDS/);
    expect(() => resolveShard({ shards: "3" }, env({}))).toThrow(/--shards is 3 but this process's shard is unknown: pass --shard I/);
    expect(() => resolveShard({ shards: "3", shard: "3" }, env({}))).toThrow(/--shard: the shard index must be an integer from 0 to 2/);
    expect(() => resolveShard({ shards: "three" }, env({}))).toThrow(/--shards must be a whole number, got "three"/);
    expect(() => resolveShard({}, env({ WI_ATLAS_SCAN_SHARDS: "0" }))).toThrow(/WI_ATLAS_SCAN_SHARDS must be from 1 to 1000, got 0/);
  });
});

for (const [label, load] of [
  ["the demo estate", () => loadEstateFile(DEMO_ESTATE)],
  ["a generated org-s estate", () => generateEstate("org-s", { seed: 3 })],
] as const) {
  describe(`a sharded scan of ${label}`, () => {
    let t: TestDatabase;
    let sim: Simulator;
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await simulatorFor(load());
    }, 120_000);
    afterAll(async () => {
      await sim.close();
      await t.drop();
    }, 120_000);

    it("stores exactly what a single scan stores: after a single scan, 3 shards write no new version", async () => {
      const single = await scanWith(t.db, sim, config);
      expect(["succeeded", "partial"]).toContain(single.status);
      const results = await Promise.all([0, 1, 2].map((index) => runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index, count: 3 } })));
      const scanIds = new Set(results.map((r) => r.scanId));
      expect(scanIds.size).toBe(1);
      const appliers = results.filter((r) => r.applied);
      expect(appliers).toHaveLength(1);
      expect(results.filter((r) => r.status === "collected")).toHaveLength(2);
      const applied = appliers[0].applied!;
      expect(applied.status).toBe(single.status);
      expect(applied.summary.written.inserted).toBe(0);
      expect(applied.summary.written.closed).toBe(0);
      expect(applied.summary.analysis?.written.inserted).toBe(0);
      expect(applied.summary.analysis?.written.closed).toBe(0);
      expect(await versionsOf(t, applied.scanId)).toEqual({ inventory: 0, analysis: 0 });
      // The same sources with the same outcomes and objects, and the same counts of what was seen.
      expect(await sources(t, applied.scanId)).toEqual(await sources(t, single.scanId));
      expect(applied.summary.counts).toEqual(single.summary.counts);
      expect(applied.summary.shards?.count).toBe(3);
      // Each shard did part of the work: none collected everything.
      const objects = results.map((r) => Object.values(r.shardResult!.counts).reduce((s, n) => s + n, 0));
      for (const n of objects) expect(n).toBeLessThan(Object.values(single.summary.counts).reduce((s, n) => s + n, 0));
      expect(await stageTables(t)).toBe(0);
      const row = await t.db.pool.query(`select status, shards, applier from scan where id = $1`, [applied.scanId]);
      expect(row.rows[0]).toEqual({ status: single.status, shards: 3, applier: appliers[0].shard });
    }, 300_000);
  });
}

describe("the shards' lease", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(generateEstate("org-s", { seed: 5 }));
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("fails the scan, applying nothing, when a shard stops heartbeating; a single scan then runs", async () => {
    const first = await runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 0, count: 2 }, runKey: "run-a" });
    expect(first.status).toBe("collected");
    // Shard 1 joined and died: its heartbeat is a minute old (the lease is 5 s).
    await t.db.pool.query(`insert into scan_shard (scan_id, shard, status, runner, heartbeat_at) values ($1, 1, 'running', 'pod-x:1', now() - interval '1 minute')`, [first.scanId]);
    expect(await stageTables(t)).toBe(1);
    // While it is alive in the database, a single scan does not start beside it (a heartbeat an hour
    // ahead stays fresh however slowly a loaded machine gets to the check).
    await t.db.pool.query(`update scan_shard set heartbeat_at = now() + interval '1 hour' where scan_id = $1 and shard = 1`, [first.scanId]);
    await expect(runScan({ db: t.db, config, trigger: "test", simulator: sim })).rejects.toBeInstanceOf(ScanBusyError);
    await t.db.pool.query(`update scan_shard set heartbeat_at = now() - interval '1 minute' where scan_id = $1 and shard = 1`, [first.scanId]);
    expect(await reapCrashedScans(t.db, config)).toBe(1);
    const row = await t.db.pool.query<{ status: string; error: string }>(`select status, error from scan where id = $1`, [first.scanId]);
    expect(row.rows[0].status).toBe("failed");
    expect(row.rows[0].error).toMatch(/^Shard 1 of 2 stopped: no heartbeat from pod-x:1 since .* \(lease 5 s, WI_ATLAS_SCAN_LEASE_SECONDS\); nothing from this scan was applied$/);
    expect(await versionsOf(t, first.scanId)).toEqual({ inventory: 0, analysis: 0 });
    expect(await stageTables(t)).toBe(0);
    // A retried shard of that run does not start a new scan.
    await expect(runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 1, count: 2 }, runKey: "run-a" })).rejects.toThrow(
      /The scan of run run-a \(#\d+\) already ended \(failed\); a retried shard does not start another/,
    );
    const single = await scanWith(t.db, sim, config);
    expect(["succeeded", "partial"]).toContain(single.status);
  }, 300_000);

  it("lets a retried shard of the same run rejoin its scan, and refuses a slot a live shard holds", async () => {
    const s0 = await runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 0, count: 2 }, runKey: "run-b" });
    expect(s0.status).toBe("collected");
    // Shard 1's first attempt is alive: another process may not take its slot, nor a shard of another run.
    await t.db.pool.query(`insert into scan_shard (scan_id, shard, status, runner, heartbeat_at) values ($1, 1, 'running', 'pod-y:1', now() + interval '1 hour')`, [s0.scanId]);
    await expect(runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 1, count: 2 } })).rejects.toThrow(/Shard 1 of scan #\d+ is held by pod-y:1/);
    await expect(runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 1, count: 2 }, runKey: "run-c" })).rejects.toBeInstanceOf(ShardJoinError);
    await expect(runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 0, count: 3 } })).rejects.toThrow(/Scan #\d+ is running with 2 shards; this process was started as shard 0 of 3/);
    // The Job retried index 1 (a new pod of the same run): it takes the slot over at once, even though
    // the dead attempt's last heartbeat is only seconds old.
    const s1 = await runShard({ db: t.db, config, trigger: "test", simulator: sim, slice: { index: 1, count: 2 }, runKey: "run-b" });
    expect(s1.scanId).toBe(s0.scanId);
    expect(s1.attempt).toBe(2);
    expect(s1.applied?.status).toMatch(/^(succeeded|partial)$/);
    expect(s1.applied?.summary.written.inserted).toBe(0);
    expect(s1.applied?.summary.written.closed).toBe(0);
  }, 300_000);
});

describe("joining while the scan lock is taken", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });
  const join = async () => {
    const client = await t.db.pool.connect();
    try {
      return await joinShardedScan(client, { index: 0, count: 2, trigger: "test", mode: "demo", leaseMs: 5_000, timeoutMs: 60_000 });
    } finally {
      client.release();
    }
  };

  it("refuses while a single scan holds it, and waits out a moment's hold (another shard's join committing)", async () => {
    const holder = await t.db.pool.connect();
    try {
      await holder.query("select pg_advisory_lock($1)", [SCAN_LOCK_KEY]);
      await expect(join()).rejects.toThrow(/A single \(unsharded\) scan is running; not starting a sharded one beside it/);
      expect((await t.db.pool.query(`select count(*)::int as n from scan`)).rows[0].n).toBe(0);
      // Let go 300 ms into the join: the join goes ahead and starts the sharded scan.
      const letGo = new Promise((r) => setTimeout(r, 300)).then(() => holder.query("select pg_advisory_unlock($1)", [SCAN_LOCK_KEY]));
      const joined = await join();
      await letGo;
      expect(joined.created).toBe(true);
      const row = await t.db.pool.query(`select status, shards from scan where id = $1`, [joined.scanId]);
      expect(row.rows[0]).toEqual({ status: "running", shards: 2 });
    } finally {
      holder.release();
    }
  });
});
