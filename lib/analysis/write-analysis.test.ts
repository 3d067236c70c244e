/**
 * How the analysis's rows are serialised and written (analyze-scan.ts): the hash must be exactly the
 * one earlier scans stored (sha1 of the row with its nullable columns, as JSON), and COPY must store
 * every value as it was, whatever characters it holds.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { analyzeEstateFile } from "./testing";
import { analysisRows, byKey, serialiseRow, writeAnalysisVersions, type AnalysisRow } from "./analyze-scan";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";

/** The serialisation the hash was defined by (before COPY): the whole row, its nullable columns null. */
function plainHash(r: AnalysisRow): string {
  const json = JSON.stringify({ ...r, rule: r.rule ?? null, severity: r.severity ?? null, state: r.state ?? null, project: r.project ?? null, cluster: r.cluster ?? null, namespace: r.namespace ?? null, gsa: r.gsa ?? null, target: r.target ?? null });
  return createHash("sha1").update(json).digest("hex");
}

const TRICKY = 'back\\slash "quote"\ttab\nnewline\rreturn \\N é 中 😀';

describe("an analysis row's serialisation", () => {
  it("gives every demo row the hash and data JSON the plain serialisation gives", async () => {
    const rows = analysisRows(await analyzeEstateFile("lib/simulator/estates/demo/estate.yaml", { timeoutMs: 120_000 }));
    expect(rows.length).toBeGreaterThan(500);
    for (const r of rows) {
      const s = serialiseRow(r);
      expect(s.hash).toBe(plainHash(r));
      expect(s.data).toBe(JSON.stringify(r.data));
    }
  });

  it("come each kind's rows in key order, the graph's spread evenly among the statuses", async () => {
    const rows = analysisRows(await analyzeEstateFile("lib/simulator/estates/demo/estate.yaml", { timeoutMs: 120_000 }));
    const byKind = new Map<string, string[]>();
    for (const r of rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.key]);
    expect([...byKind.keys()]).toEqual(expect.arrayContaining(["finding", "gsa-usage", "gsa-user", "workload-status", "workload-summary", "graph-node", "graph-edge", "binding"]));
    // Within a kind, key order (the current-key index's order, kind by kind).
    for (const [kind, keys] of byKind) {
      const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(keys, kind).toEqual(sorted);
    }
    // Findings, then GSA usage and users, then the statuses with the graph, then bindings.
    const kinds = rows.map((r) => r.kind);
    const first = (k: string) => kinds.indexOf(k);
    const last = (k: string) => kinds.lastIndexOf(k);
    expect(last("finding")).toBeLessThan(Math.min(first("gsa-usage"), first("gsa-user")));
    expect(Math.max(last("gsa-usage"), last("gsa-user"))).toBeLessThan(first("workload-status"));
    expect(first("binding")).toBeGreaterThan(Math.max(last("workload-summary"), last("graph-node"), last("graph-edge")));
    expect(last("graph-node")).toBeLessThan(first("graph-edge"));
    // Each status is followed by its summary and then exactly its share of the graph's rows,
    // ceil(left / statuses left): none before the first status, none after the last one's share.
    const isGraph = (k: string) => k === "graph-node" || k === "graph-edge";
    const statuses = kinds.filter((k) => k === "workload-status").length;
    let left = kinds.filter(isGraph).length;
    expect(statuses).toBeGreaterThan(1);
    expect(left).toBeGreaterThan(statuses);
    expect(kinds.slice(0, first("workload-status")).some(isGraph)).toBe(false);
    const runs: number[] = [];
    for (const k of kinds) {
      if (k === "workload-status") runs.push(0);
      else if (isGraph(k)) runs[runs.length - 1]++;
    }
    const expected = runs.map((_, i) => {
      const n = Math.ceil(left / (statuses - i));
      left -= n;
      return n;
    });
    expect(runs).toEqual(expected);
    expect(left).toBe(0);
  });

  it("keeps rows of equal keys in their first order (the first is the one stored)", () => {
    const items = [
      { k: "b", n: 1 },
      { k: "a", n: 2 },
      { k: "b", n: 3 },
      { k: "a|x", n: 4 },
      { k: "a", n: 5 },
    ];
    expect(byKey(items, (i) => i.k).map(([i]) => i.n)).toEqual([2, 5, 4, 1, 3]);
  });

  it("hashes rows with columns left out, undefined or out of order exactly as the plain serialisation", () => {
    const rows: AnalysisRow[] = [
      { kind: "x", key: "a", subject: "s", data: { b: 1, a: [TRICKY] } },
      { data: { z: null }, kind: "x", key: "b", subject: "s", rule: undefined, gsa: "g", target: null },
      { kind: "x", key: "c", subject: TRICKY, state: "open", project: "p", cluster: undefined, namespace: "n", data: "just a string" },
      { kind: "x", key: "d", subject: "s", data: { when: new Date("2026-11-30T12:00:00Z"), u: undefined } },
    ];
    for (const r of rows) {
      expect(serialiseRow(r).hash).toBe(plainHash(r));
      expect(serialiseRow(r).data).toBe(JSON.stringify(r.data));
    }
  });
});

