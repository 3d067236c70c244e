/**
 * Every API call the scanner makes goes through `Caller.call`: one concurrency/rate limit per API,
 * one timeout, and one retry policy for GET and POST alike (the client libraries' own retries are
 * turned off so that they do not multiply): 429, 5xx, network errors and timeouts are retried with
 * full-jitter exponential backoff that honours Retry-After; 400/401/403/404 are permanent.
 */
import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import type { ApiLimit, ApiName } from "../../config";
import { ApiError } from "./api-error";
import { chainStep } from "./chain";
import { PACE_EVERY_MS, pacedConcurrency, SlotAverage } from "./pacer";

export type RetryPolicy = {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After we are willing to wait, in ms. */
  maxRetryAfterMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 120_000 };

/**
 * The shared policy's delay before retry number `attempt` (1-based): full-jitter exponential backoff,
 * or the server's Retry-After (seconds) when it gave one, capped. Notifications (lib/notify) use it too.
 */
export function backoffDelay(p: RetryPolicy, attempt: number, retryAfter?: number, random: () => number = Math.random): number {
  const jitter = Math.floor(random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1)));
  if (retryAfter !== undefined) return Math.min(p.maxRetryAfterMs, Math.max(retryAfter * 1000, jitter));
  return jitter;
}

export type CallStats = {
  requests: Record<ApiName, number>;
  retries: number;
  waitedMs: number;
  /** The longest chain of dependent requests (see chain.ts), retries included. */
  chain: number;
  /**
   * Milliseconds each API's requests held a concurrency slot, summed (from when the client was
   * called to when its answer was parsed): ÷ requests is the latency a request saw end to end; ÷
   * (the API's busy span × its concurrency) is how full its slots were.
   */
  slotMs: Record<ApiName, number>;
  /** Milliseconds each paced API spent at its reduced concurrency (see pacer.ts); absent when none was. */
  pacedMs?: Partial<Record<ApiName, number>>;
};

export class CancelledError extends Error {
  constructor() {
    super("The scan was cancelled");
    this.name = "CancelledError";
  }
}

/** The span of one step of Caller.slotTimeline. */
export const SLOT_SPAN_MS = 5000;

export class Caller {
  private queues = new Map<ApiName, PQueue>();
  readonly stats: CallStats = { requests: { crm: 0, iam: 0, container: 0, policyanalyzer: 0, cloudasset: 0, gkehub: 0, k8s: 0 }, retries: 0, waitedMs: 0, chain: 0, slotMs: { crm: 0, iam: 0, container: 0, policyanalyzer: 0, cloudasset: 0, gkehub: 0, k8s: 0 } };

  constructor(
    private readonly opts: {
      limits: Record<ApiName, ApiLimit>;
      timeoutMs: number;
      retry?: RetryPolicy;
      /** Aborts waits and in-flight requests when the scan is cancelled. */
      signal?: AbortSignal;
      sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
      random?: () => number;
      /** APIs that yield slots to the critical path while their own work is far shorter (pacer.ts). */
      pace?: ApiName[];
      /** How often pacing is renewed, at most (ms; PACE_EVERY_MS). */
      paceEveryMs?: number;
      /** The span of one step of slotTimeline (ms; SLOT_SPAN_MS). */
      slotSpanMs?: number;
    },
  ) {
    // Every request in flight listens on the scan's signal (removed when it ends): hundreds at once
    // in a large scan are expected, not a leak.
    if (this.opts.signal) setMaxListeners(0, this.opts.signal);
  }

  private queue(api: ApiName): PQueue {
    let q = this.queues.get(api);
    if (!q) {
      const l = this.opts.limits[api];
      q = new PQueue({
        concurrency: l.concurrency,
        ...(l.perMinute ? { intervalCap: l.perMinute, interval: 60_000, carryoverIntervalCount: true } : {}),
      });
      this.queues.set(api, q);
    }
    return q;
  }

  private readonly slotAverages = new Map<ApiName, SlotAverage>();
  /** Per API, when each request in flight took its slot (pacing weighs a request that hangs). */
  private readonly holding = new Map<ApiName, number[]>();
  /** Per API, per span since the first request started: requests started and their slot ms (see slotTimeline). */
  private readonly spans = new Map<ApiName, { n: number[]; ms: number[] }>();
  private firstHeld: number | undefined;
  private readonly pacedSince = new Map<ApiName, number>();
  private pacedAt = 0;
  private readonly expected = new Map<ApiName, () => number>();

