/**
 * The inventory's planner statistics are refreshed inside the scan's transaction, beside the
 * analysis's compute (applyScan). That rests on PostgreSQL's ANALYZE sampling its own transaction's
 * uncommitted rows as live and committing the statistics with it; and a failing ANALYZE must not
 * fail the scan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { analyseInTransaction } from "./run-scan";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const COLUMNS = "id, kind, subject, source, project, cluster, namespace, valid_from, valid_to, first_seen";
const insertRows = (kind: string, n: number, from = 0) =>
  `insert into inventory_object (kind, subject, source, hash, data, valid_from, first_seen)
   select '${kind}', '${kind}:' || g, 'test', md5(g::text), '{}'::jsonb, 1, 1 from generate_series(${from + 1}, ${from + n}) g`;

describe("ANALYZE inside the scan's transaction", () => {
  it("counts the transaction's own rows and commits the statistics with it", async () => {
    const client = await t.db.pool.connect();
    try {
      await client.query("begin");
      await client.query(insertRows("pod", 3000));
      await client.query(insertRows("node", 1000));
      expect(await analyseInTransaction(client, "inventory_object", COLUMNS)).toBe(true);
      // Not visible to another session before the commit…
      const before = await t.db.pool.query(`select count(*)::int as n from pg_stats where tablename = 'inventory_object' and attname = 'kind'`);
      expect(before.rows[0].n).toBe(0);
      await client.query("commit");
    } finally {
      client.release();
    }
    // …and after it, the sampled rows are the ones the transaction wrote.
    const stats = await t.db.pool.query<{ vals: string; freqs: number[] }>(
      `select most_common_vals::text as vals, most_common_freqs as freqs from pg_stats where tablename = 'inventory_object' and attname = 'kind'`,
    );
    expect(stats.rows).toHaveLength(1);
    expect(stats.rows[0].vals).toBe("{pod,node}");
    expect(stats.rows[0].freqs[0]).toBeCloseTo(0.75, 2);
    const rel = await t.db.pool.query<{ n: number }>(`select reltuples::int as n from pg_class where relname = 'inventory_object'`);
    expect(rel.rows[0].n).toBe(4000);
  });

  it("a failure is undone to its savepoint: the transaction and its rows go on", async () => {
    const client = await t.db.pool.connect();
    try {
      await client.query("begin");
      await client.query(insertRows("secret", 10, 10_000));
      expect(await analyseInTransaction(client, "inventory_object", "no_such_column")).toBe(false);
      await client.query(insertRows("secret", 5, 20_000));
      await client.query("commit");
    } finally {
      client.release();
    }
    const n = await t.db.pool.query(`select count(*)::int as n from inventory_object where kind = 'secret'`);
    expect(n.rows[0].n).toBe(15);
  });
});
