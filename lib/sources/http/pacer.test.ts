import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../testing/local-server";
import { API_NAMES, type ApiLimit, type ApiName } from "../../config";
import { Caller } from "./caller";
import { ApiError } from "./api-error";
import { pacedConcurrency } from "./pacer";

const limits = (over: Partial<Record<ApiName, number>> = {}): Record<ApiName, ApiLimit> =>
  Object.fromEntries(API_NAMES.map((a) => [a, { concurrency: over[a] ?? 8 }])) as Record<ApiName, ApiLimit>;

describe("pacedConcurrency", () => {
  const load = (queued: number, slotMs?: number, expected = 0, concurrency = 8) => ({ queued, inFlight: 0, expected, concurrency, slotMs });

  it("gives a quarter of the slots to an API whose work, even at that pace, ends well before another's", () => {
    // IAM: 2,000 queued at 30 ms, 8 at a time = 7.5 s; Kubernetes: 40 at 150 ms, 2 at a time = 3 s.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(40, 150) }, false)).toEqual({ concurrency: 2, paced: true });
  });

  it("keeps full speed where the paced API would become the longest part (many clusters, few accounts)", () => {
    expect(pacedConcurrency("k8s", limits(), { iam: load(40, 30), k8s: load(2000, 150) }, false)).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits(), { iam: load(40, 30), k8s: load(2000, 150) }, true)).toEqual({ concurrency: 8, paced: false });
    // IAM 7.5 s against Kubernetes' 40 queued, but 400 more to come (clusters waiting): 66 s at 2 at a time.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(40, 150, 400) }, false).paced).toBe(false);
  });

  it("counts another API's time at the concurrency it runs at", () => {
    // IAM at 1 at a time: 100 × 30 ms = 3 s, longer than Kubernetes' 10 × 100 ms / 2 × 1.5 = 0.75 s.
    expect(pacedConcurrency("k8s", limits({ iam: 8 }), { iam: load(100, 30, 0, 1), k8s: load(10, 100) }, false).paced).toBe(true);
    expect(pacedConcurrency("k8s", limits({ iam: 8 }), { iam: load(100, 30, 0, 8), k8s: load(10, 100) }, false).paced).toBe(false);
  });

  it("holds its state between the two margins, and never goes below one slot", () => {
    // Kubernetes paced: 10 × 10 ms / 2 = 50 ms; IAM 8 × 10 ms / 1... at 8: 70 ms — between 1.2 × and 1.5 × 50 ms.
    const loads = { iam: load(56, 10), k8s: load(10, 10) };
    expect(pacedConcurrency("k8s", limits(), loads, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), loads, true).paced).toBe(true);
    expect(pacedConcurrency("k8s", limits({ k8s: 2 }), { iam: load(1000, 10, 0, 1), k8s: load(1, 10, 0, 2) }, false)).toEqual({ concurrency: 1, paced: true });
  });

  it("does not pace before one of its own requests has answered, nor with nothing of its own or nothing else to do", () => {
    expect(pacedConcurrency("k8s", limits(), { iam: load(5000, 30), k8s: load(10) }, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { iam: load(5000), k8s: load(10, 100) }, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { iam: load(5000, 30), k8s: load(0, 100) }, false).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { k8s: load(100, 100) }, false).paced).toBe(false);
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
    // IAM done, Kubernetes given more: full speed again, by pacing itself (not by endPacing).
    reset();
    await Promise.all(Array.from({ length: 40 }, () => get(caller, "k8s", 30)));
    expect(maxInFlight.get("/k8s")).toBe(8);
    expect(caller.stats.requests.k8s).toBe(81);
    caller.endPacing();
    expect(caller.stats.pacedMs?.k8s).toBeGreaterThan(0);
  });

  it("keeps full speed when the Kubernetes work still to come would outlast IAM's (clusters waiting their turn)", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"], paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    caller.expectMore("k8s", () => 1000);
    reset();
    await Promise.all([...Array.from({ length: 100 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBe(8);
    caller.endPacing();
    expect(caller.stats.pacedMs).toBeUndefined();
  });

  it("paces with the default renewal interval too", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"] });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    // IAM: 200 requests 2 at a time, about a second; Kubernetes' 60 requests of 30 ms would take 0.9 s at 2 at a time.
    const iam = Array.from({ length: 200 }, () => get(caller, "iam", 10));
    await new Promise((r) => setTimeout(r, 250));
    reset();
    await Promise.all([...iam, ...Array.from({ length: 30 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBeLessThanOrEqual(2);
    caller.endPacing();
    expect(caller.stats.pacedMs?.k8s).toBeGreaterThan(0);
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
