import { describe, expect, it } from "vitest";
import { API_NAMES, assertSafeListen, ConfigError, loadConfig, pacedApis, parseApiLimits } from "./config";

const env = (e: Record<string, string>) => e as unknown as NodeJS.ProcessEnv;

describe("WI_ATLAS_LISTEN and who may reach the web server", () => {
  it("listens on loopback only unless told otherwise, and never reads HOSTNAME", () => {
    const c = loadConfig(env({ HOSTNAME: "wi-atlas-web-7d9f8-abcde" }));
    expect(c.listen).toBe("127.0.0.1");
    expect(c.authMode).toBe("none");
    expect(c.allowUnauthenticated).toBe(false);
  });

  it("accepts IPv4 and IPv6 addresses, bracketed or not", () => {
    expect(loadConfig(env({ WI_ATLAS_LISTEN: "0.0.0.0" })).listen).toBe("0.0.0.0");
    expect(loadConfig(env({ WI_ATLAS_LISTEN: "[::]" })).listen).toBe("::");
    expect(loadConfig(env({ WI_ATLAS_LISTEN: " ::1 " })).listen).toBe("::1");
  });

  it("rejects a host name with a message naming the variable", () => {
    expect(() => loadConfig(env({ WI_ATLAS_LISTEN: "wi-atlas-web-0" }))).toThrow(
      'Invalid configuration:\n- WI_ATLAS_LISTEN must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, got "wi-atlas-web-0"',
    );
  });

  it("reads WI_ATLAS_AUTH as iap, oidc or none and rejects anything else", () => {
    const iap = { WI_ATLAS_IAP_AUDIENCE: "/projects/1/global/backendServices/2" };
    const oidc = { WI_ATLAS_OIDC_ISSUER: "https://accounts.google.com", WI_ATLAS_OIDC_CLIENT_ID: "id", WI_ATLAS_OIDC_CLIENT_SECRET: "s", WI_ATLAS_SESSION_SECRET: "x".repeat(32), WI_ATLAS_VIEWERS: "domain:acme.example" };
    expect(loadConfig(env({ WI_ATLAS_AUTH: "IAP", ...iap })).authMode).toBe("iap");
    expect(loadConfig(env({ WI_ATLAS_AUTH: "oidc", ...oidc })).authMode).toBe("oidc");
    expect(() => loadConfig(env({ WI_ATLAS_AUTH: "basic" }))).toThrow('WI_ATLAS_AUTH must be "iap", "oidc" or "none", got "basic"');
  });

  it("refuses a non-loopback address with no sign-in, naming both variables", () => {
    for (const listen of ["0.0.0.0", "::", "10.0.0.7"]) {
      const c = loadConfig(env({ WI_ATLAS_LISTEN: listen }));
      expect(() => assertSafeListen(c)).toThrow(ConfigError);
      expect(() => assertSafeListen(c)).toThrow(new RegExp(`^WI_ATLAS_LISTEN=${listen.replace(/\./g, "\\.")} accepts connections from other machines, but WI_ATLAS_AUTH=none`));
    }
  });

  it("starts on loopback with no sign-in, beyond it with sign-in, and beyond it without when explicitly allowed", () => {
    for (const e of <Record<string, string>[]>[{}, { WI_ATLAS_LISTEN: "127.0.0.2" }, { WI_ATLAS_LISTEN: "::1" }, { WI_ATLAS_LISTEN: "0.0.0.0", WI_ATLAS_AUTH: "iap", WI_ATLAS_IAP_AUDIENCE: "/projects/1/global/backendServices/2" }, { WI_ATLAS_LISTEN: "0.0.0.0", WI_ATLAS_ALLOW_UNAUTHENTICATED: "true" }]) {
      expect(() => assertSafeListen(loadConfig(env(e)))).not.toThrow();
    }
  });
});

const loadPublic = (e: Record<string, string>) => loadConfig(e as NodeJS.ProcessEnv);

describe("WI_ATLAS_PUBLIC_URL", () => {
  it("is unset by default and keeps only the origin of a root URL", () => {
    expect(loadPublic({}).publicUrl).toBeUndefined();
    expect(loadPublic({ WI_ATLAS_PUBLIC_URL: "https://Atlas.Example.com/" }).publicUrl).toBe("https://atlas.example.com");
    expect(loadPublic({ WI_ATLAS_PUBLIC_URL: "http://localhost:3000" }).publicUrl).toBe("http://localhost:3000");
  });

  it("refuses what is not an http(s) origin, naming the variable", () => {
    for (const [value, says] of [
      ["atlas.example.com", "must be a URL"],
      ["ftp://atlas.example.com", "must be an http(s) URL"],
      ["https://atlas.example.com/dashboard", "must be an origin with no path"],
    ]) {
      expect(() => loadPublic({ WI_ATLAS_PUBLIC_URL: value }), value).toThrow(ConfigError);
      expect(() => loadPublic({ WI_ATLAS_PUBLIC_URL: value }), value).toThrow(`WI_ATLAS_PUBLIC_URL ${says}`);
    }
  });
});