  /**
   * Tells pacing how many more requests of `api` are to come that are not queued yet (the clusters
   * waiting for their turn, say): a paced API's remaining work is not underestimated.
   */
  expectMore(api: ApiName, count: () => number) {
    this.expected.set(api, count);
  }

  /**
   * Renews the paced APIs' concurrency from every API's queued work, at most every PACE_EVERY_MS, as
   * requests are added and end. `adding`: the API of a request about to be queued, counted.
   */
  private pace(adding?: ApiName) {
    if (!this.opts.pace?.length || this.pacingHeld) return;
    const now = performance.now();
    // A paced API's first request after it went idle is always weighed: its burst (a cluster's
    // lists) would otherwise start at whatever concurrency it was left at.
    const q = adding && this.opts.pace.includes(adding) ? this.queues.get(adding) : undefined;
    const burst = q !== undefined && q.size + q.pending === 0;
    if (!burst && now - this.pacedAt < (this.opts.paceEveryMs ?? PACE_EVERY_MS)) return;
    this.pacedAt = now;
    const loads = Object.fromEntries(
      [...this.queues].map(([api, q]) => [
        api,
        { queued: q.size + (api === adding ? 1 : 0), inFlight: q.pending, expected: this.expected.get(api)?.() ?? 0, concurrency: q.concurrency, slotMs: this.slotAverages.get(api)?.ms, oldestMs: this.oldestHeld(api, now) },
      ]),
    );
    for (const api of this.opts.pace) {
      const q = this.queues.get(api);
      if (!q) continue;
      const was = this.pacedSince.get(api);
      const { concurrency, paced } = pacedConcurrency(api, this.opts.limits, loads);
      if (q.concurrency !== concurrency) q.concurrency = concurrency;
      if (paced && was === undefined) this.pacedSince.set(api, now);
      if (!paced && was !== undefined) this.endPaced(api, was, now);
    }
  }

  private pacingHeld = false;
  /**
   * Holds pacing off (every API at its limit) while `held`: a collect holds it through discovery, a
   * chain every later request waits for, whose one request at a time would look short to the rest.
   */
  holdPacing(held: boolean) {
    this.pacingHeld = held;
    if (!held) return;
    const now = performance.now();
    for (const [api, since] of this.pacedSince) {
      this.endPaced(api, since, now);
      this.queues.get(api)!.concurrency = this.opts.limits[api].concurrency;
    }
  }

  /** How long the oldest of `api`'s requests in flight has held its slot (undefined with none in flight). */
  private oldestHeld(api: ApiName, now: number): number | undefined {
    const h = this.holding.get(api);
    if (!h?.length) return undefined;
    let oldest = h[0];
    for (const t of h) if (t < oldest) oldest = t;
    return now - oldest;
  }

  /** `api` leaves pacing: its time paced counts into stats.pacedMs. */
  private endPaced(api: ApiName, since: number, now: number) {
    this.pacedSince.delete(api);
    (this.stats.pacedMs ??= {})[api] = (this.stats.pacedMs[api] ?? 0) + (now - since);
  }

  /** Ends pacing (its time counted into stats.pacedMs): the scan's collect is over. */
  endPacing() {
    const now = performance.now();
    for (const [api, since] of this.pacedSince) {
      this.endPaced(api, since, now);
      this.queues.get(api)!.concurrency = this.opts.limits[api].concurrency;
    }
    this.expected.clear();
  }

