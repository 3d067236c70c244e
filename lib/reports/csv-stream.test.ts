import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import pg from "pg";
import { CSV_ERROR_ROW, streamCsv } from "./csv";

async function readAll(s: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: number }> {
  const reader = s.getReader();
  const dec = new TextDecoder();
  let text = "";
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks++;
    text += dec.decode(value, { stream: true });
  }
  return { text, chunks };
}

describe("streamCsv", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("streams every row of a large result in a few large chunks, formula-safe", async () => {
    const q = { text: `select g as n, case when g = 7 then '=HYPERLINK("x")' else 'row ' || g end as label from generate_series(1, 30000) g order by g`, values: [] };
    const { text, chunks } = await readAll(await streamCsv(t.db.pool, q, ["n", "label"]));
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("n,label");
    expect(lines.length).toBe(30_002); // header, 30,000 rows, and the empty string after the last CRLF
    expect(lines[30_000]).toBe("30000,row 30000");
    expect(lines[7]).toBe(`7,"'=HYPERLINK(""x"")"`);
    // ~21 bytes a row: a few dozen chunks, not one per row.
    expect(chunks).toBeLessThan(50);
    for (let i = 0; i < 50 && t.db.pool.idleCount < t.db.pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.db.pool.idleCount).toBe(t.db.pool.totalCount);
  });

  it("gives the connection back when the reader goes away midway", async () => {
    const q = { text: `select g as n from generate_series(1, 2000000) g`, values: [] };
    const s = await streamCsv(t.db.pool, q, ["n"]);
    const reader = s.getReader();
    await reader.read();
    await reader.cancel();
    for (let i = 0; i < 50 && t.db.pool.idleCount < t.db.pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
    // The cursor is closed and its client released (destroyed or idle): nothing is left checked out.
    expect(t.db.pool.totalCount - t.db.pool.idleCount).toBe(0);
    const r = await t.db.pool.query("select 1 as ok");
    expect(r.rows[0].ok).toBe(1);
  });
});

describe("a CSV export that breaks midway", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("ends with the #ERROR row when the query fails after rows went out, never as a silently short file", async () => {
    // Row 20,000 divides by zero: the first batches are already on their way when it fails.
    const q = { text: `select g as n, 10 / (20000 - g) as q from generate_series(1, 30000) g`, values: [] };
    const { text } = await readAll(await streamCsv(t.db.pool, q, ["n", "q"]));
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("n,q");
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toBe(`#ERROR,"The export stopped before its end: this file is incomplete. Download it again."`);
    expect(text.endsWith(CSV_ERROR_ROW)).toBe(true);
    // Every line before it is a whole row, in order, from the first.
    const rows = lines.slice(1, -2);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(19_999);
    expect(rows.every((l, i) => l.startsWith(`${i + 1},`))).toBe(true);
    for (let i = 0; i < 50 && t.db.pool.idleCount < t.db.pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.db.pool.totalCount - t.db.pool.idleCount).toBe(0);
  });

  it("ends with the #ERROR row when its database connection is killed midway, and the process and pool go on", async () => {
    const q = { text: `select g as n, pg_backend_pid() as pid from generate_series(1, 3000000) g`, values: [] };
    const reader = (await streamCsv(t.db.pool, q, ["n", "pid"])).getReader();
    const dec = new TextDecoder();
    const first = await reader.read();
    let text = dec.decode(first.value, { stream: true });
    const pid = Number(text.split("\r\n")[1].split(",")[1]);
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    try {
      expect((await admin.query(`select pg_terminate_backend($1) as ok`, [pid])).rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    expect(text.endsWith(CSV_ERROR_ROW)).toBe(true);
    expect(text.split("\r\n").length).toBeLessThan(3_000_000);
    const r = await t.db.pool.query("select 1 as ok");
    expect(r.rows[0].ok).toBe(1);
  });
});

describe("csvRecord", () => {
  it("writes exactly what csv-stringify writes with csvOptions, on every tricky value", async () => {
    const { stringify } = await import("csv-stringify/sync");
    const { csvOptions, toCsv } = await import("./csv");
    const columns = ["a", "b", "c"];
    const values: unknown[] = [
      "plain",
      "",
      null,
      undefined,
      "with,comma",
      'with "quotes"',
      "line\nbreak",
      "carriage\rreturn",
      "crlf\r\nhere",
      " leading space",
      "trailing space ",
      "\ttab first",
      "=SUM(A1)",
      "+1",
      "-1",
      "@handle",
      "  =1+1",
      "\u3000+cmd",
      "＝HYPERLINK(1)",
      "a'b",
      "日本語, ok",
      true,
      false,
      0,
      42.5,
      Number.NaN,
      new Date("2026-11-29T01:02:03.456Z"),
      { nested: ["x", 1], q: 'say "hi"' },
      ["list", "of", "things"],
    ];
    const rows = values.map((v, i) => ({ a: v, b: values[(i + 7) % values.length], c: `row ${i}` }));
    const expected = stringify(rows, csvOptions(columns) as never);
    expect(await toCsv(columns, rows)).toBe(expected);
  });
});

describe("csvCell", () => {
  it("prefixes an apostrophe to every cell a spreadsheet could run as a formula, after leading white space and in full width", async () => {
    const { csvCell } = await import("./csv");
    const risky = ["=SUM(A1)", "+1", "-1", "@handle", "\tx", "\rx", " =1", "  +cmd", "\n-2", "\u00a0@x", "\u3000=x", "\ufeff=x", "＝1", "＋1", "－1", "＠x", " ＝1"];
    expect(risky.map(csvCell)).toEqual(risky.map((v) => `'${v}`));
  });

  it("leaves every other cell as it is, numbers and inner formula characters included", async () => {
    const { csvCell } = await import("./csv");
    const safe = ["plain", "a=b", "x+1", "user@example.com", " leading space", "", "'quoted", "1-2", "ＡＢＣ"];
    expect(safe.map(csvCell)).toEqual(safe);
    expect([csvCell(-1), csvCell(42)]).toEqual(["-1", "42"]);
  });
});
