/**
 * `load` and `cleanup` for one scan, in the caller's transaction. Objects are versioned over scans:
 * a row is valid for [valid_from, valid_to) and a new row is written only when an object's content
 * changed, so an unchanged rescan writes no inventory rows at all.
 *
 * The rules that keep earlier knowledge:
 * - a source that succeeded (`ok`) closes the current rows it did not see this time (they disappeared);
 * - a `partial` source adds and updates what it saw but closes nothing (it may simply not have seen it);
 * - a `failed` or `skipped` source changes nothing: its rows stay current and are shown stale;
 * - a source not tried at all is *retired* (its rows closed) only when the source that would have
 *   produced it succeeded without it — the project is gone from a successful discovery, or the cluster
 *   from a successful cluster list.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import type { InventoryRecord } from "../inventory/model";
import type { SourceOutcome } from "../scan/collect";

export type WriteStats = { inserted: number; closed: number; unchanged: number; retiredSources: string[] };

function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

export function recordHash(r: InventoryRecord): string {
  return createHash("sha1")
    .update(canonical({ s: r.source, p: r.project ?? null, c: r.cluster ?? null, n: r.namespace ?? null, d: r.data }))
    .digest("hex");
}

const BATCH = 2000;

async function insertRows(client: pg.PoolClient, scanId: number, rows: { r: InventoryRecord; hash: string; firstSeen: number }[]) {
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    await client.query(
      `insert into inventory_object (kind, subject, source, project, cluster, namespace, hash, data, valid_from, first_seen)
       select k, s, src, p, c, n, h, d::jsonb, $9, fs
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $10::int[]) as t(k, s, src, p, c, n, h, d, fs)`,
      [
        chunk.map((x) => x.r.kind),
        chunk.map((x) => x.r.subject),
        chunk.map((x) => x.r.source),
        chunk.map((x) => x.r.project ?? null),
        chunk.map((x) => x.r.cluster ?? null),
        chunk.map((x) => x.r.namespace ?? null),
        chunk.map((x) => x.hash),
        chunk.map((x) => JSON.stringify(x.r.data)),
        scanId,
        chunk.map((x) => x.firstSeen),
      ],
    );
  }
}

async function closeRows(client: pg.PoolClient, scanId: number, ids: number[]) {
  for (let i = 0; i < ids.length; i += 10_000) {
    await client.query(`update inventory_object set valid_to = $1 where id = any($2::bigint[]) and valid_to is null`, [scanId, ids.slice(i, i + 10_000)]);
  }
}

/** Which known sources this scan retires: their scope is gone from a parent source that succeeded. */
export function sourcesToRetire(known: { source: string; family: string; scope: string; retired: boolean }[], outcomes: SourceOutcome[]): string[] {
  const tried = new Set(outcomes.map((o) => o.source));
  const ok = new Set(outcomes.filter((o) => o.status === "ok").map((o) => o.source));
  const discovery = outcomes.filter((o) => o.family === "crm.projects" || o.family === "crm.organization" || o.family === "crm.folder");
  const discoveryComplete = discovery.length > 0 && discovery.every((o) => o.status === "ok");
  const projects = new Set(outcomes.filter((o) => o.family === "iam.serviceAccounts" || o.family === "container.clusters").map((o) => o.scope));
  const out: string[] = [];
  for (const k of known) {
    if (k.retired || tried.has(k.source)) continue;
    if (k.family.startsWith("k8s.")) {
      const project = k.scope.split("/")[0];
      // The cluster list of its project succeeded and did not include this cluster.
      if (ok.has(`container.clusters:${project}`)) out.push(k.source);
      else if (discoveryComplete && !projects.has(project)) out.push(k.source);
      continue;
    }
    if (!discoveryComplete) continue;
    const project = k.scope.startsWith("projects/") ? k.scope.slice(9) : k.scope;
    if (k.family === "crm.iamPolicy" && !k.scope.startsWith("projects/")) {
      out.push(k.source); // a folder or organization no longer above any scanned project
      continue;
    }
    if (["crm.projects", "crm.organization", "crm.folder"].includes(k.family)) {
      out.push(k.source); // a discovery scope no longer configured
      continue;
    }
    if (!projects.has(project)) out.push(k.source);
  }
  return out;
}

