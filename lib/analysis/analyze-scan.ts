/**
 * The analysis of a scan, inside the scan's transaction: read the current inventory (stale objects
 * included — they are the best knowledge there is) and what each source did, analyse, and write the
 * results as versions (unchanged conclusions write nothing; a finding keeps its first_seen while it
 * stays open), plus the roll-ups the trend charts read.
 */
import crypto, { createHash } from "node:crypto";
import type pg from "pg";
import type { InventoryRecord } from "../inventory/model";
import type { AnalysisInput, SourceStatus } from "./context";
import { runAnalysis, type AnalysisResult, type Rollup } from "./run-analysis";
import { buildGraph } from "./graph";
import { log } from "../log";
import { serialQueue } from "../store/serial-queue";

export type AnalysisSummary = {
  findings: number;
  open: number;
  unverified: number;
  bySeverity: Record<string, number>;
  workloads: number;
  migrated: number;
  written: { inserted: number; closed: number; unchanged: number };
  durationMs: number;
  /** Reading the inventory, the analysis itself (identity, status, findings, graph), storing its results; ms. */
  /** alongsideWaitMs: how long the insert of the inventory's new versions ran on after the compute (see analyzeScan). */
  timings?: { loadMs: number; computeMs: number; writeMs: number; alongsideWaitMs?: number };
};

export type AnalysisRow = Row;
type Row = {
  kind: string;
  key: string;
  subject: string;
  rule?: string | null;
  severity?: string | null;
  state?: string | null;
  project?: string | null;
  cluster?: string | null;
  namespace?: string | null;
  gsa?: string | null;
  target?: string | null;
  data: unknown;
};

/**
 * The analysis's input: the current inventory, the sources' states and when each GSA was first seen.
 * With `pending` (a relation of rows about to be inserted as new versions by this scan, in the same
 * session: PENDING_VERSIONS of lib/store/write-inventory.ts), the inventory as it will be once they
 * are — read before the insert, so that the insert and the analysis can run at the same time.
 */
export async function loadAnalysisInput(client: pg.PoolClient | pg.Pool, scanId: number, now: Date, pending?: string): Promise<AnalysisInput> {
  const objects = await client.query<InventoryRecord>(
    `select kind, subject, source, project, cluster, namespace, data from inventory_object where valid_to is null` +
      (pending ? ` union all select kind, subject, source, project, cluster, namespace, data from ${pending}` : ""),
  );
  const states = await client.query<{ source: string; last_scan_id: number; last_status: string }>(`select source, last_scan_id, last_status from source_state where retired_scan_id is null`);
  const sources = new Map<string, Exclude<SourceStatus, "missing">>();
  // Only what answered in full in this very scan counts as complete; older answers are stale.
  for (const s of states.rows) sources.set(s.source, s.last_scan_id === scanId ? (s.last_status as Exclude<SourceStatus, "missing">) : "skipped");
  // A pending row's version starts with this scan (its valid_from).
  const first = await client.query<{ subject: string; t: string }>(
    pending
      ? `select v.subject, min(s.started_at) as t from (
           select subject, valid_from as scan_id from inventory_object where kind = 'gsa'
           union all select subject, $1::int from ${pending} where kind = 'gsa') v
         join scan s on s.id = v.scan_id group by v.subject`
      : `select o.subject, min(s.started_at) as t from inventory_object o join scan s on s.id = o.valid_from where o.kind = 'gsa' group by o.subject`,
    pending ? [scanId] : [],
  );
  // In one order whatever order the rows came in (the table's, or the current rows then the pending
  // ones): where the analysis picks the first of equals, the same inventory gives the same analysis.
  const records = objects.rows.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  return { now, records, sources, firstSeen: new Map(first.rows.map((r) => [r.subject, new Date(r.t)])) };
}


/**
 * The analysis as rows to store: findings, GSA usage and users, then the workload statuses (each with
 * its summary) interleaved with the graph's rows, then bindings; each kind's rows in key order. With
 * `release`, each part's objects are dropped from `r` once its rows are handed out, so a large
 * estate's findings, graph and statuses are never all in memory as rows at once.
 */
