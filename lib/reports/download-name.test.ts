import { describe, expect, it } from "vitest";
import { downloadName, NAME_MAX } from "./download-name";
import { parseFilters } from "../api/filters";

const name = (table: string, q: string) => downloadName(table, parseFilters(new URLSearchParams(q)));

describe("a CSV's download name", () => {
  it("is the table alone without filters", () => {
    expect(name("findings", "")).toBe("wi-atlas-findings.csv");
  });

  it("carries the filter values after the table, project first and severity after, whatever the URL's order", () => {
    expect(name("findings", "severity=critical,high&project=acme-prod")).toBe("wi-atlas-findings-acme-prod-critical-high.csv");
    expect(name("findings", "project=acme-prod&severity=critical&severity=high")).toBe("wi-atlas-findings-acme-prod-critical-high.csv");
  });

  it("reduces clusters, emails and search text to letters, digits and dashes", () => {
    expect(name("workloads", "cluster=acme-prod/asia-northeast1/prod&gsa=Orders@acme-prod.iam.gserviceaccount.com&q=Payments API")).toBe(
      "wi-atlas-workloads-acme-prod-asia-northeast1-prod-orders-acme-prod-iam-gserviceaccount-com-payments-api.csv",
    );
  });

  it("is capped in length however many values the filter holds", () => {
    const many = Array.from({ length: 40 }, (_, i) => `team-namespace-${i}`).join(",");
    const n = name("findings", `namespace=${many}`);
    expect(n.length).toBeLessThanOrEqual(NAME_MAX + ".csv".length);
    expect(n).toMatch(/^wi-atlas-findings-team-namespace-0-team-namespace-1-[a-z0-9-]*[a-z0-9]\.csv$/);
  });
});
