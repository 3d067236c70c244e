/**
 * Request hardening applied in front of every route (proxy.ts calls `secureRequest`):
 *
 * - A state change (POST, PUT, PATCH, DELETE) must come from this dashboard's own pages: a same-origin
 *   `Origin` (or, when a client sends none, `Sec-Fetch-Site: same-origin`) and a JSON body type. A
 *   page on another site can make a browser send a form post (`application/x-www-form-urlencoded`,
 *   `multipart/form-data`, `text/plain`) with the reader's cookies and without a CORS preflight; it
 *   cannot send `application/json` cross-origin without one, and it cannot forge `Origin`.
 * - With `WI_ATLAS_PUBLIC_URL` set, the `Host` of every request must name it (a DNS-rebinding page
 *   talks to us under its own host name) and a state change's `Origin` must equal it exactly.
 * - Every response carries a Content-Security-Policy with a fresh nonce, and the usual clickjacking,
 *   sniffing and referrer headers.
 */
import { randomBytes } from "node:crypto";
import { config } from "../config";
import { checkUrl } from "../api/respond";
import { Problem } from "../api/problem";

/** Methods that change something; every other method must not (Next serves GET/HEAD/OPTIONS only). */
export const STATE_CHANGING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Exempt from the Host check: load balancer and kubelet probes address the pod by IP, not by the
 * public host name, and health says nothing a probe may not know.
 */
const HOST_CHECK_EXEMPT = new Set(["/api/health"]);

export type SecurityOptions = {
  /** The public origin (`https://HOST[:PORT]`) from WI_ATLAS_PUBLIC_URL, or undefined. */
  publicUrl?: string;
  /** Development server: React's dev tooling needs `'unsafe-eval'`. */
  isDev: boolean;
};

/** Why a request was refused, as the JSON problem the API answers everywhere else. */
export type Refusal = {
  /** 400 for a path that does not decode, 403 for the wrong origin or host, 415 for a body that is not JSON. */
  status: 400 | 403 | 415;
  /** A stable machine-readable reason. */
  code: "bad_request" | "cross_origin" | "wrong_host" | "unsupported_media_type";
  /** What was wrong and what would be accepted. */
  message: string;
};

/** 128 random bits, base64: unguessable and fresh for every request. */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/**
 * The policy for one response.
 * - script-src: only scripts carrying this response's nonce, and what they load ('strict-dynamic'
 *   trusts Next's chunk loader); the App Router's inline scripts differ per request, so hashes could
 *   not cover them. 'self' is a fallback for browsers without 'strict-dynamic' (which then ignore it).
 * - style-src 'unsafe-inline': React Flow positions every node and edge with inline `style`
 *   attributes (server-rendered ones included), and Recharts and html-to-image do the same; a style
 *   cannot run code, so this opens no script path. No nonce here on purpose: a nonce in style-src
 *   makes browsers ignore 'unsafe-inline'.
 * - worker-src 'self' blob:: the graph lays out with elkjs in a Web Worker loaded from our own static
 *   files (`new Worker(new URL("elkjs/lib/elk-worker.min.js", import.meta.url))`); blob: for bundlers
 *   that inline workers.
 * - img-src data: blob:: the graph's PNG/SVG export renders through data: and blob: URLs.
 */
export function contentSecurityPolicy(nonce: string, opts: SecurityOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  // Only where the dashboard is served over TLS: on http://localhost it would break every asset.
  if (opts.publicUrl?.startsWith("https:")) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** Every header every response carries, for one nonce. */
export function securityHeaders(nonce: string, opts: SecurityOptions): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(nonce, opts),
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
  };
}

/** Host names compare case-insensitively; a default port may be written or left out. */
function sameHost(a: string, b: string): boolean {
  const norm = (h: string) => h.trim().toLowerCase().replace(/:(80|443)$/, "");
  return norm(a) === norm(b);
}

function decodes(component: string): boolean {
  try {
    decodeURIComponent(component);
    return true;
  } catch {
    return false;
  }
}

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/**
 * Whether a request may go on, or why not. Reads are refused only for a wrong Host (when the public
 * URL is known); state changes also need a same-origin Origin and a JSON content type.
 */
