/**
 * The proxy's part (proxy.ts calls `authenticate` for every request it matches): nobody gets a page
 * or an API answer without at least the viewer role. Finer roles (operator, admin) are checked by the
 * route handlers themselves (lib/api/respond.ts `route`), which know what each one changes.
 */
import { config as processConfig, type Config } from "../config";
import { identify, roleOf } from "./authenticate";

/** Paths that answer without a sign-in: the load balancer's health check and the sign-in flow itself. */
const OPEN = [/^\/api\/health\/?$/, /^\/api\/auth\/(login|callback|logout)\/?$/, /^\/signed-out\/?$/];

export function isOpenPath(pathname: string): boolean {
  return OPEN.some((r) => r.test(pathname));
}

const noStore = { "cache-control": "no-store" };

/** Undefined `response`: let the request through. */
export async function authenticate(request: Request, cfg: Config = processConfig()): Promise<{ response?: Response }> {
  if (cfg.authMode === "none") return {};
  const url = new URL(request.url);
  if (isOpenPath(url.pathname)) return {};
  const isApi = url.pathname.startsWith("/api/");
  const who = await identify(request, cfg);
  if (!who.identity) {
    if (isApi) {
      return { response: Response.json({ error: { code: "unauthorized", message: cfg.authMode === "oidc" ? "Sign in first: /api/auth/login" : "This request carries no valid identity" } }, { status: 401, headers: noStore }) };
    }
    if (cfg.authMode === "oidc") {
      // Absolute: Next's proxy refuses a relative Location.
      const login = new URL("/api/auth/login", cfg.auth?.publicUrl ?? url.origin);
      login.searchParams.set("returnTo", url.pathname + url.search);
      return { response: new Response(null, { status: 302, headers: { location: login.href, ...noStore } }) };
    }
    return { response: page(401, "Not signed in", "wi-atlas only answers requests that come through Identity-Aware Proxy.") };
  }
  if (!roleOf(who.identity, cfg)) {
    const msg = `${who.identity.email} may not use wi-atlas. Ask an admin to add you to WI_ATLAS_VIEWERS.`;
    if (isApi) return { response: Response.json({ error: { code: "forbidden", message: msg } }, { status: 403, headers: noStore }) };
    return { response: page(403, "No access", msg, cfg.authMode === "oidc") };
  }
  return {};
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(status: number, title: string, message: string, signOut = false): Response {
  // No script (the CSP may forbid inline ones): sign-out is a plain link to the sign-out route's GET.
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · wi-atlas</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><h1>${esc(title)}</h1><p>${esc(message)}</p>${signOut ? '<p><a href="/api/auth/logout">Sign out</a> and sign in as someone else.</p>' : ""}</body></html>`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...noStore } });
}
