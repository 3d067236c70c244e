import { describe, expect, it } from "vitest";
import { loadConfig as loadFromEnv } from "../config";

const loadConfig = (env: Record<string, string>) => loadFromEnv(env as NodeJS.ProcessEnv);

const OIDC = {
  WI_ATLAS_AUTH: "oidc",
  WI_ATLAS_OIDC_ISSUER: "https://accounts.google.com",
  WI_ATLAS_OIDC_CLIENT_ID: "client",
  WI_ATLAS_OIDC_CLIENT_SECRET: "secret",
  WI_ATLAS_SESSION_SECRET: "s".repeat(32),
  WI_ATLAS_VIEWERS: "domain:example.com",
};

describe("sign-in configuration", () => {
  it("defaults to no sign-in", () => {
    expect(loadConfig({}).authMode).toBe("none");
    expect(loadConfig({}).auth).toBeUndefined();
  });

  it("names the variable when WI_ATLAS_AUTH is not iap, oidc or none", () => {
    expect(() => loadConfig({ WI_ATLAS_AUTH: "basic" })).toThrow('WI_ATLAS_AUTH must be "iap", "oidc" or "none", got "basic"');
  });

  it("oidc requires WI_ATLAS_VIEWERS, since a provider such as Google alone would admit every account", () => {
    expect(() => loadConfig({ ...OIDC, WI_ATLAS_VIEWERS: "" })).toThrow("WI_ATLAS_VIEWERS is required with WI_ATLAS_AUTH=oidc");
  });

  it("oidc requires the issuer, client and a session secret of at least 32 characters", () => {
    expect(() => loadConfig({ ...OIDC, WI_ATLAS_OIDC_ISSUER: "" })).toThrow("WI_ATLAS_OIDC_ISSUER is required");
    expect(() => loadConfig({ ...OIDC, WI_ATLAS_OIDC_CLIENT_SECRET: "" })).toThrow("WI_ATLAS_OIDC_CLIENT_SECRET is required");
    expect(() => loadConfig({ ...OIDC, WI_ATLAS_SESSION_SECRET: "short" })).toThrow("WI_ATLAS_SESSION_SECRET must be at least 32 characters");
  });

  it("iap requires WI_ATLAS_IAP_AUDIENCE and reads Google's key file unless told otherwise", () => {
    expect(() => loadConfig({ WI_ATLAS_AUTH: "iap" })).toThrow("WI_ATLAS_IAP_AUDIENCE is required with WI_ATLAS_AUTH=iap");
    const c = loadConfig({ WI_ATLAS_AUTH: "iap", WI_ATLAS_IAP_AUDIENCE: "/projects/1/global/backendServices/2" });
    expect(c.auth?.iapKeysUrl).toBe("https://www.gstatic.com/iap/verify/public_key");
  });

  it("a malformed role entry names its variable", () => {
    expect(() => loadConfig({ ...OIDC, WI_ATLAS_ROLE_OPERATOR: "ops@example.com" })).toThrow('WI_ATLAS_ROLE_OPERATOR: "ops@example.com" is not user:EMAIL, domain:DOMAIN or group:NAME');
  });

  it("parses the three lists", () => {
    const c = loadConfig({ ...OIDC, WI_ATLAS_ROLE_OPERATOR: "group:sre", WI_ATLAS_ROLE_ADMIN: "user:boss@example.com" });
    expect(c.auth).toMatchObject({ viewers: [{ kind: "domain", value: "example.com" }], operators: [{ kind: "group", value: "sre" }], admins: [{ kind: "user", value: "boss@example.com" }] });
  });
});

describe("start-up warnings", () => {
  it("says that group: entries never match under IAP, naming them", async () => {
    const { authWarnings } = await import("./authenticate");
    const c = loadConfig({ WI_ATLAS_AUTH: "iap", WI_ATLAS_IAP_AUDIENCE: "/projects/1/global/backendServices/2", WI_ATLAS_VIEWERS: "domain:example.com, group:readers", WI_ATLAS_ROLE_ADMIN: "group:admins" });
    expect(authWarnings(c)).toEqual([
      "WI_ATLAS_AUTH=iap: IAP's JWT carries no groups, so group:readers, group:admins never match. Grant groups access in IAP's own policy (roles/iap.httpsResourceAccessor) and list people or domains here.",
    ]);
    expect(authWarnings(loadConfig({ ...OIDC, WI_ATLAS_VIEWERS: "group:readers" }))).toEqual([]);
  });
});
