import { describe, expect, it } from "vitest";
import { hasRole, parseRoleList, roleFor, type RoleLists } from "./roles";

const lists = (v: string, o = "", a = ""): RoleLists => ({
  viewers: parseRoleList("WI_ATLAS_VIEWERS", v),
  operators: parseRoleList("WI_ATLAS_ROLE_OPERATOR", o),
  admins: parseRoleList("WI_ATLAS_ROLE_ADMIN", a),
});
const who = (email: string, groups: string[] = []) => ({ email, groups });

describe("role lists", () => {
  it("parses user, domain and group entries, lower-casing them", () => {
    expect(parseRoleList("X", " user:Ann@Example.com, domain:Example.ORG ,group:Platform-Team ")).toEqual([
      { kind: "user", value: "ann@example.com" },
      { kind: "domain", value: "example.org" },
      { kind: "group", value: "platform-team" },
    ]);
    expect(parseRoleList("X", "")).toEqual([]);
  });

  it("rejects an entry without a kind, naming the variable and the entry", () => {
    expect(() => parseRoleList("WI_ATLAS_VIEWERS", "ann@example.com")).toThrow('WI_ATLAS_VIEWERS: "ann@example.com" is not user:EMAIL, domain:DOMAIN or group:NAME');
    expect(() => parseRoleList("WI_ATLAS_ROLE_ADMIN", "user:not-an-email")).toThrow('WI_ATLAS_ROLE_ADMIN: "user:not-an-email"');
    expect(() => parseRoleList("WI_ATLAS_ROLE_ADMIN", "domain:localhost")).toThrow("WI_ATLAS_ROLE_ADMIN");
  });
});

describe("roleFor", () => {
  const l = lists("domain:example.com, group:auditors", "user:ops@example.com, group:sre", "user:boss@other.org");

  it("gives the highest role any list grants", () => {
    expect(roleFor(who("ann@example.com"), l)).toBe("viewer");
    expect(roleFor(who("ops@example.com"), l)).toBe("operator");
    expect(roleFor(who("boss@other.org"), l)).toBe("admin");
    expect(roleFor(who("someone@elsewhere.net", ["sre"]), l)).toBe("operator");
    expect(roleFor(who("someone@elsewhere.net", ["Auditors"]), l)).toBe("viewer");
  });

  it("a higher list admits someone who is on no viewer list", () => {
    expect(roleFor(who("boss@other.org"), lists("", "", "user:boss@other.org"))).toBe("admin");
  });

  it("compares addresses without regard to case", () => {
    expect(roleFor(who("OPS@Example.com"), l)).toBe("operator");
  });

  it("a domain matches that domain only, not a subdomain nor a look-alike", () => {
    expect(roleFor(who("ann@eu.example.com"), l)).toBeNull();
    expect(roleFor(who("ann@badexample.com"), l)).toBeNull();
    expect(roleFor(who("example.com@evil.net"), l)).toBeNull();
  });

  it("someone on no list has no role, unless every authenticated person may view", () => {
    expect(roleFor(who("x@nowhere.io"), l)).toBeNull();
    expect(roleFor(who("x@nowhere.io"), lists(""), { everyoneViews: true })).toBe("viewer");
  });
});

describe("hasRole", () => {
  it("includes lower roles in higher ones, and nothing in no role", () => {
    expect(hasRole("admin", "operator")).toBe(true);
    expect(hasRole("admin", "viewer")).toBe(true);
    expect(hasRole("operator", "admin")).toBe(false);
    expect(hasRole("viewer", "operator")).toBe(false);
    expect(hasRole("viewer", "viewer")).toBe(true);
    expect(hasRole(null, "viewer")).toBe(false);
  });
});
