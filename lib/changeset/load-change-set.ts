/**
 * Reads what a change set is built from: the selected workloads' templates (inventory) and the
 * statuses and plans the last analysis stored for them (analyze-scan.ts), their clusters and legacy
 * pools, the KSAs that exist, the gsa-shared split proposals, and who else uses the keys and key
 * holders at stake. Nothing is re-analysed: the change set says what the pages say.
 */
import type { Db } from "../store/db";
import { notFound, badRequest } from "../api/problem";
import { parseSubject } from "../ids";
import { lastScan } from "../store/queries";
import type { PodSpecEssentials } from "../inventory/model";
import type { WorkloadStatus } from "../analysis/model";
import type { ChangeSetInput, CsCluster, CsSplit, CsUsage, CsWorkload, SelectionKind } from "./model";
import { SELECTION_KINDS } from "./model";
import { keyRemovalOf } from "./targets";

/** Checks a selection subject; the error names what is wrong. */
export function parseSelection(value: string | null): { kind: SelectionKind; subject: string; parts: string[] } {
  if (!value) throw badRequest(`Query parameter "subject" is required: workload:P/L/C/NS/KIND/NAME, namespace:P/L/C/NS, gsa:EMAIL or cluster:P/L/C`, { parameter: "subject" });
  const p = parseSubject(value);
  const shapes: Record<SelectionKind, RegExp> = {
    workload: /^[^/]+\/[^/]+\/[^/]+\/[^/]+\/[A-Za-z]+\/[^/]+$/,
    namespace: /^[^/]+\/[^/]+\/[^/]+\/[^/]+$/,
    gsa: /^[^@\s/]+@[^@\s/]+$/,
    cluster: /^[^/]+\/[^/]+\/[^/]+$/,
  };
  if (!p || !(SELECTION_KINDS as readonly string[]).includes(p.kind)) {
    throw badRequest(`Query parameter "subject" ("${value}") must be a workload:, namespace:, gsa: or cluster: subject`, { parameter: "subject" });
  }
  const kind = p.kind as SelectionKind;
  if (!shapes[kind].test(p.id)) {
    const form = { workload: "workload:PROJECT/LOCATION/CLUSTER/NAMESPACE/KIND/NAME", namespace: "namespace:PROJECT/LOCATION/CLUSTER/NAMESPACE", gsa: "gsa:EMAIL", cluster: "cluster:PROJECT/LOCATION/CLUSTER" }[kind];
    throw badRequest(`Query parameter "subject" ("${value}") is not a ${kind} subject (${form})`, { parameter: "subject" });
  }
  const subject = kind === "gsa" ? `gsa:${p.id.toLowerCase()}` : value;
  return { kind, subject, parts: subject.slice(kind.length + 1).split("/") };
}

type StatusRow = { subject: string; data: WorkloadStatus };

