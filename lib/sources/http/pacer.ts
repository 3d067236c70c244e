/**
 * Pacing: an API whose work will end long before another's yields slots to the critical path.
 *
 * A scan's length is set by its longest API (at `org-l`, IAM's per-account requests: 20,000 of them
 * at 8 at a time). Every answer costs this process some CPU on its one event loop — a Kubernetes list
 * page the most (hundreds of objects to inflate, parse, transform and stage), a Google answer a little
 * (the client's request and response handling) — and at full concurrency every API's work is done in
 * the scan's first seconds, all at once, while the critical API's answers wait for the event loop
 * behind it. Measured on `org-l` (IAM's requests, 1,460 per 5 s once the loop is free), three scans
 * alternated with the rule before (Kubernetes alone paced, at a quarter of its concurrency): 610-785
 * against 301-351 in the scan's first 5 s, 7,105-7,452 against 6,536-6,893 in its first 30 s.
 *
 * So each API runs at the least concurrency (at least 1, at most its limit) at which its remaining
 * work still ends well before the longest other API's: PACE_MARGIN times its own estimate at that
 * concurrency is no longer than the longest other estimate. The longest API itself always gets its
 * whole limit, and an API whose work would outlast the longest other's does too. An API's remaining
 * work is its queued and in-flight requests plus those its caller says are still to come (the
 * clusters waiting for their turn, each with its lists; the accounts of the projects whose list has
 * not answered yet) × its recent time a request held a slot; others' estimates are taken at their full
 * concurrency (what they would take unpaced), its own at the concurrency it would run at. Until one of
 * an API's own requests has answered, its requests are taken to last as long as the others' on
 * average (a first Kubernetes answer, read while the worker is still cold, takes 400–800 ms and would
 * put it at full speed through the scan's first seconds). Its own request in flight for longer than
 * its average (an endpoint that hangs until its timeout) counts at the time it has held its slot so
 * far, so the rest of its queue does not wait behind it. Renewed as requests are added and end, so an
 * API whose queued work turns out longer gets more slots as soon as its estimate says so, and every
 * API gets its whole limit once nothing else is left.
 *
 * What the estimate cannot see: a chain's later pages (each paged list is one request in its queue at
 * a time) and requests waiting out a retry's backoff. So a collect holds pacing off during discovery
 * (a chain everything else waits for: Caller.holdPacing), and Cloud Asset Inventory, whose work is a
 * few long chains of search pages the collect waits for, is never paced (lib/config.ts, pacedApis).
 */
import type { ApiLimit, ApiName } from "../../config";

/** An API runs at the least concurrency at which this many times its own estimate is still no longer than the longest other API's. */
export const PACE_MARGIN = 1.5;
/** How often the estimates are renewed, at most (ms): as requests start and end, not on a timer. */
export const PACE_EVERY_MS = 200;

export type ApiLoad = {
  queued: number;
  inFlight: number;
  /** Requests its caller expects to make and has not queued yet. */
  expected?: number;
  /** The concurrency it runs at now. */
  concurrency: number;
  /** Recent ms a request held a slot (undefined before any answered). */
  slotMs?: number;
  /** How long its oldest request in flight has held its slot so far (ms; undefined with none in flight). */
  oldestMs?: number;
};

const work = (l: ApiLoad) => l.queued + l.inFlight + (l.expected ?? 0);

/** The concurrency `api` should run at, given every API's load; `paced` when below its limit. */
export function pacedConcurrency(api: ApiName, limits: Record<ApiName, ApiLimit>, loads: Partial<Record<ApiName, ApiLoad>>): { concurrency: number; paced: boolean } {
  const full = limits[api].concurrency;
  const mine = loads[api];
  if (!mine || work(mine) === 0) return { concurrency: full, paced: false };
  // An API yet to hear one answer of its own: as long a request as the others' on average.
  let sum = 0;
  let n = 0;
  for (const l of Object.values(loads)) {
    if (l?.slotMs === undefined) continue;
    sum += l.slotMs;
    n++;
  }
  const slot = (l: ApiLoad) => l.slotMs ?? (n ? sum / n : 1);
  let longest = 0;
  for (const [a, l] of Object.entries(loads) as [ApiName, ApiLoad][]) {
    if (a === api || !l) continue;
    longest = Math.max(longest, (work(l) * slot(l)) / Math.max(1, limits[a]?.concurrency ?? l.concurrency));
  }
  // Nothing else to yield to: full speed.
  if (longest === 0) return { concurrency: full, paced: false };
  // Its own requests: one in flight longer than the recent average (an endpoint that hangs until its
  // timeout, a page far larger than the rest) says more of what is left than the average does, and
  // with it holding the API's only slot the rest would wait behind it. (Another API's hanging request
  // does not lengthen that API's estimate: its other slots go on.)
  const need = Math.ceil((PACE_MARGIN * work(mine) * Math.max(slot(mine), mine.oldestMs ?? 0)) / longest);
  const concurrency = Math.min(full, Math.max(1, need));
  return { concurrency, paced: concurrency < full };
}

/** A moving average of a request's time in a slot (recent requests weigh most). */
export class SlotAverage {
  private value: number | undefined;
  constructor(private readonly weight = 0.1) {}
  add(ms: number) {
    this.value = this.value === undefined ? ms : this.value + this.weight * (ms - this.value);
  }
  get ms(): number | undefined {
    return this.value;
  }
}
