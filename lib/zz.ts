import { loadConfig } from "./config";
import { openDatabase } from "./store/open-database";
import { graphView, parseGraphParams } from "./store/graph-query";
import { parseFilters } from "./api/filters";
const { db, close } = await openDatabase(loadConfig({ ...process.env, WI_ATLAS_DATA_DIR: "/tmp/wi-g" }));
for (const q of ["focus=gsa:common-batch@acme-prod.iam.gserviceaccount.com", "", "focus=cluster:acme-prod/asia-northeast1/prod&hops=2"]) {
  const p = new URLSearchParams(q);
  const t0 = Date.now();
  const v = await graphView(db, parseGraphParams(p, parseFilters(p)));
  console.log(q || "(overview)", Date.now() - t0, "ms", v.nodes.length, "nodes", v.edges.length, "edges", v.reached, v.notice);
  if (q.includes("common-batch") && process.env.V) { for (const n of v.nodes) console.log("  ", n.kind, n.id, n.state ?? "", n.group ? `(group ${n.group.members})` : ""); for (const e of v.edges) console.log("   e", e.kind, e.src.slice(0,50), "->", e.dst.slice(0,60), e.state, e.label); }
}
await close();
