/**
 * Strings a tenant controls (names, labels, annotations, env names, …) may hold anything, but
 * PostgreSQL stores neither a NUL character (text rejects the byte, jsonb the `\u0000` escape) nor
 * invalid UTF-16 (a lone surrogate, which JSON writes as a `\ud800`-style escape jsonb rejects).
 * Decision: each such character becomes U+FFFD (the replacement character), in keys and values
 * alike, before a record is stored — the object keeps its place in the inventory and its other fields
 * read back as they were. A record that still cannot be stored (it cannot be serialised, or is
 * larger than MAX_RECORD_JSON) is refused on its own: its source becomes partial, naming it.
 */
import type { InventoryRecord } from "./model";

/** The largest record data kept, serialised (a Kubernetes object is at most 1.5 MiB in etcd; a policy a few hundred KiB). */
export const MAX_RECORD_JSON = 16 * 1024 * 1024;

const SUSPECT = /[\u0000\ud800-\udfff]/;
const BAD = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** What JSON.stringify writes for a NUL or a lone surrogate (valid pairs stay raw characters). */
const SUSPECT_JSON = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/** `s` with every NUL and lone surrogate replaced by U+FFFD. */
export function sanitiseText(s: string): string {
  return SUSPECT.test(s) ? s.replace(BAD, "\ufffd") : s;
}

function deep(v: unknown, depth: number): unknown {
  if (typeof v === "string") return sanitiseText(v);
  if (!v || typeof v !== "object" || depth > 200) return v;
  if (Array.isArray(v)) return v.map((x) => deep(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [sanitiseText(k), deep(x, depth + 1)]));
}

/** A record ready to store: its columns, and its data serialised. */
export type StorableRecord = { kind: string; subject: string; source: string; project: string | null; cluster: string | null; namespace: string | null; data: string };

/**
 * The record as it can be stored, sanitised when it needs it; or why it cannot be. Cheap for the
 * usual record: the serialised text is searched once for the escapes PostgreSQL refuses.
 */
export function storableRecord(r: InventoryRecord): { row: StorableRecord } | { error: string } {
  const cols = [r.subject, r.source, r.project ?? "", r.cluster ?? "", r.namespace ?? ""];
  try {
    let data = JSON.stringify(r.data);
    if (data === undefined) return { error: "it has no data" };
    if (SUSPECT_JSON.test(data)) data = JSON.stringify(deep(r.data, 0));
    if (data.length > MAX_RECORD_JSON) return { error: `its data is ${data.length} characters, over the ${MAX_RECORD_JSON} a record may hold` };
    const clean = cols.some((c) => SUSPECT.test(c));
    return {
      row: {
        kind: r.kind,
        subject: clean ? sanitiseText(r.subject) : r.subject,
        source: clean ? sanitiseText(r.source) : r.source,
        project: r.project == null ? null : sanitiseText(r.project),
        cluster: r.cluster == null ? null : sanitiseText(r.cluster),
        namespace: r.namespace == null ? null : sanitiseText(r.namespace),
        data,
      },
    };
  } catch (err) {
    return { error: `it cannot be serialised (${(err as Error).message})` };
  }
}
