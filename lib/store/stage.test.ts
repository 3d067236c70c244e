import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { InventoryStage } from "./stage";
import type { InventoryRecord } from "../inventory/model";

/*
 * The stage takes records over COPY's text format: every character COPY treats specially (backslash,
 * tab, newline, carriage return, and `\N` meaning null) must arrive as it was sent.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe("InventoryStage", () => {
  it("stores subjects, namespaces and data with backslashes, tabs, newlines and a literal \\N exactly, and nulls as null", async () => {
    const client = await t.db.pool.connect();
    try {
      const stage = await InventoryStage.open(client);
      const odd = "a\\b\tc\nd\re \\N f\\\\g";
      const records: InventoryRecord[] = [
        { kind: "configmap", subject: `cm:${odd}`, source: "k8s.configmaps:c1", project: "p1", cluster: "cluster:p1/eu/c1", namespace: odd, data: { text: odd, path: "C:\\dir\\file", quote: '"q"', unicode: "é☃" } },
        { kind: "gsa", subject: "gsa:app@p1.iam.gserviceaccount.com", source: "iam.serviceAccounts:p1", project: null, cluster: null, namespace: null, data: { email: "app@p1.iam.gserviceaccount.com" } },
      ];
      expect(stage.add(records, true)).toEqual([]);
      await stage.flush();
      const rows = (
        await client.query(`select kind, subject, source, project, cluster, namespace, data, complete from pg_temp.inventory_stage order by seq`)
      ).rows;
      expect(rows).toEqual([
        { kind: "configmap", subject: `cm:${odd}`, source: "k8s.configmaps:c1", project: "p1", cluster: "cluster:p1/eu/c1", namespace: odd, data: { text: odd, path: "C:\\dir\\file", quote: '"q"', unicode: "é☃" }, complete: true },
        { kind: "gsa", subject: "gsa:app@p1.iam.gserviceaccount.com", source: "iam.serviceAccounts:p1", project: null, cluster: null, namespace: null, data: { email: "app@p1.iam.gserviceaccount.com" }, complete: true },
      ]);
      expect(stage.counts).toEqual({ "configmap": 1, gsa: 1 });
      await stage.drop();
    } finally {
      client.release();
    }
  });

  it("writes several batches in order, a partial source's rows marked incomplete", async () => {
    const client = await t.db.pool.connect();
    try {
      const stage = await InventoryStage.open(client);
      const many = (n: number, prefix: string): InventoryRecord[] =>
        Array.from({ length: n }, (_, i) => ({ kind: "gsa", subject: `gsa:${prefix}${i}@p.iam.gserviceaccount.com`, source: "iam.serviceAccounts:p", project: "p", data: { i } }));
      stage.add(many(2500, "a"), true);
      stage.add(many(1500, "b"), false);
      await stage.flush();
      const r = await client.query(`select count(*)::int as n, count(*) filter (where complete)::int as done, min(seq) as first, max(seq) as last from pg_temp.inventory_stage`);
      expect(r.rows[0]).toEqual({ n: 4000, done: 2500, first: 1, last: 4000 });
      const order = await client.query(`select subject from pg_temp.inventory_stage where seq in (1, 2500, 2501, 4000) order by seq`);
      expect(order.rows.map((x) => x.subject)).toEqual(["gsa:a0@p.iam.gserviceaccount.com", "gsa:a2499@p.iam.gserviceaccount.com", "gsa:b0@p.iam.gserviceaccount.com", "gsa:b1499@p.iam.gserviceaccount.com"]);
      await stage.drop();
    } finally {
      client.release();
    }
  });
});
