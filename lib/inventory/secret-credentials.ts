/**
 * Finds Google credential files in a Secret's data without keeping them: a value that is, or whose
 * base64 decoding is (Terraform's `private_key` output), JSON with a `type` such as
 * `service_account`. Only the type, client email, key id and project survive; the private key is
 * dropped here, at the edge, and never reaches the store, a log or an error message.
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

/** Examines one decoded data value; returns what a credential file in it says, or undefined. */
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
  const isKey = obj.type === "service_account";
  // impersonated_service_account files name their target in service_account_impersonation_url
  let clientEmail = isKey ? str(obj.client_email)?.toLowerCase() ?? null : null;
  if (!isKey && typeof obj.service_account_impersonation_url === "string") {
    const m = /serviceAccounts\/([^/:]+):generateAccessToken/.exec(obj.service_account_impersonation_url);
    if (m) clientEmail = decodeURIComponent(m[1]).toLowerCase();
  }
  return {
    dataKey,
    type: obj.type,
    clientEmail,
    keyId: isKey ? str(obj.private_key_id) : null,
    projectId: isKey ? str(obj.project_id) : null,
    encoding,
  };
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
