/**
 * One what-if question end to end: read the slice of the current inventory the changes touch, and
 * answer from it (lib/whatif/engine.ts). Changes nothing anywhere.
 */
import type { Db } from "../store/db";
import type { Change } from "./changes";
import { answerWhatIf, type WhatIfAnswer } from "./engine";
import { loadSlice } from "./load-slice";

export type TimedAnswer = WhatIfAnswer & {
  /** The scan whose inventory was asked. */
  scanId: number;
  /** Reading the slice and analysing it twice, ms. */
  timings: { loadMs: number; analyseMs: number };
};

export async function whatIf(db: Db, changes: Change[]): Promise<TimedAnswer> {
  const t0 = performance.now();
  const slice = await loadSlice(db.pool, changes);
  const t1 = performance.now();
  const answer = answerWhatIf({ input: slice.input, changes, stored: slice.stored, allClusters: slice.allClusters });
  const t2 = performance.now();
  return { ...answer, slice: { clusters: slice.clusters, records: slice.input.records.length }, scanId: slice.scanId, timings: { loadMs: Math.round(t1 - t0), analyseMs: Math.round(t2 - t1) } };
}
