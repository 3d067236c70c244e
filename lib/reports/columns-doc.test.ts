import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { columnsMarkdown } from "./columns-doc";
import { TABLES } from "./tables";

describe("the README's list of CSV columns", () => {
  it("matches the columns declared in code, report by report", () => {
    const readme = readFileSync("README.md", "utf8");
    for (const line of columnsMarkdown().split("\n")) expect(readme).toContain(line);
  });

  it("puts subject first and uses snake_case headers in every report", () => {
    for (const t of Object.values(TABLES)) {
      expect(t.columns[0].id, t.name).toBe("subject");
      for (const c of t.columns) expect(c.id, `${t.name}.${c.id}`).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});
