/**
 * CSV export speed, the two ways side by side: the cursor path (rows formatted in JavaScript, csv.ts)
 * and COPY (every cell formatted in PostgreSQL, csv-copy.ts), on a generated estate scanned into the
 * embedded PostgreSQL under `.wi-atlas/csv-speed` (kept between runs: the scan is done once per size).
 * The reports are bench row 6's (workloads, findings), read in process without HTTP, alternating the
 * two ways so both meet the same machine load. Prints rows/s and this process's RSS growth.
 *
 *   npx tsx lib/cli/csv-speed.ts --size org-m [--rounds 3] [--bench-db] [--copy-only]
 *
 * --bench-db reads the database an earlier `npm run bench -- --size S` scanned (.wi-atlas/bench,
 * bench_<size>) instead of scanning one; --copy-only measures the COPY path alone.
 */
import pg from "pg";
import { procCpuMs } from "./proc-cpu";
import { parseCliArgs } from "./args";
import { ensureEmbeddedPostgres } from "../store/embedded-postgres";
import { migrate } from "../store/migrate";
import { openDb, type Db } from "../store/db";
import { loadConfig } from "../config";
import { runScan } from "../scan/run-scan";
import { startSimulator } from "../simulator/server";
import { generateEstate, isEstateSize, type EstateSizeName } from "../simulator/generate-estate";
import { parseFilters } from "../api/filters";
import { TABLES } from "../reports/tables";
import { cursorCsvStream } from "../reports/list-table";
import { tableCsvCopyStream } from "../reports/csv-copy";

const args = parseCliArgs(
  { size: { type: "string" }, rounds: { type: "string" }, "bench-db": { type: "boolean" }, "copy-only": { type: "boolean" } },
  "Usage: npx tsx lib/cli/csv-speed.ts [--size org-m] [--rounds 3] [--bench-db [--copy-only]]",
);
const arg = (name: "size" | "rounds", dflt: string) => args[name] ?? dflt;
const size = arg("size", "org-m") as EstateSizeName;
const rounds = Number(arg("rounds", "3"));
if (!isEstateSize(size)) throw new Error(`--size must be an estate size, not ${size}`);
const benchDb = args["bench-db"] === true;
const copyOnly = args["copy-only"] === true;

async function prepare(): Promise<{ db: Db; release: () => Promise<void> }> {
  const embedded = await ensureEmbeddedPostgres(benchDb ? ".wi-atlas/bench" : ".wi-atlas/csv-speed");
  const name = `${benchDb ? "bench" : "csvspeed"}_${size.replace(/-/g, "_")}`;
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  const exists = (await admin.query(`select 1 from pg_database where datname = $1`, [name])).rowCount === 1;
  if (!exists && benchDb) throw new Error(`--bench-db: no database ${name}: run \`npm run bench -- --size ${size}\` once first`);
  if (!exists) await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(embedded.url);
  u.pathname = `/${name}`;
  await migrate(u.toString());
  // One connection: every query of an export runs on the same backend, whose CPU time is read from /proc.
  const db = openDb(u.toString(), { max: 1, statementTimeoutMs: 120_000 });
  const done = (await db.pool.query(`select count(*)::int as n from scan where status in ('succeeded', 'partial')`)).rows[0].n > 0;
  if (!done) {
    console.log(`scanning ${size} into ${name} (once)…`);
    const sim = await startSimulator({ estate: generateEstate(size, { seed: "1" }) });
    // A scan holds one connection for its transaction and records its progress on another: with the
    // one-connection pool below it waited for itself forever.
    const scanDb = openDb(u.toString(), { max: 4, statementTimeoutMs: 600_000 });
    try {
      await runScan({ db: scanDb, config: loadConfig({ WI_ATLAS_INVENTORY_PATH: "direct" } as unknown as NodeJS.ProcessEnv), trigger: "test", simulator: sim });
    } finally {
      await scanDb.close();
      await sim.close();
    }
  }
  return { db, release: async () => (await db.close(), await embedded.release({ waitMs: 10_000 })) };
}


async function measure(open: () => Promise<ReadableStream<Uint8Array>>, backend: number): Promise<{ rows: number; bytes: number; ms: number; rssGrowth: number; pgCpu: number; nodeCpu: number }> {
  const pg0 = procCpuMs(backend);
  const cpu0 = process.cpuUsage();
  const before = process.memoryUsage().rss;
  const stream = await open();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  let bytes = 0;
  let lines = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  return { rows: lines - 1, bytes, ms, rssGrowth: peak - before, pgCpu: procCpuMs(backend) - pg0, nodeCpu: (cpu.user + cpu.system) / 1000 };
}

async function main() {
  const { db, release } = await prepare();
  try {
    const f = parseFilters(new URLSearchParams());
    const ctx = { origin: "http://127.0.0.1:3000" };
    const ways = {
      cursor: (t: string) => cursorCsvStream(db, TABLES[t], f, ctx),
      copy: async (t: string) => (await tableCsvCopyStream(db, TABLES[t], f, ctx))!,
    };
    const backend = (await db.pool.query<{ pid: number }>(`select pg_backend_pid() as pid`)).rows[0].pid;
    const totals: Record<string, { rows: number; ms: number; rss: number; pgCpu: number; nodeCpu: number }> = {
      cursor: { rows: 0, ms: 0, rss: 0, pgCpu: 0, nodeCpu: 0 },
      copy: { rows: 0, ms: 0, rss: 0, pgCpu: 0, nodeCpu: 0 },
    };
    for (let r = 0; r < rounds + 1; r++) {
      for (const way of copyOnly ? (["copy"] as const) : r % 2 ? (["copy", "cursor"] as const) : (["cursor", "copy"] as const)) {
        for (const table of ["workloads", "findings"]) {
          const m = await measure(() => ways[way](table), backend);
          // Round 0 warms both paths (plans, caches) and is not counted.
          if (r > 0) {
            totals[way].rows += m.rows;
            totals[way].ms += m.ms;
            totals[way].rss = Math.max(totals[way].rss, m.rssGrowth);
            totals[way].pgCpu += m.pgCpu;
            totals[way].nodeCpu += m.nodeCpu;
          }
          console.log(`${r === 0 ? "warm " : ""}${way.padEnd(6)} ${table.padEnd(9)} ${m.rows} rows ${(m.bytes / 1048576).toFixed(1)} MiB ${m.ms.toFixed(0)} ms = ${Math.round((m.rows / m.ms) * 1000)} rows/s, RSS +${(m.rssGrowth / 1048576).toFixed(1)} MiB; CPU: PostgreSQL ${m.pgCpu.toFixed(0)} ms, Node ${m.nodeCpu.toFixed(0)} ms`);
        }
      }
    }
    for (const [way, t] of Object.entries(totals)) {
      if (!t.rows) continue;
      console.log(
        `${way}: ${Math.round((t.rows / t.ms) * 1000)} rows/s over ${rounds} rounds of workloads + findings; RSS growth at most +${(t.rss / 1048576).toFixed(1)} MiB; ` +
          `CPU per 1,000 rows: PostgreSQL ${((t.pgCpu / t.rows) * 1000).toFixed(1)} ms, Node ${((t.nodeCpu / t.rows) * 1000).toFixed(1)} ms`,
      );
    }
  } finally {
    await release();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
