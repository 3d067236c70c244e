import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { rulesMarkdown } from "./rules-doc";
import { RULES } from "./index";

describe("the rules", () => {
  it("are listed in the README exactly as declared", () => {
    expect(readFileSync("README.md", "utf8")).toContain(rulesMarkdown());
  });

  it("are one per file, each file named after its id and each with a test", () => {
    const files = readdirSync("lib/analysis/rules");
    for (const r of RULES) {
      expect(files, r.id).toContain(`${r.id}.ts`);
      expect(files, r.id).toContain(`${r.id}.test.ts`);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});
