import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { analyzeEstateFile, findingLines } from "./testing";
import { RULES } from "./rules";

const EXPECTED = readFileSync("lib/simulator/estates/demo/expected-findings.txt", "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"));

describe("the demo estate", () => {
  it("produces exactly the committed findings, rule by rule", async () => {
    const r = await analyzeEstateFile("lib/simulator/estates/demo/estate.yaml");
    expect(findingLines(r)).toEqual(EXPECTED);
  });

  it("makes every rule fire somewhere", () => {
    const fired = new Set(EXPECTED.filter((l) => l.split(" ")[2] === "open").map((l) => l.split(" ")[0]));
    expect(RULES.map((r) => r.id).filter((id) => !fired.has(id))).toEqual([]);
  });
});
