/**
 * Answers that only change when a scan is applied or a suppression changes, kept in memory keyed by
 * both: a busy page (the shared account everyone looks at) is computed once per scan, not once per
 * request. A cheap query names the current version; a new scan or suppression makes every entry stale.
 */
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
async function remember<T>(key: string, version: string, compute: () => Promise<T>, size: (v: T) => number = () => 0): Promise<T> {
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
  if (n > JSON_ENTRY_MAX) return value;
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

/**
 * Like cachedPerScan, for a JSON answer: the serialised text is what is kept, as UTF-8 bytes, so a
 * busy answer (a hub account's page is a third of a megabyte) is neither serialised nor encoded
 * again for every request — under load, encoding the text was most of a cached answer's cost.
 * Bodies are kept up to 64 MB in all; one over 8 MB is computed every time.
 * Not kept compressed: Next (16.4, next start and the standalone server) drops a route handler's
 * Content-Encoding header and then compresses the body again for a client that accepts gzip, so
 * pre-compressed bytes would reach the browser encoded twice. Next gzips these bytes per request.
 */
export async function cachedJsonPerScan(db: Db, key: string, compute: () => Promise<unknown>): Promise<Response> {
  const body = await remember(`json|${key}`, await dataVersion(db), async () => Buffer.from(JSON.stringify(await compute()), "utf8"), (b) => b.byteLength);
  return new Response(body, { headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

/** For tests and after writes made by this process. */
export function clearScanCache() {
  cache.clear();
  bytes = 0;
}
