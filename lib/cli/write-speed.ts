/**
 * Speed of a scan's writes, without the network: the store phase (stage → inventory versions,
 * lib/store/write-inventory.ts) and the analysis phase (read, compute, write its rows,
 * lib/analysis/analyze-scan.ts), for a first scan into an empty database and for an unchanged rescan.
 *
 * A generated estate is scanned once (simulator latency 0) into the embedded PostgreSQL under
 * `.wi-atlas/write-speed`, database `writespeed_SIZE`, kept between runs. Each round copies it
 * (CREATE DATABASE … TEMPLATE), empties the versioned tables, stages the scanned records again and
 * applies them as applyScan does (one transaction: the store but its insert, then analyzeScan's read,
 * its compute beside the insert of the new versions, and its write, each timed), then once more with
 * the same records (the unchanged rescan: nothing may be written). Prints each phase's time, the rows
 * written, the CPU this process and the scan's database backend used in it (less load-dependent
 * than the time on a shared machine), and the load average; compare runs back to back.
 *
 *   npx tsx lib/cli/write-speed.ts --size org-m [--rounds 2]
 */
import pg from "pg";
import { loadavg } from "node:os";
import { procCpuMs } from "./proc-cpu";
import { parseCliArgs } from "./args";
import { ensureEmbeddedPostgres } from "../store/embedded-postgres";
import { migrate } from "../store/migrate";
import { openDb } from "../store/db";
import { loadConfig } from "../config";
import { runScan } from "../scan/run-scan";
import { startSimulator } from "../simulator/server";
import { generateEstate, isEstateSize, type EstateSizeName } from "../simulator/generate-estate";
import { InventoryStage } from "../store/stage";
import { prepareInventory, PENDING_VERSIONS } from "../store/write-inventory";
import { loadAnalysisInput, analysisRowStream, writeAnalysisVersions } from "../analysis/analyze-scan";
import { runAnalysis } from "../analysis/run-analysis";
import type { InventoryRecord } from "../inventory/model";
import type { SourceOutcome } from "../scan/collect";

const args = parseCliArgs({ size: { type: "string" }, rounds: { type: "string" } }, "Usage: npx tsx lib/cli/write-speed.ts [--size org-m] [--rounds 2]");
const arg = (name: "size" | "rounds", dflt: string) => args[name] ?? dflt;
const size = arg("size", "org-m") as EstateSizeName;
const rounds = Number(arg("rounds", "2"));
if (!isEstateSize(size)) throw new Error(`--size must be an estate size, not ${size}`);

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const urlOf = (admin: string, name: string) => {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
};

