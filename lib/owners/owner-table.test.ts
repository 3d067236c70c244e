import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorFor } from "../testing/scan-helpers";
import { loadEstateFile } from "../simulator/load-estate";
import type { Simulator } from "../simulator/server";
import { DEMO_ESTATE, DEMO_OWNERS, loadConfig } from "../config";
import { parseFilters } from "../api/filters";
import { listTable, tableCsv } from "../reports/list-table";
import { findingsTable } from "../reports/analysis-tables";
import { gsasTable, workloadsTable } from "../reports/inventory-tables";
import { Problem } from "../api/problem";
import { parseCsv } from "../testing/parse-csv";

/* The Owner column and owner=TEAM (issue 13) on a real PostgreSQL, over a scan of the demo with its owners file. */

describe("the owner column and filter", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    // The tables read the process's configuration: point it at the demo's owners file.
    process.env.WI_ATLAS_OWNERS = DEMO_OWNERS;
    t = await createTestDatabase();
    sim = await simulatorFor(loadEstateFile(DEMO_ESTATE));
    await scanWith(t.db, sim, loadConfig({ ...process.env, WI_ATLAS_REQUEST_TIMEOUT_SECONDS: "5" }));
  }, 120_000);
  afterAll(async () => {
    delete process.env.WI_ATLAS_OWNERS;
    await sim?.close();
    await t?.drop();
  });

  const f = (q: string) => parseFilters(new URLSearchParams(q));

  it("filters findings by owner and shows the owner on each row, the same in the CSV (owner appended last)", async () => {
    const page = await listTable(t.db, findingsTable, f("owner=payments&pageSize=500"));
    expect(page.columns.at(-1)).toMatchObject({ id: "owner", label: "Owner" });
    expect(page.rows.map((r) => `${r.rule} ${r.subject}`).sort()).toEqual([
      "binding-identity-sameness gsa:payments-api@acme-prod.iam.gserviceaccount.com",
      "binding-stale gsa:payments-api@acme-prod.iam.gserviceaccount.com",
      "binding-without-annotation ksa:acme-prod/asia-northeast1/prod/billing/invoice-api",
      "key-in-secret secret:acme-prod/asia-northeast1/prod/billing/billing-gcp-key",
      "key-not-rotated key:billing@acme-prod.iam.gserviceaccount.com/4ddb89a282f2db3844767a0db05225ef8a45b6ae",
      "key-user-managed gsa:billing@acme-prod.iam.gserviceaccount.com",
      "ksa-annotation-denied ksa:acme-staging/asia-northeast1-a/staging/payments/payments-api",
      "ksa-annotation-unbound ksa:acme-prod/asia-northeast1/prod/orders/orders-api",
      "workload-uses-key-file workload:acme-prod/asia-northeast1/prod/billing/Deployment/invoice-worker",
    ]);
    expect(new Set(page.rows.map((r) => r.owner))).toEqual(new Set(["payments"]));
    const csv = await (await tableCsv(t.db, findingsTable, f("owner=payments"))).text();
    const [header, ...rows] = parseCsv(csv);
    expect(header.join(",")).toBe("subject,rule,severity,project,cluster,namespace,gsa,state,first_seen,message,finding_id,url,fix,suppressed_by,suppressed_until,owner");
    expect(rows.length).toBe(page.total);
    expect(rows.every((r) => r.at(-1) === "payments")).toBe(true);
    // Every finding gets one owner or none; the filters partition them.
    const all = await listTable(t.db, findingsTable, f("pageSize=500"));
    const owners = ["payments", "reporting", "data", "legacy-batch", "platform"];
    const counts = await Promise.all(owners.map(async (o) => (await listTable(t.db, findingsTable, f(`owner=${o}`))).total));
    const unowned = all.rows.filter((r) => r.owner === null).length;
    expect(counts.reduce((a, b) => a + b, 0) + unowned).toBe(all.total);
  }, 60_000);

  it("shows the owner of workloads (by namespace) and GSAs (by email, then project)", async () => {
    const w = await listTable(t.db, workloadsTable, f("owner=legacy-batch&pageSize=500"));
    expect(w.rows.map((r) => r.subject)).toEqual(w.rows.map((r) => r.subject).filter((s) => String(s).startsWith("workload:acme-legacy/asia-northeast1-b/legacy-batch/")));
    expect(w.total).toBeGreaterThan(0);
    const g = await listTable(t.db, gsasTable, f("owner=data&pageSize=500"));
    expect(g.rows.map((r) => r.email).sort()).toEqual(g.rows.map((r) => String(r.email)).filter((e) => e.endsWith("@acme-data.iam.gserviceaccount.com")).sort());
    const compute = await listTable(t.db, gsasTable, f("q=compute&pageSize=500"));
    expect(compute.rows.map((r) => r.owner)).toEqual(compute.rows.map(() => "platform"));
  }, 60_000);

  it("answers 400 naming the teams for an owner the file does not have", async () => {
    let err: unknown;
    try {
      await listTable(t.db, findingsTable, f("owner=nobody"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Problem);
    expect((err as Error).message).toBe('Query parameter "owner" ("nobody") must be a team of the owners file: payments, reporting, data, legacy-batch, platform');
  });
});
