import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { cachedJsonPerScan, cachedPerScan, clearScanCache, pickCoding } from "./scan-cache";

describe("pickCoding", () => {
  it("takes brotli from Chromium's header, gzip where brotli is not offered, and plain bytes where neither is", () => {
    expect(pickCoding("gzip, deflate, br, zstd")).toBe("br");
    expect(pickCoding("gzip, deflate")).toBe("gzip");
    expect(pickCoding("deflate")).toBeNull();
    expect(pickCoding("identity")).toBeNull();
    expect(pickCoding("")).toBeNull();
    expect(pickCoding(null)).toBeNull();
  });

  it("honours q values: a coding with q=0 is refused, and * stands for the codings not named", () => {
    expect(pickCoding("br;q=0, gzip")).toBe("gzip");
    expect(pickCoding("BR ; Q=0 , GZIP;q=0.5")).toBe("gzip");
    expect(pickCoding("br;q=0, gzip;q=0")).toBeNull();
    expect(pickCoding("*")).toBe("br");
    expect(pickCoding("br;q=0, *;q=0.1")).toBe("gzip");
    expect(pickCoding("gzip, *;q=0")).toBe("gzip");
    expect(pickCoding("*;q=0")).toBeNull();
    expect(pickCoding("br;q=nonsense, gzip")).toBe("gzip");
  });
});

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

  it("keeps a JSON answer compressed once: brotli or gzip as the request accepts, plain otherwise, the same JSON every way, and says it varies", async () => {
    clearScanCache();
    let calls = 0;
    const rows = Array.from({ length: 400 }, (_, i) => ({ subject: `workload:p/c/ns-${i % 7}/Deployment/app-${i}`, state: i % 3 ? "ok" : "legacy" }));
    const ask = (acceptEncoding?: string) =>
      cachedJsonPerScan(t.db, "coded", async () => ({ n: ++calls, rows }), new Request("http://test/x", { headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } }));
    const plain = await ask();
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("vary")).toBe("Accept-Encoding");
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    const expected = { n: 1, rows };
    expect(JSON.parse(plainBytes.toString("utf8"))).toEqual(expected);

    const br = await ask("gzip, deflate, br, zstd");
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toBe("Accept-Encoding");
    expect(br.headers.get("content-type")).toBe("application/json");
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.byteLength).toBeLessThan(plainBytes.byteLength / 5);
    expect(brotliDecompressSync(brBytes).equals(plainBytes)).toBe(true);

    const gz = await ask("gzip, deflate");
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toBe("Accept-Encoding");
    const gzBytes = Buffer.from(await gz.arrayBuffer());
    expect(gunzipSync(gzBytes).equals(plainBytes)).toBe(true);

    const refused = await ask("br;q=0, gzip;q=0");
    expect(refused.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await refused.arrayBuffer()).equals(plainBytes)).toBe(true);
    // Computed (and compressed) once for all four.
    expect(calls).toBe(1);
  });

  it("sends an answer under 1 KB plain whatever the request accepts", async () => {
    clearScanCache();
    const r = await cachedJsonPerScan(t.db, "tiny", async () => ({ ok: true }), new Request("http://test/x", { headers: { "accept-encoding": "gzip, deflate, br, zstd" } }));
    expect(r.headers.get("content-encoding")).toBeNull();
    expect(r.headers.get("vary")).toBe("Accept-Encoding");
    expect(await r.json()).toEqual({ ok: true });
  });

  it("sends an answer too big to keep plain (computed every time; Next compresses it as any answer)", async () => {
    clearScanCache();
    let calls = 0;
    const big = "x".repeat(9 * 1024 * 1024);
    const ask = () => cachedJsonPerScan(t.db, "big-coded", async () => ({ n: ++calls, big }), new Request("http://test/x", { headers: { "accept-encoding": "br, gzip" } }));
    const first = await ask();
    expect(first.headers.get("content-encoding")).toBeNull();
    expect(((await first.json()) as { n: number }).n).toBe(1);
    expect(((await (await ask()).json()) as { n: number }).n).toBe(2);
  });
});