export function* analysisRowStream(r: AnalysisResult, opts: { release?: boolean } = {}): Generator<Row> {
  const fixesOf = r.fixesOf;
  for (const [f, key] of byKey(r.findings, (f) => `${f.rule}|${f.subject}`)) {
    yield {
      kind: "finding",
      key,
      subject: f.subject,
      rule: f.rule,
      severity: f.severity,
      state: f.state,
      project: f.project ?? null,
      cluster: f.cluster ?? null,
      namespace: f.namespace ?? null,
      gsa: f.gsa ?? null,
      // Deferred fixes are made here and die with the row once it is serialised (see runAnalysis).
      data: { title: f.title, message: f.message, evidence: f.evidence, fixes: fixesOf ? fixesOf(f) : f.fixes, lacking: f.lacking ?? null },
    };
  }
  if (opts.release) r.findings = [];
  for (const [u] of byKey(r.usage, (u) => u.email)) yield { kind: "gsa-usage", key: u.email, subject: `gsa:${u.email}`, project: u.project, gsa: u.email, data: u };
  if (opts.release) r.usage = [];
  for (const [u, key] of byKey(r.gsaUsers, (u) => `${u.email}|${u.workload}`))
    yield { kind: "gsa-user", key, subject: u.workload, state: u.paths[0]?.state ?? null, project: u.project, cluster: u.cluster, namespace: u.namespace, gsa: u.email, data: { paths: u.paths, migrated: u.migrated } };
  if (opts.release) r.gsaUsers = [];
  // The statuses and the graph, interleaved: a status's large document is the database's heaviest
  // row and the graph's many small rows are this process's, so mixed in proportion (each status
  // followed by its share of the graph's rows) both have work all through the write, where one part
  // after the other left each waiting on the other in turn (writeAnalysisVersions keeps a bounded
  // amount in flight). Each part's rows stay in their key order.
  const graph = graphRows(buildGraph(r.context, r.statuses, r.bindings));
  let graphLeft = graph.count;
  const statuses = byKey(r.statuses, (s) => s.subject);
  const planOf = r.planOf;
  // Status i is followed by ceil(left / statuses left) graph rows: never more than are left, and the
  // last status takes the rest, so the graph ends with the statuses.
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i][0];
    yield {
      kind: "workload-status",
      key: s.subject,
      subject: s.subject,
      state: s.migrated ? "migrated" : "not-migrated",
      project: s.project,
      cluster: s.cluster,
      namespace: s.namespace,
      gsa: s.identity.shares.map((x) => x.identity).find((i) => i.type === "workload-identity" || i.type === "key-file" || i.type === "node" || i.type === "external-account")?.email ?? null,
      // A deferred plan is made here, into a copy (in the same place among the members: `plan` is
      // already a member), and dies with the row once it is serialised.
      data: planOf ? { ...s, plan: planOf(s) } : s,
    };
    // A small row per workload for tables, CSVs and lists that need a few facts of many workloads
    // (the status row is large and stored compressed).
    yield {
      kind: "workload-summary",
      key: s.subject,
      subject: s.subject,
      state: s.migrated ? "migrated" : "not-migrated",
      project: s.project,
      cluster: s.cluster,
      namespace: s.namespace,
      data: { pods: s.pods, pendingPods: s.pendingPods, nodePools: s.nodePools, migrated: s.migrated, migration: s.migration, identity: s.identity.label },
    };
    for (let n = Math.ceil(graphLeft / (statuses.length - i)); n > 0; n--, graphLeft--) yield graph.rows.next().value as Row;
  }
  // The whole graph when there are no statuses; nothing otherwise.
  yield* graph.rows;
  // A generator's locals live as long as it does: the statuses' pairs would keep every status (the
  // largest documents) through the bindings below.
  statuses.length = 0;
  if (opts.release) r.statuses = [];
  for (const [b, key] of byKey(r.bindings, (b) => `${b.resource}|${b.role}|${b.member}`)) {
    yield {
      kind: "binding",
      key,
      subject: b.resource,
      state: b.state,
      project: b.resource.startsWith("project:") ? b.resource.slice(8) : null,
      gsa: b.gsa === "*" ? null : b.gsa,
      data: b,
    };
  }
  if (opts.release) r.bindings = [];
}

