/** The sign-in routes' handlers (app/api/auth/*): errors become a short page, never a stack or a token. */
import { config as processConfig } from "../config";
import { log } from "../log";
import { checkUrl, problemResponse } from "../api/respond";
import { beginSignIn, finishSignIn, signOut, SignInFailed } from "./oidc";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(status: number, message: string): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in · wi-atlas</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><h1>Sign-in</h1><p>${esc(message)}</p><p><a href="/api/auth/login">Sign in</a></p></body></html>`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

function oidcOnly(action: (auth: NonNullable<ReturnType<typeof processConfig>["auth"]>) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    // A malformed URL is the caller's mistake, answered 400 as on every other route.
    try {
      checkUrl(request.url);
    } catch (err) {
      return problemResponse(err);
    }
    const cfg = processConfig();
    if (cfg.authMode !== "oidc" || !cfg.auth) return page(404, `Sign-in is not used here (WI_ATLAS_AUTH=${cfg.authMode}).`);
    try {
      return await action(cfg.auth);
    } catch (err) {
      if (err instanceof SignInFailed) return page(400, err.message);
      log.error("Sign-in failed:", err);
      return page(503, "The identity provider could not be reached; try again in a moment.");
    }
  };
}

export const loginRoute = (request: Request) => oidcOnly((auth) => beginSignIn(request, auth))(request);
export const callbackRoute = (request: Request) => oidcOnly((auth) => finishSignIn(request, auth))(request);
export const logoutRoute = (request: Request) => oidcOnly(async (auth) => signOut(request, auth))(request);
