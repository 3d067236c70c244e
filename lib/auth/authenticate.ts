/**
 * Who is asking, and may they? One place decides, for the proxy (every page and API request) and for
 * route handlers (`requireRole`, which re-checks on its own so a handler is safe even if a request
 * reached it some other way). Under `none` everyone is an admin, as before sign-in existed.
 */
import type { AuthConfig, Config } from "../config";
import { config as processConfig } from "../config";
import { forbidden, unauthorized } from "../api/problem";
import { log } from "../log";
import { hasRole, roleFor, type Identity, type Role } from "./roles";
import { createIapVerifier, IAP_HEADER, IapRejected, type IapVerifier } from "./iap";
import { openSession, readCookie, SESSION_COOKIE } from "./session";

/** The person behind a request, with the role the lists give them. */
export type Actor = {
  /** The signed-in address; `anonymous` under WI_ATLAS_AUTH=none. */
  email: string;
  name?: string;
  role: Role;
  /** How they were identified. */
  mode: Config["authMode"];
};

export const ANONYMOUS = "anonymous";

/** The outcome of identifying a request: an identity, or why there is none. */
export type Identified = { identity: Identity } | { identity: null; reason: string };

const verifiers = new WeakMap<AuthConfig, IapVerifier>();

/** Establishes who sent the request (no role check). */
export async function identify(request: Request, cfg: Config = processConfig()): Promise<Identified> {
  const auth = cfg.auth;
  if (cfg.authMode === "none" || !auth) return { identity: { email: ANONYMOUS, groups: [] } };
  if (cfg.authMode === "iap") {
    let verify = verifiers.get(auth);
    if (!verify) {
      verify = createIapVerifier({ audience: auth.iapAudience!, keysUrl: auth.iapKeysUrl });
      verifiers.set(auth, verify);
    }
    try {
      return { identity: await verify(request.headers.get(IAP_HEADER)) };
    } catch (err) {
      const reason = err instanceof IapRejected ? err.reason : "invalid";
      if (reason !== "missing") log.warn(`Request to ${new URL(request.url).pathname} refused: IAP assertion ${reason}`);
      return { identity: null, reason: `IAP assertion ${reason}` };
    }
  }
  const identity = await openSession(readCookie(request, SESSION_COOKIE), auth.sessionSecret!);
  return identity ? { identity } : { identity: null, reason: "no session" };
}

/** The role the configuration gives an identity (null: on no list). */
export function roleOf(identity: Identity, cfg: Config = processConfig()): Role | null {
  if (cfg.authMode === "none" || !cfg.auth) return "admin";
  // IAP's own access policy already chose who reaches the app; with no viewer list, all of them may read.
  return roleFor(identity, cfg.auth, { everyoneViews: cfg.authMode === "iap" && cfg.auth.viewers.length === 0 });
}

/** The caller as an Actor, or null when not signed in; a signed-in person on no list gets role null. */
export async function currentActor(request: Request, cfg: Config = processConfig()): Promise<{ actor: Actor | null; email?: string }> {
  const who = await identify(request, cfg);
  if (!who.identity) return { actor: null };
  const role = roleOf(who.identity, cfg);
  if (!role) return { actor: null, email: who.identity.email };
  return { actor: { email: who.identity.email, name: who.identity.name, role, mode: cfg.authMode } };
}

/**
 * The caller, if they hold at least `need`; otherwise a Problem: 401 when nobody is signed in, 403 when
 * the signed-in person's role is too low (or they are on no list).
 */
export async function requireRole(request: Request, need: Role, cfg: Config = processConfig()): Promise<Actor> {
  const who = await identify(request, cfg);
  if (!who.identity) {
    throw unauthorized(cfg.authMode === "oidc" ? "Sign in first: /api/auth/login" : "This request carries no valid identity", { signIn: cfg.authMode === "oidc" ? "/api/auth/login" : undefined });
  }
  const role = roleOf(who.identity, cfg);
  if (!hasRole(role, need)) {
    throw forbidden(role ? `This needs the ${need} role; ${who.identity.email} is ${role === "admin" || role === "operator" ? "an" : "a"} ${role}` : `${who.identity.email} may not use wi-atlas: ask an admin to add you to WI_ATLAS_VIEWERS`, { role, required: need });
  }
  return { email: who.identity.email, name: who.identity.name, role: role!, mode: cfg.authMode };
}

/** Warnings worth printing at start-up (e.g. `group:` entries that can never match under IAP). */
export function authWarnings(cfg: Config): string[] {
  const out: string[] = [];
  if (cfg.authMode === "iap" && cfg.auth) {
    const groups = [...cfg.auth.viewers, ...cfg.auth.operators, ...cfg.auth.admins].filter((r) => r.kind === "group");
    if (groups.length) {
      out.push(
        `WI_ATLAS_AUTH=iap: IAP's JWT carries no groups, so ${groups.map((g) => `group:${g.value}`).join(", ")} never match. Grant groups access in IAP's own policy (roles/iap.httpsResourceAccessor) and list people or domains here.`,
      );
    }
  }
  if (cfg.authMode === "none") out.push("WI_ATLAS_AUTH=none: no sign-in; everyone who reaches the dashboard is an admin.");
  return out;
}
