/**
 * Issue 14's sharding test: the generated org-m estate scanned by one process, then by three shard
 * processes (`npm run scan -- --shards 3 --shard I`, exactly as an Indexed Job runs them) against the
 * same simulator and database. The sharded scan must find exactly what the single one found: it writes
 * no new inventory or analysis version, and records the same sources with the same outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import { generateEstate } from "../simulator/generate-estate";
import type { Simulator } from "../simulator/server";

type ShardJson = {
  scan: number;
  shard: number;
  shards: number;
  status: string;
  error?: string;
  shardResult?: { counts: Record<string, number>; requests: Record<string, number>; sources: number };
  summary?: { counts: Record<string, number>; written: { inserted: number; closed: number }; analysis?: { written: { inserted: number; closed: number } } };
};

function shardProcess(dbUrl: string, simUrl: string, index: number, extraEnv: Record<string, string> = {}): Promise<{ code: number; json: ShardJson; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-old-space-size=768", "--import", "tsx", "lib/cli/scan.ts", "--json", "--shards", "3", "--shard", String(index)], {
      env: { ...process.env, DATABASE_URL: dbUrl, WI_ATLAS_SIMULATOR_URL: simUrl, WI_ATLAS_ESTATE: "", WI_ATLAS_LOG_LEVEL: "warn", WI_ATLAS_REQUEST_TIMEOUT_SECONDS: "120", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.once("error", reject);
    child.once("exit", (code) => {
      try {
        resolve({ code: code ?? 1, json: JSON.parse(out) as ShardJson, stderr: err });
      } catch {
        reject(new Error(`shard ${index} printed no result (exit ${code}):\n${err.slice(-3000)}`));
      }
    });
  });
}

describe("org-m scanned by one process and by three shard processes", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(generateEstate("org-m", { seed: 1 }));
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("finds exactly the same inventory and analysis: the sharded rescan writes 0 versions", async () => {
    const single = await scanWith(t.db, sim, testConfig({ WI_ATLAS_REQUEST_TIMEOUT_SECONDS: "120" }));
    expect(single.status).toBe("succeeded");
    const shards = await Promise.all([0, 1, 2].map((i) => shardProcess(t.url, sim.url, i)));
    for (const s of shards) expect(s.code, s.stderr.slice(-2000)).toBe(0);
    expect(new Set(shards.map((s) => s.json.scan)).size).toBe(1);
    const appliers = shards.filter((s) => s.json.summary);
    expect(appliers).toHaveLength(1);
    expect(shards.filter((s) => s.json.status === "collected")).toHaveLength(2);
    const applied = appliers[0].json;
    expect(applied.status).toBe("succeeded");
    expect(applied.summary!.written).toMatchObject({ inserted: 0, closed: 0 });
    expect(applied.summary!.analysis!.written).toMatchObject({ inserted: 0, closed: 0 });
    expect(applied.summary!.counts).toEqual(single.summary.counts);
    const versions = await t.db.pool.query<{ n: number }>(
      `select (select count(*) from inventory_object where valid_from = $1 or valid_to = $1) + (select count(*) from analysis_object where valid_from = $1 or valid_to = $1) as n`,
      [applied.scan],
    );
    expect(Number(versions.rows[0].n)).toBe(0);
    const sources = async (id: number) =>
      (await t.db.pool.query(`select source, status, objects from scan_source where scan_id = $1 order by source`, [id])).rows;
    expect(await sources(applied.scan)).toEqual(await sources(single.scanId));
    // The work was split: every shard collected a share of the objects, none all of them.
    const total = Object.values(single.summary.counts).reduce((s, n) => s + n, 0);
    for (const s of shards) {
      const n = Object.values(s.json.shardResult!.counts).reduce((a, b) => a + b, 0);
      expect(n).toBeGreaterThan(total / 10);
      expect(n).toBeLessThan(total * 0.6);
    }
    const shardRows = await t.db.pool.query(`select shard, status from scan_shard where scan_id = $1 order by shard`, [applied.scan]);
    expect(shardRows.rows).toEqual([0, 1, 2].map((shard) => ({ shard, status: "collected" })));
  }, 600_000);
});
