/**
 * Route handlers are thin: parse → one lib call → respond. Errors map to HTTP here and only here:
 * a Problem keeps its status and message; anything else is logged server-side (scrubbed) and
 * answered 500 with a message that leaks nothing.
 */
import { Problem } from "./problem";
import { log } from "../log";
import { ConfigError } from "../config";
import { requireRole, type Actor } from "../auth/authenticate";
import type { Role } from "../auth/roles";

export function problemResponse(err: unknown): Response {
  if (err instanceof Problem) {
    return Response.json({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } }, { status: err.status, headers: { "cache-control": "no-store" } });
  }
  if (err instanceof ConfigError) {
    return Response.json({ error: { code: "config", message: err.message } }, { status: 500 });
  }
  const e = err as { code?: string };
  if (e?.code === "ECONNREFUSED" || e?.code === "57P01" || e?.code === "08006") {
    log.error("Database unavailable:", err);
    return Response.json({ error: { code: "unavailable", message: "The database is not reachable" } }, { status: 503 });
  }
  log.error("Request failed:", err);
  return Response.json({ error: { code: "internal", message: "Internal error; the server log has the details" } }, { status: 500 });
}

type Ctx<P> = { params: Promise<P> };

/** What a route needs of its caller; by default reads need `viewer` and anything else `admin` (fail closed). */
export type RouteOptions = { role?: Role };

/**
 * Every API route goes through here: the caller's role is checked first (401/403 as a Problem), then
 * the handler runs with the caller as its third argument (for audit rows and suppression owners).
 */
export function route<P = Record<string, string>>(handler: (req: Request, params: P, actor: Actor) => Promise<Response | unknown>, opts: RouteOptions = {}) {
  return async (req: Request, ctx: Ctx<P>): Promise<Response> => {
    try {
      const need = opts.role ?? (req.method === "GET" || req.method === "HEAD" ? "viewer" : "admin");
      const actor = await requireRole(req, need);
      const params = ctx?.params ? await ctx.params : ({} as P);
      const out = await handler(req, params, actor);
      return out instanceof Response ? out : Response.json(out, { headers: { "cache-control": "no-store" } });
    } catch (err) {
      return problemResponse(err);
    }
  };
}
