/** `from`/`to` scan numbers from a query string, defaulting to the last two finished scans. */
import type { Db } from "./db";
import { badRequest } from "../api/problem";

export async function latestTwoScans(db: Db, params: URLSearchParams): Promise<{ from: number; to: number }> {
  const parse = (name: string) => {
    const v = params.get(name);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    // Bounded by PostgreSQL's integer, so a huge number is a 400 here rather than an overflow there.
    if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647) throw badRequest(`Query parameter "${name}" ("${v}") must be a scan number`, { parameter: name });
    return n;
  };
  let from = parse("from");
  let to = parse("to");
  if (from === undefined || to === undefined) {
    const r = await db.pool.query<{ id: number }>(`select id from scan where status in ('succeeded', 'partial') and pruned_at is null order by id desc limit 2`);
    if (r.rows.length < 2 && (from === undefined || to === undefined)) throw badRequest("Two finished scans are needed to compare; run another scan");
    to ??= r.rows[0].id;
    from ??= r.rows.find((x) => x.id < to!)?.id ?? r.rows[1].id;
  }
  return { from, to };
}
