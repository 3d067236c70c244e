import { loadConfig } from "./config";
import { openDatabase } from "./store/open-database";
import { runScan } from "./scan/run-scan";
import { startSimulator } from "./simulator/server";
const config = loadConfig({ ...process.env, WI_ATLAS_DATA_DIR: "/tmp/wi-storage" });
const { db, close } = await openDatabase(config);
const sim = await startSimulator({ estatePath: config.estatePath });
const size = async () => {
  const r = await db.pool.query(`select relname, pg_total_relation_size(c.oid)::bigint as bytes, (select n_live_tup from pg_stat_user_tables s where s.relid = c.oid) as rows from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1`);
  const counts = await db.pool.query(`select 'inventory_object' t, count(*)::int n from inventory_object union all select 'analysis_object', count(*)::int from analysis_object union all select 'scan_source', count(*)::int from scan_source union all select 'scan_metric', count(*)::int from scan_metric union all select 'scan', count(*)::int from scan`);
  return { total: r.rows.reduce((a, x) => a + Number(x.bytes), 0), counts: Object.fromEntries(counts.rows.map((x) => [x.t, x.n])) };
};
await runScan({ db, config, trigger: "cli", simulator: sim });
await db.pool.query("vacuum analyze");
const a = await size();
const times = [];
for (let i = 0; i < 10; i++) { const t0 = Date.now(); const r = await runScan({ db, config, trigger: "cli", simulator: sim }); times.push(Date.now() - t0); if (r.summary.written.inserted || r.summary.analysis?.written.inserted) console.log("WROTE", r.summary.written, r.summary.analysis?.written); }
await db.pool.query("vacuum analyze");
const b = await size();
console.log("after first scan", a, "\nafter 10 unchanged rescans", b, "\ndelta bytes", b.total - a.total, "rescan ms", times);
await sim.close(); await close();
