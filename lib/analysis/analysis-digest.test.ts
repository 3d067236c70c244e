/**
 * The analysis's output, row for row, pinned: issue 14 made it faster (indexes, memos, YAML written
 * directly) and none of that may change a single stored row. A digest of every row the analysis
 * stores (kind, key and content) for the demo and a generated org-s; a deliberate change to what the
 * analysis says updates the digest here, in the same commit, saying why.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { collectLoadedEstate } from "./testing";
import { loadEstateFile } from "../simulator/load-estate";
import { analysisRows, analysisRowStream } from "./analyze-scan";
import { generateEstate } from "../simulator/generate-estate";
import { runAnalysis, type AnalysisResult } from "./run-analysis";

/** Order-free: the rows sorted by kind and key (a scan stores them by key, in any order). */
function digest(r: AnalysisResult, opts: { release?: boolean } = {}): string {
  // With `release`, as a scan streams them (each part dropped from the result once its rows are out).
  const rows = opts.release ? [...analysisRowStream(r, { release: true })] : analysisRows(r);
  const lines = rows.map((x) => `${x.kind}|${x.key}|${JSON.stringify(x)}`);
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

describe("the analysis's stored rows", () => {
  // Each estate analysed twice: as the what-if and the checks do (plans made with the statuses) and as
  // a scan does (plans deferred to the status rows, AnalysisResult.planOf); the rows must be the same.
  it("are exactly those of before the speed work, for the demo, with plans and fixes made up front or deferred", async () => {
    const input = await collectLoadedEstate(loadEstateFile("lib/simulator/estates/demo/estate.yaml"), { timeoutMs: 120_000 });
    const deferred = runAnalysis(input, { deferFixes: true });
    // Deferred: no plan and no function-made fix is in the result's objects, only in the rows.
    expect(deferred.statuses.some((s) => s.plan.length)).toBe(false);
    const keyFile = deferred.findings.filter((f) => f.rule === "workload-uses-key-file" && f.state === "open");
    expect(keyFile.length).toBeGreaterThan(0);
    expect(keyFile.every((f) => f.fixes.length === 0)).toBe(true);
    expect(digest(deferred)).toBe("1bd3b21fc8b1e9bf1ed852ebda00ef8a6127d3ce80638cd572a7bbcb83d8e764");
    expect(digest(runAnalysis(input, { deferFixes: true }), { release: true })).toBe("1bd3b21fc8b1e9bf1ed852ebda00ef8a6127d3ce80638cd572a7bbcb83d8e764");
    expect(digest(runAnalysis(input))).toBe("1bd3b21fc8b1e9bf1ed852ebda00ef8a6127d3ce80638cd572a7bbcb83d8e764");
  });

  it("are exactly those of before the speed work, for a generated org-s, with plans and fixes made up front or deferred", async () => {
    const input = await collectLoadedEstate(generateEstate("org-s", { seed: 5 }), { timeoutMs: 120_000 });
    expect(digest(runAnalysis(input, { deferFixes: true }), { release: true })).toBe("22458e6c949a1d01ce17764812fba15727ee1ea5800f68cf27ab668ac4c71230");
    expect(digest(runAnalysis(input))).toBe("22458e6c949a1d01ce17764812fba15727ee1ea5800f68cf27ab668ac4c71230");
  });
});
