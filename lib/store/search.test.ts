import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { search } from "./search";

describe("the search box's answers on the scanned demo estate", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    await scanWith(t.db, sim, testConfig());
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("finds a cluster by its name, first, with its project and location as scope", async () => {
    const r = await search(t.db, "analytics");
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
    const r = await search(t.db, "orders");
    const exact = r.results.map((x) => x.exact);
    expect(exact[0]).toBe(true);
    expect(exact.indexOf(false)).toBeGreaterThan(0);
    expect(exact.slice(exact.indexOf(false))).not.toContain(true);
    for (const x of r.results.filter((h) => h.exact)) expect(x.label.toLowerCase() === "orders" || x.label.startsWith("orders@")).toBe(true);
  });

  it("gives in-cluster hits their cluster and namespace", async () => {
    const r = await search(t.db, "daily-settlement");
    const w = r.results.find((x) => x.kind === "workload")!;
    expect({ project: w.project, cluster: w.cluster, namespace: w.namespace, exact: w.exact }).toEqual({
      project: "acme-prod",
      cluster: "cluster:acme-prod/asia-northeast1/prod",
      namespace: "batch",
      exact: true,
    });
  });

  it("says how many matched when the list is cut", async () => {
    const all = await search(t.db, "acme", 1000);
    const cut = await search(t.db, "acme", 5);
    expect(all.total).toBeGreaterThan(5);
    expect(all.results.length).toBe(all.total);
    expect({ shown: cut.results.length, total: cut.total, limit: cut.limit }).toEqual({ shown: 5, total: all.total, limit: 5 });
    expect(await search(t.db, "zz-nothing-zz")).toEqual({ q: "zz-nothing-zz", results: [], total: 0, limit: 20 });
  });
});
