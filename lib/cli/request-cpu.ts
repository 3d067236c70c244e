/**
 * `npx tsx lib/cli/request-cpu.ts [--size org-m] [--latency 25] [--scan]`: the scanner's client CPU
 * per request, per API family, measured on a generated estate served by the simulator in its own
 * process (so none of the server's CPU is counted).
 *
 * Google: every project's service accounts, their keys and IAM policies, the projects' policies and
 * clusters — through the same `googleapis` clients and Caller as a scan. Kubernetes: every list the
 * scan makes of every cluster, pages handed to a callback that only counts them. Each family runs
 * on its own, and its `process.cpuUsage()` is divided by its requests (and, for Kubernetes, by its
 * objects: a page of 500 pods costs more than a page of 5 namespaces).
 *
 * With `--scan`, a whole `npm run scan -- --json` follows, into a fresh database on the bench's
 * embedded PostgreSQL, and its time and CPU (the scanner process's own) are printed too. Figures move
 * with the machine's load: compare runs made back to back. `--scan-only` skips the per-request figures;
 * `--scan-log debug` shows the scan's own log (each phase's time). `--cpu-prof DIR` writes the scanner's V8 CPU
 * profile there, and the simulator's in its subdirectory simulator/ (the largest file is the thread that served) (open it in Chrome DevTools or summarise it with `npx tsx lib/cli/profile-top.ts`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import os from "node:os";
import pg from "pg";
import { parseApiLimits } from "../config";
import { Caller } from "../sources/http/caller";
import { simulatorClients } from "../sources/gcp/clients";
import { getResourcePolicy, listClusters, listServiceAccounts, listUserManagedKeys, getServiceAccountPolicy, searchProjects } from "../sources/gcp/get";
import { clusterClient, gkeEndpoint } from "../sources/k8s/clients";
import { listAll, type K8sListName } from "../sources/k8s/get";
import { ensureEmbeddedPostgres } from "../store/embedded-postgres";
import { migrate } from "../store/migrate";
import { isEstateSize } from "../simulator/generate-estate";
import { parseCliArgs } from "./args";
import { procCpuMs } from "./proc-cpu";

const USAGE = `Usage: npx tsx lib/cli/request-cpu.ts [--size org-m] [--latency 25] [--scan [--scan-only] [--scan-log LEVEL] [--cpu-prof DIR]]`;
const args = parseCliArgs(
  { size: { type: "string" }, latency: { type: "string" }, scan: { type: "boolean" }, "scan-only": { type: "boolean" }, "scan-log": { type: "string" }, "cpu-prof": { type: "string" }, help: { type: "boolean", short: "h" } },
  USAGE,
);
if (args.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
const size = args.size ?? "org-m";
if (!isEstateSize(size)) throw new Error(`--size: unknown size "${size}"`);
const latency = Number(args.latency ?? 25);

const LISTS: K8sListName[] = ["namespaces", "serviceaccounts", "nodes", "replicasets", "jobs", "pods", "deployments", "statefulsets", "daemonsets", "cronjobs", "secrets"];
const log = (m: string) => process.stderr.write(`[request-cpu] ${m}\n`);

/** The Node flags of `npm run scan` (package.json: `node FLAGS --import tsx lib/cli/scan.ts`), so the scan measured is the one users run. */
function scanNodeFlags(): string[] {
  const script = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts.scan;
  const m = /^node((?: --[\w-]+=\S+)*) --import tsx lib\/cli\/scan\.ts$/.exec(script ?? "");
  if (!m) throw new Error(`package.json's scan script is not "node FLAGS --import tsx lib/cli/scan.ts": ${script}`);
  return m[1].split(" ").filter(Boolean);
}
const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGTERM")));

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `fn`, returning its wall time and this process's CPU over it, in ms. */
async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  global.gc?.();
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 };
}

