import { describe, expect, it } from "vitest";
import { checkRequest, contentSecurityPolicy, secureRequest, type SecurityOptions } from "./security";

const local: SecurityOptions = { isDev: false };
const pub: SecurityOptions = { isDev: false, publicUrl: "https://atlas.example.com" };

const req = (method: string, url: string, headers: Record<string, string>) => ({ method, url, headers: new Headers(headers) });

describe("checkRequest", () => {
  it("lets a same-origin JSON POST through, by Origin or by Sec-Fetch-Site", () => {
    expect(checkRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", origin: "http://localhost:3000", "content-type": "application/json" }), local)).toBeNull();
    expect(checkRequest(req("DELETE", "http://localhost:3000/api/suppressions/1", { host: "localhost:3000", "sec-fetch-site": "same-origin", "content-type": "application/json; charset=utf-8" }), local)).toBeNull();
  });

  it("refuses a cross-origin form post with 403 naming the origin", () => {
    const r = checkRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }), local);
    expect(r?.status).toBe(403);
    expect(r?.code).toBe("cross_origin");
    expect(r?.message).toContain('Origin "https://evil.example"');
  });

  it("refuses a state change with neither Origin nor Sec-Fetch-Site: same-origin, and an opaque Origin", () => {
    expect(checkRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", "content-type": "application/json" }), local)?.code).toBe("cross_origin");
    expect(checkRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", "sec-fetch-site": "cross-site", "content-type": "application/json" }), local)?.code).toBe("cross_origin");
    expect(checkRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", origin: "null", "content-type": "application/json" }), local)?.code).toBe("cross_origin");
  });

  it("refuses a same-origin state change whose body is not declared JSON with 415", () => {
    for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", ""]) {
      const headers: Record<string, string> = { host: "localhost:3000", origin: "http://localhost:3000" };
      if (type) headers["content-type"] = type;
      const r = checkRequest(req("PUT", "http://localhost:3000/api/x", headers), local);
      expect(r?.status, type).toBe(415);
      expect(r?.message).toContain("Content-Type must be application/json");
    }
  });

  it("leaves reads alone whatever their origin when no public URL is set", () => {
    expect(checkRequest(req("GET", "http://localhost:3000/api/findings", { host: "localhost:3000", origin: "https://evil.example" }), local)).toBeNull();
  });

  it("with a public URL, wants exactly its origin on a state change and its host on every request but health", () => {
    const ok = { host: "atlas.example.com", origin: "https://atlas.example.com", "content-type": "application/json" };
    expect(checkRequest(req("POST", "http://atlas.example.com/api/scans", ok), pub)).toBeNull();
    // Same host, other scheme: not the same origin.
    expect(checkRequest(req("POST", "http://atlas.example.com/api/scans", { ...ok, origin: "http://atlas.example.com" }), pub)?.code).toBe("cross_origin");
    // A DNS-rebinding page reaches us under its own name: refused even for a read.
    const rebound = checkRequest(req("GET", "http://evil.example/api/findings", { host: "evil.example" }), pub);
    expect(rebound).toEqual({ status: 403, code: "wrong_host", message: 'This dashboard answers at https://atlas.example.com (WI_ATLAS_PUBLIC_URL); the request named host "evil.example"' });
    expect(checkRequest(req("GET", "http://atlas.example.com:443/", { host: "ATLAS.example.com:443" }), pub)).toBeNull();
    // Probes address the pod by IP.
    expect(checkRequest(req("GET", "http://10.0.0.7:3000/api/health", { host: "10.0.0.7:3000" }), pub)).toBeNull();
  });

  it("refuses a path with malformed percent-encoding with 400, for any method", () => {
    expect(checkRequest(req("GET", "http://localhost:3000/api/objects/%E0%A4%A", { host: "localhost:3000" }), local)).toEqual({
      status: 400,
      code: "bad_request",
      message: 'The path segment "%E0%A4%A" has malformed percent-encoding (each % must start a %XX escape of UTF-8)',
    });
    expect(checkRequest(req("GET", "http://localhost:3000/objects/a%ZZ/timeline", { host: "localhost:3000" }), local)?.status).toBe(400);
    expect(checkRequest(req("GET", "http://localhost:3000/objects/gsa%3Aa%40b.c", { host: "localhost:3000" }), local)).toBeNull();
  });

  it("refuses an API query string with malformed percent-encoding or a control character with 400, as sent", () => {
    expect(checkRequest(req("GET", "http://localhost:3000/api/search?q=%", { host: "localhost:3000" }), local)).toEqual({
      status: 400,
      code: "bad_request",
      message: 'Query parameter "q" has malformed percent-encoding ("%"; each % must start a %XX escape of UTF-8)',
    });
    expect(checkRequest(req("GET", "http://localhost:3000/api/findings?q=a%00b", { host: "localhost:3000" }), local)?.message).toBe('Query parameter "q" holds a control character');
    expect(checkRequest(req("GET", "http://localhost:3000/api/findings?q=50%25%20off", { host: "localhost:3000" }), local)).toBeNull();
  });
});

describe("contentSecurityPolicy", () => {
  it("allows only nonce'd scripts and what they load, no framing, plugins or base URL, and the layout worker and exports", () => {
    expect(contentSecurityPolicy("abc", local)).toBe(
      "default-src 'self'; script-src 'self' 'nonce-abc' 'strict-dynamic'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it("adds 'unsafe-eval' only for the development server, and upgrade-insecure-requests only behind https", () => {
    expect(contentSecurityPolicy("n", { isDev: true })).toContain("script-src 'self' 'nonce-n' 'strict-dynamic' 'unsafe-eval';");
    expect(contentSecurityPolicy("n", pub).endsWith("; upgrade-insecure-requests")).toBe(true);
    expect(contentSecurityPolicy("n", { isDev: false, publicUrl: "http://atlas.internal" })).not.toContain("upgrade-insecure-requests");
  });
});

describe("secureRequest", () => {
  it("hands the app a fresh nonce per request, in x-nonce and in the policy Next reads", () => {
    const a = secureRequest(req("GET", "http://localhost:3000/", { host: "localhost:3000" }), local);
    const b = secureRequest(req("GET", "http://localhost:3000/", { host: "localhost:3000" }), local);
    const nonce = a.requestHeaders.get("x-nonce")!;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(b.requestHeaders.get("x-nonce")).not.toBe(nonce);
    expect(a.requestHeaders.get("content-security-policy")).toContain(`'nonce-${nonce}'`);
    expect(a.responseHeaders).toEqual({
      "content-security-policy": a.requestHeaders.get("content-security-policy"),
      "x-content-type-options": "nosniff",
      "referrer-policy": "strict-origin-when-cross-origin",
      "x-frame-options": "DENY",
    });
    expect(a.refusal).toBeUndefined();
  });

  it("answers a refused request with the JSON problem and the security headers", async () => {
    const s = secureRequest(req("POST", "http://localhost:3000/api/scans", { host: "localhost:3000", origin: "https://evil.example", "content-type": "text/plain" }), local);
    expect(s.refusal?.status).toBe(403);
    expect(s.refusal?.headers.get("x-frame-options")).toBe("DENY");
    expect(await s.refusal?.json()).toEqual({
      error: { code: "cross_origin", message: `Cross-origin POST refused: Origin "https://evil.example" is not this dashboard's origin (host localhost:3000); changes must come from the dashboard's own pages` },
    });
  });
});
