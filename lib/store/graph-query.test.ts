import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scannedDemo } from "../testing/scanned-demo";
import { estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { graphView, parseGraphParams, toGraphML, MAX_NODES } from "./graph-query";
import { parseFilters } from "../api/filters";

const view = async (t: TestDatabase, q: string) => {
  const p = new URLSearchParams(q);
  return graphView(t.db, parseGraphParams(p, parseFilters(p)));
};

describe("the stored graph, on the demo estate", () => {
  const demo = scannedDemo();
  let t: TestDatabase;
  beforeAll(() => void (t = demo.t));

  it("shows common-batch's keys, the Secrets holding them, the CronJobs mounting those, and roles/editor", async () => {
    const v = await view(t, "focus=gsa:common-batch@acme-prod.iam.gserviceaccount.com");
    const ids = new Set(v.nodes.map((n) => n.id));
    for (const id of [
      "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c",
      "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key",
      "secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key",
      "secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key",
      "secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key-2018",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
      "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
      "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
      "project:acme-prod",
    ])
      expect(ids, id).toContain(id);
    expect(v.nodes.length).toBeLessThanOrEqual(MAX_NODES);
    const edge = (kind: string, src: string, dst: string) => v.edges.find((e) => e.kind === kind && e.src === src && e.dst === dst);
    expect(edge("holds-role", "gsa:common-batch@acme-prod.iam.gserviceaccount.com", "project:acme-prod")).toMatchObject({ state: "broad", label: "editor" });
    expect(edge("secret-mounted", "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key", "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")).toMatchObject({ state: "legacy" });
    // The 2018 Secret holds a key IAM no longer has: a ghost node, a broken edge.
    expect(v.nodes.find((n) => n.id.endsWith("/c4ced236fe0b5eeb96bd1ac85583c5dce96b12fa"))).toMatchObject({ kind: "key", state: "ghost" });
  });

  it("does not walk through hubs: a project reached from a GSA does not pull in every account with a role there", async () => {
    const v = await view(t, "focus=gsa:common-batch@acme-prod.iam.gserviceaccount.com&hops=3");
    expect(v.nodes.some((n) => n.id === "gsa:notifier@acme-prod.iam.gserviceaccount.com")).toBe(false);
  });

  it("colours a broken annotation red and working Workload Identity green", async () => {
    const orders = await view(t, "focus=ksa:acme-prod/asia-northeast1/prod/orders/orders-api&hops=1");
    expect(orders.edges.find((e) => e.kind === "annotation")).toMatchObject({ dst: "gsa:orders@acme-prod.iam.gserviceaccount.com", state: "broken" });
    const notifier = await view(t, "focus=ksa:acme-prod/asia-northeast1/prod/notifications/notifier&hops=1");
    expect(notifier.edges.find((e) => e.kind === "annotation")).toMatchObject({ state: "ok" });
  });

  it("draws a focused key with only what reaches it: its GSA, the Secrets holding it, the workloads mounting them and where they run — not the GSA's other keys, Secrets or roles", async () => {
    const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
    const v = await view(t, `focus=${KEY}`);
    expect(v.nodes.map((n) => n.id).sort()).toEqual([
      "cluster:acme-legacy/asia-northeast1-b/legacy-batch",
      "cluster:acme-prod/asia-northeast1/prod",
      "gsa:common-batch@acme-prod.iam.gserviceaccount.com",
      KEY,
      "ksa:acme-legacy/asia-northeast1-b/legacy-batch/batch/default",
      "ksa:acme-prod/asia-northeast1/prod/batch/default",
      "ksa:acme-prod/asia-northeast1/prod/reporting/report-runner",
      "namespace:acme-legacy/asia-northeast1-b/legacy-batch/batch",
      "namespace:acme-prod/asia-northeast1/prod/batch",
      "namespace:acme-prod/asia-northeast1/prod/reporting",
      "nodepool:acme-legacy/asia-northeast1-b/legacy-batch/default-pool",
      "nodepool:acme-prod/asia-northeast1/prod/default-pool",
      "secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key",
      "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key",
      "secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key",
      "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
      "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
    ]);
    // The GSA is drawn, and how each mounting workload acts as it; the GSA's other users are not walked.
    expect(v.edges.filter((e) => e.kind === "effective-identity").map((e) => e.label)).toEqual(Array(4).fill("acts as (key file)"));
    expect(v.edges.some((e) => e.kind === "holds-role" || (e.kind === "key-of" && e.dst !== KEY))).toBe(false);
    // Hops do not widen a key's view.
    expect((await view(t, `focus=${KEY}&hops=4`)).nodes.length).toBe(v.nodes.length);
  });

  it("gives repeated names their scope: the KSA default and namespace batch in two clusters, Secrets common-batch-key in three namespaces", async () => {
    const v = await view(t, "focus=gsa:common-batch@acme-prod.iam.gserviceaccount.com");
    const scope = (id: string) => v.nodes.find((n) => n.id === id)?.scope;
    expect(scope("ksa:acme-prod/asia-northeast1/prod/batch/default")).toBe("batch · prod/asia-northeast1");
    expect(scope("ksa:acme-legacy/asia-northeast1-b/legacy-batch/batch/default")).toBe("batch · legacy-batch/asia-northeast1-b");
    expect(scope("namespace:acme-prod/asia-northeast1/prod/batch")).toBe("prod/asia-northeast1");
    expect(scope("secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key")).toBe("reporting · prod/asia-northeast1");
    // Unique names carry none.
    expect(scope("namespace:acme-prod/asia-northeast1/prod/reporting")).toBeUndefined();
    expect(scope("gsa:common-batch@acme-prod.iam.gserviceaccount.com")).toBeUndefined();
    expect(toGraphML(v)).toContain(`<data key="n_scope">batch · prod/asia-northeast1</data>`);
  });

  it("answers a 400 naming the parameter for a bad focus, hops or group", async () => {
    await expect(view(t, "focus=gsa:nobody@acme-prod.iam.gserviceaccount.com")).rejects.toThrow(/Nothing in the graph is gsa:nobody/);
    await expect(view(t, "hops=9")).rejects.toThrow(/"hops" \("9"\) must be 1, 2, 3 or 4/);
    await expect(view(t, "group=planet")).rejects.toThrow(/"group" \("planet"\) must be namespace, cluster or none/);
  });

  it("exports GraphML with every node and edge of the view", async () => {
    const v = await view(t, "focus=gsa:common-batch@acme-prod.iam.gserviceaccount.com");
    const xml = toGraphML(v);
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>`)).toBe(true);
    expect((xml.match(/<node id=/g) ?? []).length).toBe(v.nodes.length);
    expect((xml.match(/<edge id=/g) ?? []).length).toBe(v.edges.length);
  });
});

describe("a GSA used by many KSAs", () => {
  let t: TestDatabase;
  let sim: Simulator;
  const N = 400;
  beforeAll(async () => {
    t = await createTestDatabase();
    const ksas = Array.from({ length: N }, (_, i) => `          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: app-${i}, namespace: ns-${i % 4}, annotations: {iam.gke.io/gcp-service-account: shared-app@big-proj.iam.gserviceaccount.com}}}`).join("\n");
    sim = await simulatorFor(
      estateFromYaml(`
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: big-proj
    projectNumber: "300000000003"
    serviceAccounts:
      - email: shared-app@big-proj.iam.gserviceaccount.com
        iamPolicy: {bindings: [{role: roles/iam.workloadIdentityUser, members: ["principalSet://iam.googleapis.com/projects/300000000003/locations/global/workloadIdentityPools/big-proj.svc.id.goog/namespace/ns-0"]}]}
    clusters:
      - cluster: {name: big, location: us-central1-a, workloadIdentityConfig: {workloadPool: big-proj.svc.id.goog}, nodePools: [{name: wi, config: {serviceAccount: nodes-sa@big-proj.iam.gserviceaccount.com, workloadMetadataConfig: {mode: GKE_METADATA}}}]}
        manifests:
${ksas}
`),
    );
    await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("collapses them into one group per namespace, with counts, within the drawing limit", async () => {
    const v = await view(t, "focus=gsa:shared-app@big-proj.iam.gserviceaccount.com&hops=1");
    expect(v.reached).toBeGreaterThan(N);
    const groups = v.nodes.filter((n) => n.group).map((n) => [n.id, n.group!.members]).sort();
    expect(groups).toEqual([0, 1, 2, 3].map((i) => [`group:namespace:big-proj/us-central1-a/big/ns-${i}:ksa`, N / 4]));
    expect(v.nodes.length).toBeLessThanOrEqual(MAX_NODES);
    const annotations = v.edges.filter((e) => e.kind === "annotation");
    expect(annotations.map((e) => e.count).sort()).toEqual([N / 4, N / 4, N / 4, N / 4]);
  });

  it("expands one namespace on demand and keeps the others grouped", async () => {
    const v = await view(t, "focus=gsa:shared-app@big-proj.iam.gserviceaccount.com&hops=1&expand=big-proj/us-central1-a/big/ns-2");
    expect(v.nodes.filter((n) => n.kind === "ksa" && !n.group && n.namespace === "ns-2").length).toBe(N / 4);
    expect(v.nodes.filter((n) => n.group).length).toBe(3);
  });

  it("draws the same view when the ring is summed in SQL as when it is read node by node, for every grouping, expansion and hop count", async () => {
    const focus = "focus=gsa:shared-app@big-proj.iam.gserviceaccount.com";
    // Sorted: the order rows come back in was never the view's promise; every field of every node and edge is.
    const sorted = (v: Awaited<ReturnType<typeof graphView>>) => ({
      ...v,
      nodes: [...v.nodes].sort((a, b) => (a.id < b.id ? -1 : 1)),
      edges: [...v.edges].sort((a, b) => (`${a.id} ${a.src}` < `${b.id} ${b.src}` ? -1 : 1)),
    });
    // The last one groups nothing (its only cluster is expanded): the walk draws it.
    for (const [q, isSummed] of [["hops=1", true], ["hops=2", true], ["hops=3&group=cluster", true], ["hops=2&expand=big-proj/us-central1-a/big/ns-1", true], ["hops=1&group=cluster&expand=big-proj/us-central1-a/big", false]] as const) {
      const p = new URLSearchParams(`${focus}&${q}`);
      const params = parseGraphParams(p, parseFilters(p));
      // A ring limit under the 400 KSAs: the walk stops at the first ring, as around an estate's shared account.
      const walked = await graphView(t.db, params, { ringLimit: 100, sumRing: false });
      const issued: string[] = [];
      const query = t.db.pool.query.bind(t.db.pool);
      const spy = Object.assign(Object.create(Object.getPrototypeOf(t.db.pool)), t.db.pool, {
        query: (...a: Parameters<typeof query>) => (issued.push(String(a[0])), query(...a)),
      });
      const summed = await graphView({ ...t.db, pool: spy }, params, { ringLimit: 100 });
      // It was summed: no query read the ring's edges one row each.
      expect(issued.some((x) => x.startsWith("with e as materialized")), q).toBe(true);
      expect(issued.some((x) => x.includes("null::text as id, subject as src")), q).toBe(!isSummed);
      expect(sorted(summed), q).toEqual(sorted(walked));
      expect(summed.nodes.some((n) => n.group), q).toBe(isSummed);
    }
  });

  it("stays within the limit when everything is expanded, and says what it left out", async () => {
    const expand = [0, 1, 2, 3].map((i) => `big-proj/us-central1-a/big/ns-${i}`).join(",");
    const v = await view(t, `focus=gsa:shared-app@big-proj.iam.gserviceaccount.com&hops=1&group=none&expand=${expand}`);
    expect(v.nodes.length).toBe(MAX_NODES);
    expect(v.notice).toMatch(/more nodes are not shown/);
  });
});
