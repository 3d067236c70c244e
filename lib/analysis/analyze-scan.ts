/**
 * Analysis of the current inventory, run inside the scan's transaction (issue #3 fills this in).
 */
import type pg from "pg";

export type AnalysisSummary = { findings: number };

export async function analyzeScan(_client: pg.PoolClient, _scanId: number): Promise<AnalysisSummary> {
  return { findings: 0 };
}
