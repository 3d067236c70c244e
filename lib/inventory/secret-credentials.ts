/**
 * Finds Google credential files in a Secret's (or ConfigMap's) data without keeping them: a value
 * that is, or whose base64 decoding is (Terraform's `private_key` output), JSON with a `type` such
 * as `service_account`. Only a summary survives (type; a key's email, id and project; an
 * `external_account`'s audience; the impersonated account); private keys and refresh tokens are
 * dropped here, at the edge, and never reach the store, a log or an error message.
 */
import type { SecretCredential } from "./model";

const CREDENTIAL_TYPES = new Set(["service_account", "external_account", "impersonated_service_account", "authorized_user", "external_account_authorized_user", "gdch_service_account"]);

function tryJson(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(t);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function decodeBase64(text: string): string | undefined {
  const t = text.replace(/\s+/g, "");
  if (t.length < 8 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  try {
    return Buffer.from(t, "base64").toString("utf8");
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/** The account in a `service_account_impersonation_url` (`…/serviceAccounts/EMAIL:generateAccessToken`), lower-cased. */
function impersonationTarget(url: unknown): string | null {
  if (typeof url !== "string") return null;
  const m = /serviceAccounts\/([^/:]+):generateAccessToken/.exec(url);
  return m ? decodeURIComponent(m[1]).trim().toLowerCase() : null;
}

/**
 * Examines one decoded data value; returns what a credential file in it says, or undefined. Kept:
 * the type; for a key (a `service_account` file, or the `service_account` source of an
 * `impersonated_service_account` file) its email, key id and project; the `audience` of an
 * `external_account` file; the account a file impersonates; the type of an impersonation's source.
 * Everything else — private keys, refresh tokens, client secrets, token URLs — is dropped.
 */
export function credentialFromValue(dataKey: string, decoded: string): SecretCredential | undefined {
  let obj = tryJson(decoded);
  let encoding: SecretCredential["encoding"] = "json";
  if (!obj) {
    const inner = decodeBase64(decoded);
    if (inner) {
      obj = tryJson(inner);
      encoding = "base64-json";
    }
  }
  if (!obj || typeof obj.type !== "string" || !CREDENTIAL_TYPES.has(obj.type)) return undefined;
  const source = obj.source_credentials && typeof obj.source_credentials === "object" ? (obj.source_credentials as Record<string, unknown>) : undefined;
  // The key a file carries: its own (service_account), or its impersonation source's.
  const keyHolder = obj.type === "service_account" ? obj : obj.type === "impersonated_service_account" && source?.type === "service_account" ? source : undefined;
  return {
    dataKey,
    type: obj.type,
    clientEmail: keyHolder ? (str(keyHolder.client_email)?.toLowerCase() ?? null) : null,
    keyId: keyHolder ? str(keyHolder.private_key_id) : null,
    projectId: keyHolder ? str(keyHolder.project_id) : null,
    encoding,
    audience: obj.type === "external_account" || obj.type === "external_account_authorized_user" ? str(obj.audience) : null,
    impersonates: impersonationTarget(obj.service_account_impersonation_url),
    sourceType: obj.type === "impersonated_service_account" ? (source && typeof source.type === "string" ? source.type : null) : null,
  };
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
 * and the values that are file paths. The decoded values go out of scope when this returns.
 */
export function scanSecretData(data: Record<string, string> | undefined | null): {
  credentials: SecretCredential[];
  pathValues: Record<string, string>;
} {
  const credentials: SecretCredential[] = [];
  const pathValues: Record<string, string> = {};
  for (const [key, b64] of Object.entries(data ?? {})) {
    if (typeof b64 !== "string") continue;
    const decoded = Buffer.from(b64, "base64").toString("utf8");
    const cred = credentialFromValue(key, decoded);
    if (cred) {
      credentials.push(cred);
      continue;
    }
    const t = decoded.trim();
    if (t.length < 512 && /^\/[\w./-]+$/.test(t)) pathValues[key] = t;
  }
  return { credentials, pathValues };
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
  const text = (key: string): string | undefined => {
    const v = data?.[key];
    if (typeof v === "string") return v;
    const b = binaryData?.[key];
    return typeof b === "string" ? Buffer.from(b, "base64").toString("utf8") : undefined;
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
    if (envKeys.has(key) && inData && isPathLike(v)) values[key] = v;
    if (fileKeys.has(key)) {
      const cred = credentialFromValue(key, v);
      if (cred) credentials.push(cred);
    }
  }
  return { looked, present, values, credentials };
}