describe("WI_ATLAS_INVENTORY_PATH", () => {
  it("defaults to auto, and keeps direct and asset as they were", () => {
    expect(loadConfig(env({})).inventoryPath).toBe("auto");
    expect(loadConfig(env({ WI_ATLAS_INVENTORY_PATH: "" })).inventoryPath).toBe("auto");
    expect(loadConfig(env({ WI_ATLAS_INVENTORY_PATH: " Direct " })).inventoryPath).toBe("direct");
    expect(loadConfig(env({ WI_ATLAS_INVENTORY_PATH: "asset" })).inventoryPath).toBe("asset");
    expect(loadConfig(env({ WI_ATLAS_INVENTORY_PATH: "AUTO" })).inventoryPath).toBe("auto");
  });

  it("refuses anything else, naming the variable and its values", () => {
    expect(() => loadConfig(env({ WI_ATLAS_INVENTORY_PATH: "cai" }))).toThrow('WI_ATLAS_INVENTORY_PATH must be "auto", "direct" or "asset", got "cai"');
  });
});

describe("WI_ATLAS_API_LIMITS", () => {
  it("reads every API the README names, k8s included, on top of the default concurrency", () => {
    // The README's own example: `k8s` has a digit in its name (it was refused as malformed before).
    const limits = parseApiLimits("iam=16,k8s=8:600", 4);
    expect(limits.iam).toEqual({ concurrency: 16, perMinute: undefined });
    expect(limits.k8s).toEqual({ concurrency: 8, perMinute: 600 });
    expect(limits.crm).toEqual({ concurrency: 4 });
    expect(parseApiLimits(" cloudasset=4:300 , gkehub=2 ", 8).cloudasset).toEqual({ concurrency: 4, perMinute: 300 });
  });

  it("refuses an unknown API, a zero concurrency or a malformed part, naming the part", () => {
    for (const bad of ["k9s=2", "iam=0", "iam", "iam=two", "8k=2", "k8s=2:"]) {
      expect(() => parseApiLimits(bad, 8)).toThrow(ConfigError);
      expect(() => parseApiLimits(bad, 8)).toThrow(`WI_ATLAS_API_LIMITS: "${bad}" is not API=CONCURRENCY[:PER_MINUTE]`);
    }
  });
});

describe("WI_ATLAS_DISABLE_SCHEDULER and WI_ATLAS_LOG_LEVEL are checked at start like every other variable", () => {
  it("reads the scheduler switch as any boolean spelling, off by default", () => {
    expect(loadConfig(env({})).scheduleDisabled).toBe(false);
    for (const on of ["1", "true", "TRUE", "yes", "on"]) expect(loadConfig(env({ WI_ATLAS_DISABLE_SCHEDULER: on })).scheduleDisabled).toBe(true);
    for (const off of ["0", "false", "no", "off", ""]) expect(loadConfig(env({ WI_ATLAS_DISABLE_SCHEDULER: off })).scheduleDisabled).toBe(false);
    expect(() => loadConfig(env({ WI_ATLAS_DISABLE_SCHEDULER: "disabled" }))).toThrow('WI_ATLAS_DISABLE_SCHEDULER must be true or false, got "disabled"');
  });

  it("accepts the four log levels in any case and refuses anything else, naming it", () => {
    for (const ok of ["debug", "INFO", " warn ", "error", ""]) expect(() => loadConfig(env({ WI_ATLAS_LOG_LEVEL: ok }))).not.toThrow();
    for (const bad of ["verbose", "warning", "trace"]) expect(() => loadConfig(env({ WI_ATLAS_LOG_LEVEL: bad }))).toThrow(`WI_ATLAS_LOG_LEVEL must be debug, info, warn or error, got "${bad}"`);
  });
});

describe("WI_ATLAS_PACING and WI_ATLAS_K8S_PACING", () => {
  it("pace every API but Cloud Asset Inventory by default; each turns its part off, and anything but a boolean is refused", () => {
    expect(pacedApis(loadConfig(env({})))).toEqual(["crm", "iam", "container", "policyanalyzer", "gkehub", "k8s"]);
    expect(API_NAMES).toContain("cloudasset");
    expect(pacedApis(loadConfig(env({ WI_ATLAS_PACING: "false" })))).toEqual(["k8s"]);
    expect(pacedApis(loadConfig(env({ WI_ATLAS_K8S_PACING: "false" })))).toEqual(["crm", "iam", "container", "policyanalyzer", "gkehub"]);
    expect(pacedApis(loadConfig(env({ WI_ATLAS_PACING: "false", WI_ATLAS_K8S_PACING: "false" })))).toEqual([]);
    expect(() => loadConfig(env({ WI_ATLAS_PACING: "sometimes" }))).toThrow(/WI_ATLAS_PACING/);
  });
});
