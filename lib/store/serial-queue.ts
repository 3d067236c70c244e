/**
 * Queries on one connection, strictly one after another, without making the caller wait: the scan
 * keeps serialising the next batch while the database works on the previous one. `idle()` resolves
 * once everything queued so far has finished (whether it succeeded or not).
 */
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

export type SerialQuery = {
  <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  idle: () => Promise<void>;
  /** `COPY … FROM STDIN` of `payload` (already in the statement's format), in the same order; resolves to the rows copied. */
  copy: (sql: string, payload: string | Buffer) => Promise<number>;
};

/** One `COPY … FROM STDIN` of `payload` (in the statement's format) on `client`; resolves to the rows copied. */
export function copyIn(client: pg.PoolClient | pg.Client, sql: string, payload: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = client.query(copyFrom(sql));
    ws.on("error", reject);
    // pg-copy-streams 4+: 'finish' comes after the server confirmed the COPY and the connection is ready.
    ws.on("finish", () => resolve(ws.rowCount));
    ws.end(payload);
  });
}

export function serialQueue(client: pg.PoolClient): SerialQuery {
  let tail: Promise<unknown> = Promise.resolve();
  const query = (<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => {
    const p = tail.then(() => client.query<R>(text, values));
    tail = p.catch(() => undefined);
    return p;
  }) as SerialQuery;
  query.idle = () => tail.then(() => undefined);
  query.copy = (sql: string, payload: string | Buffer) => {
    const p = tail.then(() => copyIn(client, sql, payload));
    tail = p.catch(() => undefined);
    return p;
  };
  return query;
}