async function main() {
  const embedded = await ensureEmbeddedPostgres(".wi-atlas/write-speed");
  const base = `writespeed_${size.replace(/-/g, "_")}`;
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  try {
    const exists = (await admin.query(`select 1 from pg_database where datname = $1`, [base])).rowCount === 1;
    if (!exists) await admin.query(`create database ${base}`);
    await migrate(urlOf(embedded.url, base));
    // The scanned records and the sources' outcomes, read back from the base database.
    const db = openDb(urlOf(embedded.url, base), { max: 2, statementTimeoutMs: 600_000 });
    let records: InventoryRecord[];
    let outcomes: SourceOutcome[];
    try {
      const done = (await db.pool.query(`select count(*)::int as n from scan where status in ('succeeded', 'partial')`)).rows[0].n > 0;
      if (!done) {
        console.log(`scanning ${size} into ${base} (once)…`);
        const sim = await startSimulator({ estate: generateEstate(size, { seed: "1" }), latencyMs: 0 });
        try {
          await runScan({ db, config: loadConfig({ WI_ATLAS_INVENTORY_PATH: "direct" } as unknown as NodeJS.ProcessEnv), trigger: "test", simulator: sim });
        } finally {
          await sim.close();
        }
      }
      records = (await db.pool.query<InventoryRecord>(`select kind, subject, source, project, cluster, namespace, data from inventory_object where valid_to is null order by id`)).rows;
      const last = (await db.pool.query<{ id: number }>(`select max(id) as id from scan where status in ('succeeded', 'partial')`)).rows[0].id;
      outcomes = (
        await db.pool.query<{ source: string; family: string; scope: string; status: SourceOutcome["status"]; objects: number; requests: number; duration_ms: number }>(
          `select source, family, scope, status, objects, requests, duration_ms from scan_source where scan_id = $1`,
          [last],
        )
      ).rows.map((s) => ({ source: s.source, family: s.family, scope: s.scope, status: s.status, objects: s.objects, requests: s.requests, durationMs: s.duration_ms, records: [] }));
    } finally {
      await db.close();
    }
    console.log(`${size}: ${records.length} inventory records, ${outcomes.length} sources; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

    for (let round = 1; round <= rounds; round++) {
      const name = `${base}_run`;
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name} template ${base}`);
      const run = openDb(urlOf(embedded.url, name), { max: 2, statementTimeoutMs: 600_000 });
      try {
        await run.pool.query(`truncate inventory_object, analysis_object, source_state, scan_metric`);
        for (const pass of ["first", "rescan"]) {
          const client = await run.pool.connect();
          try {
            const scanId = (
              await client.query<{ id: number }>(`insert into scan (status, trigger, mode, target, phase, runner, started_at) values ('running', 'test', 'estate', '', 'x', 'x', now()) returning id`)
            ).rows[0].id;
            const backend = (await client.query<{ pid: number }>(`select pg_backend_pid() as pid`)).rows[0].pid;
            const cpu = () => `cpu node ${Math.round(ownCpuMs() - node0)} + db ${Math.round(procCpuMs(backend) - db0)} ms`;
            let node0 = ownCpuMs();
            let db0 = procCpuMs(backend);
            let t = Date.now();
            const stage = await InventoryStage.open(client);
            for (let i = 0; i < records.length; i += 500) stage.add(records.slice(i, i + 500), true);
            await stage.flush();
            const stageMs = Date.now() - t;
            const stageCpu = cpu();
            await client.query("begin");
            t = Date.now();
            node0 = ownCpuMs();
            db0 = procCpuMs(backend);
            // As applyScan: everything but the new versions, then the analysis reads the inventory as it
            // will be and computes while the database inserts them.
            const prepared = await prepareInventory(client, scanId, outcomes);
            const storeMs = Date.now() - t;
            const storeCpu = cpu();
            t = Date.now();
            node0 = ownCpuMs();
            db0 = procCpuMs(backend);
            // analyzeScan's steps, each measured: read, compute (beside the insert), write (the metrics it also writes are a few rows).
            const now = new Date("2026-11-30T12:00:00Z");
            const input = await loadAnalysisInput(client, scanId, now, PENDING_VERSIONS);
            const inserting = prepared.insert();
            inserting.catch(() => undefined);
            const result = runAnalysis(input, { deferFixes: true });
            const computedMs = Date.now() - t;
            const written = await inserting;
            const computeMs = Date.now() - t;
            const computeCpu = cpu();
            t = Date.now();
            node0 = ownCpuMs();
            db0 = procCpuMs(backend);
            const aw = await writeAnalysisVersions(client, scanId, analysisRowStream(result, { release: true }));
            const writeMs = Date.now() - t;
            const writeCpu = cpu();
            t = Date.now();
            await client.query(`update scan set status = 'succeeded', finished_at = now() where id = $1`, [scanId]);
            await client.query("commit");
            const commitMs = Date.now() - t;
            await stage.drop();
            console.log(
              `round ${round} ${pass.padEnd(6)}: stage ${stageMs} ms (${stageCpu}) | store ${storeMs} ms (${storeCpu}; inventory +${written.inserted} -${written.closed}) | ` +
                `analysis read+compute ${computedMs} ms, with the insert beside it ${computeMs} ms (${computeCpu}) | analysis write ${writeMs} ms (${writeCpu}; +${aw.inserted} -${aw.closed} =${aw.unchanged}) | commit ${commitMs} ms | load ${loadavg()[0].toFixed(2)}`,
            );
          } finally {
            client.release();
          }
        }
      } finally {
        await run.close();
        await admin.query(`drop database if exists ${name} with (force)`);
      }
    }
  } finally {
    await admin.end();
    await embedded.release({ waitMs: 10_000 });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
