/**
 * Google IAP's signed header. Behind IAP every request carries `x-goog-iap-jwt-assertion`: an ES256
 * JWT signed with one of Google's IAP keys, issued by `https://cloud.google.com/iap`, for this
 * backend's audience. Only that JWT is trusted: the unsigned `x-goog-authenticated-user-*` headers can
 * be forged by anyone who reaches the pod without going through IAP (a misconfigured firewall, another
 * pod), so nothing here reads them. https://cloud.google.com/iap/docs/signed-headers-howto
 */
import { OAuth2Client } from "google-auth-library";
import type { Identity } from "./roles";

export const IAP_HEADER = "x-goog-iap-jwt-assertion";
export const IAP_ISSUER = "https://cloud.google.com/iap";

/** Why a request was not let in; the message is safe to log (it never holds the token). */
export class IapRejected extends Error {
  constructor(readonly reason: "missing" | "malformed" | "algorithm" | "unknown-key" | "signature" | "expired" | "issuer" | "audience" | "no-email" | "keys-unavailable" | "invalid") {
    super(`IAP assertion rejected: ${reason}`);
    this.name = "IapRejected";
  }
}

export type IapVerifier = (jwt: string | null | undefined) => Promise<Identity>;

/** Keys are refetched hourly, and at most once a minute when a token names a key we do not hold. */
const KEYS_MAX_AGE_MS = 60 * 60_000;
const KEYS_MIN_REFRESH_MS = 60_000;

function decodeSegment(s: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * A verifier for one audience. `keysUrl` is Google's key file (kid → PEM) in production; tests point it
 * at a key set of their own through WI_ATLAS_IAP_KEYS_URL.
 */
export function createIapVerifier(opts: { audience: string; keysUrl: string }): IapVerifier {
  const client = new OAuth2Client({ endpoints: { oauth2IapPublicKeyUrl: opts.keysUrl } });
  let cache: { keys: Record<string, string>; at: number } | undefined;
  let inflight: Promise<Record<string, string>> | undefined;

  const fetchKeys = () =>
    (inflight ??= client
      .getIapPublicKeysAsync()
      .then((r) => {
        cache = { keys: r.pubkeys as Record<string, string>, at: Date.now() };
        return cache.keys;
      })
      .finally(() => {
        inflight = undefined;
      }));

  async function keysFor(kid: string): Promise<Record<string, string>> {
    const age = cache ? Date.now() - cache.at : Infinity;
    if (cache && age < KEYS_MAX_AGE_MS && kid in cache.keys) return cache.keys;
    if (cache && age < KEYS_MIN_REFRESH_MS) return cache.keys; // an unknown kid does not make us hammer Google
    try {
      return await fetchKeys();
    } catch {
      if (cache) return cache.keys;
      throw new IapRejected("keys-unavailable");
    }
  }

  return async (jwt) => {
    if (!jwt) throw new IapRejected("missing");
    const parts = jwt.split(".");
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new IapRejected("malformed");
    const header = decodeSegment(parts[0]);
    if (!header) throw new IapRejected("malformed");
    // The library checks the signature with whatever key the kid names, whatever `alg` says: insist on
    // IAP's one algorithm first, so `none` or an RSA/HMAC confusion never reaches it.
    if (header.alg !== "ES256" || !parts[2]) throw new IapRejected("algorithm");
    if (typeof header.kid !== "string") throw new IapRejected("unknown-key");
    const keys = await keysFor(header.kid);
    if (!(header.kid in keys)) throw new IapRejected("unknown-key");
    let payload: Record<string, unknown> | undefined;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(jwt, keys, opts.audience, [IAP_ISSUER]);
      payload = ticket.getPayload() as Record<string, unknown> | undefined;
    } catch (err) {
      // The library's messages quote the whole token: map them to a reason and drop the text.
      const m = (err as Error).message ?? "";
      if (m.startsWith("Invalid token signature")) throw new IapRejected("signature");
      if (m.startsWith("Token used too late") || m.startsWith("Token used too early") || m.includes("Expiration time")) throw new IapRejected("expired");
      if (m.startsWith("Invalid issuer")) throw new IapRejected("issuer");
      if (m.startsWith("Wrong recipient")) throw new IapRejected("audience");
      if (m.startsWith("No pem found")) throw new IapRejected("unknown-key");
      throw new IapRejected("invalid");
    }
    // IAP's `email` is the bare address (the unsigned header's `accounts.google.com:` prefix is not in it).
    const email = typeof payload?.email === "string" ? payload.email.trim().toLowerCase() : "";
    if (!email.includes("@")) throw new IapRejected("no-email");
    return { email, groups: [] };
  };
}
