/**
 * The analysis of a scan, inside the scan's transaction: read the current inventory (stale objects
 * included — they are the best knowledge there is) and what each source did, analyse, and write the
 * results as versions (unchanged conclusions write nothing; a finding keeps its first_seen while it
 * stays open), plus the roll-ups the trend charts read.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import type { InventoryRecord } from "../inventory/model";
import type { AnalysisInput, SourceStatus } from "./context";
import { runAnalysis, type AnalysisResult, type Rollup } from "./run-analysis";
import { buildGraph } from "./graph";
import { log } from "../log";

export type AnalysisSummary = {
  findings: number;
  open: number;
  unverified: number;
  bySeverity: Record<string, number>;
  workloads: number;
  migrated: number;
  written: { inserted: number; closed: number; unchanged: number };
  durationMs: number;
  /** Reading the inventory, the analysis itself (identity, status, findings, graph), storing its results; ms. */
  timings?: { loadMs: number; computeMs: number; writeMs: number };
};

type Row = {
  kind: string;
  key: string;
  subject: string;
  rule?: string | null;
  severity?: string | null;
  state?: string | null;
  project?: string | null;
  cluster?: string | null;
  namespace?: string | null;
  gsa?: string | null;
  target?: string | null;
  data: unknown;
};

export async function loadAnalysisInput(client: pg.PoolClient | pg.Pool, scanId: number, now: Date): Promise<AnalysisInput> {
  const objects = await client.query<InventoryRecord>(
    `select kind, subject, source, project, cluster, namespace, data from inventory_object where valid_to is null`,
  );
  const states = await client.query<{ source: string; last_scan_id: number; last_status: string }>(`select source, last_scan_id, last_status from source_state where retired_scan_id is null`);
  const sources = new Map<string, Exclude<SourceStatus, "missing">>();
  // Only what answered in full in this very scan counts as complete; older answers are stale.
  for (const s of states.rows) sources.set(s.source, s.last_scan_id === scanId ? (s.last_status as Exclude<SourceStatus, "missing">) : "skipped");
  const first = await client.query<{ subject: string; t: string }>(
    `select o.subject, min(s.started_at) as t from inventory_object o join scan s on s.id = o.valid_from where o.kind = 'gsa' group by o.subject`,
  );
  return { now, records: objects.rows, sources, firstSeen: new Map(first.rows.map((r) => [r.subject, new Date(r.t)])) };
}


/**
 * The analysis as rows to store, part by part. With `release`, each part's objects are dropped from
 * `r` once its rows are handed out, so a large estate's findings, graph and statuses are never all
 * in memory as rows at once.
 */