async function main() {
  log(`load before: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  // With --cpu-prof the simulator is profiled too (its own file in the same directory): on one
  // machine its CPU delays the answers the scanner waits for.
  const simProf = args["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(args["cpu-prof"], "simulator")] : [];
  const sim = spawn(process.execPath, [...simProf, "--import", "tsx", "lib/cli/simulator.ts", "--generate", size, "--latency", String(latency), "--port", "0", "--json"], {
    env: { ...process.env, WI_ATLAS_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(sim);
  const url = (JSON.parse(await new Promise<string>((r) => readline.createInterface({ input: sim.stdout! }).once("line", r))) as { url: string }).url;
  const health = (await (await fetch(`${url}/_sim/health`)).json()) as { kubernetesPort: number };
  log(`simulator (${size}, ${latency} ms a request) at ${url}`);

  const limits = parseApiLimits(process.env.WI_ATLAS_API_LIMITS, Number(process.env.WI_ATLAS_CONCURRENCY ?? 8));
  const caller = new Caller({ limits, timeoutMs: 120_000 });
  const g = simulatorClients(url);
  const google = { requests: 0, objects: 0 };
  const k8s = { requests: 0, objects: 0 };
  const clusters: Record<string, unknown>[] = [];

  const out: string[] = [];
  // --scan-only: the whole scan alone (the per-request figures take another minute or two).
  if (!args["scan-only"]) {
    const simCpu0 = procCpuMs(sim.pid!);
    const gm = await measure(async () => {
      const c = caller.counted(google);
      const projects = await searchProjects(g, c);
      await Promise.all(
        projects.map(async (p) => {
          const id = p.projectId as string;
          const [sas, , cl] = await Promise.all([listServiceAccounts(g, c, id), getResourcePolicy(g, c, `projects/${id}`), listClusters(g, c, id)]);
          clusters.push(...cl.clusters);
          google.objects += sas.length;
          await Promise.all(sas.map((sa) => Promise.all([listUserManagedKeys(g, c, id, sa.email as string), getServiceAccountPolicy(g, c, id, sa.email as string)])));
        }),
      );
    });
    const simCpuGoogle = procCpuMs(sim.pid!) - simCpu0;
    const km = await measure(async () => {
      const c = caller.counted(k8s);
      await Promise.all(
        clusters.map(async (raw) => {
          const client = clusterClient(gkeEndpoint({ endpoint: raw.endpoint as string }, raw, health.kubernetesPort), g.accessToken);
          await Promise.all(LISTS.map((r) => listAll(client, c, r, (items) => (k8s.objects += items.length))));
        }),
      );
    });
    const line = (name: string, m: { wallMs: number; cpuMs: number }, n: { requests: number; objects: number }, unit: string) =>
      `${name.padEnd(11)} ${String(n.requests).padStart(6)} requests ${String(n.objects).padStart(7)} ${unit.padEnd(8)} wall ${(m.wallMs / 1000).toFixed(1).padStart(5)} s  CPU ${(m.cpuMs / 1000).toFixed(2).padStart(6)} s  = ${(m.cpuMs / n.requests).toFixed(3)} ms/request` +
      (unit === "objects" ? `, ${((m.cpuMs * 1000) / n.objects).toFixed(1)} µs/object` : "");
    out.push(line("Google", gm, google, "GSAs"), line("Kubernetes", km, k8s, "objects"));
    out.push(`  the simulator's CPU while it answered the Google requests: ${(simCpuGoogle / 1000).toFixed(1)} s (${(simCpuGoogle / google.requests).toFixed(2)} ms/request)`);
  }

  if (args.scan) {
    const dataDir = path.resolve(".wi-atlas/bench");
    mkdirSync(dataDir, { recursive: true });
    const embedded = await ensureEmbeddedPostgres(dataDir);
    try {
      const db = `reqcpu_${size.replace(/-/g, "_")}`;
      const admin = new pg.Client({ connectionString: embedded.url });
      await admin.connect();
      await admin.query(`drop database if exists ${db} with (force)`);
      await admin.query(`create database ${db}`);
      await admin.end();
      const u = new URL(embedded.url);
      u.pathname = `/${db}`;
      await migrate(u.toString());
      await fetch(`${url}/_sim/reset-stats`, { method: "POST" });
      log(`full scan, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}…`);
      // The same command as `npm run scan`, so that --cpu-prof can profile the scanner itself.
      const prof = args["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(args["cpu-prof"])] : [];
      const child = spawn(process.execPath, [...prof, ...scanNodeFlags(), "--import", "tsx", "lib/cli/scan.ts", "--json"], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, DATABASE_URL: u.toString(), WI_ATLAS_SIMULATOR_URL: url, WI_ATLAS_ESTATE: "", WI_ATLAS_LOG_LEVEL: args["scan-log"] ?? "warn", WI_ATLAS_REQUEST_TIMEOUT_SECONDS: "120" },
      });
      children.push(child);
      const simScan0 = procCpuMs(sim.pid!);
      let text = "";
      child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
      await new Promise((r) => child.once("exit", r));
      const simScan = procCpuMs(sim.pid!) - simScan0;
      const r = JSON.parse(text) as {
        status: string;
        cpuMs?: number;
        maxRssBytes?: number;
        summary: {
          durationMs: number;
          pacedMs?: Record<string, number>;
          timings?: { collectMs: number; storeMs?: number };
          analysis?: { timings?: { loadMs: number; computeMs: number; writeMs: number } };
          requests: Record<string, number>;
          slotMs?: Record<string, number>;
        };
      };
      const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as { total: number };
      out.push(
        `full scan   ${r.status}: ${(r.summary.durationMs / 1000).toFixed(1)} s (collect ${((r.summary.timings?.collectMs ?? 0) / 1000).toFixed(1)} s), ${stats.total} requests${r.summary.pacedMs ? `, paced ${JSON.stringify(r.summary.pacedMs)}` : ""}` +
          (r.cpuMs !== undefined ? `, scanner CPU ${(r.cpuMs / 1000).toFixed(1)} s = ${(r.cpuMs / stats.total).toFixed(2)} ms/request (whole process: collect, store, analyse)` : ""),
      );
      const at = r.summary.analysis?.timings;
      const sec = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;
      if (at) out.push(`  after the collect: store ${sec(r.summary.timings?.storeMs)}, analysis read ${sec(at.loadMs)}, compute ${sec(at.computeMs)}, write ${sec(at.writeMs)}`);
      if (r.maxRssBytes) out.push(`  scanner peak RSS ${Math.round(r.maxRssBytes / 1048576)} MiB`);
      out.push(`  the simulator's CPU over the scan: ${(simScan / 1000).toFixed(1)} s (it shares this machine's cores with the scanner and PostgreSQL)`);
      // How long a request held its API's slot, end to end (latency + the client's work + any wait
      // for the event loop), and how full the API's slots were over the collect.
      const collectMs = r.summary.timings?.collectMs ?? 0;
      for (const [api, ms] of Object.entries(r.summary.slotMs ?? {})) {
        const n = r.summary.requests[api] ?? 0;
        const conc = limits[api as keyof typeof limits]?.concurrency ?? 8;
        if (n) out.push(`  ${api.padEnd(15)} ${String(n).padStart(6)} requests, ${(ms / n).toFixed(1)} ms each in a slot; slots ${((100 * ms) / (collectMs * conc)).toFixed(0)}% full over the collect (concurrency ${conc})`);
      }
    } finally {
      await embedded.release({ waitMs: 10_000 });
    }
  }
  out.push(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  process.stdout.write(out.join("\n") + "\n");
  sim.kill("SIGTERM");
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