/** The graph's rows, nodes then edges, each in key order, and how many there are. */
function graphRows(graph: ReturnType<typeof buildGraph>): { rows: Generator<Row, void>; count: number } {
  // The row's columns carry the id, ends, place and state; data only what no column holds (an org's
  // graph is hundreds of thousands of rows, so what they repeat is paid for in every scan).
  function* rows(): Generator<Row, void> {
    // Each part's ordered pairs made when it starts and dropped when it ends (one at a time).
    let nodes = byKey(graph.nodes, (n) => n.id);
    for (const [n] of nodes) yield { kind: "graph-node", key: n.id, subject: n.id, state: n.state, project: n.project, cluster: n.cluster, namespace: n.namespace, data: { kind: n.kind, label: n.label, detail: n.detail } };
    nodes = [];
    let edges = byKey(graph.edges, (e) => e.id);
    for (const [e] of edges) yield { kind: "graph-edge", key: e.id, subject: e.src, target: e.dst, state: e.state, data: { kind: e.kind, label: e.label } };
    edges = [];
  }
  // byKey keeps every item (equal keys included): the rows are exactly the nodes and the edges.
  return { rows: rows(), count: graph.nodes.length + graph.edges.length };
}

/**
 * `items`, each with its row key (made once, for the order and the row), in the order of those keys (by UTF-16 code units, which for these keys is the byte
 * order of the C collation the embedded server is created with), equal keys in their first order
 * (the first row produced for a key is the one stored). Each kind's rows then arrive in the order of
 * the table's largest index, its current key (kind, key): each entry lands after the one before of
 * its kind (a few kinds' insertion points at once where analysisRowStream interleaves them) instead
 * of anywhere in the tree, as the inventory's versions do (see lib/store/write-inventory.ts).
 * Under another collation (a Cloud SQL database's en_US.UTF8, which weighs punctuation last) the
 * order is only near the index's, and the gain smaller; what is stored is the same either way.
 */
export function byKey<T>(items: readonly T[], key: (t: T) => string): [T, string][] {
  const keys = items.map(key);
  const order = keys.map((_, i) => i);
  order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
  return order.map((i) => [items[i], keys[i]]);
}

/** Every row of the analysis (tests and small estates). */
export function analysisRows(r: AnalysisResult): Row[] {
  return [...analysisRowStream(r)];
}

const BATCH = 2000;
/** The analysis write's batches in flight: at most this many bytes of encoded rows and this many batches. */
const IN_FLIGHT_BYTES = 12 << 20;
const IN_FLIGHT_BATCHES = 8;
/** Rows serialised between two turns of the event loop (see writeAnalysisVersions). */
const TURN = 50;
const KEYS = "analysis_keys";
const COLS = "kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, target, data, hash";
/** The nullable columns a stored row always carries (null when the part left them out). */
const NULLABLE = ["rule", "severity", "state", "project", "cluster", "namespace", "gsa", "target"] as const;

/**
 * A row's content as stored: its `data` as JSON text, and the hash that detects a change — sha1 of
 * `JSON.stringify({ ...row, rule: row.rule ?? null, … target: row.target ?? null })`, the row with its
 * nullable columns. That text is built here around `data` (nearly all of a row), so data is
 * serialised once for both the hash and the COPY. The hash must stay exactly this: earlier scans'
 * rows carry it (a different one would make every row of the next scan look changed), and
 * lib/store/changes.ts compares it across scans.
 *
 * Strings, not Buffers: a Buffer per row is memory outside V8's heap, and hundreds of MiB of it
 * allocated in a few seconds (an `org-l` analysis is 185 MiB of JSON) make V8 run full collections
 * of the whole heap again and again. The hash is taken of the string (hashed as its UTF-8 bytes, as
 * Buffer.from would encode it) and COPY encodes `data` straight into its batch's buffer.
 */
export function serialiseRow(r: Row): { data: string; hash: string } {
  const data = JSON.stringify(r.data);
  // data is NOT NULL: a row without it was never storable (the database refused it before, too).
  if (data === undefined) throw new Error(`analysis row ${r.kind} ${r.key} has no data`);
  // The members before data and after it, each `"key":value`, as JSON.stringify would write them.
  let pre = "";
  let post = "";
  let afterData = false;
  for (const k of Object.keys(r) as (keyof Row)[]) {
    if (k === "data") {
      pre += pre ? `,${keyText(k)}` : keyText(k);
      afterData = true;
      continue;
    }
    const v = NULLABLE_SET.has(k) ? (r[k] ?? null) : r[k];
    if (v === undefined) continue;
    const member = keyText(k) + JSON.stringify(v);
    if (afterData) post += `,${member}`;
    else pre += pre ? `,${member}` : member;
  }
  for (const k of NULLABLE) {
    if (Object.prototype.hasOwnProperty.call(r, k)) continue;
    const member = `${keyText(k)}null`;
    if (afterData) post += `,${member}`;
    else pre += pre ? `,${member}` : member;
  }
  return { data, hash: sha1Hex(`{${pre}${data}${post}}`) };
}