export function* analysisRowStream(r: AnalysisResult, opts: { release?: boolean } = {}): Generator<Row> {
  for (const f of r.findings) {
    yield {
      kind: "finding",
      key: `${f.rule}|${f.subject}`,
      subject: f.subject,
      rule: f.rule,
      severity: f.severity,
      state: f.state,
      project: f.project ?? null,
      cluster: f.cluster ?? null,
      namespace: f.namespace ?? null,
      gsa: f.gsa ?? null,
      data: { title: f.title, message: f.message, evidence: f.evidence, fixes: f.fixes, lacking: f.lacking ?? null },
    };
  }
  if (opts.release) r.findings = [];
  for (const u of r.usage) yield { kind: "gsa-usage", key: u.email, subject: `gsa:${u.email}`, project: u.project, gsa: u.email, data: u };
  if (opts.release) r.usage = [];
  {
    const graph = buildGraph(r.context, r.statuses, r.bindings);
    for (const n of graph.nodes) yield { kind: "graph-node", key: n.id, subject: n.id, state: n.state, project: n.project, cluster: n.cluster, namespace: n.namespace, data: n };
    for (const e of graph.edges) yield { kind: "graph-edge", key: e.id, subject: e.src, target: e.dst, state: e.state, data: e };
  }
  for (const b of r.bindings) {
    yield {
      kind: "binding",
      key: `${b.resource}|${b.role}|${b.member}`,
      subject: b.resource,
      state: b.state,
      project: b.resource.startsWith("project:") ? b.resource.slice(8) : null,
      gsa: b.gsa === "*" ? null : b.gsa,
      data: b,
    };
  }
  if (opts.release) r.bindings = [];
  for (const s of r.statuses) {
    yield {
      kind: "workload-status",
      key: s.subject,
      subject: s.subject,
      state: s.migrated ? "migrated" : "not-migrated",
      project: s.project,
      cluster: s.cluster,
      namespace: s.namespace,
      gsa: s.identity.shares.map((x) => x.identity).find((i) => i.type === "workload-identity" || i.type === "key-file" || i.type === "node")?.email ?? null,
      data: s,
    };
    // A small row per workload for tables, CSVs and lists that need a few facts of many workloads
    // (the status row is large and stored compressed).
    yield {
      kind: "workload-summary",
      key: s.subject,
      subject: s.subject,
      state: s.migrated ? "migrated" : "not-migrated",
      project: s.project,
      cluster: s.cluster,
      namespace: s.namespace,
      data: { pods: s.pods, pendingPods: s.pendingPods, nodePools: s.nodePools, migrated: s.migrated, identity: s.identity.label },
    };
  }
  if (opts.release) r.statuses = [];
}

/** Every row of the analysis (tests and small estates). */
export function analysisRows(r: AnalysisResult): Row[] {
  return [...analysisRowStream(r)];
}

const BATCH = 2000;

/**
 * Writes the analysis as versions, batch by batch (each row serialised once, then dropped): rows
 * whose content is unchanged write nothing; changed ones close their current row and open a new one
 * that keeps `first_seen`; current rows not produced again close.
 */
