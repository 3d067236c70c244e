import { inFlow } from "./chain";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startLocalServer, type LocalServer } from "../../testing/local-server";
import { Caller, CancelledError, type RetryPolicy } from "./caller";
import { ApiError } from "./api-error";
import { simulatorClients, type GoogleClients } from "../gcp/clients";
import { getServiceAccountPolicy, listServiceAccounts } from "../gcp/get";
import { API_NAMES, type ApiLimit, type ApiName } from "../../config";

/*
 * The Caller is driven through the real googleapis client against a small local HTTP server whose
 * answers each test scripts, so that gaxios' errors and api-error.ts's normalisation are the real ones.
 */

const RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 };
const limits = (concurrency = 10): Record<ApiName, ApiLimit> => Object.fromEntries(API_NAMES.map((a) => [a, { concurrency }])) as Record<ApiName, ApiLimit>;

// ServiceAccount list page: https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/list
const ACCOUNT = {
  name: "projects/p/serviceAccounts/app@p.iam.gserviceaccount.com",
  projectId: "p",
  uniqueId: "103456789012345678901",
  email: "app@p.iam.gserviceaccount.com",
  etag: "MDEwMjE5MjA=",
  oauth2ClientId: "103456789012345678901",
};

// Google's error body: https://cloud.google.com/apis/design/errors#http_mapping
function googleError(code: number, status: string, message: string, details?: unknown[]) {
  return JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

let server: LocalServer;
let url: string;
let handler: Handler;
let requests: { method: string; url: string; at: number }[];
let inFlight: number;
let maxInFlight: number;
let generation = 0;

function reply(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers });
  res.end(body);
}

beforeAll(async () => {
  server = await startLocalServer((req, res) => {
    const n = requests.push({ method: req.method ?? "", url: req.url ?? "", at: Date.now() });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // A request of an earlier test that ends late must not count against this one.
    const gen = generation;
    res.on("close", () => {
      if (gen === generation) inFlight--;
    });
    req.resume();
    req.on("end", () => handler(req, res, n));
  });
  url = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  // Connections stay open between tests (closing them would make the client's next request fail
  // on a dead keep-alive socket); requests left unanswered end with the client's own abort.
  generation++;
  requests = [];
  inFlight = 0;
  maxInFlight = 0;
});

function setup(opts: { timeoutMs?: number; concurrency?: number; signal?: AbortSignal; retry?: RetryPolicy } = {}): { g: GoogleClients; caller: Caller } {
  return {
    g: simulatorClients(url),
    caller: new Caller({ limits: limits(opts.concurrency), timeoutMs: opts.timeoutMs ?? 2_000, retry: opts.retry ?? RETRY, signal: opts.signal }),
  };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("the call succeeded");
}

