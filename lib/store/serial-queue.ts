/**
 * Queries on one connection, strictly one after another, without making the caller wait: the scan
 * keeps serialising the next batch while the database works on the previous one. `idle()` resolves
 * once everything queued so far has finished (whether it succeeded or not).
 */
import type pg from "pg";

export type SerialQuery = {
  <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  idle: () => Promise<void>;
};

export function serialQueue(client: pg.PoolClient): SerialQuery {
  let tail: Promise<unknown> = Promise.resolve();
  const query = (<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => {
    const p = tail.then(() => client.query<R>(text, values));
    tail = p.catch(() => undefined);
    return p;
  }) as SerialQuery;
  query.idle = () => tail.then(() => undefined);
  return query;
}
