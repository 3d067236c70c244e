/**
 * CSV exports through COPY (csv-copy.ts) write, byte for byte, what the cursor path writes (csv.ts
 * formats each cell in JavaScript: the reference), on every report of the scanned demo estate and of
 * generated org-s, and on cells made to be hard: quotes, commas, CR/LF, formula starts, tabs,
 * unicode, nulls, times in every ISO shape. Through the real route as well.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { scannedDemo } from "../testing/scanned-demo";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { generateEstate } from "../simulator/generate-estate";
import { parseFilters } from "../api/filters";
import { Problem } from "../api/problem";
import { upsertSuppression } from "../store/suppressions";
import type { Db } from "../store/db";
import { TABLES } from "./tables";
import { cursorCsvStream } from "./list-table";
import { CopyBinaryLines, copyCsvQuery, streamCopyLines, tableCsvCopyStream, textFieldSql } from "./csv-copy";
import { CSV_ERROR_ROW, csvRecord } from "./csv";
import { parseCsv } from "../testing/parse-csv";
import { subjectUrl, subjectUrlSql } from "./subject-url";

const ORIGIN = "https://wi-atlas.example.com:8443/";
const f = (q: string) => parseFilters(new URLSearchParams(q));
const text = (s: ReadableStream<Uint8Array>) => new Response(s).text();

/** The same report through COPY and through the cursor (the reference). */
async function both(db: Db, table: string, q = "", origin = ORIGIN): Promise<{ copy: string; cursor: string }> {
  const copy = await tableCsvCopyStream(db, TABLES[table], f(q), { origin });
  if (!copy) throw new Error(`${table} did not go through COPY`);
  return { copy: await text(copy), cursor: await text(await cursorCsvStream(db, TABLES[table], f(q), { origin })) };
}

