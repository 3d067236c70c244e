import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig as load } from "./config";

const loadConfig = (env: Record<string, string>) => load(env as NodeJS.ProcessEnv);

describe("WI_ATLAS_PUBLIC_URL", () => {
  it("is unset by default and keeps only the origin of a root URL", () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ WI_ATLAS_PUBLIC_URL: "https://Atlas.Example.com/" }).publicUrl).toBe("https://atlas.example.com");
    expect(loadConfig({ WI_ATLAS_PUBLIC_URL: "http://localhost:3000" }).publicUrl).toBe("http://localhost:3000");
  });

  it("refuses what is not an http(s) origin, naming the variable", () => {
    for (const [value, says] of [
      ["atlas.example.com", "must be a URL"],
      ["ftp://atlas.example.com", "must be an http(s) URL"],
      ["https://atlas.example.com/dashboard", "must be an origin with no path"],
    ]) {
      expect(() => loadConfig({ WI_ATLAS_PUBLIC_URL: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({ WI_ATLAS_PUBLIC_URL: value }), value).toThrow(`WI_ATLAS_PUBLIC_URL ${says}`);
    }
  });
});
