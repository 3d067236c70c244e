import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../testing/local-server";
import { API_NAMES, type ApiLimit, type ApiName } from "../../config";
import { Caller } from "./caller";
import { ApiError } from "./api-error";
import { pacedConcurrency } from "./pacer";

const limits = (over: Partial<Record<ApiName, number>> = {}): Record<ApiName, ApiLimit> =>
  Object.fromEntries(API_NAMES.map((a) => [a, { concurrency: over[a] ?? 8 }])) as Record<ApiName, ApiLimit>;

describe("pacedConcurrency", () => {
  it("gives a quarter of the slots to an API whose queued work is far shorter than another's", () => {
    // IAM: 2,000 queued at 30 ms, 8 at a time = 7.5 s; Kubernetes: 40 at 150 ms = 0.75 s.
    const loads = { iam: { queued: 2000, inFlight: 8, slotMs: 30 }, k8s: { queued: 40, inFlight: 8, slotMs: 150 } };
    expect(pacedConcurrency("k8s", limits(), loads, false)).toEqual({ concurrency: 2, paced: true });
  });

  it("keeps full speed where the paced API is the longest part (many clusters, few accounts)", () => {
    const loads = { iam: { queued: 40, inFlight: 8, slotMs: 30 }, k8s: { queued: 2000, inFlight: 8, slotMs: 150 } };
    expect(pacedConcurrency("k8s", limits(), loads, false)).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits(), loads, true)).toEqual({ concurrency: 8, paced: false });
  });

  it("holds its state between the two ratios, and never goes below one slot", () => {
    // Another API's work 2.5 times its own: not enough to start pacing, enough to stay paced.
    const loads = { iam: { queued: 25, inFlight: 0, slotMs: 10 }, k8s: { queued: 10, inFlight: 0, slotMs: 10 } };
    expect(pacedConcurrency("k8s", limits(), loads, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), loads, true).paced).toBe(true);
    expect(pacedConcurrency("k8s", limits({ k8s: 2, iam: 1 }), { iam: { queued: 1000, inFlight: 1, slotMs: 10 }, k8s: { queued: 1, inFlight: 0, slotMs: 10 } }, false)).toEqual({ concurrency: 1, paced: true });
  });

  it("does not pace before anything has answered, nor with nothing of its own or nothing else queued", () => {
    expect(pacedConcurrency("k8s", limits(), { iam: { queued: 5000, inFlight: 8 }, k8s: { queued: 10, inFlight: 8 } }, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { iam: { queued: 5000, inFlight: 8, slotMs: 30 }, k8s: { queued: 0, inFlight: 0, slotMs: 100 } }, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { k8s: { queued: 100, inFlight: 8, slotMs: 100 } }, false).paced).toBe(false);
  });
});

describe("a Caller pacing Kubernetes", () => {
  // A server that answers each request after `ms` and counts, per path, how many were in flight at once.
  let server: LocalServer;
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  beforeAll(async () => {
    server = await startLocalServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const ms = Number(new URL(req.url ?? "/", "http://x").searchParams.get("ms") ?? 10);
      inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
      maxInFlight.set(path, Math.max(maxInFlight.get(path) ?? 0, inFlight.get(path)!));
      setTimeout(() => {
        inFlight.set(path, inFlight.get(path)! - 1);
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      }, ms);
    });
  });
  afterAll(() => server.close());

  const get = (caller: Caller, api: ApiName, ms: number) =>
    caller.call(
      api,
      async (signal) => {
        const r = await fetch(`${server.url}/${api}?ms=${ms}`, { signal });
        return r.json();
      },
      (err) => new ApiError(api, 0, String(err)),
    );
  const reset = () => {
    inFlight.clear();
    maxInFlight.clear();
  };

  it("reads the lists 2 at a time while IAM's queue is long, and 8 at a time once it is done", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"], paceEveryMs: 0 });
    // Each API's time a request holds a slot is learnt from its first answers.
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    reset();
    // IAM: 100 requests 2 at a time, about 0.5 s; Kubernetes: 40 requests, 0.05 s at full speed.
    const iam = Array.from({ length: 100 }, () => get(caller, "iam", 10));
    const k8s = Array.from({ length: 40 }, () => get(caller, "k8s", 10));
    await Promise.all([...iam, ...k8s]);
    expect(maxInFlight.get("/k8s")).toBe(2);
    expect(maxInFlight.get("/iam")).toBe(2);
    caller.endPacing();
    expect(caller.stats.pacedMs?.k8s).toBeGreaterThan(0);
    // Nothing else queued: full speed again.
    reset();
    await Promise.all(Array.from({ length: 40 }, () => get(caller, "k8s", 30)));
    expect(maxInFlight.get("/k8s")).toBe(8);
    expect(caller.stats.requests.k8s).toBe(81);
  });

  it("does not pace without being asked to (WI_ATLAS_K8S_PACING=false)", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    reset();
    await Promise.all([...Array.from({ length: 100 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBe(8);
    expect(caller.stats.pacedMs).toBeUndefined();
  });
});
