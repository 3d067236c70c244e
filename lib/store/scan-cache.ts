/**
 * Answers that only change when a scan is applied or a suppression changes, kept in memory keyed by
 * both: a busy page (the shared account everyone looks at) is computed once per scan, not once per
 * request. A cheap query names the current version; a new scan or suppression makes every entry stale.
 */
import type { Db } from "./db";

type Entry = { version: string; value: unknown; at: number };

const MAX_ENTRIES = 200;
const cache = new Map<string, Entry>();
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

export async function cachedPerScan<T>(db: Db, key: string, compute: () => Promise<T>): Promise<T> {
  const version = await dataVersion(db);
  const hit = cache.get(key);
  if (hit && hit.version === version) {
    // Most recently used last, so the oldest is evicted first.
    cache.delete(key);
    cache.set(key, hit);
    return hit.value as T;
  }
  const value = await compute();
  cache.set(key, { version, value, at: Date.now() });
  while (cache.size > MAX_ENTRIES) {
    const [ek, e] = cache.entries().next().value as [string, Entry];
    cache.delete(ek);
    if (ek.startsWith("json|")) jsonBytes -= (e.value as string).length;
  }
  return value;
}

/** For tests and after writes made by this process. */
export function clearScanCache() {
  cache.clear();
  jsonBytes = 0;
}

/**
 * Like cachedPerScan, for a JSON answer: the serialised text is what is kept, so a busy answer
 * (a hub account's page is a third of a megabyte) is not serialised again for every request. Texts
 * are kept up to 64 MB in all; one over 8 MB (an audit of everything) is computed every time.
 */
export async function cachedJsonPerScan(db: Db, key: string, compute: () => Promise<unknown>): Promise<Response> {
  const version = await dataVersion(db);
  const k = `json|${key}`;
  const hit = cache.get(k);
  let text: string;
  if (hit && hit.version === version) {
    cache.delete(k);
    cache.set(k, hit);
    text = hit.value as string;
  } else {
    text = JSON.stringify(await compute());
    if (hit) {
      cache.delete(k);
      jsonBytes -= (hit.value as string).length;
    }
    if (text.length <= JSON_ENTRY_MAX) {
      cache.set(k, { version, value: text, at: Date.now() });
      jsonBytes += text.length;
      for (const [ek, e] of cache) {
        if (jsonBytes <= JSON_BYTES_MAX && cache.size <= MAX_ENTRIES) break;
        cache.delete(ek);
        if (ek.startsWith("json|")) jsonBytes -= (e.value as string).length;
      }
    }
  }
  return new Response(text, { headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

const JSON_ENTRY_MAX = 8 * 1024 * 1024;
const JSON_BYTES_MAX = 64 * 1024 * 1024;
let jsonBytes = 0;
