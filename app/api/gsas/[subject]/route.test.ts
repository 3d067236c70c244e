/**
 * `GET /api/gsas/{subject}` on the demo estate, scanned through the simulator into a real PostgreSQL:
 * *Who uses it* lists every workload by any path (key file, node account, Workload Identity) in every
 * cluster, names the sources that failed as possible users, and `/api/workloads?gsa=` (and its CSV)
 * lists exactly the same workloads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/lib/testing/test-database";
import { scanWith, testConfig } from "@/lib/testing/scan-helpers";
import { startSimulator, type Simulator } from "@/lib/simulator/server";
import { loadEstateFile } from "@/lib/simulator/load-estate";

const COMMON = "common-batch@acme-prod.iam.gserviceaccount.com";
const PROD_NODES = "483920175264-compute@developer.gserviceaccount.com";
const PAYMENTS = "payments-api@acme-prod.iam.gserviceaccount.com";

type Users = {
  list: { workload: string; cluster: string; namespace: string; paths: { path: string; state: string; detail: string; via: string | null }[] }[];
  total: number;
  clusters: number;
  byPath: { path: string; workloads: number }[];
  possible: { source: string; family: string; scope: string; cluster: string | null; unknown: string[]; unknownTotal: number }[];
};

async function gsa(email: string): Promise<{ status: number; users: Users }> {
  const { GET } = await import("./route");
  const res = await GET(new Request(`http://test/api/gsas/${encodeURIComponent(`gsa:${email}`)}`), { params: Promise.resolve({ subject: encodeURIComponent(`gsa:${email}`) }) });
  const json = (await res.json()) as { users: Users };
  return { status: res.status, users: json.users };
}

async function workloadsFiltered(email: string): Promise<string[]> {
  const { GET } = await import("@/app/api/workloads/route");
  const res = await GET(new Request(`http://test/api/workloads?gsa=${encodeURIComponent(email)}&pageSize=500`), { params: Promise.resolve({}) });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { rows: { subject: string }[]; total: number };
  expect(json.total).toBe(json.rows.length);
  return json.rows.map((r) => r.subject).sort();
}

async function csvFiltered(email: string): Promise<string[]> {
  const { GET } = await import("@/app/api/reports/[report]/route");
  const res = await GET(new Request(`http://test/api/reports/workloads.csv?gsa=${encodeURIComponent(email)}`), { params: Promise.resolve({ report: "workloads.csv" }) });
  expect(res.status).toBe(200);
  const lines = (await res.text()).trim().split(/\r?\n/).slice(1);
  return lines.map((l) => l.split(",")[0]).sort();
}

const pathsOf = (u: Users) => u.list.map((x) => `${x.workload} ${x.paths.map((p) => `${p.path}/${p.state}`).join("+")}`).sort();

describe("GET /api/gsas/{subject}: who uses it", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    process.env.DATABASE_URL = t.url;
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    await scanWith(t.db, sim, testConfig());
  }, 180_000);
  afterAll(async () => {
    await sim?.close();
    await t?.drop();
  });

  it("lists common-batch's key-file users in prod and in legacy-batch, each with the Secret it reads", async () => {
    const r = await gsa(COMMON);
    expect(r.status).toBe(200);
    expect(pathsOf(r.users)).toEqual([
      "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync key-file/legacy",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement key-file/legacy",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export key-file/legacy",
      "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report key-file/legacy",
    ]);
    expect(r.users.total).toBe(4);
    expect(r.users.clusters).toBe(2);
    expect(r.users.byPath).toEqual([{ path: "key-file", workloads: 4 }]);
    const monthly = r.users.list.find((x) => x.workload.endsWith("/monthly-report"))!;
    expect(monthly.cluster).toBe("cluster:acme-prod/asia-northeast1/prod");
    expect(monthly.namespace).toBe("reporting");
    expect(monthly.paths[0].via).toBe("secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key");
    expect(monthly.paths[0].detail).toBe("key file /etc/gcp/service-account.json (GOOGLE_APPLICATION_CREDENTIALS) in container report, from Secret reporting/common-batch-key");
  });

  it("names staging's unreadable Secrets as possible users, with the workload there whose key file could not be read", async () => {
    const r = await gsa(COMMON);
    const secrets = r.users.possible.find((p) => p.source === "k8s.secrets:acme-staging/asia-northeast1-a/staging");
    expect(secrets).toMatchObject({ family: "k8s.secrets", cluster: "cluster:acme-staging/asia-northeast1-a/staging" });
    expect(secrets!.unknown).toContain("workload:acme-staging/asia-northeast1-a/staging/batch/CronJob/settlement-test");
  });

  it("lists the pods on prod's legacy default-pool as users of its node account", async () => {
    const r = await gsa(PROD_NODES);
    expect(pathsOf(r.users)).toEqual([
      "workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend node/legacy",
      "workload:acme-prod/asia-northeast1/prod/web/Deployment/image-resizer node/legacy",
    ]);
    expect(r.users.list[0].paths[0].via).toBe("nodepool:acme-prod/asia-northeast1/prod/default-pool");
  });

  it("lists payments-api's Workload Identity users in both clusters of the fleet", async () => {
    const r = await gsa(PAYMENTS);
    expect(r.users.list.filter((u) => u.paths.some((p) => p.path === "workload-identity")).map((u) => u.cluster).sort()).toEqual(
      expect.arrayContaining(["cluster:acme-prod/asia-northeast1/prod", "cluster:acme-prod/asia-northeast2-a/prod-osaka"]),
    );
  });

  it("/api/workloads?gsa= and workloads.csv?gsa= list exactly the workloads Who uses it lists", async () => {
    for (const email of [COMMON, PROD_NODES, PAYMENTS]) {
      const r = await gsa(email);
      const users = r.users.list.map((u) => u.workload).sort();
      expect(users.length).toBeGreaterThan(0);
      expect(await workloadsFiltered(email)).toEqual(users);
      expect(await csvFiltered(email)).toEqual(users);
    }
  });

  it("answers plain JSON whatever the request accepts (Next compresses it; a Content-Encoding of our own would be dropped by Next and the body encoded twice)", async () => {
    const { GET } = await import("./route");
    const subject = encodeURIComponent(`gsa:${COMMON}`);
    const ask = (acceptEncoding: string | null) =>
      GET(new Request(`http://test/api/gsas/${subject}`, { headers: acceptEncoding ? { "accept-encoding": acceptEncoding } : {} }), { params: Promise.resolve({ subject }) });
    const plain = Buffer.from(await (await ask(null)).arrayBuffer());
    expect((JSON.parse(plain.toString("utf8")) as { email: string }).email).toBe(COMMON);
    for (const acceptEncoding of ["gzip, deflate, br, zstd", "gzip"]) {
      const r = await ask(acceptEncoding);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-encoding")).toBeNull();
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(Buffer.from(await r.arrayBuffer()).equals(plain)).toBe(true);
    }
  });

  it("refuses a bad subject or limit with a plain JSON 400 naming the problem, whatever the request accepts", async () => {
    const { GET } = await import("./route");
    const headers = { "accept-encoding": "gzip, deflate, br, zstd" };
    const bad = await GET(new Request("http://test/api/gsas/not-an-email", { headers }), { params: Promise.resolve({ subject: "not-an-email" }) });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-encoding")).toBeNull();
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('"not-an-email" is not a GSA subject (gsa:EMAIL) or email');
    const subject = encodeURIComponent(`gsa:${COMMON}`);
    const limit = await GET(new Request(`http://test/api/gsas/${subject}?limit=0`, { headers }), { params: Promise.resolve({ subject }) });
    expect(limit.status).toBe(400);
    expect(limit.headers.get("content-encoding")).toBeNull();
    expect(((await limit.json()) as { error: { message: string } }).error.message).toBe('Query parameter "limit" ("0") must be a whole number from 1 to 100000, or "all"');
  });

  it("view=page cuts usage's identity lists to the limit and leaves out acting, mountedBy and bindings, all counted in totals; the default answer keeps them whole and is otherwise the same", async () => {
    const { GET } = await import("./route");
    const subject = encodeURIComponent(`gsa:${COMMON}`);
    type Answer = { usage: Record<string, unknown> & { identities: string[]; poolNamespaces: string[]; keyPlaces: string[]; pools: string[]; projects: string[] }; totals: Record<string, number> } & Record<string, unknown>;
    const ask = async (query: string) => {
      const r = await GET(new Request(`http://test/api/gsas/${subject}${query}`), { params: Promise.resolve({ subject }) });
      expect(r.status).toBe(200);
      return (await r.json()) as Answer;
    };
    const full = await ask("?limit=1");
    const page = await ask("?limit=1&view=page");
    expect(await ask("?limit=1&view=full")).toEqual(full);
    const lists = ["identities", "poolNamespaces", "keyPlaces", "pools", "projects"] as const;
    // The demo's common-batch has its key in Secrets in several places and namespaces, so the cut shows.
    expect(full.usage.keyPlaces.length).toBeGreaterThan(1);
    expect(full.usage.poolNamespaces.length).toBeGreaterThan(1);
    for (const name of lists) expect(page.usage[name]).toEqual(full.usage[name].slice(0, 1));
    expect(page.totals).toEqual(full.totals);
    expect(full.totals.usageIdentities).toBe(full.usage.identities.length);
    expect(full.totals.usagePoolNamespaces).toBe(full.usage.poolNamespaces.length);
    expect(full.totals.usageKeyPlaces).toBe(full.usage.keyPlaces.length);
    expect(full.totals.usagePools).toBe(full.usage.pools.length);
    expect(full.totals.usageProjects).toBe(full.usage.projects.length);
    const { usage: pu, ...pageRest } = page;
    const { usage: fu, acting, mountedBy, bindings, ...fullRest } = full;
    // The lists the page does not show are absent from its view, and present in the default one.
    expect(acting).toBeInstanceOf(Array);
    expect(mountedBy).toBeInstanceOf(Array);
    expect(bindings).toBeInstanceOf(Array);
    expect(Object.keys(page)).not.toContain("acting");
    expect(Object.keys(page)).not.toContain("mountedBy");
    expect(Object.keys(page)).not.toContain("bindings");
    expect(pageRest).toEqual(fullRest);
    expect({ ...pu, ...Object.fromEntries(lists.map((l) => [l, null])) }).toEqual({ ...fu, ...Object.fromEntries(lists.map((l) => [l, null])) });
  });

  it("refuses a view other than full or page with a 400 naming the parameter", async () => {
    const { GET } = await import("./route");
    const subject = encodeURIComponent(`gsa:${COMMON}`);
    const r = await GET(new Request(`http://test/api/gsas/${subject}?view=compact`), { params: Promise.resolve({ subject }) });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: { code: "bad_request", message: 'Query parameter "view" ("compact") must be full or page', parameter: "view" } });
  });
});