describe("Caller with the googleapis client", () => {
  it("retries a 429 after the Retry-After it names (1 s), then returns the page", async () => {
    handler = (_req, res, n) =>
      n === 1
        ? reply(res, 429, googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'."), { "retry-after": "1" })
        : reply(res, 200, JSON.stringify({ accounts: [ACCOUNT] }));
    const { g, caller } = setup();
    const started = Date.now();
    // In a flow, the retry is a second step of the chain: it could only start after the 429.
    const accounts = await inFlow(() => listServiceAccounts(g, caller, "p"));
    const elapsed = Date.now() - started;
    expect(accounts).toEqual([ACCOUNT]);
    expect(requests.length).toBe(2);
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
    const { slotMs, ...stats } = caller.stats;
    expect(stats).toEqual({ requests: { crm: 0, iam: 2, container: 0, policyanalyzer: 0, cloudasset: 0, gkehub: 0, k8s: 0 }, retries: 1, waitedMs: 1000, chain: 2 });
    // The two attempts held IAM's slot (the wait between them did not); no other API's was held.
    expect(slotMs.iam).toBeGreaterThan(0);
    expect(slotMs.iam).toBeLessThan(elapsed - 1000 + 1);
    expect(Object.entries(slotMs).filter(([api, ms]) => api !== "iam" && ms !== 0)).toEqual([]);
    // Its timeline: both attempts started in the first span (1 s apart), with the same slot time in all.
    const timeline = caller.slotTimeline("iam");
    expect(timeline.map((t) => [t.fromMs, t.requests])).toEqual([[0, 2]]);
    expect(timeline[0].msEach * 2).toBeCloseTo(slotMs.iam, 6);
    expect(caller.slotTimeline("k8s")).toEqual([]);
  });

  it("keeps each API's slot time per span: a span whose requests were held longer shows it", async () => {
    const caller = new Caller({ limits: Object.fromEntries(API_NAMES.map((a) => [a, { concurrency: 2 }])) as Record<ApiName, ApiLimit>, timeoutMs: 5000, slotSpanMs: 1000 });
    const hold = (ms: number) => caller.call("iam", () => new Promise<number>((r) => setTimeout(() => r(ms), ms)), (e) => new ApiError("iam", 0, String(e)));
    // Span 0: two requests of 50 ms at once; then, from about 1,050 ms (span 1), one of 120 ms.
    expect(await Promise.all([hold(50), hold(50)])).toEqual([50, 50]);
    await new Promise((r) => setTimeout(r, 1000));
    await hold(120);
    const t = caller.slotTimeline("iam");
    expect(t.map((x) => [x.fromMs, x.requests])).toEqual([
      [0, 2],
      [1000, 1],
    ]);
    expect(t[0].msEach).toBeGreaterThanOrEqual(49);
    expect(t[0].msEach).toBeLessThan(100);
    expect(t[1].msEach).toBeGreaterThanOrEqual(119);
    expect(t[0].msEach * 2 + t[1].msEach).toBeCloseTo(caller.stats.slotMs.iam, 6);
  });

  it("caps a Retry-After longer than maxRetryAfterMs", async () => {
    handler = (_req, res, n) =>
      n === 1 ? reply(res, 429, googleError(429, "RESOURCE_EXHAUSTED", "slow down"), { "retry-after": "3600" }) : reply(res, 200, "{}");
    const { g, caller } = setup({ retry: { ...RETRY, maxRetryAfterMs: 50 } });
    expect(await listServiceAccounts(g, caller, "p")).toEqual([]);
    expect([requests.length, caller.stats.retries, caller.stats.waitedMs]).toEqual([2, 1, 50]);
  });

  it("retries a 503 up to maxAttempts, then throws it as an ApiError", async () => {
    handler = (_req, res) => reply(res, 503, googleError(503, "UNAVAILABLE", "The service is currently unavailable."));
    const { g, caller } = setup();
    const err = await failure(listServiceAccounts(g, caller, "p"));
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect([e.api, e.status, e.message, e.opts]).toEqual([
      "iam",
      503,
      "serviceAccounts.list projects/p: The service is currently unavailable.",
      { reason: "UNAVAILABLE", permission: undefined, retryAfter: undefined },
    ]);
    expect(requests.length).toBe(3);
    expect(caller.stats.retries).toBe(2);
  });

  it("does not retry a 403, and names the permission from the ErrorInfo", async () => {
    handler = (_req, res) =>
      reply(
        res,
        403,
        googleError(403, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.list' denied on resource (or it may not exist).", [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "IAM_PERMISSION_DENIED",
            domain: "iam.googleapis.com",
            metadata: { permission: "iam.serviceAccounts.list", resource: "projects/p" },
          },
        ]),
      );
    const { g, caller } = setup();
    const e = (await failure(listServiceAccounts(g, caller, "p"))) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.isRetryable, e.opts.reason, e.opts.permission]).toEqual([403, false, "PERMISSION_DENIED", "iam.serviceAccounts.list"]);
    expect(e.message).toBe("serviceAccounts.list projects/p: Permission 'iam.serviceAccounts.list' denied on resource (or it may not exist).");
    expect(requests.length).toBe(1);
    expect(caller.stats.retries).toBe(0);
  });

  it("reads SERVICE_DISABLED as the reason of a 403 from a disabled API", async () => {
    handler = (_req, res) =>
      reply(
        res,
        403,
        googleError(403, "PERMISSION_DENIED", "Identity and Access Management (IAM) API has not been used in project 123 before or it is disabled.", [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SERVICE_DISABLED", domain: "googleapis.com", metadata: { service: "iam.googleapis.com", consumer: "projects/123" } },
        ]),
      );
    const { g, caller } = setup();
    const e = (await failure(listServiceAccounts(g, caller, "p"))) as ApiError;
    expect([e.status, e.opts.reason, e.opts.permission]).toEqual([403, "SERVICE_DISABLED", undefined]);
    expect(requests.length).toBe(1);
  });

  it("retries a request the server never answers, then throws a timeout", async () => {
    handler = () => {
      // never answer
    };
    const { g, caller } = setup({ timeoutMs: 150 });
    const started = Date.now();
    const e = (await failure(listServiceAccounts(g, caller, "p"))) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.opts.isTimeout, e.isRetryable, e.message]).toEqual([0, true, true, "serviceAccounts.list projects/p: request timed out"]);
    expect(requests.length).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 150);
  });

  it("retries a refused connection and throws it with status 0", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const caller = new Caller({ limits: limits(), timeoutMs: 1000, retry: RETRY });
    const e = (await failure(listServiceAccounts(simulatorClients(`http://127.0.0.1:${port}`), caller, "p"))) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.opts.isTimeout, caller.stats.requests.iam, caller.stats.retries]).toEqual([0, undefined, 3, 2]);
    expect(e.message.startsWith("serviceAccounts.list projects/p: ")).toBe(true);
  });

  it("keeps at most `concurrency` requests in flight per API", async () => {
    handler = (_req, res) => setTimeout(() => reply(res, 200, JSON.stringify({ accounts: [ACCOUNT] })), 60);
    const { g, caller } = setup({ concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => listServiceAccounts(g, caller, `p${i}`)));
    expect(results).toEqual(Array.from({ length: 9 }, () => [ACCOUNT]));
    expect(requests.length).toBe(9);
    expect(maxInFlight).toBe(3);
    expect(requests.map((r) => r.url.split("?")[0]).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `/v1/projects/p${i}/serviceAccounts`).sort());
  });

  it("follows nextPageToken until the last page", async () => {
    handler = (req, res) => {
      const token = new URL(req.url!, url).searchParams.get("pageToken");
      if (!token) return reply(res, 200, JSON.stringify({ accounts: [ACCOUNT], nextPageToken: "page-2" }));
      return reply(res, 200, JSON.stringify({ accounts: [{ ...ACCOUNT, email: "b@p.iam.gserviceaccount.com" }] }));
    };
    const { g, caller } = setup();
    const accounts = await listServiceAccounts(g, caller, "p");
    expect(accounts.map((a) => a.email)).toEqual(["app@p.iam.gserviceaccount.com", "b@p.iam.gserviceaccount.com"]);
    expect(requests.map((r) => r.url)).toEqual(["/v1/projects/p/serviceAccounts?pageSize=100", "/v1/projects/p/serviceAccounts?pageSize=100&pageToken=page-2"]);
  });

  it("retries POSTs (getIamPolicy) like GETs", async () => {
    // Policy: https://cloud.google.com/iam/docs/reference/rest/v1/Policy
    const policy = { version: 1, etag: "BwWKmjvelug=", bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:p.svc.id.goog[web/app]"] }] };
    handler = (_req, res, n) => (n === 1 ? reply(res, 502, googleError(502, "UNAVAILABLE", "Bad Gateway")) : reply(res, 200, JSON.stringify(policy)));
    const { g, caller } = setup();
    expect(await getServiceAccountPolicy(g, caller, "p", "app@p.iam.gserviceaccount.com")).toEqual(policy);
    expect(requests.map((r) => r.method)).toEqual(["POST", "POST"]);
    expect(requests[0].url).toBe("/v1/projects/p/serviceAccounts/app%40p.iam.gserviceaccount.com:getIamPolicy?options.requestedPolicyVersion=3");
  });
});

