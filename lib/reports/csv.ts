/**
 * CSV output: RFC 4180 (CRLF, quotes doubled), UTF-8, ISO 8601 UTC times to the second
 * (`2026-11-28T09:15:02Z`: spreadsheets and `date -d` read it; fractions only made columns ragged), and cells that a
 * spreadsheet would run as a formula (starting with = + - @ or full-width ＝＋－＠, after any leading
 * white space, or with a tab or a carriage return) prefixed with an apostrophe.
 *
 * The table CSVs are written by PostgreSQL (csv-copy.ts: COPY, every cell formatted in SQL exactly as
 * here). The functions here are the reference those are tested against, the format of the in-memory
 * reports (changes.csv), and the cursor path (streamCsv) for a table with a cell SQL cannot write.
 *
 * Records are written by `csvRecord`, a few lines that quote exactly as csv-stringify does with
 * `csvOptions` (a test checks the two agree on every tricky case): csv-stringify's per-field casts
 * made exports run at about half the rows per second the benchmark asks for.
 */
import QueryStream from "pg-query-stream";
import { Readable } from "node:stream";
import { log } from "../log";
import type pg from "pg";
import type { BuiltQuery } from "./table-def";

/**
 * What a spreadsheet may run as a formula: `= + - @` (and their full-width forms `＝＋－＠`, which
 * some spreadsheets fold to ASCII), after any leading white space (spreadsheets trim it before
 * deciding), or a tab or carriage return first (they end a cell on paste and start the next).
 */
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

/** A time as `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fraction). */
export function csvTime(d: Date): string {
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().replace(/\.\d+Z$/, "Z");
}

/** An ISO 8601 time held as text (API fields such as validAfterTime), or anything else unchanged. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

/** A time column's value as CSV text: Dates and ISO texts to the second in UTC; other text is kept (never guessed at). */
export function csvTimeValue(value: unknown): unknown {
  if (value instanceof Date) return csvTime(value);
  if (typeof value === "string" && ISO_TIME.test(value)) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : csvTime(d);
  }
  return value;
}

/** One cell as text: formula-safe, booleans as true/false, objects as JSON, times to the second. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (value instanceof Date) return csvTime(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * csv-stringify options that write what csvRecord writes (the reference the tests compare with).
 * `quoted_match` also quotes a lone CR or LF: RFC 4180 wants every line break inside a field quoted,
 * and csv-stringify only quotes the record delimiter itself.
 */
export function csvOptions(columns: string[]) {
  return {
    header: true,
    columns: columns.map((c) => ({ key: c, header: c })),
    record_delimiter: "\r\n" as const,
    quoted_match: /^\s|\s$|[\r\n]/,
    cast: {
      string: (v: string) => csvCell(v),
      boolean: (v: boolean) => csvCell(v),
      number: (v: number) => csvCell(v),
      object: (v: object) => csvCell(v),
      date: (v: Date) => csvCell(v),
    },
  };
}

/** Quoted when it holds a separator, a quote, a line break, or leading/trailing white space. */
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

function csvField(value: unknown): string {
  const text = csvCell(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record (or, given the column names as values, the header), CRLF-terminated. */
export function csvRecord(columns: string[], row: Record<string, unknown>): string {
  let out = "";
  for (let i = 0; i < columns.length; i++) out += (i ? "," : "") + csvField(row[columns[i]]);
  return out + "\r\n";
}

/** The header record: the column ids, CRLF-terminated. */
export function csvHeader(columns: string[]): string {
  return columns.map((c) => csvField(c)).join(",") + "\r\n";
}

/** Rows already in memory → CSV text (small reports and tests). */
export async function toCsv(columns: string[], rows: Record<string, unknown>[]): Promise<string> {
  return csvHeader(columns) + rows.map((r) => csvRecord(columns, r)).join("");
}

/**
 * The last line of an export that broke midway (the database went away, a statement was cancelled):
 * a record whose first cell is `#ERROR`, so that neither a person nor a script mistakes a short file
 * for a whole one. The real error is logged on the server; the file says only that it is incomplete.
 */
export const CSV_ERROR_MARKER = "#ERROR";
export const CSV_ERROR_ROW = `${CSV_ERROR_MARKER},"The export stopped before its end: this file is incomplete. Download it again."\r\n`;

/**
 * Streams `query` as CSV. The pooled client is released when the stream ends, fails, or the
 * reader goes away. `map` may rename or compute cells per row. A stream that fails after it began
 * ends with CSV_ERROR_ROW (the HTTP status has long been sent: the body is the only place left).
 */
export async function streamCsv(
  pool: pg.Pool,
  query: BuiltQuery,
  columns: string[],
  map?: (row: Record<string, unknown>) => Record<string, unknown>,
): Promise<ReadableStream<Uint8Array>> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  const rows = client.query(new QueryStream(query.text, query.values, { batchSize: 5000, highWaterMark: 5000 }));
  // Rows become CSV records gathered into ~64 KB chunks (a web stream moves each chunk separately:
  // a 50,000-row export is ~100 chunks, not 50,000).
  // A connection that dies under the cursor never lets the stream end (closing the cursor waits for
  // an answer that cannot come), so the loss of the connection itself ends the export.
  let onLost: (err?: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => {
    onLost = (err?: Error) => reject(err ?? new Error("The database connection ended"));
  });
  lost.catch(() => undefined);
  const lostOnEnd = () => onLost();
  client.once("end", lostOnEnd);
  client.once("error", onLost);
  async function* records(): AsyncGenerator<Buffer> {
    let buf = csvHeader(columns);
    const it = (rows as AsyncIterable<Record<string, unknown>>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([it.next(), lost]);
        if (next.done) break;
        const row = next.value;
        buf += csvRecord(columns, map ? map(row) : row);
        if (buf.length >= 65_536) {
          const out = buf;
          buf = "";
          yield Buffer.from(out, "utf8");
        }
      }
      if (buf) yield Buffer.from(buf, "utf8");
      release();
    } catch (err) {
      // The reader went away: nobody is left to read an error row.
      if ((err as Error).name === "AbortError") return;
      log.error("A CSV export broke midway:", err);
      release(err as Error);
      yield Buffer.from(buf + CSV_ERROR_ROW, "utf8");
    } finally {
      client.off("end", lostOnEnd);
      client.off("error", onLost);
      // The reader went away (or the export broke): close the cursor; the client goes back (or away).
      if (!released) {
        rows.destroy();
        release();
      }
    }
  }
  return Readable.toWeb(Readable.from(records(), { objectMode: false })) as unknown as ReadableStream<Uint8Array>;
}
