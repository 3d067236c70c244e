import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { listAudit, recordAudit } from "./audit";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe("audit trail", () => {
  it("records who did what to what, and lists the newest first", async () => {
    await recordAudit(t.db, { email: "ops@example.com", role: "operator" }, "scan.requested", "scan:7");
    await recordAudit(t.db, { email: "boss@example.com", role: "admin" }, "suppression.created", "gsa-shared gsa:a@p.iam.gserviceaccount.com", { reason: "Split in Q1" });
    const rows = await listAudit(t.db);
    expect(rows.map(({ actor, role, action, target, detail }) => ({ actor, role, action, target, detail }))).toEqual([
      { actor: "boss@example.com", role: "admin", action: "suppression.created", target: "gsa-shared gsa:a@p.iam.gserviceaccount.com", detail: { reason: "Split in Q1" } },
      { actor: "ops@example.com", role: "operator", action: "scan.requested", target: "scan:7", detail: null },
    ]);
    expect(rows[0].at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await listAudit(t.db, { limit: 1 })).toHaveLength(1);
  });
});