async function settle(pool: pg.Pool) {
  for (let i = 0; i < 100 && pool.idleCount < pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
}

/** Values a spreadsheet or a CSV reader trips on, with the field each must become (written out by hand). */
const TRICKY: [string, string][] = [
  ["plain", "plain"],
  ["", ""],
  ["with,comma", `"with,comma"`],
  ['with "quotes"', `"with ""quotes"""`],
  ["line\nbreak", `"line\nbreak"`],
  ["carriage\rreturn", `"carriage\rreturn"`],
  ["crlf\r\nhere", `"crlf\r\nhere"`],
  [" leading space", `" leading space"`],
  ["trailing space ", `"trailing space "`],
  ["\ttab first", `'\ttab first`],
  ["tab\tinside", "tab\tinside"],
  ["=SUM(A1)", `'=SUM(A1)`],
  ["+1", `'+1`],
  ["-1", `'-1`],
  ["@handle", `'@handle`],
  ["  =1+1", `'  =1+1`],
  ["\u3000+cmd", `'\u3000+cmd`],
  ["＝HYPERLINK(1)", `'＝HYPERLINK(1)`],
  ["\u00a0@x", `'\u00a0@x`],
  ["\ufeff=x", `'\ufeff=x`],
  ["\r=x", `"'\r=x"`],
  ["\n-2", `"'\n-2"`],
  ['=a,"b"\r\n', `"'=a,""b""\r\n"`],
  ["a'b", "a'b"],
  ["'quoted", "'quoted"],
  ["a=b", "a=b"],
  ["user@example.com", "user@example.com"],
  ["1-2", "1-2"],
  ["日本語, ok", `"日本語, ok"`],
  ["emoji 🙂 ok", "emoji 🙂 ok"],
  ["back\\slash \\N", "back\\slash \\N"],
  ["\u2028sep", `"\u2028sep"`],
  ["nel\u0085inside", "nel\u0085inside"],
  ['"', `""""`],
  [",", `","`],
];

/** Time texts in every shape a source may send, and a few that only look like times. */
const TIMES = [
  "2026-11-28T09:15:02Z",
  "2026-11-28T09:15:02.999999Z",
  "2026-11-28T09:15Z",
  "2026-11-28T09:15:02+05:30",
  "2026-11-28T09:15:02.5-0800",
  "2026-01-01T00:30:00+01:00",
  "2026-02-30T00:00:00Z",
  "2026-04-31T23:59:59-23:59",
  "2026-13-01T00:00:00Z",
  "2026-01-00T00:00:00Z",
  "2026-01-32T00:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T24:00Z",
  "2026-01-01T24:00:00.000Z",
  "2026-01-01T24:00:00.5Z",
  "2026-01-01T24:01Z",
  "2026-01-01T23:60:00Z",
  "2026-01-01T23:59:60Z",
  "2026-01-01T00:00:00+24:00",
  "2026-01-01T00:00:00+00:60",
  "9999-12-31T23:59:59Z",
  "0001-01-01T00:00:00Z",
  "1970-01-01T00:00:00Z",
  "2026-01-01 00:00:00Z",
  "2026-01-01T00:00:00z",
  "2026-01-01T00:00:00.Z",
  "２０２６-01-01T00:00:00Z",
  "not a time",
  "=2026-01-01T00:00:00Z",
  "",
];

describe("CSV through COPY on the scanned demo estate", () => {
  const demo = scannedDemo();

  it("writes every report exactly as the cursor path does, with and without filters, search and sort", async () => {
    const queries = ["", "project=acme-prod", "q=a", "sort=subject&order=desc", "namespace=payments&namespace=orders"];
    let rows = 0;
    for (const table of Object.keys(TABLES)) {
      for (const q of queries) {
        const { copy, cursor } = await both(demo.t.db, table, q);
        expect(copy, `${table}.csv?${q}`).toBe(cursor);
        rows += parseCsv(copy).length - 1;
      }
      const all = await both(demo.t.db, table);
      expect(parseCsv(all.copy).length, `${table}.csv has rows on the demo estate`).toBeGreaterThan(1);
    }
    expect(rows).toBeGreaterThan(500);
  });

  it("writes findings' links, suppressions (times with fractions) and owners as the cursor path does", async () => {
    const finding = (await demo.t.db.pool.query<{ rule: string; subject: string }>(`select rule, subject from analysis_object where kind = 'finding' and valid_to is null order by key limit 2`)).rows;
    await upsertSuppression(demo.t.db, { rule: finding[0].rule, subject: finding[0].subject, reason: "accepted, for now", owner: "=cmd|' /C calc'!A0", expiresAt: "2099-03-04T05:06:07.891Z" });
    await upsertSuppression(demo.t.db, { rule: finding[1].rule, subject: finding[1].subject, reason: "x", owner: "ops team", expiresAt: null });
    for (const q of ["", "state=suppressed", "sort=first_seen&order=desc"]) {
      const { copy, cursor } = await both(demo.t.db, "findings", q);
      expect(copy, `findings.csv?${q}`).toBe(cursor);
    }
    const { copy } = await both(demo.t.db, "findings", "state=suppressed", "http://127.0.0.1:3000");
    expect(copy).toContain(`,'=cmd|' /C calc'!A0,2099-03-04T05:06:07Z,`);
    expect(copy).toContain(`,http://127.0.0.1:3000/${finding[0].subject.startsWith("gsa:") ? "gsas" : finding[0].subject.startsWith("workload:") ? "workloads" : "objects"}/${encodeURIComponent(finding[0].subject)},`);
  });

  it("writes hard text cells (quotes, commas, CR/LF, formula starts, tabs, unicode, nulls) exactly as the cursor path does, and as written out by hand", async () => {
    const pool = demo.t.db.pool;
    const ksas = (await pool.query<{ id: string; namespace: string }>(`select id::text, namespace from inventory_object where kind = 'ksa' and valid_to is null order by subject`)).rows;
    expect(ksas.length).toBeGreaterThan(5);
    for (let start = 0; start < TRICKY.length; start += ksas.length) {
      const chunk = TRICKY.slice(start, start + ksas.length);
      for (let i = 0; i < ksas.length; i++) {
        const name = chunk[i % chunk.length][0];
        // Every other KSA loses its annotation: a null cell.
        await pool.query(`update inventory_object set data = jsonb_set(jsonb_set(data, '{name}', to_jsonb($2::text)), '{gsaAnnotation}', case when $3 then to_jsonb($2::text) else 'null'::jsonb end) where id = $1::bigint`, [ksas[i].id, name, i % 2 === 0]);
      }
      const { copy, cursor } = await both(demo.t.db, "ksas");
      expect(copy).toBe(cursor);
      for (let i = 0; i < Math.min(ksas.length, chunk.length); i++) {
        const [, field] = chunk[i];
        expect(copy, JSON.stringify(chunk[i][0])).toContain(`,${ksas[i].namespace},${field},${i % 2 === 0 ? field : ""},`);
      }
    }
  });

  it("writes times held as text to the second in UTC where JavaScript reads them as times, and every other text as it is", async () => {
    const pool = demo.t.db.pool;
    const ksas = (await pool.query<{ id: string }>(`select id::text from inventory_object where kind = 'ksa' and valid_to is null order by subject`)).rows;
    for (let start = 0; start < TIMES.length; start += ksas.length) {
      for (let i = 0; i < ksas.length; i++) {
        await pool.query(`update inventory_object set data = jsonb_set(data, '{creationTimestamp}', to_jsonb($2::text)) where id = $1::bigint`, [ksas[i].id, TIMES[(start + i) % TIMES.length]]);
      }
      const { copy, cursor } = await both(demo.t.db, "ksas");
      expect(copy).toBe(cursor);
    }
    await pool.query(`update inventory_object set data = jsonb_set(data, '{creationTimestamp}', to_jsonb('2026-11-28T09:15:02.5+05:30'::text)) where id = $1::bigint`, [ksas[0].id]);
    await pool.query(`update inventory_object set data = jsonb_set(data, '{creationTimestamp}', to_jsonb('2026-02-30T00:00:00Z'::text)) where id = $1::bigint`, [ksas[1].id]);
    const { copy } = await both(demo.t.db, "ksas");
    expect(copy).toContain(",2026-11-28T03:45:02Z,");
    expect(copy).toContain(",2026-03-02T00:00:00Z,");
  });

  it("writes links to subjects with any character exactly as encodeURIComponent does", async () => {
    const pool = demo.t.db.pool;
    const ids = (await pool.query<{ id: string }>(`select id::text from analysis_object where kind = 'finding' and valid_to is null order by key limit 10`)).rows;
    const subjects = ["workload:p/l/c/ns/Deployment/ñame with space#?%&=+", "workload:p/l/c/ns/Deployment/a,b+c;d$e", "gsa:x-y.z_1@p-1.iam.gserviceaccount.com", "gsa:a.b@c.iam.gserviceaccount.com", "nocolon", "gsa?", "secret:x/y/z/ns/日本語", "objects:a~b*c!d'e(f)g_h", "=1:+2", "workload:🙂"];
    for (let i = 0; i < ids.length; i++) await pool.query(`update analysis_object set subject = $2 where id = $1::bigint`, [ids[i].id, subjects[i]]);
    const { copy, cursor } = await both(demo.t.db, "findings");
    expect(copy).toBe(cursor);
    expect(copy).toContain(`https://wi-atlas.example.com:8443/workloads/${encodeURIComponent(subjects[0])},`);
  });

  it("answers the route with the same bytes, headers and file name, and refuses a bad filter with a 400 before any stream", async () => {
    process.env.DATABASE_URL = demo.t.url;
    const { GET } = await import("@/app/api/reports/[report]/route");
    const get = (path: string) => GET(new Request(`http://test${path}`), { params: Promise.resolve({ report: path.split("/").pop()!.split("?")[0] }) });
    const res = await get("/api/reports/ksas.csv?namespace=payments");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="wi-atlas-ksas-payments.csv"');
    const body = await res.text();
    expect(body).toBe((await both(demo.t.db, "ksas", "namespace=payments", "http://test")).cursor);
    expect(body.startsWith("subject,cluster,namespace,name,gsa_annotation,pods,workloads,created,stale\r\n")).toBe(true);
    const findings = await get("/api/reports/findings.csv");
    expect(await findings.text()).toBe((await both(demo.t.db, "findings", "", "http://test")).cursor);
    const bad = await get("/api/reports/findings.csv?state=nope");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(`Query parameter "state" ("nope") must be one of open, unverified, suppressed for findings`);
    const badSort = await get("/api/reports/workloads.csv?sort=nope");
    expect(badSort.status).toBe(400);
  });

  it("takes a search with quotes, backslashes and percent signs as text, never as SQL", async () => {
    for (const q of [`q=${encodeURIComponent("'; drop table scan; --")}`, `q=${encodeURIComponent("a\\'b%_")}`, `q=${encodeURIComponent("$1")}`]) {
      const { copy, cursor } = await both(demo.t.db, "gsas", q);
      expect(copy).toBe(cursor);
      expect(copy).toBe("subject,email,project,display_name,disabled,user_managed_keys,annotated_ksas,key_secrets,last_authenticated_time,unique_id,stale,owner\r\n");
    }
    expect((await demo.t.db.pool.query(`select count(*)::int as n from scan`)).rows[0].n).toBeGreaterThan(0);
    const err = await copyCsvQuery(demo.t.db, TABLES.gsas, f("q=a%00b"), { origin: ORIGIN }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Problem);
    expect((err as Problem).status).toBe(400);
  });
});

describe("a text cell formatted in SQL", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("is the JavaScript cell (and the link, encodeURIComponent's) for every character of the Basic Multilingual Plane alone, first, inside, last, and before a formula sign", async () => {
    const r = await t.db.pool.query<{ i: number; a: string; b: string; c: string; d: string; e: string; u: string }>(
      `select i, ${textFieldSql("x.a")} as a, ${textFieldSql("x.b")} as b, ${textFieldSql("x.c")} as c, ${textFieldSql("x.d")} as d, ${textFieldSql("x.e")} as e,
         ${subjectUrlSql("'https://h/'", "x.s")} as u
       from generate_series(1, 65535) i, lateral (select chr(i) || '=x' as a, 'a' || chr(i) as b, chr(i) || chr(i) || '-1' as c, 'a' || chr(i) || 'b' as d, chr(i) as e, 'gsa:a' || chr(i) || 'b' as s) x
       where i not between 55296 and 57343 order by i`,
    );
    const bad: string[] = [];
    for (const row of r.rows) {
      const ch = String.fromCharCode(row.i);
      const want = csvRecord(["a", "b", "c", "d", "e"], { a: `${ch}=x`, b: `a${ch}`, c: `${ch}${ch}-1`, d: `a${ch}b`, e: ch });
      if (`${row.a},${row.b},${row.c},${row.d},${row.e}\r\n` !== want) bad.push(`U+${row.i.toString(16)}`);
      if (row.u !== subjectUrl("https://h/", `gsa:a${ch}b`)) bad.push(`link U+${row.i.toString(16)}`);
    }
    expect(r.rows.length).toBe(65535 - 2048);
    expect(bad).toEqual([]);
  });
  it("is the same on a server with standard_conforming_strings off (literals never depend on it)", async () => {
    const pool = new pg.Pool({ connectionString: t.url, max: 1, options: "-c standard_conforming_strings=off" });
    try {
      expect((await pool.query(`show standard_conforming_strings`)).rows[0].standard_conforming_strings).toBe("off");
      const values = TRICKY.map(([v]) => v);
      const r = await pool.query<{ a: string; u: string }>(`select ${textFieldSql("x.v")} as a, ${subjectUrlSql(pg.escapeLiteral("http://h\\x"), "x.v")} as u from unnest($1::text[]) with ordinality as x(v, n) order by n`, [values]);
      expect(r.rows.map((x) => x.a + "\r\n")).toEqual(values.map((v) => csvRecord(["v"], { v })));
      expect(r.rows.map((x) => x.u)).toEqual(values.map((v) => subjectUrl("http://h\\x", v)));
    } finally {
      await pool.end();
    }
  });
});

