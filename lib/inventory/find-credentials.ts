/**
 * Finds credentials inside one value a tenant controls (a Secret's or ConfigMap's data value, an
 * environment variable) without keeping them. It looks through the layers people wrap keys in:
 *  - a Google credential file (JSON with a `type` such as `service_account`), as is;
 *  - base64 of it, and base64 of that (Terraform's `google_service_account_key.private_key` is the
 *    key file in base64; a Secret's `data` is base64 again on top of what the API already encodes);
 *  - a key object nested in a JSON or YAML document (a Helm values file kept in a Secret:
 *    `gcp: {credentials: {...}}`), or a JSON/YAML string field that holds the key file's text;
 *  - a PEM private key block (`-----BEGIN PRIVATE KEY-----`, RSA, EC, ENCRYPTED…);
 *  - a PKCS#12 (`.p12`) file, Google's legacy key format, recognised by its ASN.1 structure (RFC
 *    7292 PFX, parsed with @peculiar/asn1-pfx). Its key id is not inside it; only the bag's
 *    `friendlyName` can be read without the password — Google's P12 keys carry `privatekey`.
 * Only a summary leaves this module (lib/inventory/secret-credentials.ts says what is kept); private
 * keys, refresh tokens and the values themselves go out of scope when the call returns.
 *
 * Bounded in bytes and time whatever the value holds (see `CREDENTIAL_SCAN_LIMITS`): a value longer
 * than `maxBytes` is searched only for a PEM private key marker in its first `maxBytes`, never
 * parsed; decoding stops after `maxLayers` layers; documents are walked `maxDepth` levels deep and
 * at most `maxNodes` nodes; YAML aliases are capped. A value cut short by a bound says so
 * (`truncated`).
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AuthenticatedSafe, PFX, SafeContents, id_pkcs8ShroudedKeyBag, id_keyBag } from "@peculiar/asn1-pfx";
import { parse as parseYaml } from "yaml";
import type { SecretCredential } from "./model";

export const CREDENTIAL_SCAN_LIMITS = {
  /** Bytes of one value examined (a key file is about 2.3 KB, a P12 key 2.5 KB; a Helm values file rarely passes 64 KiB). */
  maxBytes: 256 * 1024,
  /** Layers of wrapping followed inside one value (base64, a document, a string field holding another document). */
  maxLayers: 5,
  /** Nesting depth walked inside one parsed JSON or YAML document. */
  maxDepth: 16,
  /** Nodes (objects, arrays, strings) visited in one value, over all its layers. */
  maxNodes: 10_000,
  /** YAML aliases expanded in one document (a "billion laughs" document stops there). */
  maxYamlAliases: 32,
} as const;

/** Google's credential file types (https://google.aip.dev/auth/4110) the scanner recognises. */
export const CREDENTIAL_TYPES = new Set(["service_account", "external_account", "impersonated_service_account", "authorized_user", "external_account_authorized_user", "gdch_service_account"]);

/** PEM private key blocks of every common kind (PKCS#8, PKCS#1 RSA, EC, DSA, OpenSSH, encrypted PKCS#8). */
const PEM_PRIVATE_KEY = /-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----/;
/** Strings shorter than this cannot hold a key file, a PEM block or a P12 file (the smallest is well over 200 bytes). */
const MIN_CANDIDATE = 64;

/** What one value holds. */
export type FoundCredentials = {
  /** Google credential files (and Google-shaped P12 keys), summarised; `dataKey` is the caller's. */
  credentials: SecretCredential[];
  /** A PEM private key block was seen (inside a key file or on its own). */
  hasPrivateKey: boolean;
  /** A PKCS#12 file that does not look like Google's (no `privatekey` friendly name, not named `.p12`): a keystore, not flagged as a Google key. */
  otherPkcs12: number;
  /** A bound stopped the search before the whole value was seen. */
  truncated: boolean;
};

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
 * The summary of a credential object: the type; for a key (a `service_account` file, or the
 * `service_account` source of an `impersonated_service_account` file) its email, key id and
 * project; the `audience` of an `external_account` file; the account a file impersonates; the type
 * of an impersonation's source. Everything else is dropped.
 */
