/**
 * Graph focus speed in process: GET /api/graph?focus=<hub>&hops=2 as bench row 7 asks it, on the
 * database an earlier `npm run bench -- --size S` scanned (.wi-atlas/bench, bench_<size>), with each
 * query's time. No HTTP, no caching: every round walks again. Prints the rounds' times and the slowest.
 *
 *   npx tsx lib/cli/graph-speed.ts --size org-l [--rounds 6] [--focus gsa:…] [--queries] [--walk]
 *
 * --walk reads the ring node by node as before summedRing (the figure to compare with).
 */
import pg from "pg";
import { procCpuMs } from "./proc-cpu";
import { ensureEmbeddedPostgres } from "../store/embedded-postgres";
import { openDb } from "../store/db";
import { graphView, parseGraphParams } from "../store/graph-query";
import { parseFilters } from "../api/filters";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const size = arg("size", "org-l");
const rounds = Number(arg("rounds", "6"));
const showQueries = process.argv.includes("--queries");
const sumRing = !process.argv.includes("--walk");

async function main() {
  const embedded = await ensureEmbeddedPostgres(".wi-atlas/bench");
  const u = new URL(embedded.url);
  u.pathname = `/bench_${size.replace(/-/g, "_")}`;
  // One connection: the backend's CPU time is read from /proc (Linux) beside this process's.
  const db = openDb(u.toString(), { max: 1 });
  try {
    const hub = arg("focus", "") || (await db.pool.query<{ subject: string }>(`select subject from inventory_object where kind = 'gsa' and valid_to is null and subject like 'gsa:common-batch@%' limit 1`)).rows[0]?.subject;
    if (!hub) throw new Error(`bench_${size} holds no common-batch GSA: run the bench of that size once`);
    // Each query's time, by its first words.
    const times: { sql: string; ms: number; rows: number }[] = [];
    const orig = db.pool.query.bind(db.pool) as (...a: unknown[]) => Promise<pg.QueryResult>;
    (db.pool as unknown as { query: unknown }).query = async (...a: unknown[]) => {
      const t0 = performance.now();
      const r = await orig(...a);
      const text = typeof a[0] === "string" ? a[0] : (a[0] as { text: string }).text;
      times.push({ sql: text.replace(/\s+/g, " ").slice(0, 110), ms: performance.now() - t0, rows: r.rowCount ?? 0 });
      return r;
    };
    const backend = (await db.pool.query<{ pid: number }>(`select pg_backend_pid() as pid`)).rows[0].pid;
    const pgCpu = () => procCpuMs(backend);
    const all: number[] = [];
    const cpus: { node: number; pg: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      times.length = 0;
      const p = new URLSearchParams(`focus=${encodeURIComponent(hub)}&hops=2`);
      const pg0 = pgCpu();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const v = await graphView(db, parseGraphParams(p, parseFilters(p)), { sumRing });
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      all.push(ms);
      cpus.push({ node: (cpu.user + cpu.system) / 1000, pg: pgCpu() - pg0 });
      const q = times.reduce((s, x) => s + x.ms, 0);
      console.log(`round ${i + 1}: ${ms.toFixed(0)} ms (queries ${q.toFixed(0)} ms; CPU: Node ${cpus[i].node.toFixed(0)} ms, PostgreSQL ${cpus[i].pg.toFixed(0)} ms), ${v.nodes.length} nodes, ${v.edges.length} edges, reached ${v.reached}`);
      if (showQueries) for (const x of times) console.log(`   ${x.ms.toFixed(1).padStart(7)} ms ${String(x.rows).padStart(6)} rows  ${x.sql}`);
    }
    const rest = all.slice(1).sort((a, b) => a - b);
    const c = cpus.slice(1);
    const avg = (k: "node" | "pg") => (c.reduce((s, x) => s + x[k], 0) / c.length).toFixed(0);
    console.log(`median ${rest[Math.floor(rest.length / 2)].toFixed(0)} ms, slowest ${rest[rest.length - 1].toFixed(0)} ms; CPU per round: Node ${avg("node")} ms, PostgreSQL ${avg("pg")} ms (first round dropped)`);
  } finally {
    await db.close();
    // Stopped only when this script started it: a bench running beside it keeps its server.
    if (embedded.started) await embedded.release({ waitMs: 10_000 });
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
