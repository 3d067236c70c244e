/**
 * The analysis's output, row for row, pinned: issue 14 made it faster (indexes, memos, YAML written
 * directly) and none of that may change a single stored row. A digest of every row the analysis
 * stores (kind, key and content) for the demo and a generated org-s; a deliberate change to what the
 * analysis says updates the digest here, in the same commit, saying why.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { analyzeEstateFile, analyzeLoadedEstate } from "./testing";
import { analysisRows } from "./analyze-scan";
import { generateEstate } from "../simulator/generate-estate";
import type { AnalysisResult } from "./run-analysis";

/** Order-free: the rows sorted by kind and key (a scan stores them by key, in any order). */
function digest(r: AnalysisResult): string {
  const lines = analysisRows(r).map((x) => `${x.kind}|${x.key}|${JSON.stringify(x)}`);
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

describe("the analysis's stored rows", () => {
  it("are exactly those of before the speed work, for the demo", async () => {
    const r = await analyzeEstateFile("lib/simulator/estates/demo/estate.yaml", { timeoutMs: 120_000 });
    expect(digest(r)).toBe("1bd3b21fc8b1e9bf1ed852ebda00ef8a6127d3ce80638cd572a7bbcb83d8e764");
  });

  it("are exactly those of before the speed work, for a generated org-s", async () => {
    const r = await analyzeLoadedEstate(generateEstate("org-s", { seed: 5 }), { timeoutMs: 120_000 });
    expect(digest(r)).toBe("22458e6c949a1d01ce17764812fba15727ee1ea5800f68cf27ab668ac4c71230");
  });
});