function summarise(dataKey: string, obj: Record<string, unknown>, encoding: string, path: string[]): SecretCredential {
  const type = obj.type as string;
  const source = obj.source_credentials && typeof obj.source_credentials === "object" ? (obj.source_credentials as Record<string, unknown>) : undefined;
  const keyHolder = type === "service_account" ? obj : type === "impersonated_service_account" && source?.type === "service_account" ? source : undefined;
  return {
    dataKey,
    type,
    clientEmail: keyHolder ? (str(keyHolder.client_email)?.toLowerCase() ?? null) : null,
    keyId: keyHolder ? str(keyHolder.private_key_id) : null,
    projectId: keyHolder ? str(keyHolder.project_id) : null,
    encoding,
    audience: type === "external_account" || type === "external_account_authorized_user" ? str(obj.audience) : null,
    impersonates: impersonationTarget(obj.service_account_impersonation_url),
    sourceType: type === "impersonated_service_account" ? (source && typeof source.type === "string" ? source.type : null) : null,
    ...(path.length ? { path: path.join(".") } : {}),
  };
}

/** Base64 (standard or URL-safe, whitespace allowed) of at least MIN_CANDIDATE characters, decoded; undefined otherwise. */
function decodeBase64(text: string): Buffer | undefined {
  const t = text.replace(/\s+/g, "");
  if (t.length < MIN_CANDIDATE || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const b = Buffer.from(t, "base64");
  return b.length ? b : undefined;
}

/** Whether the first bytes are printable ASCII or whitespace (decoded base64 of text, not of random bytes). */
function isText(b: Buffer): boolean {
  const n = Math.min(b.length, 256);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c > 0x7e) return false;
  }
  return true;
}

const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
/** PKCS#7 `data` content type (RFC 5652). */
const id_data = "1.2.840.113549.1.7.1";

/**
 * A PKCS#12 file's friendly names, or undefined when the bytes are not one. Only the parts stored
 * without encryption are read (OpenSSL and Google put the shrouded key bag, with its attributes, in a
 * plain `data` content); nothing is decrypted.
 */
function pkcs12(buf: Buffer): { friendlyNames: string[] } | undefined {
  // A DER SEQUENCE (0x30) whose first element is INTEGER 3 (the PFX version) — cheap to check first.
  if (buf.length < 32 || buf[0] !== 0x30) return undefined;
  try {
    const pfx = AsnConvert.parse(buf, PFX);
    if (pfx.version !== 3 || pfx.authSafe.contentType !== id_data) return undefined;
    const names: string[] = [];
    // A `data` ContentInfo's content is an OCTET STRING holding the next DER structure.
    const safe = AsnConvert.parse(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer, AuthenticatedSafe);
    for (const ci of safe) {
      if (ci.contentType !== id_data) continue;
      const bags = AsnConvert.parse(AsnConvert.parse(ci.content, OctetString).buffer, SafeContents);
      for (const bag of bags) {
        if (bag.bagId !== id_pkcs8ShroudedKeyBag && bag.bagId !== id_keyBag) continue;
        for (const a of bag.bagAttributes ?? []) {
          if (a.attrId !== FRIENDLY_NAME) continue;
          for (const v of a.attrValues) names.push(bmpString(Buffer.from(v)));
        }
      }
    }
    return { friendlyNames: names };
  } catch {
    return undefined;
  }
}

/** A DER BMPString (tag 0x1e) as a JS string; anything else as latin1 text. */
function bmpString(der: Buffer): string {
  if (der[0] !== 0x1e) return der.toString("latin1");
  const { start, length } = derHeader(der);
  const body = der.subarray(start, start + length);
  let out = "";
  for (let i = 0; i + 1 < body.length; i += 2) out += String.fromCharCode((body[i] << 8) | body[i + 1]);
  return out;
}