const NULLABLE_SET: ReadonlySet<string> = new Set(NULLABLE);
const KEY_TEXT = new Map<string, string>();
/** `"key":` — a row's few member names, escaped once rather than once per row. */
function keyText(k: string): string {
  let t = KEY_TEXT.get(k);
  if (t === undefined) KEY_TEXT.set(k, (t = `${JSON.stringify(k)}:`));
  return t;
}

type OneShotHash = (algorithm: string, data: string, encoding: "hex") => string;
/** sha1 in hex of a string's UTF-8 bytes: the one-shot crypto.hash where Node has it (no Hash object per row). */
const sha1Hex: (s: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (s) => ((crypto as unknown as { hash: OneShotHash }).hash)("sha1", s, "hex")
    : (s) => createHash("sha1").update(s, "utf8").digest("hex");

/** Binary COPY's header: signature, flags (no OIDs), no header extension. */
const HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
/** Fields per row: COLS, first_seen, valid_from. */
const FIELDS = 15;
/** The smallest buffer a CopyBatch starts with and hands back to its pool. */
const MIN_POOLED = 1 << 20;

/**
 * A batch of analysis rows in COPY's binary format (PostgreSQL docs, "COPY", Binary Format), each
 * row encoded the moment it is serialised: its 13 columns (text as its UTF-8 bytes, jsonb as its
 * version 1 then its JSON text, NULL as length -1) into one growing buffer, where it ends noted. A
 * row's JSON text is garbage as soon as it is encoded, so hundreds of MiB of it die young instead of
 * being held, batch after batch, until the database answers (held, they outlived collections of the
 * young generation and were copied into the old one: a large part of the write's time went to GC).
 * `payload` then writes the rows the database asked for, each with its first_seen and valid_from.
 * Buffers come from and go back to a pool the caller keeps.
 */
export class CopyBatch {
  private buf: Buffer;
  private off = 0;
  private readonly ends: number[] = [];
  private payloadBuf: Buffer | undefined;
  /**
   * With `allNew` (the scan id; a first analysis, where every row is new with first_seen and
   * valid_from = the scan), each row is encoded whole as COPY wants it — field count, columns,
   * first_seen, valid_from — after room left for the header, so the payload is this buffer itself
   * with the trailer after it: no second copy of the batch (at org-l, 185 MiB copied row by row).
   */
  constructor(
    private readonly pool: Buffer[],
    private readonly allNew?: number,
  ) {
    this.buf = pool.pop() ?? Buffer.allocUnsafe(MIN_POOLED);
    if (allNew !== undefined) this.off = HEADER.length;
  }
  get bytes(): number {
    return this.off;
  }
  private room(n: number) {
    if (this.off + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(b, 0, 0, this.off);
    this.buf = b;
  }
  private text(v: string | null | undefined) {
    if (v === null || v === undefined) {
      this.room(4);
      this.off = this.buf.writeInt32BE(-1, this.off);
      return;
    }
    this.room(4 + 3 * v.length);
    const n = this.buf.write(v, this.off + 4, "utf8");
    this.buf.writeInt32BE(n, this.off);
    this.off += 4 + n;
  }
  private jsonb(v: string) {
    this.room(5 + 3 * v.length);
    this.buf.writeUInt8(1, this.off + 4);
    const n = this.buf.write(v, this.off + 5, "utf8");
    this.buf.writeInt32BE(n + 1, this.off);
    this.off += 5 + n;
  }
  /** One row's columns, in COLS order (kind … target, data, hash). */
  add(r: Row, data: string, hash: string) {
    if (this.allNew !== undefined) {
      this.room(2);
      this.off = this.buf.writeInt16BE(FIELDS, this.off);
    }
    this.text(r.kind);
    this.text(r.key);
    this.text(r.subject);
    for (const k of NULLABLE) this.text(r[k] ?? null);
    this.jsonb(data);
    this.text(hash);
    if (this.allNew !== undefined) {
      this.room(16);
      this.off = this.buf.writeInt32BE(4, this.off);
      this.off = this.buf.writeInt32BE(this.allNew, this.off);
      this.off = this.buf.writeInt32BE(4, this.off);
      this.off = this.buf.writeInt32BE(this.allNew, this.off);
    }
    this.ends.push(this.off);
  }
  /**
   * The COPY payload of rows `which` (indexes, in order), each followed by its first_seen and
   * `validFrom`: header, rows, trailer. A view of a pooled buffer, valid until `release`.
   */
  payload(which: { i: number; firstSeen: number }[], validFrom: number): Buffer {
    if (this.allNew !== undefined) {
      // Every row, as encoded: the header in the room left for it, the trailer after the last row.
      if (which.length !== this.ends.length || validFrom !== this.allNew || which.some((w, n) => w.i !== n || w.firstSeen !== this.allNew)) {
        throw new Error("binary COPY: a batch of new rows is written whole, each first seen in this scan");
      }
      HEADER.copy(this.buf, 0);
      this.room(2);
      const size = this.buf.writeInt16BE(-1, this.off);
      return this.buf.subarray(0, size);
    }
    let size = HEADER.length + 2;
    for (const { i } of which) size += 2 + (this.ends[i] - (i ? this.ends[i - 1] : 0)) + 16;
    let out = this.pool.pop();
    if (!out || out.length < size) out = Buffer.allocUnsafe(Math.max(size, out ? out.length * 2 : 0));
    let o = HEADER.copy(out, 0);
    for (const { i, firstSeen } of which) {
      o = out.writeInt16BE(FIELDS, o);
      o += this.buf.copy(out, o, i ? this.ends[i - 1] : 0, this.ends[i]);
      o = out.writeInt32BE(4, o);
      o = out.writeInt32BE(firstSeen, o);
      o = out.writeInt32BE(4, o);
      o = out.writeInt32BE(validFrom, o);
    }
    o = out.writeInt16BE(-1, o); // trailer
    if (o !== size) throw new Error(`binary COPY: wrote ${o} of ${size} bytes`);
    this.payloadBuf = out;
    return out.subarray(0, size);
  }
  /** Hands the buffers back to the pool (once the payload's COPY has finished). */
  release() {
    // Only buffers worth reusing (a short last batch's payload is not).
    for (const b of [this.buf, this.payloadBuf]) if (b && b.length >= MIN_POOLED) this.pool.push(b);
    this.payloadBuf = undefined;
  }
}

/**
 * Writes the analysis as versions, batch by batch, each batch applied as soon as it is serialised so
 * the database works on one batch while the next is prepared. Every row is serialised once and
 * hashed (the hash covers its whole content). First only the keys and hashes of a batch go to the
 * database, which answers which rows are new or changed; an unchanged row costs nothing more. Then
 * the changed rows close their current version, and the new and changed rows are copied in
 * (binary COPY … FROM STDIN: no value escaped or unescaped, no JSON document to unpack), a changed row keeping its
 * `first_seen`. The keys seen are kept in a temporary table; at the end, current rows not produced
 * again close.
 */
export async function writeAnalysisVersions(client: pg.PoolClient, scanId: number, rows: Iterable<Row>) {
  const t0 = Date.now();
  const query = serialQueue(client);
  const hadRows = (await client.query(`select exists (select 1 from analysis_object where valid_to is null) as x`)).rows[0].x as boolean;
  if (hadRows) {
    await client.query(`drop table if exists pg_temp.${KEYS}`);
    await client.query(`create temp table ${KEYS} (kind text, key text) on commit drop`);
  }
  let inserted = 0;
  let closed = 0;
  let total = 0;
  // The batches' buffers, reused batch after batch (a few batches are in flight at once).
  const buffers: Buffer[] = [];
  type Batch = { copy: CopyBatch; kinds: string[]; keys: string[]; hashes: string[] };
  const apply = async ({ copy, kinds, keys, hashes }: Batch) => {
    total += kinds.length;
    try {
      // Nothing current yet (a first scan): every row is new, there is nothing to compare or close.
      const diff = !hadRows
        ? undefined
        : await query<{ i: string; first_seen: number | null }>(
            // LATERAL … LIMIT 1: one probe of the current-key index per row, whatever the statistics say.
            `with b as (select * from unnest($1::text[], $2::text[], $3::text[]) with ordinality as b(kind, key, hash, i)),
                  k as (insert into ${KEYS} select kind, key from b)
             select b.i, o.first_seen from b
               left join lateral (select hash, first_seen from analysis_object o where o.kind = b.kind and o.key = b.key and o.valid_to is null limit 1) o on true
              where o.hash is distinct from b.hash`,
            [kinds, keys, hashes],
          );
      const which = diff ? diff.rows.map((d) => ({ i: Number(d.i) - 1, firstSeen: Number(d.first_seen ?? scanId), changed: d.first_seen !== null })) : kinds.map((_, i) => ({ i, firstSeen: scanId, changed: false }));
      if (!which.length) return;
      const changed = which.filter((w) => w.changed).map((w) => w.i);
      // Queued in this order on the one connection: a changed row's current version closes before its
      // new one arrives (the current-key index is unique).
      const close = changed.length
        ? query(
            `update analysis_object o set valid_to = $1 from unnest($2::text[], $3::text[]) as c(kind, key)
              where o.kind = c.kind and o.key = c.key and o.valid_to is null`,
            [scanId, changed.map((i) => kinds[i]), changed.map((i) => keys[i])],
          )
        : undefined;
      const ins = query.copy(`copy analysis_object (${COLS}, first_seen, valid_from) from stdin (format binary)`, copy.payload(which, scanId));
      const [cl, n] = await Promise.all([close, ins]);
      closed += cl?.rowCount ?? 0;
      inserted += n;
    } finally {
      copy.release();
    }
  };
  const fresh = (): Batch => ({ copy: new CopyBatch(buffers, hadRows ? undefined : scanId), kinds: [], keys: [], hashes: [] });
  let batch = fresh();
  let pending: { done: Promise<unknown>; bytes: number }[] = [];
  let pendingBytes = 0;
  const queue = (b: Batch) => {
    const p = apply(b);
    p.catch(() => undefined); // awaited below; this keeps a later batch's failure from going unhandled
    pending.push({ done: p, bytes: b.copy.bytes });
    pendingBytes += b.copy.bytes;
  };
  // The first row produced for a key wins (a rule reports a subject once). Keys by kind: no string
  // made per row to remember it.
  const seen = new Map<string, Set<string>>();
  let sinceTurn = 0;
  for (const r of rows) {
    let keys = seen.get(r.kind);
    if (!keys) seen.set(r.kind, (keys = new Set()));
    if (keys.has(r.key)) continue;
    keys.add(r.key);
    const { data, hash } = serialiseRow(r);
    batch.copy.add(r, data, hash);
    batch.kinds.push(r.kind);
    batch.keys.push(r.key);
    batch.hashes.push(hash);
    // The event loop gets a turn every few dozen rows: a COPY payload larger than the socket's
    // buffer is written on as the database reads it, which needs the loop — without these turns the
    // database waited out the serialising of each next batch (org-l: this process and the database
    // were each idle about half of the write).
    if (++sinceTurn >= TURN) {
      sinceTurn = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (batch.kinds.length >= BATCH) {
      queue(batch);
      batch = fresh();
      // Batches in flight up to a budget of payload: rows cost this process and the database
      // differently (the graph's many small rows are this process's work, the statuses' large
      // documents the database's), and the budget lets either run ahead while the other is slower;
      // the stream mixes the two kinds of rows (analysisRowStream), and a larger budget measured no
      // faster (org-l, 24 MiB and 16 batches: 11.8-12.2 s against 11.4 s). Memory stays bounded by
      // the budget (the batches' buffers are outside V8's heap).
      while (pending.length >= 2 && (pendingBytes > IN_FLIGHT_BYTES || pending.length > IN_FLIGHT_BATCHES)) {
        const first = pending[0];
        await first.done;
        pending = pending.slice(1);
        pendingBytes -= first.bytes;
      }
    }
  }
  if (batch.kinds.length) queue(batch);
  else batch.copy.release();
  await Promise.all(pending.map((p) => p.done));
  log.debug(`analysis write: ${total} rows, ${inserted} inserted, ${closed} closed, in ${Date.now() - t0} ms`);
  if (!hadRows) return { inserted, closed, unchanged: total - inserted };
  const t1 = Date.now();
  // Current rows this analysis did not produce again close (rows this scan opened all have keys).
  await client.query(`create index on pg_temp.${KEYS} (kind, key)`);
  await client.query(`analyze pg_temp.${KEYS}`);
  const gone = await client.query(
    `update analysis_object o set valid_to = $1
      where o.valid_to is null and o.valid_from <> $1
        and not exists (select 1 from pg_temp.${KEYS} k where k.kind = o.kind and k.key = o.key)`,
    [scanId],
  );
  closed += gone.rowCount ?? 0;
  log.debug(`analysis write: ${gone.rowCount ?? 0} rows not produced again, closed in ${Date.now() - t1} ms`);
  return { inserted, closed, unchanged: total - inserted };
}

/** The numbers the trend charts plot, per scope. */
export function metricsOf(rollups: Rollup[]): { scope: string; metric: string; value: number }[] {
  const out: { scope: string; metric: string; value: number }[] = [];
  for (const r of rollups) {
    const put = (metric: string, value: number | null) => value !== null && out.push({ scope: r.scope, metric, value });
    put("workloads", r.workloads);
    put("migrated", r.migrated);
    put("not_migrated", r.workloads - r.migrated);
    put("share_migrated", r.share);
    // By status: what "not migrated" is made of (still on a legacy path, or unknown) and what "done" is.
    put("to_migrate", r.byStatus["to-migrate"]);
    put("migration_unknown", r.byStatus.unknown);
    put("wi_migrated", r.byStatus.migrated);
    put("federated", r.byStatus.federated);
    put("no_google_identity_needed", r.byStatus["no-google-identity-needed"]);
    put("key_file_workloads", r.keyFileWorkloads);
    put("node_identity_workloads", r.nodeIdentityWorkloads);
    put("user_managed_keys", r.userManagedKeys);
    put("keys_in_secrets", r.keysInSecrets);
    put("legacy_pools", r.legacyPools.length);
    put("legacy_pool_pods", r.legacyPools.reduce((a, p) => a + p.pods, 0));
    for (const sev of ["critical", "high", "medium", "low", "info"]) put(`findings_${sev}`, r.findings[sev] ?? 0);
  }
  return out;
}

/**
 * Analyses the scan's inventory and writes the analysis's versions, in the caller's transaction.
 * `alongside`: the inventory's pending new versions (read with `pending`, see loadAnalysisInput) are
 * inserted by it while this process computes the analysis — the database and this process each on
 * a core, instead of one after the other; it is awaited before anything else is written.
 */
export async function analyzeScan(
  client: pg.PoolClient,
  scanId: number,
  now: Date = new Date(),
  opts: { pending?: string; alongside?: () => Promise<unknown> } = {},
): Promise<AnalysisSummary> {
  const started = Date.now();
  const mem = () => `rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`;
  const input = await loadAnalysisInput(client, scanId, now, opts.pending);
  const loaded = Date.now();
  log.debug(`analysis: read ${input.records.length} objects in ${loaded - started} ms; ${mem()}`);
  const alongside = opts.alongside?.();
  // Awaited below; this keeps a failure while the analysis computes from going unhandled.
  alongside?.catch(() => undefined);
  const result = runAnalysis(input, { deferFixes: true });
  const computed = Date.now();
  log.debug(`analysis: computed in ${computed - loaded} ms; ${mem()}`);
  if (alongside) {
    await alongside;
    log.debug(`analysis: waited ${Date.now() - computed} ms more for the work alongside`);
  }
  const writeStarted = Date.now();
  // What the summary needs, before the rows are written and their objects released.
  const bySeverity: Record<string, number> = {};
  for (const f of result.findings) if (f.state === "open") bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  const counts = {
    findings: result.findings.length,
    open: result.findings.filter((f) => f.state === "open").length,
    unverified: result.findings.filter((f) => f.state === "unverified").length,
  };
  const written = await writeAnalysisVersions(client, scanId, analysisRowStream(result, { release: true }));
  log.debug(`analysis: written in ${Date.now() - writeStarted} ms; ${mem()}`);
  const metrics = metricsOf(result.rollups);
  await client.query(`delete from scan_metric where scan_id = $1`, [scanId]);
  await client.query(
    `insert into scan_metric (scan_id, scope, metric, value) select $1, * from unnest($2::text[], $3::text[], $4::float8[])`,
    [scanId, metrics.map((m) => m.scope), metrics.map((m) => m.metric), metrics.map((m) => m.value)],
  );
  const overall = result.rollups.find((r) => r.scope === "overall")!;
  return {
    ...counts,
    bySeverity,
    workloads: overall.workloads,
    migrated: overall.migrated,
    written,
    durationMs: Date.now() - started,
    timings: { loadMs: loaded - started, computeMs: computed - loaded, writeMs: Date.now() - writeStarted, ...(alongside ? { alongsideWaitMs: writeStarted - computed } : {}) },
  };
}
