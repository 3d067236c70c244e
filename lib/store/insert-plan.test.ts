/**
 * A first scan after a failed one: the failed scan's insert left dead rows, autovacuum (here: VACUUM)
 * emptied the table and recorded it as empty (reltuples 0), and the next insert was planned as if the
 * table would stay empty. An insert whose SELECT also scans inventory_object (the old anti-join "no
 * current row yet") then ran as a nested loop re-reading the table — including every row it had added
 * so far — for each staged row: minutes instead of seconds at 140,000 objects. The insert now reads
 * temporary tables only; the anti-join is done before, in its own statement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { InventoryStage } from "./stage";
import { prepareInventory, INSERT_NEW_VERSIONS, PENDING_VERSIONS } from "./write-inventory";
import type { InventoryRecord } from "../inventory/model";
import type { SourceOutcome } from "../scan/collect";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

type PlanNode = { "Node Type": string; "Relation Name"?: string; Plans?: PlanNode[] };
/** The relations a plan reads (scan nodes), not the one it writes. */
function scanned(n: PlanNode, out: string[] = []): string[] {
  if (n["Relation Name"] && n["Node Type"] !== "ModifyTable") out.push(`${n["Node Type"]} on ${n["Relation Name"]}`);
  for (const c of n.Plans ?? []) scanned(c, out);
  return out;
}

const pod = (i: number): InventoryRecord => ({
  kind: "pod",
  subject: `pod:p1/eu/c1/ns/pod-${i}`,
  source: "k8s.pods:p1/eu/c1",
  project: "p1",
  cluster: "cluster:p1/eu/c1",
  namespace: "ns",
  data: { name: `pod-${i}`, namespace: "ns" },
});

describe("the insert of a scan's new inventory versions", () => {
  it("never scans inventory_object, even when its statistics say it is empty", async () => {
    const client = await t.db.pool.connect();
    try {
      // What a failed first scan leaves behind once autovacuum has run: an empty table known to be empty.
      await client.query(`insert into inventory_object (kind, subject, source, hash, data, valid_from, first_seen) select 'pod', 'pod:x' || g, 's', 'h', '{}', 1, 1 from generate_series(1, 500) g`);
      await client.query(`delete from inventory_object`);
      await client.query(`vacuum analyze inventory_object`);
      const stats = (await client.query<{ reltuples: number; relpages: number }>(`select reltuples, relpages from pg_class where relname = 'inventory_object'`)).rows[0];
      expect(stats).toEqual({ reltuples: 0, relpages: 0 });

      const scanId = (await client.query<{ id: number }>(`insert into scan (status, trigger, mode, target, started_at) values ('running', 'test', 'estate', '', now()) returning id`)).rows[0].id;
      const stage = await InventoryStage.open(client);
      const records = Array.from({ length: 2000 }, (_, i) => pod(i));
      stage.add(records, true);
      await stage.flush();
      await client.query("begin");
      const outcomes: SourceOutcome[] = [{ source: "k8s.pods:p1/eu/c1", family: "k8s.pods", scope: "p1/eu/c1", status: "ok", requests: 1, durationMs: 1, objects: 2000, records: [] }];
      const workMem = (await client.query<{ work_mem: string }>(`show work_mem`)).rows[0].work_mem;
      const prepared = await prepareInventory(client, scanId, outcomes);

      const plan = (await client.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(`explain (format json) ${INSERT_NEW_VERSIONS}`, [scanId])).rows[0]["QUERY PLAN"][0].Plan;
      const reads = scanned(plan);
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.filter((r) => r.endsWith(" on inventory_object"))).toEqual([]);

      // The pending rows the analysis reads are the rows the insert adds.
      const pending = (await client.query<{ n: number }>(`select count(*)::int as n from ${PENDING_VERSIONS}`)).rows[0].n;
      // Its caller computes the analysis without yielding right after starting it: the INSERT must be
      // the statement sent at once, not one waiting behind another round trip.
      const sent: string[] = [];
      const query = client.query.bind(client);
      (client as { query: unknown }).query = (...a: Parameters<typeof client.query>) => {
        sent.push(typeof a[0] === "string" ? a[0] : "(config)");
        return (query as (...x: unknown[]) => unknown)(...a);
      };
      const inserting = prepared.insert();
      const sentAtOnce = [...sent];
      (client as { query: unknown }).query = query;
      expect(sentAtOnce[0]).toBe(INSERT_NEW_VERSIONS);
      const written = await inserting;
      // Inserted in (kind, subject) order, not the stage's (pod-0, pod-1, … pod-10: not that order),
      // and the memory the sort was given is handed back for the rest of the transaction.
      const byId = (await client.query<{ subject: string }>(`select subject from inventory_object where valid_from = $1 order by id`, [scanId])).rows.map((r) => r.subject);
      expect(byId).toEqual([...byId].sort());
      expect(byId).not.toEqual(records.map((r) => r.subject));
      expect((await client.query<{ work_mem: string }>(`show work_mem`)).rows[0].work_mem).toBe(workMem);
      expect(written.inserted).toBe(2000);
      expect(pending).toBe(2000);
      const current = (await client.query<{ n: number }>(`select count(*)::int as n from inventory_object where valid_to is null and valid_from = $1`, [scanId])).rows[0].n;
      expect(current).toBe(2000);
      await client.query("rollback");
      await stage.drop();
    } finally {
      client.release();
    }
  });
});
