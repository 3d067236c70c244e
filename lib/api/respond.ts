/**
 * Route handlers are thin: parse → one lib call → respond. Errors map to HTTP here and only here:
 * a Problem keeps its status and message (they are about the caller's own request); anything else
 * — a database error, a Google API error, a configuration error — is logged server-side (scrubbed)
 * with an error id, and the caller gets that id and a message that leaks nothing.
 */
import { randomBytes } from "node:crypto";
import { Problem, badRequest } from "./problem";
import { log } from "../log";
import { ConfigError } from "../config";
import { requireRole, type Actor } from "../auth/authenticate";
import type { Role } from "../auth/roles";

/** A short id that ties a generic 5xx answer to its server log line. */
export function newErrorId(): string {
  return randomBytes(6).toString("hex");
}

export function problemResponse(err: unknown): Response {
  if (err instanceof Problem) {
    return Response.json({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } }, { status: err.status, headers: { "cache-control": "no-store" } });
  }
  const errorId = newErrorId();
  if (err instanceof ConfigError) {
    log.error(`Configuration error (error id ${errorId}):`, err);
    return Response.json({ error: { code: "config", message: `The server is misconfigured; its log has the details (error id ${errorId})`, errorId } }, { status: 500 });
  }
  const e = err as { code?: string };
  if (e?.code === "ECONNREFUSED" || e?.code === "57P01" || e?.code === "08006") {
    log.error(`Database unavailable (error id ${errorId}):`, err);
    return Response.json({ error: { code: "unavailable", message: `The database is not reachable (error id ${errorId})`, errorId } }, { status: 503 });
  }
  log.error(`Request failed (error id ${errorId}):`, err);
  return Response.json({ error: { code: "internal", message: `Internal error; the server log has the details (error id ${errorId})`, errorId } }, { status: 500 });
}

/** `%` not followed by two hex digits, or escapes that do not spell UTF-8. */
function decodes(component: string): boolean {
  try {
    decodeURIComponent(component);
    return true;
  } catch {
    return false;
  }
}

// Every control character but tab: none belongs in a subject, a filter or a search, and PostgreSQL
// rejects NUL in text outright (which would otherwise surface as a 500).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Rejects a URL no route could mean: malformed percent-encoding in the path or the query string
 * (URLSearchParams would silently keep `%` as text), or control characters once decoded.
 */
export function checkUrl(url: string): void {
  const u = new URL(url);
  for (const segment of u.pathname.split("/")) {
    if (!decodes(segment)) throw badRequest(`The path segment "${segment}" has malformed percent-encoding (each % must start a %XX escape of UTF-8)`);
    if (CONTROL.test(decodeURIComponent(segment))) throw badRequest(`The path segment "${segment}" holds a control character`);
  }
  const query = u.search.replace(/^\?/, "");
  if (!query) return;
  for (const pair of query.split("&")) {
    const [rawKey, ...rest] = pair.split("=");
    const rawValue = rest.join("=");
    for (const part of [rawKey, rawValue]) {
      const plain = part.replace(/\+/g, " ");
      if (!decodes(plain)) {
        throw badRequest(`Query parameter "${rawKey}" has malformed percent-encoding ("${part}"; each % must start a %XX escape of UTF-8)`, { parameter: rawKey });
      }
      // Next re-encodes a query string leniently before a route (or the proxy) sees it: an escape that
      // is not UTF-8 arrives as U+FFFD, which no filter, subject or search term holds on purpose.
      if (decodeURIComponent(plain).includes("\uFFFD")) {
        throw badRequest(`Query parameter "${rawKey}" has malformed percent-encoding (it does not decode to UTF-8)`, { parameter: rawKey });
      }
      if (CONTROL.test(decodeURIComponent(plain))) throw badRequest(`Query parameter "${decodes(rawKey) ? decodeURIComponent(rawKey) : rawKey}" holds a control character`, { parameter: rawKey });
    }
  }
}

/**
 * A path parameter, percent-decoded; a value that does not decode is the caller's mistake (400).
 * (Route files decode their own segment: a subject is one percent-encoded segment, `/` included.)
 */
export function decodeParam(value: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw badRequest(`"${value}" is not ${what}: it has malformed percent-encoding`);
  }
  if (CONTROL.test(decoded)) throw badRequest(`"${encodeURIComponent(decoded)}" is not ${what}: it holds a control character`);
  return decoded;
}

/** A positive whole number that fits PostgreSQL's integer (scan and suppression ids), or a 400. */
export function parseId(value: string, what: string): number {
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2_147_483_647) {
    throw badRequest(`"${value}" is not ${what} (a whole number from 1 to 2147483647)`);
  }
  return Number(value);
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
      checkUrl(req.url);
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
