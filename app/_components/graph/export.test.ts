import { describe, expect, it } from "vitest";
import { exportFileName, exportFrame, exportPixelRatio, EXPORT_PADDING } from "./export";

describe("the exported picture", () => {
  it("is named after a focused GSA's email, or overview without a focus", () => {
    expect(exportFileName("gsa:common-batch@acme-prod.iam.gserviceaccount.com", "png")).toBe("wi-atlas-graph-common-batch@acme-prod.iam.gserviceaccount.com.png");
    expect(exportFileName(null, "svg")).toBe("wi-atlas-graph-overview.svg");
  });

  it("names other subjects kind first, with every unsafe character replaced", () => {
    expect(exportFileName("key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46d", "png")).toBe("wi-atlas-graph-key-common-batch@acme-prod.iam.gserviceaccount.com-74177534f46d.png");
    expect(exportFileName("workload:p/l/c/ns/CronJob/daily settlement", "svg")).toBe("wi-atlas-graph-workload-p-l-c-ns-CronJob-daily-settlement.svg");
    expect(exportFileName("gsa:../../etc/passwd", "png")).toBe("wi-atlas-graph-etc-passwd.png");
    expect(exportFileName("gsa:" + "a".repeat(400), "png")).toHaveLength("wi-atlas-graph-".length + 150 + ".png".length);
  });

  it("covers every node's box with padding on each side", () => {
    const f = exportFrame([
      { x: 0, y: 0, width: 240, height: 60 },
      { x: 1000, y: -200, width: 240, height: 60 },
    ]);
    expect(f).toEqual({ x: -EXPORT_PADDING, y: -200 - EXPORT_PADDING, width: 1240 + 2 * EXPORT_PADDING, height: 260 + 2 * EXPORT_PADDING });
  });

  it("draws at twice the drawn size, lowering the ratio only for drawings past the browser's canvas limits", () => {
    expect(exportPixelRatio(2000, 1500)).toBe(2);
    expect(exportPixelRatio(2000, 12_000)).toBeCloseTo(16_384 / 12_000);
    expect(exportPixelRatio(2000, 12_000) * 12_000).toBeLessThanOrEqual(16_384);
  });
});
