import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { cachedJsonPerScan, cachedPerScan, clearScanCache } from "./scan-cache";

describe("cachedPerScan", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    clearScanCache();
  });
  afterAll(() => t.drop());

  it("computes once per applied scan and suppression set, and again when either changes", async () => {
    let calls = 0;
    const get = () => cachedPerScan(t.db, "k", async () => ++calls);
    expect(await get()).toBe(1);
    expect(await get()).toBe(1);
    // A running scan changes nothing; an applied one does.
    const s = await t.db.pool.query<{ id: number }>(`insert into scan (status, trigger, mode, target, phase, runner, started_at) values ('running', 'test', 'estate', '', 'x', 'x', now()) returning id`);
    expect(await get()).toBe(1);
    await t.db.pool.query(`update scan set status = 'succeeded' where id = $1`, [s.rows[0].id]);
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
    await t.db.pool.query(`insert into suppression (rule, subject, reason, owner) values ('gsa-shared', 'gsa:x@p.iam.gserviceaccount.com', 'accepted', 'me')`);
    expect(await get()).toBe(3);
    await t.db.pool.query(`delete from suppression`);
    expect(await get()).toBe(4);
  });

  it("computes again when a suppression lapses, though nothing was written", async () => {
    clearScanCache();
    let calls = 0;
    const get = () => cachedPerScan(t.db, "lapse", async () => ++calls);
    await t.db.pool.query(
      `insert into suppression (rule, subject, reason, owner, expires_at) values ('gsa-shared', 'gsa:y@p.iam.gserviceaccount.com', 'until Monday', 'me', now() + interval '1 second')`,
    );
    expect(await get()).toBe(1);
    expect(await get()).toBe(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
  });

  it("keeps JSON answers serialised: the same body until a scan is applied, and an oversized one is never kept", async () => {
    clearScanCache();
    let calls = 0;
    const get = async (key: string, size = 10) => {
      const r = await cachedJsonPerScan(t.db, key, async () => ({ n: ++calls, pad: "x".repeat(size) }));
      expect(r.headers.get("content-type")).toBe("application/json");
      return ((await r.json()) as { n: number }).n;
    };
    expect(await get("small")).toBe(1);
    expect(await get("small")).toBe(1);
    await t.db.pool.query(`insert into scan (status, trigger, mode, target, phase, runner, started_at) values ('succeeded', 'test', 'estate', '', 'x', 'x', now())`);
    expect(await get("small")).toBe(2);
    const big = 9 * 1024 * 1024;
    expect(await get("big", big)).toBe(3);
    expect(await get("big", big)).toBe(4);
    expect(await get("small")).toBe(2);
  });
});