  private sleep(ms: number): Promise<void> {
    if (this.opts.sleep) return this.opts.sleep(ms, this.opts.signal);
    return new Promise((resolve, reject) => {
      if (this.opts.signal?.aborted) return reject(new CancelledError());
      const t = setTimeout(resolve, ms);
      this.opts.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(t);
          reject(new CancelledError());
        },
        { once: true },
      );
    });
  }

  /**
   * One attempt's signal: aborted by its timeout (reason: a TimeoutError, as AbortSignal.timeout's)
   * or by the scan's cancellation. Its timer and its listener on the scan's signal are removed as
   * soon as the attempt ends: AbortSignal.timeout + AbortSignal.any would leave a live timer and a
   * registration on the scan's signal behind every request until its timeout passed (minutes),
   * thousands of them in a large scan.
   */
  private attemptSignal(): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    }, this.opts.timeoutMs);
    const scan = this.opts.signal;
    const onCancel = () => ac.abort(scan?.reason);
    if (scan?.aborted) onCancel();
    else scan?.addEventListener("abort", onCancel, { once: true });
    return {
      signal: ac.signal,
      timedOut: () => timedOut,
      done: () => {
        clearTimeout(timer);
        scan?.removeEventListener("abort", onCancel);
      },
    };
  }

  /** The delay before retry number `attempt` (1-based) after `err`. */
  backoff(attempt: number, err: ApiError): number {
    return backoffDelay(this.opts.retry ?? DEFAULT_RETRY, attempt, err.opts.retryAfter, this.opts.random);
  }

  private get spanMs(): number {
    return this.opts.slotSpanMs ?? SLOT_SPAN_MS;
  }

  private spanAdd(api: ApiName, held: number, ms: number) {
    const i = Math.floor((held - this.firstHeld!) / this.spanMs);
    let s = this.spans.get(api);
    if (!s) this.spans.set(api, (s = { n: [], ms: [] }));
    while (s.n.length <= i) {
      s.n.push(0);
      s.ms.push(0);
    }
    s.n[i]++;
    s.ms[i] += ms;
  }

  /**
   * How `api`'s requests fared over time: for each span (SLOT_SPAN_MS) from the start of the caller's first request, the
   * requests that started in it and the average time each held a slot. Where the average rises above
   * the API's latency, this process or the machine held its answers up (at org-l: the first 20 s,
   * while the clusters are listed and the process is still warming up).
   */
  slotTimeline(api: ApiName): { fromMs: number; requests: number; msEach: number }[] {
    const s = this.spans.get(api);
    if (!s) return [];
    return s.n.map((n, i) => ({ fromMs: i * this.spanMs, requests: n, msEach: n ? s.ms[i] / n : 0 }));
  }

  /** A view of this caller that also counts its requests into `counter` (per-source request counts). */
  counted(counter: { requests: number }): Pick<Caller, "call"> {
    return {
      call: <T>(api: ApiName, fn: (signal: AbortSignal) => Promise<T>, normalize: (err: unknown) => ApiError) =>
        this.call(
          api,
          (signal) => {
            counter.requests++;
            return fn(signal);
          },
          normalize,
        ),
    };
  }

  /**
   * Runs `fn` under the API's limit with a per-attempt timeout signal. `normalize` turns whatever
   * the client threw into an ApiError.
   */
  async call<T>(api: ApiName, fn: (signal: AbortSignal) => Promise<T>, normalize: (err: unknown) => ApiError): Promise<T> {
    const policy = this.opts.retry ?? DEFAULT_RETRY;
    for (let attempt = 1; ; attempt++) {
      if (this.opts.signal?.aborted) throw new CancelledError();
      const step = chainStep();
      if (step.depth > this.stats.chain) this.stats.chain = step.depth;
      try {
        const q = this.queue(api);
        this.pace(api);
        const result = await q.add(
          async () => {
            this.stats.requests[api]++;
            const attempt = this.attemptSignal();
            const held = performance.now();
            this.firstHeld ??= held;
            let holding = this.holding.get(api);
            if (!holding) this.holding.set(api, (holding = []));
            holding.push(held);
            let answered = false;
            try {
              const r = await fn(attempt.signal);
              answered = true;
              return r;
            } catch (err) {
              if (this.opts.signal?.aborted) throw new CancelledError();
              const e = normalize(err);
              if (attempt.timedOut() && e.status === 0) throw new ApiError(api, 0, e.message.replace(/:.*$/, "") + ": request timed out", { isTimeout: true });
              throw e;
            } finally {
              attempt.done();
              holding.splice(holding.indexOf(held), 1);
              const ms = performance.now() - held;
              this.stats.slotMs[api] += ms;
              this.spanAdd(api, held, ms);
              if (this.opts.pace?.length) {
                // Answers only: a timeout's or a refused request's time says nothing of the API's pace.
                if (answered) {
                  let avg = this.slotAverages.get(api);
                  if (!avg) this.slotAverages.set(api, (avg = new SlotAverage()));
                  avg.add(ms);
                }
                this.pace();
              }
            }
          },
        );
        step.end();
        return result as T;
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        step.end();
        const e = err instanceof ApiError ? err : normalize(err);
        if (!e.isRetryable || attempt >= policy.maxAttempts) throw e;
        const wait = this.backoff(attempt, e);
        this.stats.retries++;
        this.stats.waitedMs += wait;
        await this.sleep(wait);
      }
    }
  }
}
