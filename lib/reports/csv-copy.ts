/**
 * CSV exports written by PostgreSQL: `COPY (SELECT line …) TO STDOUT (FORMAT binary)` through a
 * streaming COPY client (pg-copy-streams). Every cell is formatted in SQL exactly as csv.ts formats it
 * in JavaScript (the reference: a test compares the two byte for byte on every report), so Node only
 * strips COPY's framing and passes the bytes on — no row objects, no per-cell work.
 *
 * Why each line is built in SQL and sent as one binary field: `FORMAT csv` writes LF line ends,
 * `t`/`f`, timestamps in the session's zone and no formula neutralisation, and rewriting its LF to
 * CRLF afterwards would also rewrite the line breaks inside quoted fields. `FORMAT text` escapes
 * backslashes, tabs and line breaks. A binary field is the line's bytes exactly as SQL built them,
 * behind a 6-byte header (field count, length).
 */
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { Readable } from "node:stream";
import { log } from "../log";
import { badRequest } from "../api/problem";
import type { Filters } from "../api/filters";
import type { Db } from "../store/db";
import { buildWhere, orderBy, type Column, type RowContext, type TableDef } from "./table-def";
import { CSV_ERROR_ROW, csvHeader } from "./csv";

/** JavaScript's `\s` (white space and line terminators), as a PostgreSQL bracket expression's inside. */
const WS = "\\u0009\\u000a\\u000b\\u000c\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
/** csv.ts FORMULA_START: a tab or CR first, or = + - @ (or full width) after any white space. */
export const FORMULA_RE = `^([\\u0009\\u000d]|[${WS}]*[=+@\\uff1d\\uff0b\\uff0d\\uff20-])`;
/** csv.ts NEEDS_QUOTES: a separator, a quote, a line break, or white space first or last. */
export const NEEDS_QUOTES_RE = `[",\\u000d\\u000a]|^[${WS}]|[${WS}]$`;
/**
 * csv.ts ISO_TIME, narrowed to the values JavaScript's Date accepts (month 01-12, day 01-31 — a day
 * past the month's end rolls over, as in JavaScript —, hour 00-24, minute and second 00-59, offsets
 * to ±23:59). Groups: year, month, day, hour, minute, second, fraction, zone, sign, offset hour, offset minute.
 */
export const ISO_TIME_RE =
  "^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-4]):([0-5][0-9])(?::([0-5][0-9])(?:\\.([0-9]+))?)?(Z|([+-])([01][0-9]|2[0-3]):?([0-5][0-9]))$";

/** A SQL string literal, the same whatever standard_conforming_strings says (E'…' where it holds a backslash). */
const lit = (s: string) => pg.escapeLiteral(s);

/**
 * A cell that needs neither the apostrophe nor quotes (most cells): its first character is no white
 * space, formula sign, quote or comma, none is a quote, comma or line break, and its last is no white
 * space, quote or comma. One match instead of two for most cells; the others take both.
 */
export const PLAIN_RE = `^([^${WS}=+@\\uff1d\\uff0b\\uff0d\\uff20",-]([^",\\u000d\\u000a]*[^${WS}",])?)?$`;

