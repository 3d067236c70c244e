import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { TABLES } from "../reports/tables";
import { allRowsQuery } from "../reports/table-def";
import { csvColumns } from "../reports/list-table";
import { streamCsv } from "../reports/csv";
import { parseFilters } from "../api/filters";
import { upsertSuppression } from "../store/suppressions";

const EXPECTED = readFileSync("lib/simulator/estates/demo/expected-findings.txt", "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"));

async function csv(t: TestDatabase, table: string, query = "") {
  const def = TABLES[table];
  const stream = await streamCsv(t.db.pool, allRowsQuery(def, parseFilters(new URLSearchParams(query))), csvColumns(def));
  return (await new Response(stream).text()).split("\r\n").filter(Boolean);
}

describe("analysis stored by a scan", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let first: Awaited<ReturnType<typeof scanWith>>;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    first = await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("stores the same findings the pure analysis gives for the demo", async () => {
    const r = await t.db.pool.query<{ line: string }>(
      `select rule || ' ' || subject || ' ' || state as line from analysis_object where kind = 'finding' and valid_to is null order by 1`,
    );
    expect(r.rows.map((x) => x.line)).toEqual([...EXPECTED].sort());
    // 20 of 43: staging payments-api is bound right but a deny policy takes the grant away.
    expect(first.summary.analysis).toMatchObject({ findings: EXPECTED.length, workloads: 43, migrated: 20 });
  });

  it("writes nothing new, and keeps every finding's first_seen, when a rescan changes nothing", async () => {
    const before = await t.db.pool.query(`select kind, key, first_seen from analysis_object where valid_to is null order by kind, key`);
    const r = await scanWith(t.db, sim, testConfig());
    expect(r.summary.analysis?.written).toEqual({ inserted: 0, closed: 0, unchanged: before.rows.length });
    const after = await t.db.pool.query(`select kind, key, first_seen from analysis_object where valid_to is null order by kind, key`);
    expect(after.rows).toEqual(before.rows);
    expect(new Set(after.rows.filter((x) => x.kind === "finding").map((x) => x.first_seen))).toEqual(new Set([first.scanId]));
  });

  it("keeps a suppression across rescans and brings the finding back when it expires", async () => {
    const subject = "gsa:common-batch@acme-prod.iam.gserviceaccount.com";
    await upsertSuppression(t.db, { rule: "gsa-shared", subject, reason: "Split planned for Q1", owner: "platform-team", expiresAt: null });
    const suppressed = await csv(t, "findings", "state=suppressed");
    expect(suppressed.slice(1).map((l) => l.split(",").slice(0, 2).join(" "))).toEqual([`${subject} gsa-shared`]);
    await scanWith(t.db, sim, testConfig());
    expect((await csv(t, "findings", "state=suppressed")).length).toBe(2);
    await t.db.pool.query(`update suppression set expires_at = now() - interval '1 day'`);
    expect((await csv(t, "findings", "state=suppressed")).length).toBe(1);
    const open = await csv(t, "findings", "rule=gsa-shared&state=open");
    expect(open.slice(1).map((l) => l.split(",")[0]).sort()).toEqual([subject, "gsa:payments-api@acme-prod.iam.gserviceaccount.com"]);
  });

  it("serves findings.csv with exactly the promised columns", async () => {
    const lines = await csv(t, "findings");
    expect(lines[0]).toBe("subject,rule,severity,project,cluster,namespace,gsa,state,first_seen,message");
    expect(lines.length - 1).toBe(EXPECTED.length);
    const row = lines.find((l) => l.startsWith("ksa:acme-prod/asia-northeast1/prod/orders/orders-api,ksa-annotation-unbound"))!;
    expect(row).toMatch(/^ksa:acme-prod\/asia-northeast1\/prod\/orders\/orders-api,ksa-annotation-unbound,high,acme-prod,cluster:acme-prod\/asia-northeast1\/prod,orders,orders@acme-prod\.iam\.gserviceaccount\.com,open,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/);
  });

  it("serves migration.csv with a row per workload and a column per step", async () => {
    const lines = await csv(t, "migration");
    expect(lines[0].split(",").slice(0, 11)).toEqual([
      "subject",
      "effective_identity",
      "identity_source",
      "step1_workload_pool",
      "step2_gke_metadata_pool",
      "step3_own_ksa_annotated",
      "step4_on_gke_metadata_nodes",
      "step5_binding_exists",
      "step6_identity_is_gsa",
      "step7_no_key_file",
      "migrated",
    ]);
    expect(lines.length - 1).toBe(43);
    expect(lines).toContain(
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement,common-batch@acme-prod.iam.gserviceaccount.com,key-file,done,done,todo,todo,todo,todo,todo,false,cluster:acme-prod/asia-northeast1/prod,batch,CronJob,1,single,false",
    );
  });

  it("serves bindings.csv with each binding's reconciliation state", async () => {
    const lines = await csv(t, "bindings", "state=stale");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 5).join(","))).toEqual([
      "gsa:payments-api@acme-prod.iam.gserviceaccount.com,payments-api@acme-prod.iam.gserviceaccount.com,roles/iam.workloadIdentityUser,serviceAccount:acme-prod.svc.id.goog[payments/refund-worker],stale",
    ]);
  });
});
