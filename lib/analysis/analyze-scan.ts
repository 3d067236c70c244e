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
const STAGE = "analysis_stage";

/**
 * Writes the analysis as versions. Rows go to a temporary table batch by batch (serialised once; the
 * database parses the JSON while the next batch is prepared), then a few set-based statements apply
 * them: a row whose content is unchanged writes nothing (content is compared as jsonb); a changed one
 * closes its current row and opens a new one that keeps `first_seen`; current rows not produced again
 * close.
 */
async function writeAnalysisVersions(client: pg.PoolClient, scanId: number, rows: Iterable<Row>) {
  let t0 = Date.now();
  await client.query(`drop table if exists pg_temp.${STAGE}`);
  await client.query(
    `create temp table ${STAGE} (seq bigserial, kind text, key text, subject text, rule text, severity text, state text, project text, cluster text,
       namespace text, gsa text, target text, data jsonb, hash text) on commit drop`,
  );
  // Not compressed here: the rows are compressed once, when they land in analysis_object.
  await client.query(`alter table pg_temp.${STAGE} alter column data set storage external`);
  let batch: Row[] = [];
  let pending: Promise<unknown>[] = [];
  // One JSON document per batch, unpacked by jsonb_to_recordset: no per-element array escaping on
  // this side, one fast parse on the database's. Each row is serialised once; its hash (what the
  // changes between scans compare) is taken from that text.
  const send = (c: Row[]) => {
    const parts = c.map((r) => {
      const json = JSON.stringify({ ...r, rule: r.rule ?? null, severity: r.severity ?? null, state: r.state ?? null, project: r.project ?? null, cluster: r.cluster ?? null, namespace: r.namespace ?? null, gsa: r.gsa ?? null, target: r.target ?? null });
      return `${json.slice(0, -1)},"hash":"${createHash("sha1").update(json).digest("hex")}"}`;
    });
    return client.query(
      `insert into ${STAGE} (kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, target, data, hash)
       select kind, key, subject, rule, severity, state, project, cluster, namespace, gsa, target, data, hash
       from jsonb_to_recordset($1::jsonb) as t(kind text, key text, subject text, rule text, severity text, state text, project text,
         cluster text, namespace text, gsa text, target text, data jsonb, hash text)`,
      [`[${parts.join(",")}]`],
    );
  };
  const queue = (c: Row[]) => {
    const p = send(c);
    p.catch(() => undefined); // awaited below; this keeps a later batch's failure from going unhandled
    pending.push(p);
  };
  // The first row produced for a key wins (a rule reports a subject once).
  const seen = new Set<string>();
  for (const r of rows) {
    const k = `${r.kind}\u0000${r.key}`;
    if (seen.has(k)) continue;
    seen.add(k);
    batch.push(r);
    if (batch.length >= BATCH) {
      queue(batch);
      batch = [];
      // At most two batches queued on the connection: memory stays flat, the database stays busy.
      if (pending.length >= 2) {
        await pending[0];
        pending = pending.slice(1);
      }
    }
  }
  if (batch.length) queue(batch);
  await Promise.all(pending);
  const lap = (what: string) => {
    log.debug(`analysis write: ${what} in ${Date.now() - t0} ms`);
    t0 = Date.now();
  };
  lap("staged");

  await client.query(`analyze pg_temp.${STAGE}`);
  lap("analysed");
  const cols = "subject, rule, severity, state, project, cluster, namespace, gsa, target, data";
  await client.query(`drop table if exists pg_temp.${STAGE}_closing`);
  await client.query(
    `create temp table ${STAGE}_closing on commit drop as
       select o.id, o.kind, o.key, o.first_seen, s.kind is not null as changed
         from analysis_object o left join pg_temp.${STAGE} s on s.kind = o.kind and s.key = o.key
        where o.valid_to is null
          and (s.kind is null or (o.subject, o.rule, o.severity, o.state, o.project, o.cluster, o.namespace, o.gsa, o.target, o.data)
                 is distinct from (s.subject, s.rule, s.severity, s.state, s.project, s.cluster, s.namespace, s.gsa, s.target, s.data))`,
  );
  lap("compared");
  const closed = await client.query(`update analysis_object o set valid_to = $1 from pg_temp.${STAGE}_closing c where o.id = c.id`, [scanId]);
  lap("closed");
  const inserted = await client.query(
    `insert into analysis_object (kind, key, ${cols}, hash, first_seen, valid_from)
     select s.kind, s.key, s.subject, s.rule, s.severity, s.state, s.project, s.cluster, s.namespace, s.gsa, s.target, s.data,
            s.hash,
            coalesce(c.first_seen, $1), $1
       from pg_temp.${STAGE} s
       left join pg_temp.${STAGE}_closing c on c.kind = s.kind and c.key = s.key and c.changed
      where not exists (select 1 from analysis_object o where o.kind = s.kind and o.key = s.key and o.valid_to is null)`,
    [scanId],
  );
  lap("inserted");
  const total = await client.query<{ n: number }>(`select count(*)::int as n from pg_temp.${STAGE}`);
  const ins = inserted.rowCount ?? 0;
  return { inserted: ins, closed: closed.rowCount ?? 0, unchanged: total.rows[0].n - ins };
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
