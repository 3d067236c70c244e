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
 * So a paced API (Kubernetes) runs at a quarter of its concurrency (at least 1) while the work queued
 * for another API would take more than PACE_RATIO times its own, and at full concurrency otherwise:
 * an estate whose clusters are its longest part (few accounts, many clusters) reads them at full
 * speed. An API's remaining time is estimated as (queued + in flight) × its recent time a request
 * held a slot ÷ its configured concurrency: what is queued, not what will be (a list's next pages
 * are unknown until its first answers), which errs towards full speed.
 */
import type { ApiLimit, ApiName } from "../../config";

/** Paced while another API's queued work is more than this many times its own. */
export const PACE_RATIO = 3;
/** Back to full speed when another API's is less than this many times its own (hysteresis). */
export const UNPACE_RATIO = 2;
/** A paced API's share of its concurrency. */
export const PACED_SHARE = 0.25;
/** How often the estimates are renewed, at most (ms). */
export const PACE_EVERY_MS = 200;

export type ApiLoad = { queued: number; inFlight: number; /** Recent ms a request held a slot (undefined before any answered). */ slotMs?: number };

/** The concurrency a paced API should run at, given every API's load. */
export function pacedConcurrency(api: ApiName, limits: Record<ApiName, ApiLimit>, loads: Partial<Record<ApiName, ApiLoad>>, paced: boolean): { concurrency: number; paced: boolean } {
  const full = limits[api].concurrency;
  const eta = (a: ApiName) => {
    const l = loads[a];
    if (!l || l.slotMs === undefined) return 0;
    return ((l.queued + l.inFlight) * l.slotMs) / limits[a].concurrency;
  };
  const own = eta(api);
  let longest = 0;
  for (const a of Object.keys(loads) as ApiName[]) if (a !== api) longest = Math.max(longest, eta(a));
  // With nothing of its own queued it has nothing to yield; nothing else queued, nothing to yield to.
  const mine = loads[api];
  const busy = mine !== undefined && mine.queued + mine.inFlight > 0 && longest > 0;
  const next = busy && (paced ? longest > UNPACE_RATIO * own : longest > PACE_RATIO * own);
  return { concurrency: next ? Math.max(1, Math.round(full * PACED_SHARE)) : full, paced: next };
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
