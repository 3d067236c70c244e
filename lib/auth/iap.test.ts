import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "jose";
import { createIapVerifier, IapRejected } from "./iap";
import { startTestIap, TEST_IAP_AUDIENCE, type TestIap } from "../testing/iap-keys";
import { loadConfig as loadFromEnv } from "../config";

const loadConfig = (env: Record<string, string>) => loadFromEnv(env as NodeJS.ProcessEnv);
import { identify, requireRole } from "./authenticate";
import { Problem } from "../api/problem";

let iap: TestIap;
beforeAll(async () => {
  iap = await startTestIap();
});
afterAll(() => iap.close());

const reason = async (p: Promise<unknown>) => {
  try {
    await p;
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(IapRejected);
    return (err as IapRejected).reason;
  }
};

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("IAP assertion", () => {
  const verifier = () => createIapVerifier({ audience: TEST_IAP_AUDIENCE, keysUrl: iap.keysUrl });

  it("a token signed with IAP's key for our audience yields the bare, lower-case email", async () => {
    expect(await verifier()(await iap.sign({ email: "Ann@Example.com" }))).toEqual({ email: "ann@example.com", groups: [] });
  });

  it("rejects a token for another backend (wrong aud)", async () => {
    expect(await reason(verifier()(await iap.sign({ aud: "/projects/123456789/global/backendServices/1" })))).toBe("audience");
  });

  it("rejects a token from another issuer", async () => {
    expect(await reason(verifier()(await iap.sign({ iss: "https://accounts.google.com" })))).toBe("issuer");
  });

  it("rejects an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(verifier()(await iap.sign({ iat: now - 3600, exp: now - 1200 })))).toBe("expired");
  });

  it("rejects alg none, and an HS256 token whatever it is signed with", async () => {
    const good = await iap.sign();
    const [, payload] = good.split(".");
    expect(await reason(verifier()(`${b64({ alg: "none", kid: "test-iap-key" })}.${payload}.`))).toBe("algorithm");
    expect(await reason(verifier()(`${b64({ alg: "HS256", kid: "test-iap-key" })}.${payload}.${good.split(".")[2]}`))).toBe("algorithm");
  });

  it("rejects a token signed with another key under IAP's key id", async () => {
    const other = await generateKeyPair("ES256");
    expect(await reason(verifier()(await iap.sign({}, { key: other.privateKey })))).toBe("signature");
  });

  it("rejects a token whose payload was altered after signing", async () => {
    const [h, , s] = (await iap.sign()).split(".");
    const forged = b64({ email: "boss@example.com", iss: "https://cloud.google.com/iap", aud: TEST_IAP_AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });
    expect(await reason(verifier()(`${h}.${forged}.${s}`))).toBe("signature");
  });

  it("rejects a token naming a key IAP does not publish, and garbage", async () => {
    expect(await reason(verifier()(await iap.sign({}, { header: { kid: "nope" } })))).toBe("unknown-key");
    expect(await reason(verifier()("not.a-jwt"))).toBe("malformed");
    expect(await reason(verifier()(""))).toBe("missing");
  });

  it("rejects a valid token without an email", async () => {
    expect(await reason(verifier()(await iap.sign({ email: undefined })))).toBe("no-email");
  });

  it("never quotes the token in its error", async () => {
    const token = await iap.sign({ aud: "elsewhere" });
    const err = await verifier()(token).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain(token.split(".")[1]);
  });
});

describe("requests under WI_ATLAS_AUTH=iap", () => {
  const cfg = () =>
    loadConfig({
      WI_ATLAS_AUTH: "iap",
      WI_ATLAS_IAP_AUDIENCE: TEST_IAP_AUDIENCE,
      WI_ATLAS_IAP_KEYS_URL: iap.keysUrl,
      WI_ATLAS_VIEWERS: "domain:example.com",
      WI_ATLAS_ROLE_OPERATOR: "user:ops@example.com",
    });
  const req = (headers: Record<string, string>) => new Request("http://localhost/api/scans", { method: "POST", headers });
  const status = (p: Promise<unknown>) => p.then(() => 200, (e: Problem) => e.status);

  it("the unsigned x-goog-authenticated-user-email header alone identifies nobody", async () => {
    const c = cfg();
    expect(await identify(req({ "x-goog-authenticated-user-email": "accounts.google.com:ops@example.com", "x-goog-authenticated-user-id": "accounts.google.com:1" }), c)).toEqual({ identity: null, reason: "IAP assertion missing" });
    expect(await status(requireRole(req({ "x-goog-authenticated-user-email": "accounts.google.com:ops@example.com" }), "viewer", c))).toBe(401);
  });

  it("a viewer may read but not start a scan; an operator may", async () => {
    const c = cfg();
    const viewer = { "x-goog-iap-jwt-assertion": await iap.sign({ email: "ann@example.com" }) };
    const operator = { "x-goog-iap-jwt-assertion": await iap.sign({ email: "ops@example.com" }) };
    expect(await status(requireRole(req(viewer), "viewer", c))).toBe(200);
    expect(await status(requireRole(req(viewer), "operator", c))).toBe(403);
    expect(await requireRole(req(operator), "operator", c)).toEqual({ email: "ops@example.com", role: "operator", mode: "iap", name: undefined });
    expect(await status(requireRole(req(operator), "admin", c))).toBe(403);
  });

  it("someone IAP let through who is on no list gets 403", async () => {
    const c = cfg();
    const h = { "x-goog-iap-jwt-assertion": await iap.sign({ email: "x@elsewhere.net" }) };
    expect(await status(requireRole(req(h), "viewer", c))).toBe(403);
  });

  it("with no viewer list, everyone IAP lets through may read (IAP's policy already chose them)", async () => {
    const c = loadConfig({ WI_ATLAS_AUTH: "iap", WI_ATLAS_IAP_AUDIENCE: TEST_IAP_AUDIENCE, WI_ATLAS_IAP_KEYS_URL: iap.keysUrl });
    const h = { "x-goog-iap-jwt-assertion": await iap.sign({ email: "x@elsewhere.net" }) };
    expect((await requireRole(req(h), "viewer", c)).role).toBe("viewer");
    expect(await status(requireRole(req(h), "operator", c))).toBe(403);
  });
});
