import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { CREDENTIAL_SCAN_LIMITS, credentialTypes, findCredentials } from "./find-credentials";
import { GOOGLE_P12_BASE64, KEYSTORE_P12_BASE64 } from "../testing/p12-fixtures";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
const PEM = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const KEY_ID = "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b";
const KEY = { type: "service_account", project_id: "acme-prod", private_key_id: KEY_ID, private_key: PEM, client_email: "batch@acme-prod.iam.gserviceaccount.com", client_id: "1" };
const KEY_FILE = JSON.stringify(KEY, null, 2);
const SUMMARY = { dataKey: "v", type: "service_account", clientEmail: "batch@acme-prod.iam.gserviceaccount.com", keyId: KEY_ID, projectId: "acme-prod", audience: null, impersonates: null, sourceType: null };

function expectNoKey(x: unknown) {
  const t = JSON.stringify(x);
  for (const m of [KEY_BODY, "PRIVATE KEY", b64(KEY_FILE).slice(0, 24)]) expect(t).not.toContain(m);
}

describe("findCredentials", () => {
  it("finds a key file as is, and says it holds a private key", () => {
    const f = findCredentials("v", KEY_FILE);
    expect(f).toEqual({ credentials: [{ ...SUMMARY, encoding: "json" }], hasPrivateKey: true, otherPkcs12: 0, truncated: false });
    expectNoKey(f);
  });

  it("finds the key through base64 inside base64 inside base64 (Terraform's output, stored base64 again, then once more)", () => {
    expect(findCredentials("v", b64(b64(KEY_FILE))).credentials).toEqual([{ ...SUMMARY, encoding: "base64-base64-json" }]);
    expect(findCredentials("v", b64(b64(b64(KEY_FILE)))).credentials).toEqual([{ ...SUMMARY, encoding: "base64-base64-base64-json" }]);
  });

  it("finds a key object nested in a Helm values file (YAML), naming where it sits", () => {
    const values = toYaml({ replicaCount: 2, image: { repository: "acme/app" }, gcp: { project: "acme-prod", credentials: KEY } });
    const f = findCredentials("values.yaml", values);
    expect(f.credentials).toEqual([{ ...SUMMARY, dataKey: "values.yaml", encoding: "yaml", path: "gcp.credentials" }]);
    expect(credentialTypes([f])).toEqual(["service_account (yaml at gcp.credentials)"]);
    expectNoKey(f);
  });

  it("finds a key file held as text in a YAML block scalar and in a JSON string field", () => {
    const yamlDoc = `app:\n  name: x\n  serviceAccountJson: |\n${KEY_FILE.split("\n").map((l) => `    ${l}`).join("\n")}\n`;
    expect(findCredentials("v", yamlDoc).credentials).toEqual([{ ...SUMMARY, encoding: "yaml-json", path: "app.serviceAccountJson" }]);
    const jsonDoc = JSON.stringify({ settings: { google: { keyJson: KEY_FILE, keyB64: b64(KEY_FILE) } } });
    expect(findCredentials("v", jsonDoc).credentials).toEqual([
      { ...SUMMARY, encoding: "json-json", path: "settings.google.keyJson" },
      { ...SUMMARY, encoding: "json-base64-json", path: "settings.google.keyB64" },
    ]);
  });

  it("finds a PEM private key on its own without calling it a Google credential", () => {
    const f = findCredentials("tls.key", PEM);
    expect(f).toEqual({ credentials: [], hasPrivateKey: true, otherPkcs12: 0, truncated: false });
    expect(credentialTypes([f])).toEqual(["pem-private-key"]);
    for (const kind of ["RSA ", "EC ", "ENCRYPTED ", "OPENSSH "]) expect(findCredentials("k", PEM.replaceAll("PRIVATE KEY", `${kind}PRIVATE KEY`)).hasPrivateKey).toBe(true);
  });

  it("recognises Google's P12 key by its PKCS#12 structure and friendly name, in raw bytes or in base64, with the key id from the thumbprint file name", () => {
    const bytes = Buffer.from(GOOGLE_P12_BASE64, "base64");
    const expected = { type: "p12", clientEmail: null, projectId: null, audience: null, impersonates: null, sourceType: null };
    expect(findCredentials("key.p12", bytes).credentials).toEqual([{ ...expected, dataKey: "key.p12", keyId: null, encoding: "p12" }]);
    expect(findCredentials("credentials", b64(bytes)).credentials).toEqual([{ ...expected, dataKey: "credentials", keyId: null, encoding: "base64-p12" }]);
    expect(findCredentials(`${KEY_ID}.p12`, bytes).credentials[0].keyId).toBe(KEY_ID);
    expect(credentialTypes([findCredentials("key.p12", bytes)])).toEqual(["p12"]);
  });

  it("the corpus's pasted P12 key is the keyless fixture built in lib/testing (no key material is committed)", () => {
    const corpus = readFileSync(join(__dirname, "../simulator/estates/corpus/credentials-pasted-in-env/platform.yaml"), "utf8");
    expect(/"ledger-export\.p12": "([^"]+)"/.exec(corpus)?.[1]).toBe(GOOGLE_P12_BASE64);
    expect(Buffer.from(GOOGLE_P12_BASE64, "base64").includes(Buffer.from("NOT-A-KEY:wi-atlas-test-fixture;"))).toBe(true);
  });

  it("names a keystore that is not Google's (other friendly name, not a .p12 key) pkcs12, not a Google key", () => {
    const f = findCredentials("keystore", Buffer.from(KEYSTORE_P12_BASE64, "base64"));
    expect(f).toEqual({ credentials: [], hasPrivateKey: false, otherPkcs12: 1, truncated: false });
    expect(credentialTypes([f])).toEqual(["pkcs12"]);
  });

  it("finds nothing in ordinary values", () => {
    for (const v of ["postgres://app@db:5432/app", "/var/secrets/key.json", b64("hello world, this is not a key but it is long enough to decode"), '{"a":1}', "a: 1\nb: 2\n", "x".repeat(100)]) {
      expect(findCredentials("v", v)).toEqual({ credentials: [], hasPrivateKey: false, otherPkcs12: 0, truncated: false });
    }
  });

  it(`never parses more than ${CREDENTIAL_SCAN_LIMITS.maxBytes} bytes of a value: a larger one is searched only for a PEM marker`, () => {
    const padded = JSON.stringify({ key: KEY, pad: "x".repeat(CREDENTIAL_SCAN_LIMITS.maxBytes) });
    expect(findCredentials("v", padded)).toEqual({ credentials: [], hasPrivateKey: true, otherPkcs12: 0, truncated: true });
  });

  it(`stops after ${CREDENTIAL_SCAN_LIMITS.maxLayers} layers of base64 and ${CREDENTIAL_SCAN_LIMITS.maxDepth} levels of nesting, saying so`, () => {
    let deep = KEY_FILE;
    for (let i = 0; i < CREDENTIAL_SCAN_LIMITS.maxLayers + 1; i++) deep = b64(deep);
    expect(findCredentials("v", deep)).toMatchObject({ credentials: [], truncated: true });
    let nested: unknown = KEY;
    for (let i = 0; i < CREDENTIAL_SCAN_LIMITS.maxDepth + 2; i++) nested = { a: nested };
    expect(findCredentials("v", JSON.stringify(nested))).toMatchObject({ credentials: [], truncated: true });
  });

  it("answers quickly for hostile documents: a YAML alias bomb, a wide document, deep arrays", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]", "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]", "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]"].join("\n");
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, "y".repeat(70)])));
    const arrays = "[".repeat(100_000) + "]".repeat(100_000);
    const started = Date.now();
    expect(findCredentials("v", bomb).credentials).toEqual([]);
    expect(findCredentials("v", wide)).toMatchObject({ credentials: [], truncated: true });
    expect(findCredentials("v", arrays)).toMatchObject({ credentials: [], truncated: true });
    // Under a second on an idle core (the deep array is JSON.parse's own cost, capped by maxBytes); the
    // bound leaves room for a machine shared with other work, and still catches a blow-up.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
