/**
 * Pacing: an API whose work will end long before another's yields slots to the critical path.
 *
 * A scan's length is set by its longest API (at `org-l`, IAM's per-account requests: 20,000 of them
 * at 8 at a time). Kubernetes list pages are the one kind of answer that costs the scanner real CPU
 * (hundreds of objects to inflate, parse and transform per page), and at full concurrency they are
 * read in the scan's first seconds, all at once, while the critical API's answers wait for the event
 * loop behind them. Measured on `org-l`: Kubernetes at 8 at a time took 153 ms a request and IAM
 * 30.8 ms; at 2 at a time, 59 ms and 29.4 ms, and the collect ended 3.6 s sooner — Kubernetes still
 * done in the first 18 s of 77.
 *
 * So a paced API (Kubernetes) runs at a quarter of its concurrency (at least 1) while, even at that
 * pace, its remaining work would end well before another API's: PACE_MARGIN times its paced estimate
 * is still shorter than the longest other estimate. It returns to full concurrency as soon as
 * UNPACE_MARGIN times its paced estimate no longer is. An API's remaining work is its queued and
 * in-flight requests plus those its caller says are still to come (the clusters waiting for their
 * turn, each with its lists), × its recent time a request held a slot; its paced estimate divides
 * that by the paced concurrency, others' by their own. The recent time measured at full concurrency
 * is the larger one where our CPU is the limit (150 ms against 60 at `org-l`), and the same where the
 * network is, so the paced estimate never undercounts: an estate whose clusters are its longest part
 * (few accounts, many clusters) reads them at full speed. Until one of its own requests has answered,
 * an API is not paced.
 */
import type { ApiLimit, ApiName } from "../../config";

/** Paced while this many times its own work, at the paced concurrency, is shorter than another API's. */
export const PACE_MARGIN = 1.5;
/** Back to full speed once this many times it no longer is (hysteresis). */
export const UNPACE_MARGIN = 1.2;
/** A paced API's share of its concurrency. */
export const PACED_SHARE = 0.25;
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
};

/** The concurrency a paced API runs at. */
export function pacedShare(full: number): number {
  return Math.max(1, Math.round(full * PACED_SHARE));
}

/** The concurrency a paced API should run at, given every API's load. */
export function pacedConcurrency(api: ApiName, limits: Record<ApiName, ApiLimit>, loads: Partial<Record<ApiName, ApiLoad>>, paced: boolean): { concurrency: number; paced: boolean } {
  const full = limits[api].concurrency;
  const work = (l: ApiLoad) => l.queued + l.inFlight + (l.expected ?? 0);
  let longest = 0;
  for (const [a, l] of Object.entries(loads) as [ApiName, ApiLoad][]) {
    if (a === api || l.slotMs === undefined) continue;
    longest = Math.max(longest, (work(l) * l.slotMs) / Math.max(1, l.concurrency));
  }
  const mine = loads[api];
  // Nothing of its own to do, nothing known of its pace, or nothing else to yield to: full speed.
  if (!mine || mine.slotMs === undefined || work(mine) === 0 || longest === 0) return { concurrency: full, paced: false };
  const ownPaced = (work(mine) * mine.slotMs) / pacedShare(full);
  const next = ownPaced * (paced ? UNPACE_MARGIN : PACE_MARGIN) < longest;
  return { concurrency: next ? pacedShare(full) : full, paced: next };
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
