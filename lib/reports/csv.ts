/**
 * CSV output: RFC 4180 (CRLF, quotes doubled), UTF-8, ISO 8601 UTC times, and cells that a
 * spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) prefixed with
 * an apostrophe. Streamed from Postgres with a cursor, so a large export never sits whole in memory.
 */
import { stringify } from "csv-stringify";
import QueryStream from "pg-query-stream";
import { Readable, Transform, pipeline } from "node:stream";
import type pg from "pg";
import type { BuiltQuery } from "./table-def";

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell as text: formula-safe, booleans as true/false, objects as JSON. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function csvOptions(columns: string[]) {
  return {
    header: true,
    columns: columns.map((c) => ({ key: c, header: c })),
    record_delimiter: "\r\n" as const,
    quoted_match: /^\s|\s$/,
    cast: {
      string: (v: string) => csvCell(v),
      boolean: (v: boolean) => csvCell(v),
      number: (v: number) => csvCell(v),
      object: (v: object) => csvCell(v),
      date: (v: Date) => csvCell(v),
    },
  };
}

/** Rows already in memory → CSV text (small reports and tests). */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    const s = stringify(csvOptions(columns));
    s.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
    s.on("end", () => resolve(out.join("")));
    s.on("error", reject);
    for (const r of rows) s.write(r);
    s.end();
  });
}

/**
 * Streams `query` as CSV. The pooled client is released when the stream ends, fails, or the
 * reader goes away. `map` may rename or compute cells per row.
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
  const rows = client.query(new QueryStream(query.text, query.values, { batchSize: 1000, highWaterMark: 1000 }));
  const csv = stringify(csvOptions(columns));
  const mapper = new Transform({
    objectMode: true,
    transform(row, _enc, cb) {
      cb(null, map ? map(row) : row);
    },
  });
  // csv-stringify emits one small chunk per row; a web stream moves each chunk separately, so rows are
  // gathered into ~64 KB chunks before they leave (a 50,000-row export is ~100 chunks, not 50,000).
  let buf: string[] = [];
  let size = 0;
  const gather = new Transform({
    transform(chunk: Buffer | string, _enc, cb) {
      const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
      buf.push(text);
      size += text.length;
      if (size >= 65_536) {
        const out = buf.join("");
        buf = [];
        size = 0;
        cb(null, Buffer.from(out, "utf8"));
      } else cb();
    },
    flush(cb) {
      cb(null, size ? Buffer.from(buf.join(""), "utf8") : undefined);
    },
  });
  // pipeline: an error anywhere, or the reader going away (the web stream cancelled destroys
  // `gather`), destroys every stage, which closes the cursor; the client then goes back to the pool.
  pipeline(rows, mapper, csv, gather, (err) => release(err ?? undefined));
  const web = Readable.toWeb(gather) as unknown as ReadableStream<Uint8Array>;
  return web;
}