/** `x` (a text expression, evaluated more than once: pass a column reference) as a CSV field: formula-safe, quoted when needed. */
export function textFieldSql(x: string): string {
  const quoted = (y: string) => `case when ${y} ~ ${lit(NEEDS_QUOTES_RE)} then '"' || replace(${y}, '"', '""') || '"' else ${y} end`;
  // Not plain and no formula: it has white space first or last, a quote, a comma or a line break — quoted.
  return `case when ${x} is null then '' when ${x} ~ ${lit(PLAIN_RE)} then ${x} when ${x} ~ ${lit(FORMULA_RE)} then ${quoted(`('''' || ${x})`)} else '"' || replace(${x}, '"', '""') || '"' end`;
}

/** A time held as ISO 8601 text, to the second in UTC (`m` is the regexp_match of ISO_TIME_RE), or null where JavaScript's Date would refuse it. */
export function isoTextToSecondsSql(m: string): string {
  // Hour 24 is only midnight at the end of the day (24:00, 24:00:00, 24:00:00.000).
  const valid = `(${m} is not null and (${m}[4] <> '24' or (${m}[5] = '00' and coalesce(${m}[6], '00') = '00' and coalesce(${m}[7], '0') ~ '^0+$')))`;
  // Built by adding intervals to a fixed date, so that a day past the month's end rolls over (as
  // JavaScript's Date does) instead of failing the export. The fraction is dropped, not rounded.
  const local = `(timestamp '2000-01-01' + make_interval(years => ${m}[1]::int - 2000, months => ${m}[2]::int - 1, days => ${m}[3]::int - 1, hours => ${m}[4]::int, mins => ${m}[5]::int, secs => coalesce(${m}[6], '0')::int))`;
  const offset = `(case when ${m}[8] = 'Z' then interval '0' else make_interval(hours => ${m}[10]::int, mins => ${m}[11]::int) * (${m}[9] || '1')::int end)`;
  return `case when ${valid} then to_char(${local} - ${offset}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') end`;
}

/** How each PostgreSQL result type becomes a cell (the types our raw queries parse: lib/store/db.ts). */
type Kind = "bool" | "number" | "text" | "timestamptz";
const KIND_BY_OID: Record<number, Kind> = {
  16: "bool",
  20: "number", // int8: parsed as a number by lib/store/db.ts
  21: "number",
  23: "number",
  25: "text",
  19: "text", // name
  1043: "text", // varchar
  705: "text", // unknown (a bare literal)
  1700: "text", // numeric: a string in node-pg
  1184: "timestamptz",
};

const typeCache = new Map<string, number[]>();

/** The result type of each column (a `limit 0` query), cached per select list and FROM. */
async function columnTypes(pool: pg.Pool, select: string): Promise<number[]> {
  const hit = typeCache.get(select);
  if (hit) return hit;
  const r = await pool.query({ text: `${select} limit 0`, rowMode: "array" });
  const oids = r.fields.map((fd) => fd.dataTypeID);
  if (typeCache.size > 200) typeCache.clear();
  typeCache.set(select, oids);
  return oids;
}

/** A filter value as a SQL literal (COPY takes no parameters). */
function bindLiteral(value: string): string {
  // The simple-query protocol ends the statement at a NUL; PostgreSQL text cannot hold one anyway.
  if (value.includes("\0")) throw badRequest(`A query parameter holds a NUL character (\\0), which no value can contain`, { parameter: "q" });
  return pg.escapeLiteral(value);
}

export type CopyCsvQuery = {
  /** The SELECT whose single column is each CSV line, CRLF included, in the table's order. */
  sql: string;
  columns: string[];
};

/**
 * The SELECT of a table's CSV lines for these filters, or null when a cell cannot be written in SQL
 * (a result type csv.ts formats in a way SQL does not reproduce, or a cell computed in JavaScript with
 * no `csvSql`): that table keeps the cursor path (csv.ts streamCsv). A bad filter, state or sort
 * throws its 400 here, before anything is streamed.
 */
export async function copyCsvQuery(db: Db, def: TableDef, f: Filters, ctx: RowContext): Promise<CopyCsvQuery | null> {
  const { where } = buildWhere(def, f, bindLiteral);
  const order = orderBy(def, f);
  const cols = def.columns.filter((c) => !c.uiOnly);
  if (def.mapRow && !cols.some((c) => c.csvSql)) return null;
  const originSql = bindLiteral(ctx.origin);
  const cellSql = (c: Column) => {
    const sql = c.csvSql ? c.csvSql(originSql) : c.sql;
    return c.unknownIf ? `case when (${c.unknownIf}) is null then ${sql} end` : sql;
  };
  const selectList = cols.map((c, i) => `${cellSql(c)} as c${i}`).join(",\n  ");
  const types = await columnTypes(db.pool, `select ${selectList} ${def.from}`);
  const kinds = types.map((oid) => KIND_BY_OID[oid]);
  if (kinds.some((k) => !k)) return null;

  const inner = `select ${selectList} ${def.from}${where} ${order}`;
  // Time columns held as text are matched once, in a middle query (`offset 0` keeps PostgreSQL from
  // folding it into the outer one, which would match again for each use).
  const isoText = cols.map((c, i) => c.type === "time" && kinds[i] === "text");
  const middle = isoText.some(Boolean)
    ? `select r1.*, ${cols
        .map((_, i) => (isoText[i] ? `regexp_match(r1.c${i}, ${lit(ISO_TIME_RE)}) as m${i}` : ""))
        .filter(Boolean)
        .join(", ")} from (${inner}) r1 offset 0`
    : inner;
  const fields = cols.map((c, i) => {
    const v = `r.c${i}`;
    switch (kinds[i]) {
      case "bool":
        return `case when ${v} then 'true' when not ${v} then 'false' else '' end`;
      case "number":
        return `coalesce(${v}::text, '')`;
      case "timestamptz":
        // csv.ts: a time column to the second; any other keeps the milliseconds of its ISO text.
        return `coalesce(to_char(${v} at time zone 'UTC', ${c.type === "time" ? `'YYYY-MM-DD"T"HH24:MI:SS"Z"'` : `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`}), '')`;
      default:
        return isoText[i] ? `coalesce(${isoTextToSecondsSql(`r.m${i}`)}, ${textFieldSql(v)})` : textFieldSql(v);
    }
  });
  // concat builds the line in one allocation (a chain of || copies it once per cell).
  const sql = `select concat(${fields.map((x) => `(${x})`).join(", ',', ")}, chr(13), chr(10)) from (${middle}) r`;
  return { sql, columns: cols.map((c) => c.id) };
}

/** Bytes of CSV passed on at a time (at most this plus one COPY chunk is held). */
const BATCH_BYTES = 256 * 1024;

/** work_mem of an export's session: its sort stays in memory up to this (per sort, per worker). */
const COPY_WORK_MEM = "64MB";

/** COPY BINARY's header: signature, flags, and the length of an extension area that follows. */
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * Strips COPY BINARY's framing from a stream of one-field rows: each row's bytes, in order. Rows may
 * be cut anywhere between chunks; only whole rows are passed on. A chunk given to `push` becomes the
 * parser's: it is rewritten in place, and what `push` returns may be a view of it.
 */
export class CopyBinaryLines {
  private pending: Buffer | null = null;
  private headerDone = false;
  /** The trailer (field count -1) was read: every row arrived. */
  ended = false;

  push(chunk: Buffer): Buffer {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    if (!this.headerDone) {
      if (buf.length < 19) return this.keep(buf, 0);
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error("COPY BINARY output does not start with its signature");
      const ext = buf.readUInt32BE(15);
      if (buf.length < 19 + ext) return this.keep(buf, 0);
      pos = 19 + ext;
      this.headerDone = true;
    }
    // Each row's bytes are moved left over the headers before them, in the buffer itself (the chunk
    // is this parser's alone once read from the COPY stream): no new buffer and no copy call per row
    // into one, which is where an export's Node time went (allocation, copies and their GC).
    let n = 0;
    while (!this.ended && buf.length - pos >= 2) {
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        this.ended = true;
        pos += 2;
        break;
      }
      if (fields !== 1) throw new Error(`COPY BINARY row has ${fields} fields, expected 1`);
      if (buf.length - pos < 6) break;
      const len = buf.readInt32BE(pos + 2);
      if (len < 0) throw new Error("COPY BINARY row is null");
      if (buf.length - pos < 6 + len) break;
      buf.copyWithin(n, pos + 6, pos + 6 + len);
      n += len;
      pos += 6 + len;
    }
    // The bytes from `pos` on (a row cut by the chunk's end) are untouched: n <= pos.
    this.keep(buf, pos);
    return buf.subarray(0, n);
  }

  private keep(buf: Buffer, pos: number): Buffer {
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
    return Buffer.alloc(0);
  }
}

/**
 * Streams `header` and then the lines `sql` selects (one text column each, its own line end) through
 * `COPY … TO STDOUT (FORMAT binary)`. The pooled client is released when the stream ends, fails, or
 * the reader goes away (then the connection is closed: a COPY cannot be stopped midway otherwise). A
 * stream that fails after it began ends with CSV_ERROR_ROW, as csv.ts streamCsv does.
 */
export async function streamCopyLines(pool: pg.Pool, sql: string, header: string): Promise<ReadableStream<Uint8Array>> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  // One transaction, so these settings end with it and never reach the pool's next user. Sorting
  // a table's wide rows (a workload's inventory data) in the default 4 MB spilled to disk; the
  // large estimated cost of every export would have PostgreSQL JIT-compile it (where the server
  // has JIT), which costs more than it saves on a query that is one scan and one sort.
  try {
    await client.query(`begin; set local work_mem = '${COPY_WORK_MEM}'; set local jit = off`);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  const copy = client.query(copyTo(`copy (${sql}) to stdout (format binary)`));
  // An error after the reader left has nobody to go to.
  copy.on("error", () => undefined);
  // A connection that dies midway may never end or fail the COPY: its loss ends the export.
  let onLost: (err?: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => {
    onLost = (err?: Error) => reject(err ?? new Error("The database connection ended"));
  });
  lost.catch(() => undefined);
  const lostOnEnd = () => onLost();
  client.once("end", lostOnEnd);
  client.once("error", onLost);
  async function* lines(): AsyncGenerator<Buffer> {
    const parser = new CopyBinaryLines();
    let first: Buffer | null = Buffer.from(header, "utf8");
    const it = (copy as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    // The COPY stream's chunks are a socket read each (about 14 KB): they are passed on in batches of
    // BATCH_BYTES, as each step of the Web stream and the route's response costs per chunk.
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = () => {
      const out = batch.length === 1 ? batch[0] : Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      return out;
    };
    try {
      for (;;) {
        const next = await Promise.race([it.next(), lost]);
        if (next.done) break;
        const out = parser.push(next.value);
        if (first) {
          yield Buffer.concat([first, out]);
          first = null;
        } else if (out.length) {
          batch.push(out);
          batched += out.length;
          if (batched >= BATCH_BYTES) yield flush();
        }
      }
      if (!parser.ended) throw new Error("The COPY ended before its trailer");
      await Promise.race([client.query("commit"), lost]);
      if (batched) yield flush();
      if (first) yield first;
      release();
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      log.error("A CSV export broke midway:", err);
      release(err as Error);
      // The whole rows read before the failure, then the error row.
      if (batched) yield flush();
      yield Buffer.from((first ? header : "") + CSV_ERROR_ROW, "utf8");
    } finally {
      client.off("end", lostOnEnd);
      client.off("error", onLost);
      // The reader went away mid-COPY: the rows keep coming until the connection closes.
      if (!released) {
        copy.destroy();
        release(new Error("The CSV export's reader went away"));
      }
    }
  }
  return Readable.toWeb(Readable.from(lines(), { objectMode: false })) as unknown as ReadableStream<Uint8Array>;
}

/**
 * A table's CSV for these filters through COPY, or null when the table keeps the cursor path (see
 * copyCsvQuery). Throws the 400 of a bad filter before anything is streamed.
 */
export async function tableCsvCopyStream(db: Db, def: TableDef, f: Filters, ctx: RowContext): Promise<ReadableStream<Uint8Array> | null> {
  const q = await copyCsvQuery(db, def, f, ctx);
  if (!q) return null;
  return streamCopyLines(db.pool, q.sql, csvHeader(q.columns));
}
