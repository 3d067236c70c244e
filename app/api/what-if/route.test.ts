/** `POST /api/what-if` on a scanned demo estate: an answer, a 404 naming an unknown subject, 400s naming the problem. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/lib/testing/test-database";
import { scanWith, testConfig } from "@/lib/testing/scan-helpers";
import { startSimulator, type Simulator } from "@/lib/simulator/server";
import { loadEstateFile } from "@/lib/simulator/load-estate";

const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const { POST } = await import("./route");
  const res = await POST(new Request("http://test/api/what-if", { method: "POST", headers: { "content-type": "application/json", origin: "http://test" }, body: JSON.stringify(body) }), { params: Promise.resolve({}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("POST /api/what-if", () => {
  let t: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    t = await createTestDatabase();
    process.env.DATABASE_URL = t.url;
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    await scanWith(t.db, sim, testConfig());
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("answers which workloads break if a key is deleted, each with its identity before and after", async () => {
    const r = await post({ changes: [{ type: "delete-key", subject: KEY }] });
    expect(r.status).toBe(200);
    expect(r.json.verdict).toBe("breaks");
    const workloads = r.json.workloads as { subject: string; verdict: string; before: { identity: string }; after: { access: boolean } }[];
    expect(workloads.map((w) => [w.verdict, w.subject, w.before.identity, w.after.access])).toContainEqual([
      "breaks",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "common-batch@acme-prod.iam.gserviceaccount.com",
      false,
    ]);
    expect(r.json.changes).toEqual([{ type: "delete-key", subject: KEY }]);
  });

  it("answers 404 naming a subject the latest scan does not know", async () => {
    const r = await post({ changes: [{ type: "delete-nodepool", subject: "nodepool:acme-prod/asia-northeast1/prod/no-such-pool" }] });
    expect(r.status).toBe(404);
    expect(r.json.error).toEqual({ code: "not_found", message: "Nothing is known about nodepool:acme-prod/asia-northeast1/prod/no-such-pool: no node pool of that name in the latest scan" });
  });

  it("answers 404 naming a grant that is not there to remove", async () => {
    const r = await post({ changes: [{ type: "remove-binding", subject: "gsa:billing@acme-prod.iam.gserviceaccount.com", member: "serviceAccount:acme-prod.svc.id.goog[web/nobody]" }] });
    expect(r.status).toBe(404);
    expect((r.json.error as { message: string }).message).toBe("serviceAccount:acme-prod.svc.id.goog[web/nobody] holds no roles/iam.workloadIdentityUser on gsa:billing@acme-prod.iam.gserviceaccount.com in the latest scan");
  });

  it("answers 400 for a KSA of another namespace", async () => {
    const r = await post({ changes: [{ type: "move-workload", subject: "workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend", ksa: "ksa:acme-prod/asia-northeast1/prod/billing/invoice-worker" }] });
    expect(r.status).toBe(400);
    expect((r.json.error as { message: string }).message).toBe("ksa:acme-prod/asia-northeast1/prod/billing/invoice-worker is not in the namespace of workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend");
  });
});