describe("Caller cancellation", () => {
  it("stops waiting out a Retry-After when the scan is cancelled", async () => {
    handler = (_req, res) => reply(res, 429, googleError(429, "RESOURCE_EXHAUSTED", "slow down"), { "retry-after": "30" });
    const ac = new AbortController();
    const { g, caller } = setup({ signal: ac.signal });
    const started = Date.now();
    const p = failure(listServiceAccounts(g, caller, "p"));
    while (requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    setTimeout(() => ac.abort(), 50);
    const err = await p;
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests.length).toBe(1);
  });

  it("aborts a request in flight when the scan is cancelled", async () => {
    handler = () => {
      // never answer
    };
    const ac = new AbortController();
    const { g, caller } = setup({ signal: ac.signal, timeoutMs: 10_000 });
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const err = await failure(listServiceAccounts(g, caller, "p"));
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests.length).toBe(1);
  });

  it("refuses to start once cancelled", async () => {
    handler = (_req, res) => reply(res, 200, "{}");
    const ac = new AbortController();
    ac.abort();
    const { g, caller } = setup({ signal: ac.signal });
    expect(await failure(listServiceAccounts(g, caller, "p"))).toBeInstanceOf(CancelledError);
    expect(requests.length).toBe(0);
  });
});

describe("Caller.counted", () => {
  it("counts a source's attempts, retries included", async () => {
    handler = (_req, res, n) => (n === 1 ? reply(res, 500, googleError(500, "INTERNAL", "Internal error encountered.")) : reply(res, 200, JSON.stringify({ accounts: [ACCOUNT] })));
    const { g, caller } = setup();
    const counter = { requests: 0 };
    expect(await listServiceAccounts(g, caller.counted(counter), "p")).toEqual([ACCOUNT]);
    expect(counter.requests).toBe(2);
    expect(caller.stats.requests.iam).toBe(2);
  });
});
