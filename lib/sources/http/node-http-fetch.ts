/**
 * The `fetch` the Google clients use (gaxios's documented `fetchImplementation` option): the request
 * googleapis + gaxios built (method, URL, headers, body, signal, agent) sent with `node:http(s)`, the
 * answer handed back whole as a small `Response`.
 *
 * Why: gaxios's own fetch on Node is node-fetch 3, which pipes every answer through a stream
 * pipeline (a PassThrough, an AbortController and a DOMException per answer), wraps headers twice and
 * reads the body through a stream again — about a third of the client's CPU per request, where a
 * scan makes tens of thousands of small requests and is bound by that CPU. Node's own fetch (undici)
 * costs more still (web streams) and ignores the keep-alive agents. Everything above the socket is
 * still the real googleapis client: URL templates, parameters, auth headers, error objects, and
 * lib/sources/http/caller.ts's retries and timeouts (through `signal`).
 *
 * What node-fetch did that matters here is kept: gzip/deflate/br answers are inflated, redirects are
 * followed (up to 20, as fetch does), an aborted signal rejects with an `AbortError`, and a
 * connection cut mid-answer is an error, never half a body.
 */
import http from "node:http";
import https from "node:https";
import zlib from "node:zlib";
import { Readable } from "node:stream";

type AgentOption = http.Agent | ((url: URL) => http.Agent) | undefined;

/** What gaxios passes as `init` (its prepared options: a superset of RequestInit). */
type Init = RequestInit & { agent?: AgentOption };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

/** Response headers read the way fetch's `Headers` are (case-insensitive `get`/`has`), without building one. */
class AnswerHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(", ") : v;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  forEach(fn: (value: string, key: string) => void) {
    for (const k of Object.keys(this.raw)) fn(this.get(k)!, k);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const k of Object.keys(this.raw)) yield [k, this.get(k)!];
  }
  keys() {
    return Object.keys(this.raw)[Symbol.iterator]();
  }
  [Symbol.iterator]() {
    return this.entries();
  }
}

/** The answer, whole: gaxios reads it once (`text()` for JSON, or arrayBuffer/blob/body by responseType). */
class WholeResponse {
  readonly ok: boolean;
  readonly redirected: boolean;
  readonly type = "basic";
  bodyUsed = false;
  constructor(
    private readonly buf: Buffer,
    readonly status: number,
    readonly statusText: string,
    readonly headers: AnswerHeaders,
    readonly url: string,
    redirected: boolean,
  ) {
    this.ok = status >= 200 && status < 300;
    this.redirected = redirected;
  }
  private take(): Buffer {
    if (this.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    this.bodyUsed = true;
    return this.buf;
  }
  async text(): Promise<string> {
    return this.take().toString("utf8");
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  async blob(): Promise<Blob> {
    const type = this.headers.get("content-type");
    return new Blob([new Uint8Array(this.take())], type ? { type } : undefined);
  }
  /** responseType "stream" (not used by the scanner): a Node stream, as node-fetch gave. */
  get body(): Readable {
    return Readable.from([this.take()]);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as Error | undefined;
  // What node-fetch threw: an AbortError (lib/sources/http/api-error.ts and gaxios read `name`).
  const e = new Error(reason?.message ?? "The operation was aborted.");
  e.name = reason?.name === "TimeoutError" ? "TimeoutError" : "AbortError";
  (e as Error & { type: string }).type = "aborted";
  return e;
}

function inflate(buf: Buffer, encoding: string | undefined, done: (err: Error | null, out: Buffer) => void) {
  const enc = encoding?.trim().toLowerCase();
  if (!buf.length || !enc || enc === "identity") return done(null, buf);
  if (enc === "gzip" || enc === "x-gzip") return zlib.gunzip(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH }, done);
  if (enc === "deflate") return buf[0] !== undefined && (buf[0] & 0x0f) === 0x08 ? zlib.inflate(buf, done) : zlib.inflateRaw(buf, done);
  if (enc === "br") return zlib.brotliDecompress(buf, done);
  done(null, buf);
}

function headersOf(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as Headers).forEach === "function" && !Array.isArray(h)) (h as Headers).forEach((v, k) => (out[k] = v));
  else if (Array.isArray(h)) for (const [k, v] of h) out[k.toLowerCase()] = v;
  else for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  // Streams, FormData, Blobs: the Google reads the scanner makes never send them.
  throw new TypeError(`node-http-fetch: unsupported request body (${Object.prototype.toString.call(body)})`);
}

/**
 * A `fetch` over node:http(s). `defaultAgent` picks the keep-alive agent by URL when the request
 * carries none (gaxios passes the client's `agent` option through).
 */
export function nodeHttpFetch(defaultAgent?: (url: URL) => http.Agent): typeof fetch {
  const send = (url: URL, init: Init, redirects: number): Promise<WholeResponse> =>
    new Promise((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortError(signal));
      if (url.protocol !== "http:" && url.protocol !== "https:") return reject(new TypeError(`node-http-fetch: unsupported protocol ${url.protocol}`));
      let body: string | Buffer | undefined;
      try {
        body = bodyOf(init.body);
      } catch (err) {
        return reject(err);
      }
      const method = (init.method ?? "GET").toUpperCase();
      const headers = headersOf(init.headers);
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      else if (method === "POST" || method === "PUT" || method === "PATCH") headers["content-length"] = "0";
      headers["accept-encoding"] ??= "gzip, deflate, br";
      const agentOpt = init.agent ?? defaultAgent;
      const agent = typeof agentOpt === "function" ? agentOpt(url) : agentOpt;
      const mod = url.protocol === "https:" ? https : http;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        reject(signal?.aborted ? abortError(signal) : err);
      };
      const onAbort = () => {
        req.destroy();
        fail(abortError(signal!));
      };
      const req = mod.request(url, { method, headers, agent }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECTS.has(status) && location && init.redirect !== "manual") {
          res.resume();
          settled = true;
          signal?.removeEventListener("abort", onAbort);
          if (init.redirect === "error") return reject(new TypeError(`redirect mode is set to error: ${url.href}`));
          if (redirects >= MAX_REDIRECTS) return reject(new TypeError(`maximum redirect reached at: ${url.href}`));
          const next = new URL(location, url);
          const get = status === 303 || ((status === 301 || status === 302) && method === "POST");
          const nextInit: Init = get ? { ...init, method: "GET", body: undefined } : init;
          if (next.origin !== url.origin) {
            // As fetch does: credentials do not follow a redirect to another origin.
            const h = headersOf(nextInit.headers);
            delete h.authorization;
            delete h.cookie;
            return resolve(send(next, { ...nextInit, headers: h }, redirects + 1));
          }
          return resolve(send(next, nextInit, redirects + 1));
        }
        const chunks: Buffer[] = [];
        let ended = false;
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", fail);
        res.on("close", () => ended || fail(new Error(`${url.origin}: the connection closed before the answer was complete`)));
        res.on("end", () => {
          ended = true;
          const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          inflate(raw, res.headers["content-encoding"] as string | undefined, (err, out) => {
            if (err) return fail(err);
            if (settled) return;
            settled = true;
            signal?.removeEventListener("abort", onAbort);
            resolve(new WholeResponse(out, status, res.statusMessage ?? "", new AnswerHeaders(res.headers), url.href, redirects > 0));
          });
        });
      });
      req.on("error", fail);
      signal?.addEventListener("abort", onAbort, { once: true });
      req.end(body);
    });
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof URL ? input : new URL(typeof input === "string" ? input : (input as Request).url);
    return send(url, (init ?? {}) as Init, 0);
  }) as unknown as typeof fetch;
}
