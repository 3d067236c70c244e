import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { loadAnalysisInput } from "../analysis/analyze-scan";
import { runAnalysis, type AnalysisResult } from "../analysis/run-analysis";
import { clusterOverview } from "./cluster-overview";

const PROD = "cluster:acme-prod/asia-northeast1/prod";

describe("the cluster overview, on the demo estate", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let analysis: AnalysisResult;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    const r = await scanWith(t.db, sim, testConfig());
    // The pure analysis of the same scan, to check the stored figures against.
    analysis = runAnalysis(await loadAnalysisInput(t.db.pool, r.scanId, new Date()));
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("gives the prod cluster the share done the roll-up gives it: 7 of 16 workloads", async () => {
    const o = (await clusterOverview(t.db, PROD))!;
    const rollup = analysis.rollups.find((r) => r.scope === PROD)!;
    expect(o.progress).toMatchObject({ workloads: rollup.workloads, migrated: rollup.migrated, share: rollup.share, toMigrate: rollup.byStatus["to-migrate"], unknown: rollup.byStatus.unknown });
    expect(o.progress).toMatchObject({ workloads: 16, migrated: 7, share: 0.4375, toMigrate: 9, unknown: 0, keyFileWorkloads: 4, nodeIdentityWorkloads: 2, keysInSecrets: 3 });
    expect(o.unknownFigures).toEqual([]);
    expect(o.failedSources).toEqual([]);
  });

  it("lists, under each step, exactly the workloads and KSAs the analysis left to do in that cluster", async () => {
    const o = (await clusterOverview(t.db, PROD, { limit: 100 }))!;
    const inProd = analysis.statuses.filter((s) => s.cluster === PROD && !s.system);
    const todoWorkloads = (n: number) => inProd.filter((s) => s.steps[n - 1].state === "todo").map((s) => s.subject).sort();
    const todoKsas = (n: number) => [...new Set(inProd.filter((s) => s.steps[n - 1].state === "todo").map((s) => `ksa:${s.subject.slice(9).split("/").slice(0, 4).join("/")}/${s.ksa}`))].sort();
    const step = (n: number) => o.steps.find((s) => s.n === n)!;
    expect(o.steps.map((s) => [s.n, s.state])).toEqual([[1, "done"], [2, "done"], [3, "todo"], [4, "todo"], [5, "todo"], [6, "todo"], [7, "todo"], [8, "todo"]]);
    for (const n of [4, 6, 7]) expect(step(n).remaining.map((r) => r.subject).sort(), `step ${n}`).toEqual(todoWorkloads(n));
    for (const n of [3, 5]) expect(step(n).remaining.map((r) => r.subject).sort(), `step ${n}`).toEqual(todoKsas(n));
    expect(step(3).todo).toBe(6);
    expect(step(3).remaining.find((r) => r.subject === "ksa:acme-prod/asia-northeast1/prod/batch/default")).toEqual({
      subject: "ksa:acme-prod/asia-northeast1/prod/batch/default",
      state: "todo",
      detail: "runs as the namespace's default KSA",
      workloads: ["workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement", "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export"],
    });
    expect(step(5).remaining.map((r) => r.subject)).toContain("ksa:acme-prod/asia-northeast1/prod/orders/orders-api");
    expect(step(4).todo).toBe(5);
    expect(step(6).todo).toBe(9);
    expect(step(7).todo).toBe(4);
  });

  it("caps each step's list but keeps its full count", async () => {
    const o = (await clusterOverview(t.db, PROD, { limit: 2 }))!;
    const s6 = o.steps.find((s) => s.n === 6)!;
    expect(s6.remaining).toHaveLength(2);
    expect(s6.todo).toBe(9);
  });

  it("names the legacy pool and the workloads still on it (step 8), with the roll-up's pod count", async () => {
    const o = (await clusterOverview(t.db, PROD))!;
    const rollup = analysis.rollups.find((r) => r.scope === PROD)!;
    expect(o.legacyPools.map((p) => [p.subject, p.pods])).toEqual(rollup.legacyPools.map((p) => [p.pool, p.pods]));
    expect(o.legacyPools).toEqual([
      {
        subject: "nodepool:acme-prod/asia-northeast1/prod/default-pool",
        name: "default-pool",
        serviceAccount: "483920175264-compute@developer.gserviceaccount.com",
        metadataMode: "GCE_METADATA",
        pods: 7,
        workloads: [
          { subject: "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement", migration: "to-migrate" },
          { subject: "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export", migration: "to-migrate" },
          { subject: "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report", migration: "to-migrate" },
          { subject: "workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend", migration: "to-migrate" },
          { subject: "workload:acme-prod/asia-northeast1/prod/web/Deployment/image-resizer", migration: "to-migrate" },
        ],
      },
    ]);
    const step8 = o.steps.find((s) => s.n === 8)!;
    expect(step8).toMatchObject({ state: "todo", todo: 1 });
    expect(step8.remaining[0]).toMatchObject({ subject: "nodepool:acme-prod/asia-northeast1/prod/default-pool", detail: "7 pods still run here: 5 workloads to move first" });
  });

  it("counts findings by rule as the analysis found them on the cluster's objects", async () => {
    const o = (await clusterOverview(t.db, PROD))!;
    const expected = new Map<string, number>();
    for (const f of analysis.findings.filter((f) => f.cluster === PROD && f.state === "open")) expected.set(f.rule, (expected.get(f.rule) ?? 0) + 1);
    const got = new Map<string, number>();
    for (const r of o.findingsByRule) got.set(r.rule, (got.get(r.rule) ?? 0) + r.open);
    expect(Object.fromEntries([...got].filter(([, n]) => n > 0).sort())).toEqual(Object.fromEntries([...expected].sort()));
    expect(o.findingsByRule[0]).toMatchObject({ rule: "key-in-secret", severity: "critical", open: 3 });
  });

  it("gives each node pool and namespace its own progress, adding up to the cluster's", async () => {
    const o = (await clusterOverview(t.db, PROD))!;
    const counted = o.namespaces.filter((n) => !n.system);
    expect(counted.reduce((a, n) => a + n.workloads, 0)).toBe(16);
    expect(counted.reduce((a, n) => a + n.migrated, 0)).toBe(7);
    expect(o.namespaces.find((n) => n.name === "web")).toMatchObject({ subject: "namespace:acme-prod/asia-northeast1/prod/web", workloads: 3, migrated: 0, toMigrate: 3, share: 0 });
    expect(o.nodePools.find((p) => p.name === "default-pool")).toMatchObject({ servesGkeMetadata: false, pods: 7, workloads: 5, migrated: 0, share: 0 });
  });

  it("says which figures are unknown where the cluster's Secrets could not be read (staging), and never calls step 7 done", async () => {
    const o = (await clusterOverview(t.db, "cluster:acme-staging/asia-northeast1-a/staging"))!;
    expect(o.failedSources.map((f) => [f.source, f.status])).toEqual([["k8s.secrets:acme-staging/asia-northeast1-a/staging", "failed"]]);
    expect(o.unknownFigures).toEqual(["keysInSecrets"]);
    expect(o.steps.find((s) => s.n === 7)!.failedSources).toEqual(["k8s.secrets"]);
    expect(o.steps.find((s) => s.n === 8)).toMatchObject({ state: "done", failedSources: [] });
  });

  it("answers null for a cluster the inventory does not hold", async () => {
    expect(await clusterOverview(t.db, "cluster:acme-prod/asia-northeast1/nowhere")).toBeNull();
  });
});