describe("streaming COPY lines", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  const line = (expr: string) => `(${expr})::text || chr(13) || chr(10)`;

  it("streams every row of a large result, header first, in a few large chunks, and gives the connection back", async () => {
    const s = await streamCopyLines(t.db.pool, `select ${line("g")} from generate_series(1, 30000) g order by g`, "n\r\n");
    let chunks = 0;
    let out = "";
    const dec = new TextDecoder();
    for await (const c of s as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      out += dec.decode(c, { stream: true });
    }
    const lines = out.split("\r\n");
    expect(lines.length).toBe(30_002);
    expect(lines[0]).toBe("n");
    expect(lines[30_000]).toBe("30000");
    expect(lines.slice(1, -1).every((l, i) => l === String(i + 1))).toBe(true);
    expect(chunks).toBeLessThan(200);
    await settle(t.db.pool);
    expect(t.db.pool.idleCount).toBe(t.db.pool.totalCount);
  });

  it("sorts in memory and without JIT during the export, and gives the connection back with neither setting left on it", async () => {
    const pool = new pg.Pool({ connectionString: t.url, max: 1 });
    try {
      const before = (await pool.query(`select current_setting('work_mem') as w, current_setting('jit') as j`)).rows[0];
      const s = await streamCopyLines(pool, `select ${line("current_setting('work_mem') || ',' || current_setting('jit') || ',' || (now() = statement_timestamp())::text")}`, "w,j,t\r\n");
      const dec = new TextDecoder();
      let out = "";
      for await (const c of s as unknown as AsyncIterable<Uint8Array>) out += dec.decode(c, { stream: true });
      // now() is the transaction's start: not the COPY statement's, so it ran inside the export's transaction.
      expect(out).toBe("w,j,t\r\n64MB,off,false\r\n");
      await settle(pool);
      // The same (only) connection: the settings ended with the transaction, which was committed.
      const after = (await pool.query(`select current_setting('work_mem') as w, current_setting('jit') as j, now() = statement_timestamp() as own`)).rows[0];
      expect(after).toEqual({ ...before, own: true });
      expect(before.w).not.toBe("64MB");
    } finally {
      await pool.end();
    }
  });

  it("strips COPY's framing the same wherever the chunks are cut", async () => {
    const client = await t.db.pool.connect();
    const raw: Buffer[] = [];
    try {
      const copy = client.query(copyTo(`copy (select repeat('x', g % 7) || chr(13) || chr(10) from generate_series(1, 40) g) to stdout (format binary)`));
      for await (const c of copy as AsyncIterable<Buffer>) raw.push(c);
    } finally {
      client.release();
    }
    const all = Buffer.concat(raw);
    const want = Array.from({ length: 40 }, (_, i) => "x".repeat((i + 1) % 7) + "\r\n").join("");
    for (let cut = 0; cut <= all.length; cut++) {
      for (const step of [1, 5, all.length]) {
        const p = new CopyBinaryLines();
        // Copies: the parser owns (and rewrites) each chunk it is given, as a COPY stream's are.
        const parts = [p.push(Buffer.from(all.subarray(0, cut)))];
        for (let i = cut; i < all.length; i += step) parts.push(p.push(Buffer.from(all.subarray(i, Math.min(all.length, i + step)))));
        expect(Buffer.concat(parts).toString("utf8")).toBe(want);
        expect(p.ended).toBe(true);
      }
    }
  });

  it("ends with the #ERROR row when the query fails after rows went out, every line before it whole", async () => {
    const s = await streamCopyLines(t.db.pool, `select ${line("g::text || ',' || (10 / (200000 - g))::text")} from generate_series(1, 300000) g`, "n,q\r\n");
    const out = await text(s);
    expect(out.endsWith(CSV_ERROR_ROW)).toBe(true);
    const lines = out.split("\r\n");
    expect(lines[0]).toBe("n,q");
    const rows = lines.slice(1, -2);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(199_999);
    expect(rows.every((l, i) => l.startsWith(`${i + 1},`))).toBe(true);
    await settle(t.db.pool);
    expect(t.db.pool.totalCount - t.db.pool.idleCount).toBe(0);
  });

  it("ends with the #ERROR row (header included) when the query fails before any row", async () => {
    const out = await text(await streamCopyLines(t.db.pool, `select ${line("1 / 0")}`, "n\r\n"));
    expect(out).toBe("n\r\n" + CSV_ERROR_ROW);
  });

  it("ends with the #ERROR row when the statement timeout cancels it midway", async () => {
    const pool = new pg.Pool({ connectionString: t.url, max: 2, statement_timeout: 500 });
    try {
      const out = await text(await streamCopyLines(pool, `select ${line("case when g = 50000 then pg_sleep(3)::text else g::text end")} from generate_series(1, 60000) g`, "n\r\n"));
      expect(out.endsWith(CSV_ERROR_ROW)).toBe(true);
      expect(out.split("\r\n").length).toBeLessThan(50_002);
      expect((await pool.query("select 1 as ok")).rows[0].ok).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("gives the connection back when the reader goes away midway, and the pool goes on", async () => {
    const s = await streamCopyLines(t.db.pool, `select ${line("g")} from generate_series(1, 5000000) g`, "n\r\n");
    const reader = s.getReader();
    await reader.read();
    await reader.cancel();
    await settle(t.db.pool);
    expect(t.db.pool.totalCount - t.db.pool.idleCount).toBe(0);
    expect((await t.db.pool.query("select 1 as ok")).rows[0].ok).toBe(1);
  });

  it("ends with the #ERROR row when its connection is killed midway, and the pool goes on", async () => {
    const reader = (await streamCopyLines(t.db.pool, `select ${line("pg_backend_pid()::text || ',' || g")} from generate_series(1, 5000000) g`, "pid,n\r\n")).getReader();
    const dec = new TextDecoder();
    let out = dec.decode((await reader.read()).value, { stream: true });
    const pid = Number(out.split("\r\n")[1].split(",")[0]);
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
      out += dec.decode(value, { stream: true });
    }
    expect(out.endsWith(CSV_ERROR_ROW)).toBe(true);
    expect((await t.db.pool.query("select 1 as ok")).rows[0].ok).toBe(1);
  });
});

describe("CSV through COPY on generated org-s", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: generateEstate("org-s", { seed: "1" }) });
    await scanWith(t.db, sim, testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }));
  }, 600_000);
  afterAll(async () => {
    await sim?.close();
    await t?.drop();
  });

  it("writes every report exactly as the cursor path does", async () => {
    let rows = 0;
    for (const table of Object.keys(TABLES)) {
      for (const q of ["", "sort=subject&order=desc"]) {
        const { copy, cursor } = await both(t.db, table, q);
        expect(copy, `${table}.csv?${q}`).toBe(cursor);
        if (!q) rows += parseCsv(copy).length - 1;
      }
    }
    expect(rows).toBeGreaterThan(1_000);
  }, 300_000);
});
