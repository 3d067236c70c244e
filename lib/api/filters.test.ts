import { describe, expect, it } from "vitest";
import { filtersToQuery, parseFilters } from "./filters";
import { Problem } from "./problem";
import { RULES } from "../analysis/rules";

const parse = (q: string) => parseFilters(new URLSearchParams(q));
function problem(q: string): Problem {
  try {
    parse(q);
  } catch (err) {
    if (err instanceof Problem) return err;
    throw err;
  }
  throw new Error(`"${q}" was accepted`);
}

describe("the filter parser", () => {
  it("reads one value as a list of one, exactly as a single-value URL did", () => {
    const f = parse("severity=high&project=acme-prod&cluster=acme-prod/asia-northeast1/prod&gsa=gsa:Orders@acme-prod.iam.gserviceaccount.com");
    expect(f).toEqual({
      severity: ["high"],
      project: ["acme-prod"],
      cluster: ["cluster:acme-prod/asia-northeast1/prod"],
      gsa: ["orders@acme-prod.iam.gserviceaccount.com"],
      order: "asc",
      orderGiven: false,
      page: 1,
      pageSize: 50,
    });
  });

  it("takes repeated parameters, comma lists and both mixed, in the order given, without duplicates", () => {
    expect(parse("severity=critical&severity=high").severity).toEqual(["critical", "high"]);
    expect(parse("severity=critical,high").severity).toEqual(["critical", "high"]);
    expect(parse("severity=critical, high&severity=medium&severity=high").severity).toEqual(["critical", "high", "medium"]);
    expect(parse("namespace=orders,,payments&namespace=").namespace).toEqual(["orders", "payments"]);
    expect(parse("state=open,suppressed").state).toEqual(["open", "suppressed"]);
    expect(parse("rule=key-in-secret,gsa-shared").rule).toEqual(["key-in-secret", "gsa-shared"]);
  });

  it("leaves a filter out when it has no value, and ignores parameters that are not filters", () => {
    const f = parse("severity=&focus=gsa:x@y.z&utm_source=mail&hops=3");
    expect(f).toEqual({ order: "asc", orderGiven: false, page: 1, pageSize: 50 });
  });

  it("refuses an unknown severity naming the parameter, the value and the allowed values", () => {
    const p = problem("severity=critical,urgent");
    expect(p.status).toBe(400);
    expect(p.message).toBe('Query parameter "severity" ("urgent") must be one of critical, high, medium, low, info');
    expect(p.details).toEqual({ parameter: "severity", value: "urgent" });
  });

  it("refuses a rule id the rule table does not have, listing the rules", () => {
    const p = problem("rule=key-in-secret&rule=no-such-rule");
    expect(p.message).toBe(`Query parameter "rule" ("no-such-rule") is not a rule; rules are ${RULES.map((r) => r.id).join(", ")}`);
    expect(p.details).toEqual({ parameter: "rule", value: "no-such-rule" });
  });

  it("refuses a malformed value of any multi-value filter by name", () => {
    expect(problem("project=acme-prod,NOT_A_PROJECT").message).toBe('Query parameter "project" ("NOT_A_PROJECT") must be a project id');
    expect(problem("cluster=acme-prod").message).toBe('Query parameter "cluster" ("acme-prod") must be PROJECT/LOCATION/NAME (or cluster:PROJECT/LOCATION/NAME)');
    expect(problem("namespace=Orders").message).toBe('Query parameter "namespace" ("Orders") must be a Kubernetes namespace name');
    expect(problem("gsa=not-an-email").message).toBe('Query parameter "gsa" ("not-an-email") must be a service account email (or gsa:EMAIL)');
    expect(problem("state=OPEN").message).toBe('Query parameter "state" ("OPEN") must be a state such as open, unverified or suppressed');
  });

  it("refuses malformed single-value parameters as before", () => {
    expect(problem("page=two").message).toBe('Query parameter "page" ("two") must be a number');
    expect(problem("page=0").message).toBe('Query parameter "page" ("0") must be 1 or more');
    expect(problem("pageSize=501").message).toBe('Query parameter "pageSize" ("501") must be at most 500');
    expect(problem("order=up").message).toBe('Query parameter "order" ("up") must be asc or desc');
    expect(problem("sort=a;b").message).toBe('Query parameter "sort" ("a;b") must be a column id');
  });

  it("writes several values back as repeated parameters", () => {
    const f = parse("severity=critical,high&project=acme-prod&q=orders");
    const { page: _p, pageSize: _s, ...rest } = f;
    expect(filtersToQuery(rest)).toBe("project=acme-prod&severity=critical&severity=high&q=orders");
    expect(parse(filtersToQuery(rest)).severity).toEqual(["critical", "high"]);
  });
});