describe("writing analysis rows", () => {
  let t: TestDatabase;
  const scan = async () =>
    (await t.db.pool.query<{ id: number }>(`insert into scan (status, trigger, mode, target) values ('running', 'test', 'estate', '') returning id`)).rows[0].id;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });
  /** Writes rows as a scan does: in one transaction (the keys seen live in a temporary table dropped on commit). */
  const writeIn = (client: pg.PoolClient) => async (scanId: number, rows: AnalysisRow[]) => {
    await client.query("begin");
    const r = await writeAnalysisVersions(client, scanId, rows);
    await client.query("commit");
    return r;
  };

  const rowsWith = (note: string): AnalysisRow[] => [
    { kind: "finding", key: `r|${TRICKY}`, subject: TRICKY, rule: "r", severity: "high", state: "open", project: "p\\1", data: { note, list: [TRICKY, "\u0001ctl"], n: 1.5 } },
    { kind: "graph-edge", key: "e1", subject: "a", target: "b\tc", data: { kind: "uses" } },
  ];

  it("stores every value exactly, writes nothing when nothing changed, and keeps first_seen across a change", async () => {
    const client = await t.db.pool.connect();
    const write = writeIn(client);
    try {
      const s1 = await scan();
      expect(await write(s1, rowsWith("one"))).toEqual({ inserted: 2, closed: 0, unchanged: 0 });
      const stored = await client.query(
        `select kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, target, data, hash, first_seen, valid_from from analysis_object where valid_to is null order by kind`,
      );
      const [finding, edge] = rowsWith("one").sort((a, b) => a.kind.localeCompare(b.kind));
      expect(stored.rows).toEqual([
        { kind: "finding", key: finding.key, subject: TRICKY, rule: "r", severity: "high", state: "open", project: "p\\1", cluster: null, namespace: null, gsa: null, target: null, data: finding.data, hash: plainHash(finding), first_seen: s1, valid_from: s1 },
        { kind: "graph-edge", key: "e1", subject: "a", rule: null, severity: null, state: null, project: null, cluster: null, namespace: null, gsa: null, target: "b\tc", data: edge.data, hash: plainHash(edge), first_seen: s1, valid_from: s1 },
      ]);
      const s2 = await scan();
      expect(await write(s2, rowsWith("one"))).toEqual({ inserted: 0, closed: 0, unchanged: 2 });
      const s3 = await scan();
      expect(await write(s3, rowsWith("two"))).toEqual({ inserted: 1, closed: 1, unchanged: 1 });
      const changed = await client.query(`select data->>'note' as note, first_seen, valid_from from analysis_object where kind = 'finding' and valid_to is null`);
      expect(changed.rows).toEqual([{ note: "two", first_seen: s1, valid_from: s3 }]);
    } finally {
      client.release();
    }
  });

  it("writes many batches with pooled buffers exactly: rows of every size, and a rescan that changes a scattered few", async () => {
    const client = await t.db.pool.connect();
    const write = writeIn(client);
    // 9,001 rows: several batches of 2,000 and a last short one; every 500th row's document is large
    // (a buffer grows mid-batch), every row carries multi-byte text.
    const rows = (changedEvery: number | null): AnalysisRow[] =>
      Array.from({ length: 9001 }, (_, i) => ({
        kind: "workload-summary",
        key: `w${i}`,
        subject: `workload:p/eu/c/ns/w${i} é`,
        state: i % 3 ? "migrated" : null,
        project: i % 7 ? "p" : null,
        data: { i, text: i % 500 === 0 ? `${TRICKY} `.repeat(20_000) : `中 ${i}`, v: changedEvery && i % changedEvery === 123 ? "new" : "old" },
      }));
    try {
      await client.query(`delete from analysis_object`);
      const s1 = await scan();
      expect(await write(s1, rows(null))).toEqual({ inserted: 9001, closed: 0, unchanged: 0 });
      const stored = await client.query<{ key: string; subject: string; state: string | null; project: string | null; data: { i: number; text: string; v: string }; hash: string }>(
        `select key, subject, state, project, data, hash from analysis_object where kind = 'workload-summary' and valid_to is null order by (data->>'i')::int`,
      );
      const expected = rows(null);
      expect(stored.rows.length).toBe(9001);
      for (const i of [0, 1, 499, 500, 1999, 2000, 2001, 4000, 8999, 9000]) {
        expect(stored.rows[i]).toEqual({ key: expected[i].key, subject: expected[i].subject, state: expected[i].state, project: expected[i].project, data: expected[i].data, hash: plainHash(expected[i]) });
      }
      // A rescan changing rows 123, 1123, 2123, … (one or two in each batch, never the first).
      const s2 = await scan();
      expect(await write(s2, rows(1000))).toEqual({ inserted: 9, closed: 9, unchanged: 8992 });
      const changed = await client.query<{ i: number; v: string; first_seen: number; valid_from: number }>(
        `select (data->>'i')::int as i, data->>'v' as v, first_seen, valid_from from analysis_object where kind = 'workload-summary' and valid_to is null and valid_from = $1 order by 1`,
        [s2],
      );
      expect(changed.rows).toEqual([123, 1123, 2123, 3123, 4123, 5123, 6123, 7123, 8123].map((i) => ({ i, v: "new", first_seen: s1, valid_from: s2 })));
    } finally {
      client.release();
    }
  });
});
