import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { parseFilters } from "@/lib/api/filters";
import { badRequest } from "@/lib/api/problem";
import { graphView, parseGraphParams, toGraphML } from "@/lib/store/graph-query";
import { cachedPerScan } from "@/lib/store/scan-cache";

/** GET /api/graph?focus=SUBJECT&hops=2&group=namespace&expand=…&format=json|graphml (+ the shared filters). */
export const GET = route(async (req) => {
  const params = new URL(req.url).searchParams;
  const graphParams = parseGraphParams(params, parseFilters(params));
  const format = params.get("format") ?? "json";
  // The view only changes when a scan is applied: a focus many people open (the shared account) is
  // walked once per scan. The format is left out of the key; every format is drawn from one view.
  const key = new URLSearchParams(params);
  key.delete("format");
  key.sort();
  const db = serverDb();
  const view = await cachedPerScan(db, `graph|${key.toString()}`, () => graphView(db, graphParams));
  if (format === "graphml") {
    return new Response(toGraphML(view), { headers: { "content-type": "application/graphml+xml; charset=utf-8", "content-disposition": `attachment; filename="wi-atlas-graph.graphml"` } });
  }
  if (format === "download") {
    return new Response(JSON.stringify(view, null, 2), { headers: { "content-type": "application/json; charset=utf-8", "content-disposition": `attachment; filename="wi-atlas-graph.json"` } });
  }
  if (format !== "json") throw badRequest(`Query parameter "format" ("${format}") must be json, download or graphml`, { parameter: "format" });
  return view;
});
