/**
 * Finds Google credential files in a Secret's (or ConfigMap's) data without keeping them, wherever
 * lib/inventory/find-credentials.ts looks (as is, base64 layers, nested in JSON or YAML, PKCS#12).
 * No Secret value is ever kept, whatever it looks like. Only a summary survives (type; a key's email, id and project; an
 * `external_account`'s audience; the impersonated account); private keys and refresh tokens are
 * dropped here, at the edge, and never reach the store, a log or an error message.
 */
import type { SecretCredential } from "./model";
import { credentialTypes, findCredentials } from "./find-credentials";

/**
 * Examines one data value; returns the first credential file in it (lib/inventory/find-credentials.ts
 * says where it looks: base64 layers, nested JSON/YAML, P12), or undefined.
 */
export function credentialFromValue(dataKey: string, decoded: string | Buffer): SecretCredential | undefined {
  return findCredentials(dataKey, decoded).credentials[0];
}

/**
 * What a credential file is, for the analysis (Google's ADC file types: https://google.aip.dev/auth/4110):
 * - `key`: a service account key — a `service_account` file, an `impersonated_service_account` file
 *   whose source is one, or a `gdch_service_account` file (it holds a private key too);
 * - `user-token`: a person's refresh token — `authorized_user`, `external_account_authorized_user`
 *   (workforce identity), or an impersonation whose source is one of them;
 * - `keyless`: a Workload Identity Federation credential configuration — `external_account`
 *   (fleets, AWS, Azure, OIDC, attached clusters: it exchanges a token the platform issues), or an
 *   impersonation whose source is one;
 * - `unknown`: an impersonation whose source could not be read: it holds some secret, so it is
 *   treated like a key by callers that must not miss one.
 */
export type CredentialClass = "key" | "user-token" | "keyless" | "unknown";

export function credentialClass(c: Pick<SecretCredential, "type" | "sourceType">): CredentialClass {
  const byType = (t: string | null | undefined): CredentialClass => {
    if (t === "service_account" || t === "gdch_service_account") return "key";
    if (t === "authorized_user" || t === "external_account_authorized_user") return "user-token";
    if (t === "external_account") return "keyless";
    return "unknown";
  };
  return c.type === "impersonated_service_account" ? byType(c.sourceType) : byType(c.type);
}

/** Whether a credential file carries a secret (a key or a person's refresh token): everything but a federation configuration. */
export function isSecretCredential(c: Pick<SecretCredential, "type" | "sourceType">): boolean {
  return credentialClass(c) !== "keyless";
}

/**
 * Reads a Secret's `data` (base64 values as the API returns them) and returns the credentials found
 * and `credentialTypes` (what was found, in words). No value is kept — not even one shaped like a
 * file path: a Secret's values are secret whatever they look like. The decoded values go out of scope
 * when this returns.
 */
export function scanSecretData(data: Record<string, string> | undefined | null): {
  credentials: SecretCredential[];
  credentialTypes: string[];
} {
  const credentials: SecretCredential[] = [];
  const found = [];
  for (const [key, b64] of Object.entries(data ?? {})) {
    if (typeof b64 !== "string") continue;
    const f = findCredentials(key, Buffer.from(b64, "base64"));
    found.push(f);
    credentials.push(...f.credentials);
  }
  return { credentials, credentialTypes: credentialTypes(found) };
}

/**
 * A value that can be (part of) a file path — `/etc/gcp/key.json`, `key.json`, `C:\\secrets\\key.json` —
 * and nothing that looks like a URL, a connection string or a token with credentials in it (no `:`
 * but a drive letter's, no `@`, no spaces): the only ConfigMap value the scanner keeps.
 */
export function isPathLike(value: string): boolean {
  return value.length > 0 && value.length < 512 && /^([A-Za-z]:)?[\w./\\+~-]+$/.test(value);
}

/**
 * Reads the few keys of a ConfigMap the scanner was sent for, and keeps only: which of them exist;
 * for `envKeys` (variables GOOGLE_APPLICATION_CREDENTIALS comes from or refers to), their values
 * when path-like; for `fileKeys` (files GOOGLE_APPLICATION_CREDENTIALS or ADC's well-known path name),
 * the credential summary. Every other key and value goes out of scope here.
 */
export function scanConfigMapData(
  data: Record<string, string> | undefined | null,
  binaryData: Record<string, string> | undefined | null,
  wanted: { envKeys: Iterable<string>; fileKeys: Iterable<string> },
): { looked: string[]; present: string[]; values: Record<string, string>; credentials: SecretCredential[] } {
  const text = (key: string): string | Buffer | undefined => {
    const v = data?.[key];
    if (typeof v === "string") return v;
    const b = binaryData?.[key];
    return typeof b === "string" ? Buffer.from(b, "base64") : undefined;
  };
  const envKeys = new Set(wanted.envKeys);
  const fileKeys = new Set(wanted.fileKeys);
  const looked = [...new Set([...envKeys, ...fileKeys])].sort();
  const present: string[] = [];
  const values: Record<string, string> = {};
  const credentials: SecretCredential[] = [];
  for (const key of looked) {
    const v = text(key);
    // Environment variables come from `data` only (the kubelet never reads binaryData into env); files come from both.
    const inData = typeof data?.[key] === "string";
    if (v === undefined || (!inData && !fileKeys.has(key))) continue;
    present.push(key);
    if (envKeys.has(key) && typeof v === "string" && isPathLike(v)) values[key] = v;
    if (fileKeys.has(key)) credentials.push(...findCredentials(key, v).credentials);
  }
  return { looked, present, values, credentials };
}
