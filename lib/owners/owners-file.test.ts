import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseOwners, OwnersFileError } from "./owners-file";
import { ownerOf, ownerSql } from "./match-owner";
import { DEMO_OWNERS } from "../config";

const GOOD = `
teams:
  - team: payments
    contact: "#payments"
    namespaces: [payments, "prod/orders", "acme-prod/asia-northeast1/prod/batch"]
    gsas: ["pay-*@acme-prod.iam.gserviceaccount.com"]
  - team: platform
    contact: platform@acme.example
    namespaces: ["team-*"]
    projects: [acme-prod]
    notify: {slack: "https://hooks.slack.com/services/T/B/x"}
`;

describe("the owners file", () => {
  it("reads teams, contacts, per-team channels and rules in precedence order", () => {
    const o = parseOwners(GOOD, "owners.yaml");
    expect(o.teams.map((t) => [t.team, t.contact, t.notify?.slack ?? null])).toEqual([
      ["payments", "#payments", null],
      ["platform", "platform@acme.example", "https://hooks.slack.com/services/T/B/x"],
    ]);
    expect(o.rules.map((r) => `${r.on}:${r.cluster ? r.cluster + "/" : ""}${r.pattern}=${r.team}`)).toEqual([
      "namespace:acme-prod/asia-northeast1/prod/batch=payments",
      "namespace:prod/orders=payments",
      "namespace:payments=payments",
      "namespace:team-*=platform",
      "gsa:pay-*@acme-prod.iam.gserviceaccount.com=payments",
      "project:acme-prod=platform",
    ]);
  });

  it("gives a row to its namespace's team first, then its GSA's, then its project's", () => {
    const o = parseOwners(GOOD, "owners.yaml");
    const who = (s: Parameters<typeof ownerOf>[1]) => ownerOf(o, s)?.team ?? null;
    expect(who({ project: "acme-prod", cluster: "cluster:acme-prod/asia-northeast1/prod", namespace: "orders" })).toBe("payments");
    expect(who({ project: "acme-prod", cluster: "cluster:acme-prod/asia-northeast1/staging", namespace: "orders" })).toBe("platform");
    expect(who({ project: "acme-prod", cluster: "cluster:acme-prod/asia-northeast1/prod", namespace: "team-a", gsa: "pay-1@acme-prod.iam.gserviceaccount.com" })).toBe("platform");
    expect(who({ project: "acme-prod", gsa: "pay-1@acme-prod.iam.gserviceaccount.com" })).toBe("payments");
    expect(who({ project: "acme-prod", gsa: "other@acme-prod.iam.gserviceaccount.com" })).toBe("platform");
    expect(who({ project: "acme-data", namespace: "ml" })).toBe(null);
    expect(ownerOf(undefined, { project: "acme-prod" })).toBe(undefined);
  });

  it("compiles the same rules into one SQL case expression with quoted literals", () => {
    const o = parseOwners(GOOD, "owners.yaml");
    expect(ownerSql(o, { project: "o.project", gsa: "o.gsa" })).toBe(
      "(case when o.gsa ~ '^pay-[^/]*@acme-prod\\.iam\\.gserviceaccount\\.com$' then 'payments' when o.project = 'acme-prod' then 'platform' end)",
    );
    expect(ownerSql(undefined, { project: "o.project" })).toBe("null::text");
  });

  it("names the line and field of a wrong value", () => {
    const bad = GOOD.replace('contact: platform@acme.example', 'contact: "not a contact"').replace('"team-*"', '"Team_A"');
    let err: Error | undefined;
    try {
      parseOwners(bad, "owners.yaml");
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(OwnersFileError);
    expect(err?.message).toBe(
      [
        "Invalid owners file (WI_ATLAS_OWNERS):",
        "- owners.yaml:8:14: teams.1.contact: must be an email address or a Slack channel such as #payments",
        "- owners.yaml:9:18: teams.1.namespaces.0: must be NAMESPACE, CLUSTER/NAMESPACE or PROJECT/LOCATION/CLUSTER/NAMESPACE (lower case; * matches within a part)",
      ].join("\n"),
    );
  });

  it("names an unknown field, a duplicate team, a bad URL and broken YAML", () => {
    const msg = (text: string) => {
      try {
        parseOwners(text, "o.yaml");
        return "parsed";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg("teams:\n  - team: a\n    namspaces: [x]\n")).toBe('Invalid owners file (WI_ATLAS_OWNERS):\n- o.yaml:2:5: teams.0: Unrecognized key: "namspaces"');
    expect(msg("teams:\n  - team: a\n  - team: a\n")).toBe('Invalid owners file (WI_ATLAS_OWNERS):\n- o.yaml:3:11: teams.1.team: team "a" is declared twice');
    expect(msg("teams:\n  - team: a\n    notify: {slack: ftp://x}\n")).toBe("Invalid owners file (WI_ATLAS_OWNERS):\n- o.yaml:3:21: teams.0.notify.slack: must be an http(s) URL (a Slack incoming webhook)");
    expect(msg("teams: [\n")).toMatch(/^o\.yaml:\d+:\d+: /);
    expect(msg("")).toBe("Invalid owners file (WI_ATLAS_OWNERS):\n- o.yaml: teams: Invalid input: expected array, received undefined");
  });

  it("accepts the demo's owners file", () => {
    const o = parseOwners(readFileSync(DEMO_OWNERS, "utf8"), "owners.yaml");
    expect(o.teams.map((t) => t.team)).toEqual(["payments", "reporting", "data", "legacy-batch", "platform"]);
  });
});
