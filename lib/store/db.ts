/**
 * Database handles for the process: one `pg` pool (bulk writes, cursors, advisory locks) and a
 * Prisma client on top of the same pool through @prisma/adapter-pg (typed simple queries).
 */
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import { config } from "../config";
import { log } from "../log";

/**
 * Parsers for our own raw queries (Prisma passes its own per query, so these never reach it):
 * int8 as numbers (our counts and ids stay far below 2^53) and timestamptz as ISO 8601 UTC strings,
 * which is what pages and CSVs print.
 */
const rawTypes = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 1184) return (v: string) => new Date(v).toISOString();
    return pg.types.getTypeParser(oid, format as "text");
  }) as typeof pg.types.getTypeParser,
};

export type Db = { pool: pg.Pool; prisma: PrismaClient; url: string; close: () => Promise<void> };

export type OpenDbOptions = {
  /** Pool size. */
  max?: number;
  /**
   * The server cancels any statement running longer (ms; 0 or absent: no limit). The web server sets
   * it so a slow query answers an error instead of holding a connection for ever; a scan lifts it on
   * its own session (lib/scan/run-scan.ts).
   */
  statementTimeoutMs?: number;
  /** How long to wait for a connection, new or from the full pool, before failing (ms; absent: for ever). */
  connectTimeoutMs?: number;
};

export function openDb(url: string, opts: OpenDbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    idleTimeoutMillis: 30_000,
    types: rawTypes,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
  });
  pool.on("error", () => {
    // An idle client lost its connection (server restart); the pool replaces it on next use.
  });
  // A client checked out of the pool has no error listener of the pool's: a connection that dies
  // between two of its queries (the server restarted, an administrator ended the session) would
  // emit an unhandled 'error' and end the process. Every client keeps this one; the query in flight,
  // or the next one, fails with the error instead, and its holder decides what that means.
  pool.on("connect", (client) => {
    client.on("error", (err) => log.debug(`A database connection was lost: ${err.message}`));
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    pool,
    prisma,
    url,
    close: async () => {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

const globalForDb = globalThis as unknown as { __wiAtlasDb?: Db };

/** The web server's shared handle (DATABASE_URL is always set for it by the launcher). */
export function serverDb(): Db {
  if (!globalForDb.__wiAtlasDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set for the web server; start it with `npm start`.");
    const c = config();
    globalForDb.__wiAtlasDb = openDb(url, { max: 20, statementTimeoutMs: c.dbStatementTimeoutMs, connectTimeoutMs: c.dbConnectTimeoutMs });
  }
  return globalForDb.__wiAtlasDb;
}
