/**
 * The OIDC session cookie: the signed-in identity, encrypted and authenticated (JWE, dir + A256GCM)
 * with a key derived from WI_ATLAS_SESSION_SECRET, so the browser can neither read nor alter it.
 * Roles are not stored: they are worked out from the lists on every request, so a changed list takes
 * effect at once. Only the groups the lists mention are kept, which keeps the cookie small.
 */
import { hkdfSync } from "node:crypto";
import { EncryptJWT, jwtDecrypt } from "jose";
import type { Identity } from "./roles";

export const SESSION_COOKIE = "wi_atlas_session";
/** Holds state, nonce and PKCE verifier between the redirect to the provider and its callback. */
export const SIGNIN_COOKIE = "wi_atlas_signin";
export const SESSION_HOURS = 12;
const SIGNIN_MINUTES = 10;

type Purpose = "session" | "signin";

function key(secret: string, purpose: Purpose): Uint8Array {
  // Separate keys per purpose: a sign-in cookie can never be replayed as a session.
  return new Uint8Array(hkdfSync("sha256", secret, "wi-atlas", `wi-atlas ${purpose} cookie`, 32));
}

async function seal(claims: Record<string, unknown>, secret: string, purpose: Purpose, ttlSeconds: number): Promise<string> {
  return new EncryptJWT(claims)
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: purpose })
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .encrypt(key(secret, purpose));
}

async function unseal(token: string | undefined, secret: string, purpose: Purpose): Promise<Record<string, unknown> | null> {
  if (!token) return null;
  try {
    const { payload, protectedHeader } = await jwtDecrypt(token, key(secret, purpose), { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] });
    return protectedHeader.typ === purpose ? (payload as Record<string, unknown>) : null;
  } catch {
    return null; // expired, tampered, or sealed with another secret: treated as no session
  }
}

export async function sealSession(who: Identity, secret: string): Promise<string> {
  return seal({ email: who.email, groups: who.groups, ...(who.name ? { name: who.name } : {}) }, secret, "session", SESSION_HOURS * 3600);
}

export async function openSession(token: string | undefined, secret: string): Promise<Identity | null> {
  const p = await unseal(token, secret, "session");
  if (!p || typeof p.email !== "string") return null;
  const groups = Array.isArray(p.groups) ? p.groups.filter((g): g is string => typeof g === "string") : [];
  return { email: p.email, groups, ...(typeof p.name === "string" ? { name: p.name } : {}) };
}

/** What the sign-in needs to check the provider's answer. */
export type SignInState = { state: string; nonce: string; verifier: string; returnTo: string };

export async function sealSignIn(s: SignInState, secret: string): Promise<string> {
  return seal(s, secret, "signin", SIGNIN_MINUTES * 60);
}

export async function openSignIn(token: string | undefined, secret: string): Promise<SignInState | null> {
  const p = await unseal(token, secret, "signin");
  if (!p || typeof p.state !== "string" || typeof p.nonce !== "string" || typeof p.verifier !== "string") return null;
  return { state: p.state, nonce: p.nonce, verifier: p.verifier, returnTo: safeReturnTo(p.returnTo) };
}

/** A Set-Cookie value with the attributes the issue asks for: HttpOnly; Secure; SameSite=Lax. */
export function cookieHeader(name: string, value: string, opts: { maxAgeSeconds: number; path?: string }): string {
  return `${name}=${value}; Path=${opts.path ?? "/"}; Max-Age=${opts.maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;
}

export const SESSION_MAX_AGE = SESSION_HOURS * 3600;
export const SIGNIN_MAX_AGE = SIGNIN_MINUTES * 60;

/** Reads one cookie from a request's Cookie header. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Only a path on this site: `//evil.example` and `/\evil.example` would send the user elsewhere. */
export function safeReturnTo(v: unknown): string {
  if (typeof v !== "string" || !v.startsWith("/") || v.startsWith("//") || v.startsWith("/\\") || /[\u0000-\u001f]/.test(v)) return "/";
  return v.slice(0, 2000);
}