export async function loadChangeSetInput(db: Db, selection: string): Promise<ChangeSetInput> {
  const sel = parseSelection(selection);
  const q = <T extends object>(text: string, params: unknown[]) => db.pool.query<T & Record<string, unknown>>(text, params).then((r) => r.rows as T[]);
  const inventoryKind = sel.kind;
  const exists = await q<{ n: number }>(`select count(*)::int as n from inventory_object where valid_to is null and kind = $1 and subject = $2`, [inventoryKind, sel.subject]);
  let statuses: StatusRow[];
  const cols = `subject, data`;
  if (sel.kind === "workload") statuses = await q<StatusRow>(`select ${cols} from analysis_object where kind = 'workload-status' and valid_to is null and subject = $1`, [sel.subject]);
  else if (sel.kind === "cluster") statuses = await q<StatusRow>(`select ${cols} from analysis_object where kind = 'workload-status' and valid_to is null and cluster = $1 order by subject`, [sel.subject]);
  else if (sel.kind === "namespace") {
    statuses = await q<StatusRow>(`select ${cols} from analysis_object where kind = 'workload-status' and valid_to is null and cluster = $1 and namespace = $2 order by subject`, [
      `cluster:${sel.parts.slice(0, 3).join("/")}`,
      sel.parts[3],
    ]);
  } else {
    const email = sel.subject.slice(4);
    // Its users: workloads acting as it (key or link) and those its split proposal names.
    const split = await q<{ workloads: string[] }>(
      `select coalesce(array_agg(distinct w.x), '{}') as workloads from analysis_object o, jsonb_array_elements(o.data->'evidence'->'proposedSplit') e, regexp_split_to_table(e->>'workload', ', ') w(x)
        where o.kind = 'finding' and o.rule = 'gsa-shared' and o.valid_to is null and o.subject = $1`,
      [sel.subject],
    );
    statuses = await q<StatusRow>(
      `select ${cols} from analysis_object where kind = 'workload-status' and valid_to is null
         and (gsa = $1 or data->'identity'->'shares' @> $2::jsonb or subject = any($3::text[])) order by subject`,
      [email, JSON.stringify([{ identity: { email } }]), split[0]?.workloads ?? []],
    );
  }
  if (!exists[0].n && !statuses.length) throw notFound(`No ${sel.kind} ${sel.subject} in the current inventory`);

  const subjects = statuses.map((s) => s.subject);
  const inv = await q<{ subject: string; cluster: string; data: { namespace: string; kind: string; name: string; template: PodSpecEssentials } }>(
    `select subject, cluster, data from inventory_object where kind = 'workload' and valid_to is null and subject = any($1::text[])`,
    [subjects],
  );
  const invBy = new Map(inv.map((r) => [r.subject, r]));
  const workloads: CsWorkload[] = [];
  for (const s of statuses) {
    const w = invBy.get(s.subject);
    // A status without its workload record (gone since): its template is unknown, so nothing is patched.
    if (!w) continue;
    workloads.push({ subject: s.subject, cluster: w.cluster, namespace: w.data.namespace, kind: w.data.kind, name: w.data.name, template: w.data.template, status: s.data });
  }

  const clusterSubjects = [...new Set(workloads.map((w) => w.cluster))];
  const clusterRows = await q<{ subject: string; data: { projectId: string; location: string; name: string; workloadPool: string | null; autopilot: boolean } }>(
    `select subject, data from inventory_object where kind = 'cluster' and valid_to is null and subject = any($1::text[])`,
    [clusterSubjects],
  );
  const pools = await q<{ subject: string; cluster: string; name: string; workloads: number }>(
    `select p.subject, p.cluster, p.data->>'name' as name,
       (select count(*)::int from analysis_object s where s.kind = 'workload-summary' and s.valid_to is null and s.cluster = p.cluster and s.data->'nodePools' ? (p.data->>'name')) as workloads
     from inventory_object p where p.kind = 'nodepool' and p.valid_to is null and p.cluster = any($1::text[]) and not coalesce((p.data->>'servesGkeMetadata')::boolean, false) order by p.subject`,
    [clusterSubjects],
  );
  const clusters = new Map<string, CsCluster>();
  for (const c of clusterRows) {
    clusters.set(c.subject, {
      subject: c.subject,
      project: c.data.projectId,
      location: c.data.location,
      name: c.data.name,
      workloadPool: c.data.workloadPool ?? null,
      autopilot: !!c.data.autopilot,
      legacyPools: pools.filter((p) => p.cluster === c.subject).map((p) => ({ subject: p.subject, name: p.name, workloads: p.workloads })),
    });
  }
  const ksas = new Set(
    (await q<{ subject: string }>(`select subject from inventory_object where kind = 'ksa' and valid_to is null and cluster = any($1::text[])`, [clusterSubjects])).map((r) => r.subject),
  );

  // The accounts the selection uses now, for their split proposals.
  const emails = new Set<string>();
  for (const w of workloads) for (const sh of w.status.identity.shares) if ((sh.identity.type === "key-file" || sh.identity.type === "workload-identity") && sh.identity.email) emails.add(sh.identity.email.toLowerCase());
  if (sel.kind === "gsa") emails.add(sel.subject.slice(4));
  const splitRows = await q<{ subject: string; evidence: { proposedSplit?: { workload: string; gsa: string; ksa: string }[]; rolesToNarrow?: { resource: string; role: string }[] } }>(
    `select subject, data->'evidence' as evidence from analysis_object where kind = 'finding' and rule = 'gsa-shared' and valid_to is null and state = 'open' and subject = any($1::text[])`,
    [[...emails].map((e) => `gsa:${e}`)],
  );
  const splits = new Map<string, CsSplit>();
  for (const r of splitRows) {
    const email = r.subject.slice(4);
    const users = await q<{ n: number }>(`select count(*)::int as n from analysis_object where kind = 'workload-status' and valid_to is null and data->'identity'->'shares' @> $1::jsonb`, [JSON.stringify([{ identity: { email } }])]);
    splits.set(email, {
      email,
      entries: (r.evidence.proposedSplit ?? []).map((e) => ({ gsa: e.gsa, ksa: e.ksa, workloads: e.workload.split(", ") })),
      roles: (r.evidence.rolesToNarrow ?? []).map((x) => ({ resource: x.resource, role: x.role })),
      users: users[0].n,
    });
  }

  // Who else uses the keys and key holders at stake (by identity, over the whole estate).
  const usage = new Map<string, CsUsage>();
  const keyIds = new Map<string, { email: string; keyId: string }>();
  const holders = new Set<string>();
  for (const w of workloads) {
    for (const h of keyRemovalOf(w)?.holders ?? []) holders.add(h);
    for (const sh of w.status.identity.shares) {
      const id = sh.identity;
      if (id.type === "key-file" && id.email && id.keyId) keyIds.set(`key:${id.email}/${id.keyId}`, { email: id.email, keyId: id.keyId });
      if (id.type === "key-file" || id.type === "credential-file") holders.add(id.secret);
    }
  }
  for (const [subject, k] of keyIds) {
    const users = await q<{ subject: string }>(`select subject from analysis_object where kind = 'workload-status' and valid_to is null and data->'identity'->'shares' @> $1::jsonb order by subject`, [
      JSON.stringify([{ identity: { type: "key-file", email: k.email, keyId: k.keyId } }]),
    ]);
    usage.set(subject, { users: users.map((u) => u.subject) });
  }
  for (const h of holders) {
    const users = await q<{ subject: string }>(`select subject from analysis_object where kind = 'workload-status' and valid_to is null and data->'identity'->'shares' @> $1::jsonb order by subject`, [
      JSON.stringify([{ identity: { secret: h } }]),
    ]);
    usage.set(h, { users: users.map((u) => u.subject) });
  }

  const scan = await lastScan(db, { applied: true });
  const name = sel.kind === "gsa" ? sel.subject.slice(4).split("@")[0] : sel.parts[sel.parts.length - 1];
  return {
    selection: sel.subject,
    name: name.replace(/[^A-Za-z0-9._-]/g, "_"),
    scan: scan ? { id: scan.id, at: new Date(scan.startedAt).toISOString() } : null,
    workloads,
    clusters,
    ksas,
    splits,
    usage,
  };
}
