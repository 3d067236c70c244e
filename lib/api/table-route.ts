/** GET handler for a declared table: filters from the query string → one page of JSON. */
import { serverDb } from "../store/db";
import { parseFilters } from "./filters";
import { route } from "./respond";
import { listTable } from "../reports/list-table";
import { tableByName } from "../reports/tables";
import { notFound } from "./problem";

export function tableRoute(name: string) {
  return route(async (req) => {
    const def = tableByName(name);
    if (!def) throw notFound(`No table ${name}`);
    return listTable(serverDb(), def, parseFilters(new URL(req.url).searchParams));
  });
}
