import { describe, expect, it } from "vitest";
import { decodeChanges, encodeChanges, parseChanges, whatIfPath } from "./changes";

describe("what-if changes", () => {
  it("takes each change type with the fields it needs and defaults the binding role", () => {
    const r = parseChanges([
      { type: "delete-key", subject: "key:app@p.iam.gserviceaccount.com/abc123" },
      { type: "remove-binding", subject: "gsa:app@p.iam.gserviceaccount.com", member: "serviceAccount:p.svc.id.goog[ns/app]" },
      { type: "annotate-ksa", subject: "ksa:p/l/c/ns/app", gsa: "New@P.iam.gserviceaccount.com" },
      { type: "move-workload", subject: "workload:p/l/c/ns/Deployment/app", pool: "nodepool:p/l/c/wi-pool" },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.changes[1]).toMatchObject({ role: "roles/iam.workloadIdentityUser" });
    expect(r.changes[2]).toMatchObject({ gsa: "new@p.iam.gserviceaccount.com" });
  });

  it("names the change and the field at fault", () => {
    expect(parseChanges([{ type: "delete-key", subject: "gsa:a@p.iam.gserviceaccount.com" }])).toEqual({ ok: false, error: expect.stringMatching(/^changes\[0\]\.subject: must be a subject id of kind key/) });
    expect(parseChanges([{ type: "explode", subject: "x" }])).toEqual({ ok: false, error: expect.stringMatching(/type must be one of delete-key/) });
    expect(parseChanges([{ type: "move-workload", subject: "workload:p/l/c/ns/Deployment/app" }])).toEqual({ ok: false, error: expect.stringMatching(/needs a pool/) });
    expect(parseChanges([{ type: "delete-key", subject: "key:a@p.iam.gserviceaccount.com/k", extra: 1 }]).ok).toBe(false);
    expect(parseChanges([])).toEqual({ ok: false, error: expect.stringMatching(/at least one change/) });
    expect(parseChanges("nope").ok).toBe(false);
  });

  it("names the change at fault when the whole change is wrong, not a field of it", () => {
    expect(parseChanges([{ type: "move-workload", subject: "workload:p/l/c/ns/Deployment/x" }])).toEqual({ ok: false, error: "changes[0]: move-workload needs a pool (nodepool:…) or a ksa (ksa:…)" });
    expect(parseChanges([{ type: "delete-key", subject: "key:a@p.iam.gserviceaccount.com/k", extra: 1 }])).toEqual({ ok: false, error: 'changes[0]: Unrecognized key: "extra"' });
  });

  it("round-trips through the shareable URL, and says what is wrong with a bad one", () => {
    const changes = [{ type: "delete-nodepool" as const, subject: "nodepool:p/asia-northeast1/c/legacy-pool" }];
    const path = whatIfPath(changes);
    expect(path).toMatch(/^\/what-if\?changes=[A-Za-z0-9_-]+$/);
    expect(decodeChanges(path.split("=")[1])).toEqual({ ok: true, changes });
    expect(encodeChanges(changes)).toBe(Buffer.from(JSON.stringify(changes)).toString("base64url"));
    expect(decodeChanges("not base64!")).toEqual({ ok: false, error: expect.stringMatching(/base64url/) });
    expect(decodeChanges(Buffer.from("{").toString("base64url"))).toEqual({ ok: false, error: expect.stringMatching(/JSON/) });
  });
});
