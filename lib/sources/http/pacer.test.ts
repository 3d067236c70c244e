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

  it("gives an API the least concurrency at which its work still ends well before another's", () => {
    // IAM: 2,000 queued at 30 ms, 8 at a time = 7.5 s. Kubernetes: 40 at 150 ms = 6 s at 1 at a time,
    // 1.5 × 6 s > 7.5 s; 3 s at 2, 1.5 × 3 s ≤ 7.5 s.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(40, 150) })).toEqual({ concurrency: 2, paced: true });
    // 10 at 150 ms: 1.5 s at 1 at a time.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(10, 150) })).toEqual({ concurrency: 1, paced: true });
    // A Google API with a short queue beside IAM's long one yields the same way.
    expect(pacedConcurrency("crm", limits(), { iam: load(2000, 30), crm: load(100, 30) })).toEqual({ concurrency: 1, paced: true });
    expect(pacedConcurrency("crm", limits(), { iam: load(2000, 30), crm: load(1000, 30) })).toEqual({ concurrency: 6, paced: true });
  });

  it("gives the longest API its whole limit, and an API that would outlast the longest other its whole limit too", () => {
    expect(pacedConcurrency("iam", limits(), { iam: load(2000, 30), k8s: load(40, 150), crm: load(200, 30) })).toEqual({ concurrency: 8, paced: false });
    // Many clusters, few accounts: Kubernetes is the long part and IAM yields.
    expect(pacedConcurrency("k8s", limits(), { iam: load(40, 30), k8s: load(2000, 150) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("iam", limits(), { iam: load(40, 30), k8s: load(2000, 150) })).toEqual({ concurrency: 1, paced: true });
    // IAM 7.5 s against Kubernetes' 40 queued, but 400 more to come (clusters waiting): 66 s at 1 at a time.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(40, 150, 400) }).paced).toBe(false);
    // IAM's accounts still to come count the same way: 40 queued and 2,000 expected outlast Kubernetes.
    expect(pacedConcurrency("iam", limits(), { iam: load(40, 30, 2000), k8s: load(100, 150) }).paced).toBe(false);
    expect(pacedConcurrency("k8s", limits(), { iam: load(40, 30, 2000), k8s: load(100, 150) })).toEqual({ concurrency: 3, paced: true });
  });

  it("counts another API's time at its full concurrency, not the one it is paced to", () => {
    // IAM paced to 1 with a limit of 8: 100 × 30 ms / 8 = 375 ms; Kubernetes' 10 × 100 ms = 1 s at 1,
    // so 4 at a time (1.5 × 250 ms ≤ 375 ms). Counted at IAM's 1, it would have been 1.
    expect(pacedConcurrency("k8s", limits(), { iam: load(100, 30, 0, 1), k8s: load(10, 100) })).toEqual({ concurrency: 4, paced: true });
    // A limit of 1 for IAM (WI_ATLAS_API_LIMITS) is its full concurrency.
    expect(pacedConcurrency("k8s", limits({ iam: 1 }), { iam: load(100, 30, 0, 1), k8s: load(10, 100) })).toEqual({ concurrency: 1, paced: true });
  });

  it("before its own first answer, takes its requests to last as long as the others' on average", () => {
    // IAM 5,000 at 30 ms = 18.75 s; Kubernetes' 10 unanswered taken at 30 ms: 1 at a time.
    expect(pacedConcurrency("k8s", limits(), { iam: load(5000, 30), k8s: load(10) })).toEqual({ concurrency: 1, paced: true });
    // Nothing answered anywhere yet: the counts alone decide (IAM's 15 against the projects' 14 policies: IAM keeps its limit).
    expect(pacedConcurrency("iam", limits(), { iam: load(15), crm: load(14) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("crm", limits(), { iam: load(15), crm: load(4) })).toEqual({ concurrency: 4, paced: true });
    expect(pacedConcurrency("k8s", limits(), { iam: load(598), k8s: load(1) })).toEqual({ concurrency: 1, paced: true });
  });

  it("takes the others' average slot time for an API yet to answer, not a fixed guess", () => {
    // IAM: 100 at 300 ms = 3.75 s at 8; Kubernetes' 100 unanswered at 300 ms = 30 s at 1: full speed.
    expect(pacedConcurrency("k8s", limits(), { iam: load(100, 300), k8s: load(100) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits(), { iam: load(100, 300), crm: load(100, 100), k8s: load(10) })).toEqual({ concurrency: 1, paced: true });
  });

  it("weighs its own request in flight for longer than its average (a hanging endpoint), not another API's", () => {
    const hung = (l: ReturnType<typeof load>, oldestMs: number) => ({ ...l, oldestMs });
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: load(10, 150) })).toEqual({ concurrency: 1, paced: true });
    // One of its requests has held its slot for 30 s: 10 × 30 s = 300 s at 1 — full speed, the rest not queued behind it.
    expect(pacedConcurrency("k8s", limits(), { iam: load(2000, 30), k8s: hung(load(10, 150), 30_000) })).toEqual({ concurrency: 8, paced: false });
    // IAM's hanging request leaves IAM's estimate (its other slots go on) and Kubernetes' pace as they were.
    expect(pacedConcurrency("k8s", limits(), { iam: hung(load(2000, 30), 30_000), k8s: load(10, 150) })).toEqual({ concurrency: 1, paced: true });
  });

  it("runs at its limit with nothing of its own or nothing else to do, and stays within 1 and its limit", () => {
    expect(pacedConcurrency("k8s", limits(), { iam: load(5000, 30), k8s: load(0, 100) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits(), { k8s: load(100, 100) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits(), { iam: load(0, 30), k8s: load(100, 100) })).toEqual({ concurrency: 8, paced: false });
    expect(pacedConcurrency("k8s", limits({ k8s: 2 }), { iam: load(1, 10), k8s: load(1000, 10) })).toEqual({ concurrency: 2, paced: false });
    expect(pacedConcurrency("k8s", limits({ k8s: 2 }), { iam: load(100000, 10), k8s: load(1, 10) })).toEqual({ concurrency: 1, paced: true });
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

  it("reads the lists a few at a time while IAM's queue is long, and 8 at a time once it is done", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"], paceEveryMs: 0 });
    // Each API's time a request holds a slot is learnt from its first answers.
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    reset();
    // IAM: 300 requests 2 at a time, about 1.5 s; Kubernetes: 40 requests of 10 ms, 0.4 s at 1 at a
    // time: 1 or 2 at a time, whatever the ratio of the two first answers up to 5.
    const iam = Array.from({ length: 300 }, () => get(caller, "iam", 10));
    const k8s = Array.from({ length: 40 }, () => get(caller, "k8s", 10));
    await Promise.all([...iam, ...k8s]);
    expect(maxInFlight.get("/k8s")).toBeLessThanOrEqual(2);
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
    // (Before their first answers the two were taken to be alike, and Kubernetes may have yielded for a moment.)
    const before = caller.stats.pacedMs?.k8s ?? 0;
    reset();
    await Promise.all([...Array.from({ length: 100 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBe(8);
    caller.endPacing();
    expect(caller.stats.pacedMs?.k8s ?? 0).toBe(before);
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

  it("paces every API it is asked to: the Google APIs with short queues yield to IAM's long one, which keeps its whole limit", async () => {
    const caller = new Caller({ limits: limits({ iam: 4 }), timeoutMs: 10_000, pace: API_NAMES, paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "crm", 10), get(caller, "container", 10)]);
    caller.endPacing();
    const before = { ...caller.stats.pacedMs };
    reset();
    // IAM: 400 requests 4 at a time, about 1 s; crm and container: 20 each, 0.2 s at 1 at a time
    // (1 or 2 at a time whatever the ratio of the first answers up to 6.6).
    await Promise.all([
      ...Array.from({ length: 400 }, () => get(caller, "iam", 10)),
      ...Array.from({ length: 20 }, () => get(caller, "crm", 10)),
      ...Array.from({ length: 20 }, () => get(caller, "container", 10)),
    ]);
    expect(maxInFlight.get("/iam")).toBe(4);
    expect(maxInFlight.get("/crm")).toBeLessThanOrEqual(2);
    expect(maxInFlight.get("/container")).toBeLessThanOrEqual(2);
    caller.endPacing();
    // Paced for the 20 requests' time at least (10 ms each, 2 at a time at most).
    expect((caller.stats.pacedMs?.crm ?? 0) - (before.crm ?? 0)).toBeGreaterThanOrEqual(90);
    expect((caller.stats.pacedMs?.iam ?? 0) - (before.iam ?? 0)).toBe(0);
  });

  it("does not leave a paced API's queue behind one request that hangs", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"], paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    reset();
    // IAM: 400 requests 2 at a time, about 2 s. Kubernetes: one request of 1.5 s, then 20 of 10 ms —
    // at 1 at a time, as the average alone would have it, all 20 behind the slow one.
    const t0 = performance.now();
    const iam = Array.from({ length: 400 }, () => get(caller, "iam", 10));
    const slow = get(caller, "k8s", 1500);
    const fast = Array.from({ length: 20 }, () => get(caller, "k8s", 10));
    await Promise.all(fast);
    const fastDone = performance.now() - t0;
    await Promise.all([slow, ...iam]);
    expect(fastDone).toBeLessThan(1200);
    expect(maxInFlight.get("/k8s")).toBeGreaterThanOrEqual(2);
  });

  it("holds pacing off while asked to (a collect's discovery), and paces again once let go", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, pace: ["k8s"], paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    caller.holdPacing(true);
    reset();
    await Promise.all([...Array.from({ length: 300 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBe(8);
    caller.holdPacing(false);
    reset();
    await Promise.all([...Array.from({ length: 300 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 10))]);
    expect(maxInFlight.get("/k8s")).toBeLessThanOrEqual(2);
  });

  it("does not pace without being asked to (WI_ATLAS_PACING=false, WI_ATLAS_K8S_PACING=false)", async () => {
    const caller = new Caller({ limits: limits({ iam: 2 }), timeoutMs: 10_000, paceEveryMs: 0 });
    await Promise.all([get(caller, "iam", 10), get(caller, "k8s", 10)]);
    reset();
    await Promise.all([...Array.from({ length: 100 }, () => get(caller, "iam", 10)), ...Array.from({ length: 40 }, () => get(caller, "k8s", 30))]);
    expect(maxInFlight.get("/k8s")).toBe(8);
    expect(caller.stats.pacedMs).toBeUndefined();
  });
});