export async function writeInventory(client: pg.PoolClient, scanId: number, outcomes: SourceOutcome[]): Promise<WriteStats> {
  const stats: WriteStats = { inserted: 0, closed: 0, unchanged: 0, retiredSources: [] };

  const col = <T>(f: (o: SourceOutcome) => T) => outcomes.map(f);
  await client.query(
    `insert into scan_source (scan_id, source, family, scope, status, http_status, error, permission, objects, requests, duration_ms)
     select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::int[], $10::int[], $11::int[])`,
    [
      scanId,
      col((o) => o.source),
      col((o) => o.family),
      col((o) => o.scope),
      col((o) => o.status),
      col((o) => o.httpStatus ?? null),
      col((o) => o.error ?? null),
      col((o) => o.permission ?? null),
      col((o) => o.records.length),
      col((o) => o.requests),
      col((o) => o.durationMs),
    ],
  );

  // Everything this scan saw, deduplicated by (kind, subject): the last one wins.
  const seen = new Map<string, { r: InventoryRecord; hash: string; complete: boolean }>();
  for (const o of outcomes) {
    if (o.status !== "ok" && o.status !== "partial") continue;
    for (const r of o.records) seen.set(`${r.kind}\u0000${r.subject}`, { r, hash: recordHash(r), complete: o.status === "ok" });
  }
  const completeSources = outcomes.filter((o) => o.status === "ok").map((o) => o.source);
  const touchedSources = outcomes.filter((o) => o.status === "ok" || o.status === "partial").map((o) => o.source);

  // Current rows of the sources that answered, and current rows of the same subjects from elsewhere.
  const current = await client.query<{ id: number; kind: string; subject: string; hash: string; source: string; first_seen: number | null }>(
    `select id, kind, subject, hash, source, first_seen from inventory_object where valid_to is null and source = any($1::text[])`,
    [touchedSources],
  );
  const currentByKey = new Map(current.rows.map((row) => [`${row.kind}\u0000${row.subject}`, row]));
  const kinds = [...new Set([...seen.values()].map((x) => x.r.kind))];
  for (const kind of kinds) {
    const subjects = [...seen.values()].filter((x) => x.r.kind === kind && !currentByKey.has(`${kind}\u0000${x.r.subject}`)).map((x) => x.r.subject);
    if (!subjects.length) continue;
    const moved = await client.query<{ id: number; kind: string; subject: string; hash: string; source: string; first_seen: number | null }>(
      `select id, kind, subject, hash, source, first_seen from inventory_object where valid_to is null and kind = $1 and subject = any($2::text[])`,
      [kind, subjects],
    );
    for (const row of moved.rows) currentByKey.set(`${row.kind}\u0000${row.subject}`, row);
  }

  const toInsert: { r: InventoryRecord; hash: string; firstSeen: number }[] = [];
  const toClose: number[] = [];
  for (const [key, x] of seen) {
    const cur = currentByKey.get(key);
    if (cur && cur.hash === x.hash) {
      stats.unchanged++;
      continue;
    }
    if (cur) toClose.push(cur.id);
    toInsert.push({ r: x.r, hash: x.hash, firstSeen: cur?.first_seen ?? scanId });
  }
  const complete = new Set(completeSources);
  for (const [key, row] of currentByKey) {
    if (!seen.has(key) && complete.has(row.source)) toClose.push(row.id);
  }

  // Retire sources whose scope vanished from a successful parent.
  const known = await client.query<{ source: string; family: string; scope: string; retired_scan_id: number | null }>(
    `select source, family, scope, retired_scan_id from source_state`,
  );
  const retire = sourcesToRetire(
    known.rows.map((k) => ({ source: k.source, family: k.family, scope: k.scope, retired: k.retired_scan_id !== null })),
    outcomes,
  );
  if (retire.length) {
    const r = await client.query<{ id: number }>(`select id from inventory_object where valid_to is null and source = any($1::text[])`, [retire]);
    toClose.push(...r.rows.map((x) => x.id));
    await client.query(`update source_state set retired_scan_id = $1 where source = any($2::text[])`, [scanId, retire]);
    stats.retiredSources = retire;
  }

  await closeRows(client, scanId, toClose);
  await insertRows(client, scanId, toInsert);
  stats.inserted = toInsert.length;
  stats.closed = toClose.length;

  await client.query(
    `insert into source_state (source, family, scope, last_scan_id, last_status, last_error, last_ok_scan_id, retired_scan_id)
     select s, f, sc, $1::int, st, e, case when st = 'ok' then $1::int else null end, null
     from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) as t(s, f, sc, st, e)
     on conflict (source) do update set last_scan_id = excluded.last_scan_id, last_status = excluded.last_status,
       last_error = excluded.last_error, last_ok_scan_id = coalesce(excluded.last_ok_scan_id, source_state.last_ok_scan_id),
       retired_scan_id = null`,
    [scanId, col((o) => o.source), col((o) => o.family), col((o) => o.scope), col((o) => o.status), col((o) => o.error ?? null)],
  );
  return stats;
}
