import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scannedDemo } from "../testing/scanned-demo";
import { estateFromYaml, scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { keyUsage, objectRelations } from "./object-page";
import { objectDetail } from "./queries";

const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
const STAGING_SECRETS = { scope: "cluster:acme-staging/asia-northeast1-a/staging", source: "k8s.secrets:acme-staging/asia-northeast1-a/staging", status: "failed" };

describe("object pages on the demo estate", () => {
  const demo = scannedDemo();
  let t: TestDatabase;
  beforeAll(() => void (t = demo.t));

  it("common-batch's 2016 key is held by three Secrets, read by four CronJobs, used yesterday, and staging's Secrets are unknown", async () => {
    const u = (await keyUsage(t.db, KEY))!;
    expect(u.holders.map((h) => h.subject)).toEqual([
      "secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key",
      "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key",
      "secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key",
    ]);
    expect(u.holders[1].dataKeys).toEqual(["key.json"]);
    expect(u.users.map((x) => x.subject)).toEqual([
      "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
      "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
    ]);
    expect(u.users[1].via[0]).toMatch(/^volume /);
    expect(u.lastAuthenticatedTime).toBe("2026-11-28T07:00:00Z");
    expect(u.daysSinceAuthentication).toBe(0);
    expect(u.activityGap).toBeNull();
    expect(u.unreadableClusters).toEqual([expect.objectContaining(STAGING_SECRETS)]);
    expect(u.unreadableClusters[0].error).toMatch(/403|forbidden/i);
    expect(u.unlistedProjects).toEqual([]);
    expect(u).toMatchObject({ isRecentlyUsed: true, isUsersUnknown: true, needsCaution: true });
  });

  it("a key in acme-legacy (Policy Analyzer disabled there) has an unknown last use", async () => {
    const r = await t.db.pool.query<{ subject: string }>(`select subject from inventory_object where kind = 'key' and valid_to is null and project = 'acme-legacy' order by subject limit 1`);
    const u = (await keyUsage(t.db, r.rows[0].subject))!;
    expect(u.activityGap).toMatchObject({ scope: "project:acme-legacy", source: "policyanalyzer.serviceAccountKeyLastAuthentication:acme-legacy" });
    expect(u.lastAuthenticatedTime).toBeNull();
    expect(u.needsCaution).toBe(true);
  });

  it("a Secret's page names the keys it holds and the workloads mounting it", async () => {
    const rel = await objectRelations(t.db, "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key", {
      kind: "secret",
      cluster: "cluster:acme-prod/asia-northeast1/prod",
      namespace: "batch",
      data: (await t.db.pool.query(`select data from inventory_object where kind = 'secret' and valid_to is null and subject = 'secret:acme-prod/asia-northeast1/prod/batch/common-batch-key'`)).rows[0].data,
    });
    expect(rel.map((g) => g.label)).toEqual(["Namespace", "Holds keys of", "Mounted by"]);
    expect(rel[1].items.map((i) => i.subject)).toEqual(["gsa:common-batch@acme-prod.iam.gserviceaccount.com", KEY]);
    expect(rel[2].items.map((i) => i.subject)).toEqual(["workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement", "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export"]);
  });

  it("a KSA's page groups its namespace, its annotated GSA and the workloads running as it", async () => {
    const d = await objectDetail(t.db, "ksa:acme-prod/asia-northeast1/prod/orders/orders-api");
    expect(d.relations.map((g) => [g.label, g.items.map((i) => i.subject)])).toEqual([
      ["Namespace", ["namespace:acme-prod/asia-northeast1/prod/orders"]],
      ["Annotated with (acts as, once bound)", ["gsa:orders@acme-prod.iam.gserviceaccount.com"]],
      ["Used by workloads", ["workload:acme-prod/asia-northeast1/prod/orders/Deployment/orders-api"]],
      ["Pods", expect.arrayContaining([expect.stringMatching(/^pod:acme-prod\/asia-northeast1\/prod\/orders\/orders-api-/)])],
    ]);
    expect(d.keyUsage).toBeNull();
  });

  it("a node pool's page says which account it runs as and which workloads sit on it", async () => {
    const d = await objectDetail(t.db, "nodepool:acme-prod/asia-northeast1/prod/default-pool");
    const by = Object.fromEntries(d.relations.map((g) => [g.label, g.items.map((i) => i.subject)]));
    expect(by["Cluster"]).toEqual(["cluster:acme-prod/asia-northeast1/prod"]);
    expect(by["Runs as"]).toEqual([expect.stringMatching(/^gsa:\d+-compute@developer\.gserviceaccount\.com$/)]);
    expect(by["Workloads on it"]).toContain("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement");
  });

  it("a subject never seen is a 404 problem", async () => {
    await expect(objectDetail(t.db, "ksa:acme-prod/asia-northeast1/prod/nowhere/nobody")).rejects.toMatchObject({ status: 404 });
  });
});

describe("a subject that is gone", () => {
  const estate = (keys: string) =>
    estateFromYaml(`
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: proj-one
    projectNumber: "100000000001"
    serviceAccounts:
      - email: app@proj-one.iam.gserviceaccount.com
        keys:
${keys}
`);
  const K1 = "          - {keyId: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, validAfterTime: \"2026-01-01T00:00:00Z\", validBeforeTime: \"9999-12-31T23:59:59Z\"}";
  const K2 = "          - {keyId: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, validAfterTime: \"2026-02-01T00:00:00Z\", validBeforeTime: \"9999-12-31T23:59:59Z\"}";
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: estate(`${K1}\n${K2}`) });
    await scanWith(t.db, sim, testConfig());
    sim.setEstate(estate(K1));
    await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("keeps its page: no current record, its last record and the scan it went in", async () => {
    const d = await objectDetail(t.db, "key:app@proj-one.iam.gserviceaccount.com/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    expect(d.current).toEqual([]);
    expect(d.gone).toMatchObject({ kind: "key", validTo: 2, data: { keyId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", email: "app@proj-one.iam.gserviceaccount.com" } });
    expect(d.relations).toEqual([{ label: "Service account", items: [{ subject: "gsa:app@proj-one.iam.gserviceaccount.com" }], total: 1 }]);
  });

  it("a present subject has no last record", async () => {
    const d = await objectDetail(t.db, "key:app@proj-one.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect(d.gone).toBeNull();
    expect(d.keyUsage).toMatchObject({ holders: [], users: [], isUsersUnknown: false, unreadableClusters: [] });
  });
});