export function checkRequest(req: { method: string; url: string; headers: Headers }, opts: SecurityOptions): Refusal | null {
  const host = req.headers.get("host") ?? "";
  const pathname = new URL(req.url).pathname;
  // Next cannot decode such a path into a dynamic route's params and answers a bare 500 of its own
  // (without these headers): say what is wrong before it tries.
  const malformed = pathname.split("/").find((segment) => !decodes(segment));
  if (malformed !== undefined) {
    return { status: 400, code: "bad_request", message: `The path segment "${malformed}" has malformed percent-encoding (each % must start a %XX escape of UTF-8)` };
  }
  // The URL a route handler sees has been re-encoded by Next (`?q=%` arrives as `?q=%25`), so the
  // API's query strings are checked here, on the URL as it was sent.
  if (pathname.startsWith("/api/")) {
    try {
      checkUrl(req.url);
    } catch (err) {
      if (err instanceof Problem) return { status: 400, code: "bad_request", message: err.message };
      throw err;
    }
  }
  if (opts.publicUrl && !HOST_CHECK_EXEMPT.has(pathname)) {
    const expected = new URL(opts.publicUrl).host;
    if (!sameHost(host, expected)) {
      return { status: 403, code: "wrong_host", message: `This dashboard answers at ${opts.publicUrl} (WI_ATLAS_PUBLIC_URL); the request named host "${host}"` };
    }
  }
  if (!STATE_CHANGING_METHODS.has(req.method.toUpperCase())) return null;

  const origin = req.headers.get("origin");
  if (origin !== null) {
    let isSame: boolean;
    if (opts.publicUrl) {
      isSame = origin === opts.publicUrl;
    } else {
      // Without a configured public URL the scheme cannot be trusted (TLS may end at a load balancer
      // in front of us), so the Origin's host must be the host this request was sent to.
      let originHost: string | undefined;
      try {
        originHost = origin === "null" ? undefined : new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      isSame = originHost !== undefined && host !== "" && sameHost(originHost, host);
    }
    if (!isSame) {
      return {
        status: 403,
        code: "cross_origin",
        message: `Cross-origin ${req.method} refused: Origin "${origin}" is not this dashboard's origin (${opts.publicUrl ?? `host ${host}`}); changes must come from the dashboard's own pages`,
      };
    }
  } else if (req.headers.get("sec-fetch-site") !== "same-origin") {
    // Browsers always send Origin on a POST/PUT/PATCH/DELETE; a script (curl) must send one too.
    return {
      status: 403,
      code: "cross_origin",
      message: `${req.method} refused: the request carries neither an Origin header nor Sec-Fetch-Site: same-origin; send Origin: ${opts.publicUrl ?? "<this dashboard's URL>"}`,
    };
  }

  const type = mediaType(req.headers.get("content-type"));
  if (type !== "application/json") {
    return {
      status: 415,
      code: "unsupported_media_type",
      message: `${req.method} refused: Content-Type must be application/json${type ? `, got "${type}"` : " (none was sent)"}`,
    };
  }
  return null;
}

/** What proxy.ts needs for one request. */
export type SecuredRequest = {
  /** Set when the request must not reach the app: a JSON problem to answer instead. */
  refusal?: Response;
  /**
   * The request headers to pass on: the nonce in `x-nonce` (for the layout's own inline script) and
   * the policy in `content-security-policy` (Next reads the nonce from it for its inline scripts).
   */
  requestHeaders: Headers;
  /** Headers to set on whatever response goes back, the refusal included. */
  responseHeaders: Record<string, string>;
};

/** Checks one request and prepares its headers. */
export function secureRequest(req: { method: string; url: string; headers: Headers }, opts: SecurityOptions): SecuredRequest {
  const nonce = newNonce();
  const responseHeaders = securityHeaders(nonce, opts);
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", responseHeaders["content-security-policy"]);
  const refused = checkRequest(req, opts);
  const refusal = refused
    ? Response.json({ error: { code: refused.code, message: refused.message } }, { status: refused.status, headers: { ...responseHeaders, "cache-control": "no-store" } })
    : undefined;
  return { refusal, requestHeaders, responseHeaders };
}

/** The options for this process: the public URL from the configuration, dev or production. */
export function currentSecurityOptions(): SecurityOptions {
  return { publicUrl: config().publicUrl, isDev: process.env.NODE_ENV === "development" };
}