async function writeAnalysisVersions(client: pg.PoolClient, scanId: number, rows: Iterable<Row>) {
  const current = await client.query<{ id: number; kind: string; key: string; hash: string; first_seen: number }>(
    `select id, kind, key, hash, first_seen from analysis_object where valid_to is null`,
  );
  const byKey = new Map(current.rows.map((c) => [`${c.kind}\u0000${c.key}`, c]));
  const seen = new Set<string>();
  const close: number[] = [];
  let unchanged = 0;
  let inserted = 0;
  type Out = { r: Row; data: string; hash: string; firstSeen: number };
  let batch: Out[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const c = batch;
    batch = [];
    const col = <T>(f: (x: Out) => T) => c.map(f);
    await client.query(
      `insert into analysis_object (kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, hash, data, first_seen, target, valid_from)
       select k, ky, s, r, sv, st, p, cl, ns, g, h, d::jsonb, fs, tg, $15
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[])
         as t(k, ky, s, r, sv, st, p, cl, ns, g, h, d, fs, tg)`,
      [
        col((x) => x.r.kind),
        col((x) => x.r.key),
        col((x) => x.r.subject),
        col((x) => x.r.rule ?? null),
        col((x) => x.r.severity ?? null),
        col((x) => x.r.state ?? null),
        col((x) => x.r.project ?? null),
        col((x) => x.r.cluster ?? null),
        col((x) => x.r.namespace ?? null),
        col((x) => x.r.gsa ?? null),
        col((x) => x.hash),
        col((x) => x.data),
        col((x) => x.firstSeen),
        col((x) => x.r.target ?? null),
        scanId,
      ],
    );
    inserted += c.length;
  };
  // Rows that replace a current row are inserted after the current ones are closed (one current row per key).
  const replacing: Out[] = [];
  for (const r of rows) {
    const k = `${r.kind}\u0000${r.key}`;
    if (seen.has(k)) continue;
    seen.add(k);
    // The analysis builds its objects the same way every time, so plain JSON is stable to hash.
    const data = JSON.stringify(r.data);
    const hash = createHash("sha1")
      .update(JSON.stringify([r.kind, r.key, r.subject, r.rule ?? null, r.severity ?? null, r.state ?? null, r.project ?? null, r.cluster ?? null, r.namespace ?? null, r.gsa ?? null, r.target ?? null]))
      .update(data)
      .digest("hex");
    const cur = byKey.get(k);
    if (cur && cur.hash === hash) {
      unchanged++;
      continue;
    }
    if (cur) {
      close.push(cur.id);
      replacing.push({ r, data, hash, firstSeen: cur.first_seen });
      continue;
    }
    batch.push({ r, data, hash, firstSeen: scanId });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  for (const [k, c] of byKey) if (!seen.has(k)) close.push(c.id);
  for (let i = 0; i < close.length; i += 10_000) {
    await client.query(`update analysis_object set valid_to = $1 where id = any($2::bigint[])`, [scanId, close.slice(i, i + 10_000)]);
  }
  for (const x of replacing) {
    batch.push(x);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return { inserted, closed: close.length, unchanged };
}

/** The numbers the trend charts plot, per scope. */
export function metricsOf(rollups: Rollup[]): { scope: string; metric: string; value: number }[] {
  const out: { scope: string; metric: string; value: number }[] = [];
  for (const r of rollups) {
    const put = (metric: string, value: number | null) => value !== null && out.push({ scope: r.scope, metric, value });
    put("workloads", r.workloads);
    put("migrated", r.migrated);
    put("not_migrated", r.workloads - r.migrated);
    put("share_migrated", r.share);
    put("key_file_workloads", r.keyFileWorkloads);
    put("node_identity_workloads", r.nodeIdentityWorkloads);
    put("user_managed_keys", r.userManagedKeys);
    put("keys_in_secrets", r.keysInSecrets);
    put("legacy_pools", r.legacyPools.length);
    put("legacy_pool_pods", r.legacyPools.reduce((a, p) => a + p.pods, 0));
    for (const sev of ["critical", "high", "medium", "low", "info"]) put(`findings_${sev}`, r.findings[sev] ?? 0);
  }
  return out;
}

export async function analyzeScan(client: pg.PoolClient, scanId: number, now: Date = new Date()): Promise<AnalysisSummary> {
  const started = Date.now();
  const mem = () => `rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`;
  const input = await loadAnalysisInput(client, scanId, now);
  const loaded = Date.now();
  log.debug(`analysis: read ${input.records.length} objects in ${loaded - started} ms; ${mem()}`);
  const result = runAnalysis(input);
  const computed = Date.now();
  log.debug(`analysis: computed in ${computed - loaded} ms; ${mem()}`);
  // What the summary needs, before the rows are written and their objects released.
  const bySeverity: Record<string, number> = {};
  for (const f of result.findings) if (f.state === "open") bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  const counts = {
    findings: result.findings.length,
    open: result.findings.filter((f) => f.state === "open").length,
    unverified: result.findings.filter((f) => f.state === "unverified").length,
  };
  const written = await writeAnalysisVersions(client, scanId, analysisRowStream(result, { release: true }));
  log.debug(`analysis: written in ${Date.now() - computed} ms; ${mem()}`);
  const metrics = metricsOf(result.rollups);
  await client.query(`delete from scan_metric where scan_id = $1`, [scanId]);
  await client.query(
    `insert into scan_metric (scan_id, scope, metric, value) select $1, * from unnest($2::text[], $3::text[], $4::float8[])`,
    [scanId, metrics.map((m) => m.scope), metrics.map((m) => m.metric), metrics.map((m) => m.value)],
  );
  const overall = result.rollups.find((r) => r.scope === "overall")!;
  return {
    ...counts,
    bySeverity,
    workloads: overall.workloads,
    migrated: overall.migrated,
    written,
    durationMs: Date.now() - started,
    timings: { loadMs: loaded - started, computeMs: computed - loaded, writeMs: Date.now() - computed },
  };
}