function derHeader(der: Buffer): { start: number; length: number } {
  const first = der[1];
  if (first < 0x80) return { start: 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[2 + i];
  return { start: 2 + n, length };
}

type Walk = { dataKey: string; found: FoundCredentials; nodes: number };

function examine(w: Walk, buf: Buffer, layers: string[], path: string[]): void {
  if (++w.nodes > CREDENTIAL_SCAN_LIMITS.maxNodes || layers.length > CREDENTIAL_SCAN_LIMITS.maxLayers) {
    w.found.truncated = true;
    return;
  }
  if (buf.length > CREDENTIAL_SCAN_LIMITS.maxBytes) {
    w.found.truncated = true;
    if (PEM_PRIVATE_KEY.test(buf.subarray(0, CREDENTIAL_SCAN_LIMITS.maxBytes).toString("latin1"))) w.found.hasPrivateKey = true;
    return;
  }
  if (buf.length < MIN_CANDIDATE) return;
  const p12 = pkcs12(buf);
  if (p12) {
    const google = p12.friendlyNames.includes("privatekey") || /\.p12$/i.test(w.dataKey);
    if (!google) {
      w.found.otherPkcs12++;
      return;
    }
    const email = p12.friendlyNames.find((n) => /^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/i.test(n))?.toLowerCase() ?? null;
    // The console names the download after the key's thumbprint, which is its key id.
    const thumbprint = /(?:^|\/)([0-9a-f]{40})\.p12$/i.exec(w.dataKey)?.[1]?.toLowerCase() ?? null;
    w.found.credentials.push({
      dataKey: w.dataKey,
      type: "p12",
      clientEmail: email,
      keyId: thumbprint,
      projectId: email ? (/@([^.]+)\.iam\.gserviceaccount\.com$/i.exec(email)?.[1] ?? null) : null,
      encoding: [...layers, "p12"].join("-"),
      audience: null,
      impersonates: null,
      sourceType: null,
      ...(path.length ? { path: path.join(".") } : {}),
    });
    w.found.hasPrivateKey = true;
    return;
  }
  const text = buf.toString("utf8");
  if (PEM_PRIVATE_KEY.test(text)) w.found.hasPrivateKey = true;
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch {
      doc = undefined;
    }
    if (doc !== undefined) return walk(w, doc, [...layers, "json"], path, 0);
  }
  const b = decodeBase64(t);
  // Follow base64 only to what can hold a key: text (JSON, YAML, PEM, more base64) or DER (a P12 file).
  if (b && (b[0] === 0x30 || isText(b))) return examine(w, b, [...layers, "base64"], path);
  // A YAML document: several lines, at least one `key:` (a Helm values file). Flow-style YAML that is also JSON was handled above.
  if (/\n/.test(t) && /^\s*[\w.-]+\s*:/m.test(t)) {
    let doc: unknown;
    try {
      doc = parseYaml(t, { maxAliasCount: CREDENTIAL_SCAN_LIMITS.maxYamlAliases, uniqueKeys: false, prettyErrors: false, strict: false });
    } catch {
      doc = undefined;
    }
    if (doc && typeof doc === "object") return walk(w, doc, [...layers, "yaml"], path, 0);
  }
}

function walk(w: Walk, v: unknown, layers: string[], path: string[], depth: number): void {
  if (++w.nodes > CREDENTIAL_SCAN_LIMITS.maxNodes || depth > CREDENTIAL_SCAN_LIMITS.maxDepth) {
    w.found.truncated = true;
    return;
  }
  if (typeof v === "string") {
    // A string field may hold the key file's text, its base64, or a PEM block.
    if (v.length >= MIN_CANDIDATE) examine(w, Buffer.from(v, "utf8"), layers, path);
    return;
  }
  if (!v || typeof v !== "object") return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(w, x, layers, [...path, String(i)], depth + 1));
    return;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.type === "string" && CREDENTIAL_TYPES.has(o.type)) {
    w.found.credentials.push(summarise(w.dataKey, o, layers.join("-"), path));
    if (typeof o.private_key === "string" && PEM_PRIVATE_KEY.test(o.private_key)) w.found.hasPrivateKey = true;
    return;
  }
  for (const [k, x] of Object.entries(o)) walk(w, x, layers, [...path, k], depth + 1);
}

/**
 * Everything credential-like in one value: text (an env value, a ConfigMap's `data`) or bytes (a
 * Secret's decoded `data`, a ConfigMap's `binaryData`). `dataKey` names where it was found.
 */
export function findCredentials(dataKey: string, value: string | Buffer): FoundCredentials {
  const w: Walk = { dataKey, found: { credentials: [], hasPrivateKey: false, otherPkcs12: 0, truncated: false }, nodes: 0 };
  examine(w, typeof value === "string" ? Buffer.from(value, "utf8") : value, [], []);
  return w.found;
}

/**
 * `credential_types`: what a value was found to hold, in words a reader can act on —
 * `service_account` (a key file as is), `service_account (base64-base64-json)` (Terraform's output
 * stored again), `service_account (yaml at gcp.credentials)` (inside a Helm values file), `p12`,
 * `pem-private-key` (a private key block outside any Google key file), `pkcs12` (a keystore that is
 * not Google's). Sorted, without repeats.
 */
export function credentialTypes(found: Pick<FoundCredentials, "credentials" | "hasPrivateKey" | "otherPkcs12">[]): string[] {
  const out = new Set<string>();
  for (const f of found) {
    for (const c of f.credentials) {
      const plain = c.encoding === "json" && !c.path;
      const where = c.type === "p12" && c.encoding === "p12" && !c.path ? "" : `${c.encoding}${c.path ? ` at ${c.path}` : ""}`;
      out.add(plain || !where ? c.type : `${c.type} (${where})`);
    }
    if (f.hasPrivateKey && !f.credentials.length) out.add("pem-private-key");
    if (f.otherPkcs12) out.add("pkcs12");
  }
  return [...out].sort();
}
