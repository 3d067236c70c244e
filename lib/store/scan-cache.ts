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
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return value;
}

/** For tests and after writes made by this process. */
export function clearScanCache() {
  cache.clear();
}
