import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scannedDemo } from "../testing/scanned-demo";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { search } from "./search";
import { subjectKnown } from "./subject-known";
import { createTestDatabase as emptyDatabase } from "../testing/test-database";

describe("lookups on the scanned demo estate: the search box, and which subjects have a page", () => {
  const demo = scannedDemo();

  it("finds a cluster by its name, first, with its project and location as scope", async () => {
    const r = await search(demo.t.db, "analytics");
    expect(r.results[0]).toEqual({
      kind: "cluster",
      subject: "cluster:acme-data/asia-northeast1/analytics",
      label: "analytics",
      detail: "asia-northeast1",
      project: "acme-data",
      cluster: "cluster:acme-data/asia-northeast1/analytics",
      namespace: null,
      exact: true,
    });
    // The account of the same name is an exact hit too, after the object named exactly so.
    expect(r.results.find((x) => x.kind === "gsa")).toMatchObject({ subject: "gsa:analytics@acme-data.iam.gserviceaccount.com", exact: true });
  });

  it("ranks every exact name before the names that only contain the term", async () => {
    const r = await search(demo.t.db, "orders");
    const exact = r.results.map((x) => x.exact);
    expect(exact[0]).toBe(true);
    expect(exact.indexOf(false)).toBeGreaterThan(0);
    expect(exact.slice(exact.indexOf(false))).not.toContain(true);
    for (const x of r.results.filter((h) => h.exact)) expect(x.label.toLowerCase() === "orders" || x.label.startsWith("orders@")).toBe(true);
  });

  it("gives in-cluster hits their cluster and namespace", async () => {
    const r = await search(demo.t.db, "daily-settlement");
    const w = r.results.find((x) => x.kind === "workload")!;
    expect({ project: w.project, cluster: w.cluster, namespace: w.namespace, exact: w.exact }).toEqual({
      project: "acme-prod",
      cluster: "cluster:acme-prod/asia-northeast1/prod",
      namespace: "batch",
      exact: true,
    });
  });

  it("says how many matched when the list is cut", async () => {
    const all = await search(demo.t.db, "acme", 1000);
    const cut = await search(demo.t.db, "acme", 5);
    expect(all.total).toBeGreaterThan(5);
    expect(all.results.length).toBe(all.total);
    expect({ shown: cut.results.length, total: cut.total, limit: cut.limit }).toEqual({ shown: 5, total: all.total, limit: 5 });
    expect(await search(demo.t.db, "zz-nothing-zz")).toEqual({ q: "zz-nothing-zz", results: [], total: 0, limit: 20 });
  });

  it("knows a scanned workload and GSA, a GSA only annotations name, and not a subject nothing names (a 404 page)", async () => {
    expect(await subjectKnown(demo.t.db, "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")).toBe(true);
    expect(await subjectKnown(demo.t.db, "gsa:common-batch@acme-prod.iam.gserviceaccount.com")).toBe(true);
    const missing = await demo.t.db.pool.query<{ gsa: string }>(`select gsa from analysis_object where kind = 'finding' and rule = 'ksa-annotation-gsa-missing' and valid_to is null limit 1`);
    expect(missing.rows.length).toBe(1);
    expect(await subjectKnown(demo.t.db, `gsa:${missing.rows[0].gsa}`)).toBe(true);
    expect(await subjectKnown(demo.t.db, "workload:acme-prod/asia-northeast1/prod/batch/CronJob/no-such-job")).toBe(false);
    expect(await subjectKnown(demo.t.db, "gsa:nobody@acme-prod.iam.gserviceaccount.com")).toBe(false);
  });

  it("declares nothing unknown before any scan has finished", async () => {
    const empty = await emptyDatabase();
    try {
      expect(await subjectKnown(empty.db, "gsa:nobody@acme-prod.iam.gserviceaccount.com")).toBe(true);
    } finally {
      await empty.drop();
    }
  });
});
