/**
 * Sign-in with any OpenID Connect provider (Google Workspace, Okta, Entra ID, Dex…) through
 * openid-client: discovery from the issuer, the authorization code flow with PKCE, state and nonce,
 * then a session cookie of our own (lib/auth/session.ts). Tokens from the provider are not kept.
 */
import * as client from "openid-client";
import type { AuthConfig } from "../config";
import { log } from "../log";
import { groupsOfInterest, type Identity } from "./roles";
import { cookieHeader, openSignIn, readCookie, safeReturnTo, sealSession, sealSignIn, SESSION_COOKIE, SESSION_MAX_AGE, SIGNIN_COOKIE, SIGNIN_MAX_AGE } from "./session";

const CALLBACK_PATH = "/api/auth/callback";

let discovered: { key: AuthConfig; config: Promise<client.Configuration> } | undefined;

/**
 * The provider's configuration, discovered once per process (a failed discovery is retried on the next
 * sign-in rather than cached). Plain http is allowed only for a provider on this machine (a test's).
 */
function providerConfig(auth: AuthConfig): Promise<client.Configuration> {
  if (discovered?.key === auth) return discovered.config;
  const issuer = new URL(auth.oidcIssuer!);
  const isLoopback = ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname);
  const config = client.discovery(issuer, auth.oidcClientId!, auth.oidcClientSecret!, undefined, {
    execute: issuer.protocol === "http:" && isLoopback ? [client.allowInsecureRequests] : [],
    timeout: 10,
  });
  discovered = { key: auth, config };
  config.catch(() => {
    if (discovered?.config === config) discovered = undefined;
  });
  return config;
}

/** The address the provider sends the browser back to (must be registered with the provider). */
export function redirectUri(request: Request, auth: AuthConfig): string {
  return siteUrl(request, auth, CALLBACK_PATH);
}

/** An absolute address on this site (WI_ATLAS_PUBLIC_URL when set, else the request's own origin). */
function siteUrl(request: Request, auth: AuthConfig, pathname: string): string {
  return (auth.publicUrl ?? new URL(request.url).origin) + pathname;
}

function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const c of cookies) headers.append("set-cookie", c);
  return new Response(null, { status: 302, headers });
}

/** GET /api/auth/login?returnTo=/path → the provider's sign-in page. */
export async function beginSignIn(request: Request, auth: AuthConfig): Promise<Response> {
  const config = await providerConfig(auth);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const returnTo = safeReturnTo(new URL(request.url).searchParams.get("returnTo"));
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(request, auth),
    scope: auth.oidcScopes,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const tx = await sealSignIn({ state, nonce, verifier, returnTo }, auth.sessionSecret!);
  return redirect(url.href, [cookieHeader(SIGNIN_COOKIE, tx, { maxAgeSeconds: SIGNIN_MAX_AGE, path: "/api/auth" })]);
}

/** Why a sign-in did not complete; shown to the user, so it never holds a token. */
export class SignInFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignInFailed";
  }
}

/** GET /api/auth/callback?code=…&state=… → checks everything, sets the session, back to where the user was. */
export async function finishSignIn(request: Request, auth: AuthConfig): Promise<Response> {
  const tx = await openSignIn(readCookie(request, SIGNIN_COOKIE), auth.sessionSecret!);
  if (!tx) throw new SignInFailed("The sign-in took too long or was started in another browser; start again.");
  const config = await providerConfig(auth);
  // The callback URL as the provider saw it (behind a proxy the request's own URL may differ).
  const current = new URL(redirectUri(request, auth));
  current.search = new URL(request.url).search;
  let claims: Record<string, unknown>;
  let accessToken: string;
  try {
    const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: tx.verifier, expectedState: tx.state, expectedNonce: tx.nonce, idTokenExpected: true });
    claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    accessToken = tokens.access_token;
  } catch (err) {
    log.warn(`OIDC sign-in refused: ${(err as Error).name}: ${(err as Error).message}`);
    throw new SignInFailed("The identity provider's answer did not check out; start again.");
  }
  if (typeof claims.email !== "string" || claims.groups === undefined) {
    // Some providers put email and groups only in the userinfo answer.
    try {
      const info = (await client.fetchUserInfo(config, accessToken, claims.sub as string)) as Record<string, unknown>;
      claims = { ...info, ...claims, email: claims.email ?? info.email, groups: claims.groups ?? info.groups };
    } catch (err) {
      log.warn(`OIDC userinfo unavailable: ${(err as Error).message}`);
    }
  }
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email.includes("@")) throw new SignInFailed("The identity provider did not say who you are (no email claim); ask for the `email` scope.");
  // Absent is fine (Entra ID does not send it); an explicit false means anyone could have typed it.
  if (claims.email_verified === false) throw new SignInFailed(`The identity provider has not verified ${email}.`);
  const wanted = groupsOfInterest(auth);
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === "string").map((g) => g.toLowerCase()).filter((g) => wanted.has(g)) : [];
  const who: Identity = { email, groups, ...(typeof claims.name === "string" ? { name: claims.name.slice(0, 200) } : {}) };
  const session = await sealSession(who, auth.sessionSecret!);
  log.info(`Signed in: ${email}`);
  return redirect(siteUrl(request, auth, tx.returnTo), [
    cookieHeader(SESSION_COOKIE, session, { maxAgeSeconds: SESSION_MAX_AGE }),
    cookieHeader(SIGNIN_COOKIE, "", { maxAgeSeconds: 0, path: "/api/auth" }),
  ]);
}

/** GET /api/auth/logout → the session cookie is cleared; the provider's own session is left alone. */
export function signOut(request: Request, auth: AuthConfig): Response {
  return redirect(siteUrl(request, auth, "/signed-out"), [cookieHeader(SESSION_COOKIE, "", { maxAgeSeconds: 0 })]);
}
