import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { TABLES } from "../reports/tables";
import { tableCsv } from "../reports/list-table";
import { parseFilters } from "../api/filters";
import { upsertSuppression } from "../store/suppressions";

const EXPECTED = readFileSync("lib/simulator/estates/demo/expected-findings.txt", "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"));

async function csv(t: TestDatabase, table: string, query = "") {
  // The route's own path: computed cells and times to the second included.
  const res = await tableCsv(t.db, TABLES[table], parseFilters(new URLSearchParams(query)));
  return (await res.text()).split("\r\n").filter(Boolean);
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
    expect(r.rows.map((x) => x.line)).toEqual([...EXPECTED].map((l) => l.replace(/ \((critical|high|medium|low|info)\)$/, "")).sort());
    // Staging payments-api is bound right but a deny policy takes the grant away: a broken link, to migrate.
    expect(first.summary.analysis).toMatchObject({ findings: EXPECTED.length, workloads: 43, migrated: 21 });
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
    expect(open.slice(1).map((l) => l.split(",")[0]).sort()).toEqual([subject]);
  });

  it("serves findings.csv with exactly the promised columns", async () => {
    const lines = await csv(t, "findings");
    expect(lines[0]).toBe("subject,rule,severity,project,cluster,namespace,gsa,state,first_seen,message,finding_id,url,fix,suppressed_by,suppressed_until,owner");
    expect(lines.length - 1).toBe(EXPECTED.length);
    const row = lines.find((l) => l.startsWith("ksa:acme-prod/asia-northeast1/prod/orders/orders-api,ksa-annotation-unbound"))!;
    expect(row).toMatch(/^ksa:acme-prod\/asia-northeast1\/prod\/orders\/orders-api,ksa-annotation-unbound,high,acme-prod,cluster:acme-prod\/asia-northeast1\/prod,orders,orders@acme-prod\.iam\.gserviceaccount\.com,open,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,/);
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
    // migration_status extends the report at its end: scripts reading the older columns keep working.
    expect(lines[0].split(",").slice(11)).toEqual(["cluster", "namespace", "kind", "pods", "identity_mode", "system", "migration_status"]);
    expect(lines.length - 1).toBe(43);
    expect(lines).toContain(
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement,common-batch@acme-prod.iam.gserviceaccount.com,key-file,done,done,todo,todo,todo,todo,todo,false,cluster:acme-prod/asia-northeast1/prod,batch,CronJob,1,single,false,to-migrate",
    );
    const byStatus = await csv(t, "migration", "state=federated");
    expect(byStatus.slice(1).map((l) => l.split(",")[0])).toEqual([
      "workload:acme-data/asia-northeast1/analytics/ml/CronJob/weekly-retrain",
      "workload:acme-data/asia-northeast1/analytics/ml/Job/backfill-embeddings",
      // A Workload Identity Federation credential configuration: keyless, its own identity.
      "workload:acme-data/asia-northeast1/analytics/partner-share/Deployment/catalog-sync",
    ]);
  });

  it("serves bindings.csv with each binding's reconciliation state", async () => {
    const lines = await csv(t, "bindings", "state=stale");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 5).join(","))).toEqual([
      "gsa:payments-api@acme-prod.iam.gserviceaccount.com,payments-api@acme-prod.iam.gserviceaccount.com,roles/iam.workloadIdentityUser,serviceAccount:acme-prod.svc.id.goog[payments/refund-worker],stale",
    ]);
  });
});

// A finding's own severity is what is stored, filtered, exported and counted in the trend metrics —
// not its rule's: the web team's namespace of workloads that need no Google identity (low) beside the
// search team's annotated `default` (medium). Their statuses are counted by status too.
describe("graded severities and migration statuses, stored", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/corpus/default-ksa-no-google-access/estate.yaml") });
    await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("filters and exports findings by each finding's own severity", async () => {
    const low = await csv(t, "findings", "rule=workload-default-ksa&severity=low");
    expect(low.slice(1).map((l) => l.split(",").slice(0, 3).join(" "))).toEqual([
      "workload:nw-web-prod/asia-northeast1/web-prod/storefront/CronJob/sitemap-generator workload-default-ksa low",
      "workload:nw-web-prod/asia-northeast1/web-prod/storefront/Deployment/storefront-web workload-default-ksa low",
      "workload:nw-web-prod/asia-northeast1/web-prod/storefront/StatefulSet/session-cache workload-default-ksa low",
    ]);
    const medium = await csv(t, "findings", "rule=workload-default-ksa&severity=medium");
    expect(medium.slice(1).map((l) => l.split(",")[0])).toEqual(["workload:nw-web-prod/asia-northeast1/web-prod/search/Deployment/indexer"]);
  });

  it("counts open findings per severity and workloads per status in the trend metrics: every workload is done", async () => {
    const rows = await t.db.pool.query<{ metric: string; value: number }>(`select metric, value from scan_metric where scope = 'overall' order by metric`);
    const m = Object.fromEntries(rows.rows.map((r) => [r.metric, r.value]));
    expect([m.findings_low, m.findings_medium]).toEqual([3, 1]);
    expect([m.workloads, m.migrated, m.not_migrated, m.share_migrated]).toEqual([4, 4, 0, 1]);
    expect([m.wi_migrated, m.federated, m.no_google_identity_needed, m.to_migrate, m.migration_unknown]).toEqual([1, 0, 3, 0, 0]);
  });
});
