import { afterEach, describe, expect, it, vi } from "vitest";
import { problemResponse } from "./respond";
import { badRequest } from "./problem";
import { ConfigError } from "../config";

const logged: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  logged.length = 0;
});
function captureLog() {
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
}

describe("problemResponse", () => {
  it("answers a database error with a generic message and an error id, and logs the detail under that id", async () => {
    captureLog();
    const res = problemResponse(Object.assign(new Error('relation "audit_secrets" does not exist'), { code: "42P01" }));
    const body = (await res.json()) as { error: { code: string; message: string; errorId: string } };
    expect(res.status).toBe(500);
    expect(body.error.errorId).toMatch(/^[0-9a-f]{12}$/);
    expect(body.error).toEqual({ code: "internal", message: `Internal error; the server log has the details (error id ${body.error.errorId})`, errorId: body.error.errorId });
    expect(logged.join("")).toContain(`Request failed (error id ${body.error.errorId}): Error: relation "audit_secrets" does not exist`);
  });

  it("keeps a Google API's error text and a configuration error's out of the answer", async () => {
    captureLog();
    const google = problemResponse(Object.assign(new Error("Permission 'iam.serviceAccounts.list' denied on resource projects/acme-secret-project"), { status: 403 }));
    const config = problemResponse(new ConfigError("Invalid configuration:\n- DATABASE_URL must start with postgresql://"));
    const texts = [await google.text(), await config.text()];
    expect([google.status, config.status]).toEqual([500, 500]);
    for (const t of texts) expect(t).not.toMatch(/acme-secret-project|DATABASE_URL/);
    expect(JSON.parse(texts[1]).error.message).toMatch(/^The server is misconfigured; its log has the details \(error id [0-9a-f]{12}\)$/);
    expect(logged.join("")).toContain("acme-secret-project");
  });

  it("answers a dropped database connection 503 without the driver's words", async () => {
    captureLog();
    const res = problemResponse(Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:5432"), { code: "ECONNREFUSED" }));
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain("10.1.2.3");
  });

  it("keeps the specific message of a problem with the caller's own request", async () => {
    const res = problemResponse(badRequest('Query parameter "page" ("x") must be a number', { parameter: "page" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "bad_request", message: 'Query parameter "page" ("x") must be a number', parameter: "page" } });
  });
});
