/**
 * A scan's analysis computes while the inventory's new versions are inserted (lib/scan/run-scan.ts):
 * it reads the inventory as it will be — the current rows and PENDING_VERSIONS — before the insert.
 * That read must give exactly what reading after the insert gives, whatever the scan changed: a first
 * scan, then objects changed, vanished from a complete source, kept by a failed one, and new ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { InventoryStage } from "./stage";
import { prepareInventory, PENDING_VERSIONS } from "./write-inventory";
import { loadAnalysisInput } from "../analysis/analyze-scan";
import type { InventoryRecord } from "../inventory/model";
import type { SourceOutcome } from "../scan/collect";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const gsa = (project: string, name: string, extra: Record<string, unknown> = {}): InventoryRecord => ({
  kind: "gsa",
  subject: `gsa:${name}@${project}.iam.gserviceaccount.com`,
  source: `iam.serviceAccounts:${project}`,
  project,
  cluster: null,
  namespace: null,
  data: { email: `${name}@${project}.iam.gserviceaccount.com`, ...extra },
});
const ksa = (ns: string, name: string, annotation?: string): InventoryRecord => ({
  kind: "ksa",
  subject: `ksa:p1/eu/c1/${ns}/${name}`,
  source: "k8s.serviceaccounts:p1/eu/c1",
  project: "p1",
  cluster: "cluster:p1/eu/c1",
  namespace: ns,
  data: { name, namespace: ns, gsaAnnotation: annotation ?? null },
});
const outcome = (source: string, status: SourceOutcome["status"]): SourceOutcome => {
  const [family, scope] = source.split(":");
  return { source, family, scope, status, requests: 1, durationMs: 1, objects: 0, records: [] };
};

/** Stages `records`, prepares the store, reads the input both ways around the insert, and commits. */
async function applyBothWays(records: InventoryRecord[], outcomes: SourceOutcome[]) {
  const client = await t.db.pool.connect();
  try {
    const scanId = (await client.query<{ id: number }>(`insert into scan (status, trigger, mode, target, started_at) values ('running', 'test', 'estate', '', now()) returning id`)).rows[0].id;
    const stage = await InventoryStage.open(client);
    stage.add(records, true);
    await stage.flush();
    await client.query("begin");
    const now = new Date("2026-11-30T12:00:00Z");
    const prepared = await prepareInventory(client, scanId, outcomes);
    const before = await loadAnalysisInput(client, scanId, now, PENDING_VERSIONS);
    const written = await prepared.insert();
    const after = await loadAnalysisInput(client, scanId, now);
    await client.query(`update scan set status = 'succeeded', finished_at = now() where id = $1`, [scanId]);
    await client.query("commit");
    await stage.drop();
    return { before, after, written };
  } finally {
    client.release();
  }
}
const sorted = (rs: InventoryRecord[]) => [...rs].sort((a, b) => `${a.kind} ${a.subject}`.localeCompare(`${b.kind} ${b.subject}`));

describe("the inventory as it will be, read before the insert", () => {
  it("equals the inventory read after it, on a first scan and on a rescan that changes, retires, keeps and adds", async () => {
    const first = [gsa("p1", "a"), gsa("p1", "b"), gsa("p2", "c"), ksa("ns1", "x", "a@p1.iam.gserviceaccount.com"), ksa("ns1", "y"), ksa("ns2", "z")];
    const one = await applyBothWays(first, [outcome("iam.serviceAccounts:p1", "ok"), outcome("iam.serviceAccounts:p2", "ok"), outcome("k8s.serviceaccounts:p1/eu/c1", "ok")]);
    expect(one.written.inserted).toBe(6);
    expect(sorted(one.before.records)).toEqual(sorted(one.after.records));
    expect(one.before.sources).toEqual(one.after.sources);
    expect(one.before.firstSeen).toEqual(one.after.firstSeen);
    expect(one.after.firstSeen!.size).toBe(3);

    // Rescan: a changed (data) and b vanished from p1's complete list; p2's list failed (c is kept,
    // stale); a new GSA d; KSA y's annotation set, z gone from the complete KSA list.
    const second = [gsa("p1", "a", { disabled: true }), gsa("p1", "d"), ksa("ns1", "x", "a@p1.iam.gserviceaccount.com"), ksa("ns1", "y", "d@p1.iam.gserviceaccount.com")];
    const two = await applyBothWays(second, [outcome("iam.serviceAccounts:p1", "ok"), outcome("iam.serviceAccounts:p2", "failed"), outcome("k8s.serviceaccounts:p1/eu/c1", "ok")]);
    expect(two.written).toMatchObject({ inserted: 3, closed: 4, unchanged: 1 });
    expect(sorted(two.before.records)).toEqual(sorted(two.after.records));
    expect(sorted(two.after.records).map((r) => r.subject)).toEqual([
      "gsa:a@p1.iam.gserviceaccount.com",
      "gsa:c@p2.iam.gserviceaccount.com",
      "gsa:d@p1.iam.gserviceaccount.com",
      "ksa:p1/eu/c1/ns1/x",
      "ksa:p1/eu/c1/ns1/y",
    ]);
    expect(two.before.sources).toEqual(two.after.sources);
    expect(two.after.sources.get("iam.serviceAccounts:p2")).toBe("failed");
    // a keeps the first scan's start as first seen (its earlier version counts); d is this scan's.
    expect(two.before.firstSeen).toEqual(two.after.firstSeen);
    expect(two.after.firstSeen!.get("gsa:a@p1.iam.gserviceaccount.com")).toEqual(one.after.firstSeen!.get("gsa:a@p1.iam.gserviceaccount.com"));
    expect(two.after.firstSeen!.get("gsa:d@p1.iam.gserviceaccount.com")!.getTime()).toBeGreaterThanOrEqual(one.after.firstSeen!.get("gsa:a@p1.iam.gserviceaccount.com")!.getTime());
  });
});
