/** GET handler for a declared table: filters from the query string → one page of JSON. */
import { serverDb } from "../store/db";
import { parseFilters } from "./filters";
import { route } from "./respond";
import { listTable } from "../reports/list-table";
import { tableByName } from "../reports/tables";
import { notFound } from "./problem";
import { cachedJsonPerScan } from "../store/scan-cache";
import { publicOrigin } from "./origin";

export function tableRoute(name: string) {
  return route(async (req) => {
    const def = tableByName(name);
    if (!def) throw notFound(`No table ${name}`);
    const params = new URL(req.url).searchParams;
    const filters = parseFilters(params); // bad parameters answer 400 before any cache is consulted
    // A page of a table only changes when a scan is applied or a suppression changes: the same
    // question asked again (every dashboard user opening the same list) is answered from memory.
    params.sort();
    const db = serverDb();
    // The origin is part of the answer (computed links), so part of the key.
    const origin = publicOrigin(req);
    return cachedJsonPerScan(db, `table|${name}|${origin}|${params.toString()}`, () => listTable(db, def, filters, { origin }));
  });
}
