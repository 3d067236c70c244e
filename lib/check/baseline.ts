/**
 * What the check compares against: the latest scan's current inventory and source statuses, read from
 * the database (as the analysis reads them, lib/analysis/analyze-scan.ts) or from a snapshot file that
 * `npm run check -- --export-snapshot FILE` wrote, so that CI needs no database.
 *
 * A snapshot holds inventory records and source statuses only. The inventory never holds a secret
 * value (a Secret keeps its data keys and key ids, an env entry its name — lib/inventory/model.ts);
 * `assertNoSecretMaterial` checks that again before anything is written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type pg from "pg";
import { z } from "zod";
import { loadAnalysisInput } from "../analysis/analyze-scan";
import type { SourceStatus } from "../analysis/context";
import type { InventoryRecord } from "../inventory/model";
import { CheckInputError } from "./read-manifests";

/** A failure that is not the input's fault (no scan, an unknown cluster, a database that does not answer). Exit 2. */
export class CheckRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckRunError";
  }
}

export type Baseline = {
  /** The scan the records are the current state of. */
  scan: { id: number; startedAt: string };
  /** The clock the analysis measures ages against (the scan's clock, else its start). */
  now: Date;
  records: InventoryRecord[];
  sources: Map<string, Exclude<SourceStatus, "missing">>;
  firstSeen: Map<string, Date>;
};

export const SNAPSHOT_FORMAT = "wi-atlas-check-snapshot";
export const SNAPSHOT_VERSION = 1;

const STATUSES = ["ok", "partial", "failed", "skipped"] as const;

/** The snapshot file, version 1. Unknown fields are refused so that a newer file is not half read. */
export const SnapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  exportedAt: z.string(),
  scan: z.strictObject({ id: z.number().int(), startedAt: z.string() }),
  now: z.iso.datetime({ offset: true }),
  sources: z.record(z.string(), z.enum(STATUSES)),
  firstSeen: z.record(z.string(), z.iso.datetime({ offset: true })),
  records: z.array(
    z.strictObject({
      kind: z.string().min(1),
      subject: z.string().min(1),
      source: z.string(),
      project: z.string().nullable().optional(),
      cluster: z.string().nullable().optional(),
      namespace: z.string().nullable().optional(),
      data: z.unknown(),
    }),
  ),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** The latest scan that was applied (succeeded or partial), read as its analysis reads it. */
export async function loadBaseline(pool: pg.Pool): Promise<Baseline> {
  // The pool may hand timestamps back as text (lib/store/db.ts): read them through Date either way.
  const scan = await pool.query<{ id: number; started_at: Date | string; clock: Date | string | null }>(
    `select id, started_at, clock from scan where status in ('succeeded', 'partial') order by id desc limit 1`,
  );
  const row = scan.rows[0];
  if (!row) throw new CheckRunError("No scan in the database yet: run `npm run scan` first (or check without --cluster)");
  const startedAt = new Date(row.started_at);
  const now = row.clock ? new Date(row.clock) : startedAt;
  const input = await loadAnalysisInput(pool, row.id, now);
  return { scan: { id: row.id, startedAt: startedAt.toISOString() }, now, records: input.records, sources: input.sources, firstSeen: input.firstSeen ?? new Map() };
}

const SECRET_MATERIAL = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /"private_key"\s*:/];

/** Refuses text that holds private key material (the inventory never should; this is the last guard). */
export function assertNoSecretMaterial(text: string, what: string): void {
  for (const re of SECRET_MATERIAL) if (re.test(text)) throw new CheckRunError(`${what} would hold private key material (${re.source}); nothing was written`);
}

export function snapshotOf(b: Baseline, exportedAt = new Date()): Snapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    exportedAt: exportedAt.toISOString(),
    scan: b.scan,
    now: b.now.toISOString(),
    sources: Object.fromEntries([...b.sources].sort(([a], [c]) => (a < c ? -1 : 1))),
    firstSeen: Object.fromEntries([...b.firstSeen].map(([k, v]) => [k, v.toISOString()])),
    records: b.records.map((r) => ({ kind: r.kind, subject: r.subject, source: r.source, project: r.project ?? null, cluster: r.cluster ?? null, namespace: r.namespace ?? null, data: r.data })),
  };
}

export function writeSnapshot(file: string, b: Baseline): Snapshot {
  const snap = snapshotOf(b);
  const text = JSON.stringify(snap) + "\n";
  assertNoSecretMaterial(text, `The snapshot ${file}`);
  writeFileSync(file, text);
  return snap;
}

/** Reads a snapshot file; anything unreadable is the input's fault (exit 78) and names the file. */
export function readSnapshot(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new CheckInputError(`--snapshot ${file}: cannot be read: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CheckInputError(`--snapshot ${file}: not JSON: ${(err as Error).message}`);
  }
  const r = SnapshotSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 10).map((i) => `--snapshot ${file}: ${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new CheckInputError(`Not a wi-atlas check snapshot (format ${SNAPSHOT_FORMAT}, version ${SNAPSHOT_VERSION}; write one with npm run check -- --export-snapshot FILE):\n${problems.join("\n")}`, problems);
  }
  const s = r.data;
  return {
    scan: s.scan,
    now: new Date(s.now),
    records: s.records.map((x) => ({ ...x, kind: x.kind as InventoryRecord["kind"] })),
    sources: new Map(Object.entries(s.sources)),
    firstSeen: new Map(Object.entries(s.firstSeen).map(([k, v]) => [k, new Date(v)])),
  };
}
