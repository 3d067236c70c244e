/**
 * Answers that only change when a scan is applied or a suppression changes, kept in memory keyed by
 * both: a busy page (the shared account everyone looks at) is computed once per scan, not once per
 * request. A cheap query names the current version; a new scan or suppression makes every entry stale.
 */
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import type { Db } from "./db";

/** `bytes` counts the entries kept as bytes (cachedJsonPerScan); objects count 0. */
type Entry = { version: string; value: unknown; bytes: number };

const MAX_ENTRIES = 200;
/** Texts kept in all, and the largest one kept (an audit of everything is computed every time). */
const JSON_BYTES_MAX = 64 * 1024 * 1024;
const JSON_ENTRY_MAX = 8 * 1024 * 1024;
const cache = new Map<string, Entry>();
let bytes = 0;
/** The data version: the last applied scan, the suppressions and how many have lapsed (one small query per request). */
export async function dataVersion(db: Db): Promise<string> {
  const r = await db.pool.query<{ v: string }>(
    `select coalesce((select max(id) from scan where status in ('succeeded', 'partial')), 0)::text || '/' ||
            coalesce((select md5(string_agg(id::text || ':' || coalesce(expires_at::text, ''), ',' order by id)) from suppression), '') || '/' ||
            -- a suppression that lapses changes what pages show, with no write to mark it
            (select count(*) from suppression where expires_at <= now())::text as v`,
  );
  return r.rows[0].v;
}

/** The value for `key` at `version`, computed (and kept, unless `size` says it is too big) when there is none. */
async function remember<T>(key: string, version: string, compute: () => Promise<T>, size: (v: T) => number = () => 0, tooBig: (v: T) => boolean = (v) => size(v) > JSON_ENTRY_MAX): Promise<T> {
  const hit = cache.get(key);
  if (hit && hit.version === version) {
    // Most recently used last, so the oldest is evicted first.
    cache.delete(key);
    cache.set(key, hit);
    return hit.value as T;
  }
  const value = await compute();
  if (hit) {
    cache.delete(key);
    bytes -= hit.bytes;
  }
  const n = size(value);
  if (tooBig(value)) return value;
  cache.set(key, { version, value, bytes: n });
  bytes += n;
  for (const [k, e] of cache) {
    if (cache.size <= MAX_ENTRIES && bytes <= JSON_BYTES_MAX) break;
    cache.delete(k);
    bytes -= e.bytes;
  }
  return value;
}

export async function cachedPerScan<T>(db: Db, key: string, compute: () => Promise<T>): Promise<T> {
  return remember(key, await dataVersion(db), compute);
}

/** A content coding the cached JSON answers are kept in, besides their plain bytes. */
export type Coding = "br" | "gzip";

/**
 * The coding to answer with, from the request's Accept-Encoding (RFC 9110 §12.5.3): brotli where it
 * is accepted (smaller), else gzip, else none (the plain bytes: `identity` is always acceptable to
 * us, a client that refuses it too gets them rather than a 406). A coding named with q=0 is refused,
 * `*` stands for every coding the header does not name.
 */
export function pickCoding(acceptEncoding: string | null): Coding | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepted = (c: Coding) => (q.get(c) ?? q.get("*") ?? 0) > 0;
  if (accepted("br")) return "br";
  if (accepted("gzip")) return "gzip";
  return null;
}

/** A cached JSON answer: its UTF-8 bytes and, when worth it, the same bytes compressed once. */
type JsonBody = { plain: Bytes; br: Bytes | null; gzip: Bytes | null };
// zlib's buffers are never over shared memory; a Response body must not be.
type Bytes = Buffer<ArrayBuffer>;

/** Smaller than this, an answer is sent as it is (Next's own compression skips under 1 KB too). */
const COMPRESS_MIN = 1024;
// Brotli's quality 11 spends seconds on a third of a megabyte; 6 compresses a hub account's answer
// within a few per cent of it in milliseconds. Once per answer per scan either way, but the first
// reader after a scan waits for it.
const BROTLI_QUALITY = 6;
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

async function encodeJson(value: unknown): Promise<JsonBody> {
  const plain = Buffer.from(JSON.stringify(value), "utf8");
  // Too small to gain, or too big to be kept (compressing it for every request would cost more than it saves).
  if (plain.byteLength < COMPRESS_MIN || plain.byteLength > JSON_ENTRY_MAX) return { plain, br: null, gzip: null };
  const [br, gz] = await Promise.all([
    brotli(plain, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: plain.byteLength } }),
    gzipped(plain, { level: 6 }),
  ]);
  // A coding that saves nothing is not worth a Content-Encoding.
  const smaller = (b: Buffer) => (b.byteLength < plain.byteLength ? (b as Bytes) : null);
  return { plain, br: smaller(br), gzip: smaller(gz) };
}

/**
 * Like cachedPerScan, for a JSON answer: the serialised text is what is kept, as UTF-8 bytes, so a
 * busy answer (a hub account's page is a third of a megabyte) is neither serialised nor encoded
 * again for every request — under load, encoding the text was most of a cached answer's cost.
 * The same bytes are kept brotli- and gzip-compressed, made once when the answer is computed, and
 * sent to a client whose Accept-Encoding takes them (every browser does): a hub account's page goes
 * out as ~1/15 of its bytes with no compression per request. Next's own compression (next start)
 * leaves an answer that already has a Content-Encoding alone. The answer varies with the request's
 * Accept-Encoding, and says so (Vary) for caches in between.
 * Bodies are kept up to 64 MB in all (the compressed forms count too); one over 8 MB is computed
 * every time, and sent plain for Next to compress as it does any answer.
 */
export async function cachedJsonPerScan(db: Db, key: string, compute: () => Promise<unknown>, req?: Request): Promise<Response> {
  const body = await remember(
    `json|${key}`,
    await dataVersion(db),
    async () => encodeJson(await compute()),
    (b) => b.plain.byteLength + (b.br?.byteLength ?? 0) + (b.gzip?.byteLength ?? 0),
    // Whether an answer is kept goes by its own size, as before its compressed forms were kept too.
    (b) => b.plain.byteLength > JSON_ENTRY_MAX,
  );
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store", vary: "Accept-Encoding" };
  const coding = req ? pickCoding(req.headers.get("accept-encoding")) : null;
  const compressed = coding ? body[coding] : null;
  if (!compressed || !coding) return new Response(body.plain, { headers });
  return new Response(compressed, { headers: { ...headers, "content-encoding": coding } });
}

/** For tests and after writes made by this process. */
export function clearScanCache() {
  cache.clear();
  bytes = 0;
}
