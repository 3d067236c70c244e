import { describe, expect, it } from "vitest";
import { DEFAULT_PATH_TEMPLATE, parsePathTemplate, renderPath } from "./path-template";

const ok = (raw: string | undefined) => {
  const r = parsePathTemplate(raw);
  if (!r.ok) throw new Error(r.error);
  return r.template;
};
const values = { project: "acme-prod", location: "asia-northeast1", cluster: "prod", namespace: "billing", gsa: "billing" };

describe("path templates", () => {
  it("default to clusters/{cluster}/{namespace}/ when none is given", () => {
    expect(ok(undefined)).toEqual({ text: DEFAULT_PATH_TEMPLATE, uses: ["cluster", "namespace"] });
    expect(ok("  ")).toEqual({ text: "clusters/{cluster}/{namespace}/", uses: ["cluster", "namespace"] });
  });

  it("render every placeholder, add the trailing slash and drop a leading ./", () => {
    expect(renderPath(ok("./gitops/{project}/{location}/{cluster}/{namespace}/wi-{gsa}"), values)).toBe("gitops/acme-prod/asia-northeast1/prod/billing/wi-billing/");
    expect(renderPath(ok("overlays/{cluster}/"), values)).toBe("overlays/prod/");
  });

  it("keep a rendered value from adding directories", () => {
    expect(renderPath(ok("x/{namespace}/"), { ...values, namespace: "../etc" })).toBe("x/.._etc/");
    expect(renderPath(ok("x/{namespace}/"), { ...values, namespace: ".." })).toBe("x/_/");
  });

  it.each([
    ["../outside/{cluster}/", '"." or ".." directory'],
    ["a/../../b/", '"." or ".." directory'],
    ["/etc/{cluster}/", "must be relative to the repository root"],
    ["C:/repo/", "must be relative to the repository root"],
    ["~/repo/", "must be relative to the repository root"],
    ["a\\b/", "must use / between directories"],
    ["clusters/{clustr}/", "{clustr} is not a placeholder; use {project}, {location}, {cluster}, {namespace}, {gsa}"],
    ["clusters/{cluster/", "has an unmatched { or }"],
    ["clusters/$HOME/", 'holds "$"'],
    ["a//b/", "has an empty directory name"],
    [".git/hooks/", "must not write into .git"],
    ["x".repeat(201), "must be at most 200 characters"],
  ])("reject %s, naming the problem", (raw, says) => {
    const r = parsePathTemplate(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(says);
  });
});
