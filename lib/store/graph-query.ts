/**
 * Walking the stored graph for a view: the neighbourhood of a focus N hops out, or — with no focus —
 * an overview of clusters and the most shared GSAs. Never more than the screen can show: in-cluster
 * nodes are grouped by namespace (or cluster) when a group is large, groups expand on demand, and a
 * hard cap keeps every view at or under MAX_NODES drawn nodes, saying what it left out.
 */
import type { Db } from "./db";
import { matchesAny, type Filters } from "../api/filters";
import type { GraphEdge, GraphNode, GraphState } from "../analysis/graph";
import { badRequest } from "../api/problem";
import { scopeLabels } from "../analysis/graph-scope";

export const MAX_NODES = 300;
/** Walking stops adding nodes beyond this many (before grouping), so a view stays fast on any estate. */
const WALK_LIMIT = 20_000;
/**
 * A ring of more new nodes than this is shown (grouped) but not walked further: around a shared
 * account with thousands of KSAs, the next hop would reach tens of thousands of nodes that no
 * screen can show, and the view says so.
 */
const RING_LIMIT = 1_500;
/**
 * Hubs are shown when reached but not walked through (unless they are the focus): otherwise one
 * project or node pool would pull in every account and workload attached to it.
 */
const HUBS = new Set(["project", "folder", "organization", "cluster", "nodepool", "namespace"]);
const kindOf = (id: string) => id.slice(0, id.indexOf(":"));

export type GroupBy = "namespace" | "cluster" | "none";

export type ViewNode = GraphNode & {
  /** For group nodes: how many nodes it stands for, and of what kind. */
  group?: { members: number; memberKind: string; key: string };
  /** Hops from the focus (0 = the focus). */
  distance?: number;
  /** Whether a rule/severity/q filter highlights it. */
  highlighted?: boolean;
  /**
   * Where it is, when its name repeats in the view (two namespaces `payments`, KSAs `default`): the
   * shortest scope that tells it apart, e.g. `prod/asia-northeast1`. Drawn as `label · scope`.
   */
  scope?: string;
};
export type ViewEdge = GraphEdge & { count?: number };

export type GraphView = {
  focus: string | null;
  hops: number;
  group: GroupBy;
  expand: string[];
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Nodes reached before grouping, and what the view left out to stay readable. */
  reached: number;
  notice: string | null;
};

export type GraphParams = { focus?: string; hops: number; group: GroupBy; expand: string[]; filters: Filters };

const STATE_RANK: Record<GraphState, number> = { broken: 5, ghost: 4, legacy: 3, broad: 2, ok: 1, info: 0 };
const worse = (a: GraphState, b: GraphState) => (STATE_RANK[a] >= STATE_RANK[b] ? a : b);

export function parseGraphParams(params: URLSearchParams, filters: Filters): GraphParams {
  const hopsRaw = params.get("hops");
  const hops = hopsRaw ? Number(hopsRaw) : 2;
  if (!Number.isInteger(hops) || hops < 1 || hops > 4) throw badRequest(`Query parameter "hops" ("${hopsRaw}") must be 1, 2, 3 or 4`, { parameter: "hops" });
  const group = (params.get("group") ?? "namespace") as GroupBy;
  if (!["namespace", "cluster", "none"].includes(group)) throw badRequest(`Query parameter "group" ("${group}") must be namespace, cluster or none`, { parameter: "group" });
  // One GSA filter focuses on it; several only filter (a graph has one focus).
  const focus = params.get("focus")?.trim() || (filters.gsa?.length === 1 ? `gsa:${filters.gsa[0]}` : undefined);
  if (focus && !/^[a-z]+:.+/.test(focus)) throw badRequest(`Query parameter "focus" ("${focus}") must be a subject such as gsa:EMAIL`, { parameter: "focus" });
  const expand = (params.get("expand") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return { focus, hops, group, expand, filters };
}

/** A stored graph row as a node or edge: the row's columns plus the little its data holds. */
const EDGE_COLS = `key as id, subject as src, target as dst, data->>'kind' as kind, state, data->>'label' as label`;
const NODE_COLS = `key as id, data->>'kind' as kind, data->>'label' as label, project, cluster, namespace, state, data->>'detail' as detail`;
/**
 * What a walk reads of an edge: its ends, kind and state, and the row's id to tell parallel edges
 * apart — not its key or label, which only the few edges finally drawn need (read by `rid` at the
 * end). Around a shared account a walk meets thousands of edges that grouping merges into dozens.
 */
const WALK_EDGE_COLS = `null::text as id, subject as src, target as dst, data->>'kind' as kind, state, null::text as label, id::text as rid`;
/** What grouping and filtering read of a node (the label only for a text filter); label and detail are read for the nodes drawn. */
const lightNodeCols = (withLabel: boolean) => `key as id, data->>'kind' as kind, ${withLabel ? "data->>'label'" : "null::text"} as label, project, cluster, namespace, state, null::text as detail`;

/**
 * An edge as the view handles it. A walked edge carries its row id (`rid`) and no key or label
 * (null) until it is drawn; the overview's edges are complete and carry no `rid`.
 */
type WorkEdge = Omit<GraphEdge, "id" | "label"> & { id: string | null; label: string | null; rid?: string; count?: number };

/**
 * Which edges a walk from a key follows, from the node it stands on: only what reaches the key — its
 * GSA, the Secrets holding it, the workloads mounting those, their KSAs, node pools, namespaces and
 * clusters. Never onwards from the GSA (its other keys and users are not this key's) nor down from a
 * namespace or cluster (their other workloads do not reach it).
 */
export function followFromKey(from: string, e: { src: string; dst: string; kind: string }): boolean {
  const out = e.src === from;
  switch (kindOf(from)) {
    case "key":
      return (!out && e.kind === "key-of") || (out && e.kind === "key-in-secret");
    case "secret":
      return (out && e.kind === "secret-mounted") || (!out && e.kind === "contains");
    case "workload":
      return (out && (e.kind === "runs-as" || e.kind === "runs-on")) || (!out && e.kind === "contains");
    case "ksa":
    case "namespace":
    case "nodepool":
      return !out && e.kind === "contains";
    default:
      return false;
  }
}
/** Hops a key's walk may need: key → Secret → workload → namespace → cluster. */
const KEY_HOPS = 4;

async function walk(db: Db, focus: string, hops: number, follow?: (from: string, e: { src: string; dst: string; kind: string }) => boolean, ringLimit = RING_LIMIT): Promise<{ nodes: Map<string, number>; edges: WorkEdge[]; cut: { hop: number; reached: number } | null }> {
  const dist = new Map<string, number>([[focus, 0]]);
  const edges = new Map<string, WorkEdge & { rid: string }>();
  let frontier = [focus];
  let cut: { hop: number; reached: number } | null = null;
  // Hubs reached downwards (cluster → namespace → its KSAs) are walked; hubs reached upwards are not.
  const down = new Set<string>();
  // The frontier walked before this one: every edge touching it has been read already.
  let previous: string[] = [];
  for (let h = 1; h <= hops && frontier.length; h++) {
    const front = new Set(frontier);
    // Each edge once: not again from its other end when both ends are on the frontier, and not the
    // edges back to the previous frontier (around a hub, every node's edge back to it).
    const r = await db.pool.query<WorkEdge & { rid: string }>(
      `select ${WALK_EDGE_COLS} from analysis_object where kind = 'graph-edge' and valid_to is null and subject = any($1::text[]) and not (target = any($2::text[]))
       union all
       select ${WALK_EDGE_COLS} from analysis_object where kind = 'graph-edge' and valid_to is null and target = any($1::text[]) and not (subject = any($1::text[]) or subject = any($2::text[]))`,
      [frontier, previous],
    );
    previous = frontier;
    const next: string[] = [];
    for (const e of r.rows) {
      edges.set(e.rid, e);
      if (e.kind === "contains" && front.has(e.src)) down.add(e.dst);
      // A guided walk adds the far end only along the edges it follows (from a frontier end).
      if (follow && !((front.has(e.src) && follow(e.src, e)) || (front.has(e.dst) && follow(e.dst, e)))) continue;
      if (!dist.has(e.src) && dist.size < WALK_LIMIT) {
        dist.set(e.src, h);
        next.push(e.src);
      }
      if (!dist.has(e.dst) && dist.size < WALK_LIMIT) {
        dist.set(e.dst, h);
        next.push(e.dst);
      }
    }
    frontier = follow ? next : next.filter((id) => !HUBS.has(kindOf(id)) || down.has(id));
    if (next.length > ringLimit && h < hops) {
      cut = { hop: h, reached: next.length };
      break;
    }
  }
  // Keep only edges between reached nodes.
  return { nodes: dist, edges: [...edges.values()].filter((e) => dist.has(e.src) && dist.has(e.dst)), cut };
}

async function overviewGraph(db: Db): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }> {
  const top = await db.pool.query<{ gsa: string }>(
    `select gsa from analysis_object where kind = 'gsa-usage' and valid_to is null and (data->>'score')::int > 0 order by (data->>'score')::int desc, gsa limit 40`,
  );
  const gsaIds = top.rows.map((r) => `gsa:${r.gsa}`);
  const clusterNodes = await db.pool.query<GraphNode>(`select ${NODE_COLS} from analysis_object where kind = 'graph-node' and valid_to is null and data->>'kind' in ('cluster', 'project')`);
  const gsaNodes = await db.pool.query<GraphNode>(`select ${NODE_COLS} from analysis_object where kind = 'graph-node' and valid_to is null and key = any($1::text[])`, [gsaIds]);
  // Cluster → GSA: how many workloads there act as it (effective identity), and the worst state.
  const usage = await db.pool.query<{ cluster: string; gsa: string; state: GraphState; n: number }>(
    `select w.cluster, e.target as gsa, e.state, count(*)::int as n
     from analysis_object e join analysis_object w on w.kind = 'graph-node' and w.valid_to is null and w.key = e.subject
     where e.kind = 'graph-edge' and e.valid_to is null and e.data->>'kind' = 'effective-identity' and e.target = any($1::text[])
     group by 1, 2, 3`,
    [gsaIds],
  );
  const agg = new Map<string, GraphEdge & { count: number }>();
  for (const u of usage.rows) {
    const id = `uses|${u.cluster}|${u.gsa}`;
    const cur = agg.get(id);
    if (cur) {
      cur.count += u.n;
      cur.state = worse(cur.state, u.state);
      cur.label = `${cur.count} workloads`;
    } else agg.set(id, { id, src: u.cluster, dst: u.gsa, kind: "effective-identity", state: u.state, label: `${u.n} workload${u.n === 1 ? "" : "s"}`, count: u.n });
  }
  // Basic/admin roles held by those GSAs ('broken' is how graphs stored before they were 'broad' say it).
  const roles = await db.pool.query<GraphEdge>(
    `select ${EDGE_COLS} from analysis_object where kind = 'graph-edge' and valid_to is null and data->>'kind' = 'holds-role' and state in ('broad', 'broken') and subject = any($1::text[])`,
    [gsaIds],
  );
  const projectIds = new Set(clusterNodes.rows.map((r) => r.id));
  return {
    nodes: [...clusterNodes.rows, ...gsaNodes.rows],
    edges: [...agg.values(), ...roles.rows.filter((e) => projectIds.has(e.dst))],
  };
}

const GROUPED = new Set(["ksa", "workload", "secret"]);
function groupKey(n: GraphNode, by: GroupBy): string | null {
  if (by === "none" || !n.cluster || !GROUPED.has(n.kind)) return null;
  return by === "namespace" && n.namespace ? `${n.cluster.slice(8)}/${n.namespace}` : n.cluster.slice(8);
}

/** Collapses in-cluster nodes into groups of `by` when a group has more than `threshold` members. */
function applyGrouping(nodes: ViewNode[], edges: WorkEdge[], by: GroupBy, threshold: number, expand: Set<string>, keep: Set<string>) {
  const groups = new Map<string, ViewNode[]>();
  for (const n of nodes) {
    const g = groupKey(n, by);
    if (!g || keep.has(n.id) || expand.has(g)) continue;
    const k = `${g}|${n.kind}`;
    const members = groups.get(k);
    if (members) members.push(n);
    else groups.set(k, [n]);
  }
  const memberOf = new Map<string, string>();
  const groupNodes: ViewNode[] = [];
  for (const [k, members] of groups) {
    if (members.length <= threshold) continue;
    const [g, kind] = k.split("|");
    const id = `group:${by}:${g}:${kind}`;
    for (const m of members) memberOf.set(m.id, id);
    const state = members.reduce<GraphState | null>((s, m) => (m.state ? (s ? worse(s, m.state) : m.state) : s), null);
    const sample = members[0];
    groupNodes.push({
      id,
      kind: sample.kind,
      label: `${members.length} ${kind === "ksa" ? "KSAs" : kind === "secret" ? "Secrets" : "workloads"} · ${by === "namespace" ? `${sample.namespace} (${sample.cluster!.split("/").pop()})` : sample.cluster!.slice(8)}`,
      project: sample.project,
      cluster: sample.cluster,
      namespace: by === "namespace" ? sample.namespace : null,
      state,
      detail: `Collapsed: click to expand ${members.length} ${kind}s`,
      group: { members: members.length, memberKind: kind, key: g },
      distance: members.reduce((d, m) => Math.min(d, m.distance ?? 9), 9),
      highlighted: members.some((m) => m.highlighted),
    });
  }
  if (!memberOf.size) return { nodes, edges: () => edges };
  const outNodes = [...nodes.filter((n) => !memberOf.has(n.id)), ...groupNodes];
  // The edges are merged only for the grouping finally drawn (several are tried on a big view).
  return { nodes: outNodes, edges: () => mergeEdges(edges, memberOf) };
}

function mergeEdges(edges: WorkEdge[], memberOf: Map<string, string>): WorkEdge[] {
  const merged = new Map<string, WorkEdge>();
  for (const e of edges) {
    const src = memberOf.get(e.src) ?? e.src;
    const dst = memberOf.get(e.dst) ?? e.dst;
    if (src === dst) continue;
    const id = `${e.kind}|${src}|${dst}`;
    const cur = merged.get(id);
    if (cur) {
      cur.count = (cur.count ?? 1) + 1;
      cur.state = worse(cur.state, e.state);
      cur.label = `${e.kind.replace(/-/g, " ")} ×${cur.count}`;
    } else merged.set(id, { ...e, id, src, dst, count: 1 });
  }
  return [...merged.values()];
}

/** How a view is computed; the defaults are the product's (tests compare the two ways of drawing a ring). */
export type GraphOptions = {
  /** A ring of more new nodes than this is not walked further (RING_LIMIT). */
  ringLimit?: number;
  /** Whether a large ring around the focus is summed in SQL (summedRing) rather than read node by node. */
  sumRing?: boolean;
};

export async function graphView(db: Db, p: GraphParams, opts: GraphOptions = {}): Promise<GraphView> {
  const ringLimit = opts.ringLimit ?? RING_LIMIT;
  let nodes: ViewNode[];
  let edges: WorkEdge[];
  let cutNotice: string | null = null;
  if (p.focus) {
    const exists = await db.pool.query(`select 1 from analysis_object where kind = 'graph-node' and valid_to is null and key = $1`, [p.focus]);
    if (!exists.rowCount) throw badRequest(`Nothing in the graph is ${p.focus}; search for it, or check it was in the last scan`, { parameter: "focus" });
    if (opts.sumRing !== false && kindOf(p.focus) !== "key") {
      const summed = await summedRing(db, p, ringLimit);
      if (summed) return drawView(db, p, summed.view, summed.reached, summed.notice, summed.cutNotice);
    }
    // A key is drawn with what reaches it (who holds and mounts it), whatever the hops: its GSA's other
    // users are that account's story, reached by focusing the GSA.
    const w = kindOf(p.focus) === "key" ? await walk(db, p.focus, KEY_HOPS, followFromKey) : await walk(db, p.focus, p.hops, undefined, ringLimit);
    // Light rows: what filters and grouping need. Labels only when a text filter matches on them.
    const r = await db.pool.query<GraphNode>(`select ${lightNodeCols(!!p.filters.q)} from analysis_object where kind = 'graph-node' and valid_to is null and key = any($1::text[])`, [[...w.nodes.keys()]]);
    nodes = r.rows as ViewNode[];
    for (const n of nodes) n.distance = w.nodes.get(n.id);
    edges = w.edges;
    if (w.cut) cutNotice = `${w.cut.reached.toLocaleString("en-US")} nodes are ${w.cut.hop} hop${w.cut.hop > 1 ? "s" : ""} away, so the view stops there; focus on one of them to go further.`;
  } else {
    const o = await overviewGraph(db);
    nodes = o.nodes;
    edges = o.edges;
  }
  const reached = nodes.length;
  // Filters: in-cluster nodes outside the project/cluster/namespace asked for are left out.
  const f = p.filters;
  if (f.project?.length || f.cluster?.length || f.namespace?.length) nodes = nodes.filter(
    (n) =>
      n.id === p.focus ||
      ((!n.cluster || matchesAny(f.project, n.project)) && (!n.cluster || matchesAny(f.cluster, n.cluster)) && (!n.namespace || matchesAny(f.namespace, n.namespace))),
  );
  // rule / severity / state / q highlight what matches.
  if (f.rule?.length || f.severity?.length || f.q) {
    const hits = new Set<string>();
    if (f.rule?.length || f.severity?.length) {
      const r = await db.pool.query<{ subject: string }>(
        `select distinct subject from analysis_object where kind = 'finding' and valid_to is null and ($1::text[] is null or rule = any($1::text[])) and ($2::text[] is null or severity = any($2::text[])) and subject = any($3::text[])`,
        [f.rule?.length ? f.rule : null, f.severity?.length ? f.severity : null, nodes.map((n) => n.id)],
      );
      for (const x of r.rows) hits.add(x.subject);
    }
    for (const n of nodes) {
      const textHit = f.q ? `${n.id} ${n.label}`.toLowerCase().includes(f.q.toLowerCase()) : true;
      const ruleHit = f.rule?.length || f.severity?.length ? hits.has(n.id) : true;
      if (textHit && ruleHit) n.highlighted = true;
    }
  }
  const ids = new Set(nodes.map((n) => n.id));
  edges = edges.filter((e) => ids.has(e.src) && ids.has(e.dst));

  // Aggregate until the view fits: groups of more than 6, then of any size, then by cluster.
  const keep = new Set([p.focus ?? ""]);
  const expand = new Set(p.expand);
  let view = { nodes, edges };
  let notice: string | null = null;
  if (p.group !== "none") {
    let g = applyGrouping(nodes, edges, p.group, 6, expand, keep);
    if (g.nodes.length > MAX_NODES) g = applyGrouping(nodes, edges, p.group, 1, expand, keep);
    if (g.nodes.length > MAX_NODES && p.group === "namespace") {
      g = applyGrouping(nodes, edges, "cluster", 1, expand, keep);
      notice = "Grouped by cluster to stay readable.";
    }
    view = { nodes: g.nodes, edges: g.edges() };
  }
  return drawView(db, p, view, reached, notice, cutNotice);
}

/** The view as drawn from its grouped nodes and edges: cut to MAX_NODES, labels read, scopes given. */
async function drawView(db: Db, p: GraphParams, view: { nodes: ViewNode[]; edges: WorkEdge[] }, reached: number, notice: string | null, cutNotice: string | null): Promise<GraphView> {
  if (view.nodes.length > MAX_NODES) {
    // Still too many: keep the nearest, say so.
    const sorted = [...view.nodes].sort((a, b) => (a.distance ?? 0) - (b.distance ?? 0) || (a.id < b.id ? -1 : 1));
    const kept = new Set(sorted.slice(0, MAX_NODES).map((n) => n.id));
    notice = `${view.nodes.length - MAX_NODES} more nodes are not shown; narrow the view (fewer hops, a filter) to see them.`;
    view = { nodes: sorted.slice(0, MAX_NODES), edges: view.edges.filter((e) => kept.has(e.src) && kept.has(e.dst)) };
  }
  if (cutNotice) notice = notice ? `${cutNotice} ${notice}` : cutNotice;
  const drawn = await completeDrawn(db, p.focus ? view.nodes.filter((n) => !n.group) : [], view.edges);
  const scopes = scopeLabels(view.nodes);
  for (const n of view.nodes) if (scopes.has(n.id)) n.scope = scopes.get(n.id);
  return { focus: p.focus ?? null, hops: p.hops, group: p.group, expand: p.expand, nodes: view.nodes, edges: drawn, reached, notice };
}

/**
 * Reads what only drawn things need: the label and detail of the walked nodes drawn as themselves,
 * and the key and label of the walked edges drawn as themselves (a merged edge's label is its count).
 * Returns the edges as drawn, without their row ids.
 */
async function completeDrawn(db: Db, nodes: ViewNode[], edges: WorkEdge[]): Promise<ViewEdge[]> {
  const open = edges.filter((e) => e.rid !== undefined && e.label === null);
  const [nodeRows, edgeRows] = await Promise.all([
    nodes.length
      ? db.pool.query<{ id: string; label: string; detail: string }>(
          `select key as id, data->>'label' as label, data->>'detail' as detail from analysis_object where kind = 'graph-node' and valid_to is null and key = any($1::text[])`,
          [nodes.map((n) => n.id)],
        )
      : null,
    open.length
      ? db.pool.query<{ rid: string; id: string; label: string }>(`select id::text as rid, key as id, data->>'label' as label from analysis_object where id = any($1::bigint[])`, [open.map((e) => e.rid)])
      : null,
  ]);
  if (nodeRows) {
    const byId = new Map(nodeRows.rows.map((r) => [r.id, r]));
    for (const n of nodes) {
      const r = byId.get(n.id);
      if (r) {
        n.label = r.label;
        n.detail = r.detail;
      }
    }
  }
  const byRid = new Map(edgeRows?.rows.map((r) => [r.rid, r]));
  return edges.map((e) => {
    const r = e.rid !== undefined ? byRid.get(e.rid) : undefined;
    const out: ViewEdge = { id: e.id ?? r?.id ?? "", src: e.src, dst: e.dst, kind: e.kind, state: e.state, label: e.label ?? r?.label ?? "" };
    if (e.count !== undefined) out.count = e.count;
    return out;
  });
}

/** GraphML for other graph tools (yEd, Gephi, Cytoscape). */
export function toGraphML(v: GraphView): string {
  const esc = (s: unknown) => String(s ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const nodeKeys = ["kind", "label", "state", "project", "cluster", "namespace", "detail", "scope"];
  const edgeKeys = ["kind", "state", "label"];
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">`,
    ...nodeKeys.map((k) => `  <key id="n_${k}" for="node" attr.name="${k}" attr.type="string"/>`),
    ...edgeKeys.map((k) => `  <key id="e_${k}" for="edge" attr.name="${k}" attr.type="string"/>`),
    `  <graph id="wi-atlas" edgedefault="directed">`,
    ...v.nodes.map((n) => `    <node id="${esc(n.id)}">${nodeKeys.map((k) => `<data key="n_${k}">${esc((n as Record<string, unknown>)[k])}</data>`).join("")}</node>`),
    ...v.edges.map((e) => `    <edge id="${esc(e.id)}" source="${esc(e.src)}" target="${esc(e.dst)}">${edgeKeys.map((k) => `<data key="e_${k}">${esc((e as Record<string, unknown>)[k])}</data>`).join("")}</edge>`),
    `  </graph>`,
    `</graphml>`,
  ];
  return lines.join("\n") + "\n";
}

/** A state's STATE_RANK in SQL (null for a state the rank does not know). */
const RANK_SQL = (x: string) => `(case ${x} ${Object.entries(STATE_RANK).map(([s, r]) => `when '${s}' then ${r}`).join(" ")} end)`;
const STATE_OF_RANK = new Map(Object.entries(STATE_RANK).map(([s, r]) => [r, s as GraphState]));

/** The focus's edges (far end, direction, kind, state) and the far ends' light rows, as CTEs of one query ($1 = the focus). */
const RING_CTES = `with e as materialized (
    select id, target as far, true as outward, data->>'kind' as ek, state from analysis_object where kind = 'graph-edge' and valid_to is null and subject = $1
    union all
    select id, subject as far, false as outward, data->>'kind' as ek, state from analysis_object where kind = 'graph-edge' and valid_to is null and target = $1 and subject <> $1
  ),
  n as materialized (
    select key, data->>'kind' as nk, project, cluster, namespace, state, (data->>'kind' in (${[...GROUPED].map((k) => `'${k}'`).join(", ")}) and cluster is not null) as grp
    from analysis_object where kind = 'graph-node' and valid_to is null and key in (select far from e where far <> $1)
  )`;

/** Ring nodes that may be grouped, summed per kind, cluster and namespace (one bucket). */
type Bucket = { nk: string; cluster: string; namespace: string | null; n: number; rank: number | null; minKey: string; project: string | null };
type RingRow = {
  t: "ring" | "stat" | "bucket" | "node" | "bedge" | "edge";
  n: number;
  /** A node's key, or an edge's row id. */
  id: string | null;
  far: string | null;
  ek: string | null;
  outward: boolean | null;
  nk: string | null;
  project: string | null;
  cluster: string | null;
  namespace: string | null;
  state: GraphState | null;
  rank: number | null;
  unknown: number;
};

/**
 * The view of a focus whose walk stops at its first ring (more than `ringLimit` nodes one hop away, or
 * one hop asked), summed in SQL: the ring's groupable nodes (KSAs, workloads, Secrets in a cluster)
 * come back as counts per kind, cluster and namespace, and their edges to the focus as counts per
 * edge kind, direction and bucket — dozens of rows instead of one per neighbour and per edge (a shared
 * account has thousands). Only nodes drawn as themselves are read one by one. Returns null where the
 * walk is needed (a smaller ring, filters that look at single nodes, no grouping, a ring that groups
 * nothing): graphView then walks, and draws the same view as this.
 */
async function summedRing(db: Db, p: GraphParams, ringLimit: number): Promise<{ view: { nodes: ViewNode[]; edges: WorkEdge[] }; reached: number; notice: string | null; cutNotice: string | null } | null> {
  const f = p.filters;
  if (p.group === "none" || f.project?.length || f.cluster?.length || f.namespace?.length || f.rule?.length || f.severity?.length || f.q) return null;
  const focus = p.focus!;
  const cols = (c: Partial<Record<keyof RingRow, string>>) =>
    (["t", "n", "id", "far", "ek", "outward", "nk", "project", "cluster", "namespace", "state", "rank", "unknown"] as const)
      .map((k) => `${c[k] ?? (k === "n" || k === "rank" || k === "unknown" ? "null::int" : k === "outward" ? "null::boolean" : "null::text")} as ${k}`)
      .join(", ");
  const unknownRank = (x: string) => `(count(*) filter (where ${x} is not null and ${RANK_SQL(x)} is null))::int`;
  // Buckets (and their edges to the focus) per kind and cluster, or per kind, cluster and namespace.
  const bucketSql = (level: "namespace" | "cluster") => {
    const ns = level === "namespace" ? "namespace" : "null::text";
    const nns = level === "namespace" ? "n.namespace" : "null::text";
    return `select ${cols({ t: "'bucket'", n: "count(*)::int", id: "min(key)", nk: "nk", project: "(array_agg(project order by key))[1]", cluster: "cluster", namespace: ns, rank: `max(${RANK_SQL("state")})`, unknown: unknownRank("state") })}
      from n where grp group by nk, cluster${level === "namespace" ? ", namespace" : ""}
    union all
    select ${cols({ t: "'bedge'", n: "count(*)::int", id: "min(e.id)::text", ek: "e.ek", outward: "e.outward", nk: "n.nk", cluster: "n.cluster", namespace: nns, rank: `max(${RANK_SQL("e.state")})` })}
      from e join n on n.key = e.far where n.grp group by e.ek, e.outward, n.nk, n.cluster${level === "namespace" ? ", n.namespace" : ""}`;
  };
  // How many nodes each grouping would leave (applyGrouping's count, without the single nodes), so that
  // only the buckets of the grouping chosen come back: around a shared account, a few per cluster.
  const statSql = `select ${cols({ t: "'stat'", id: "lv", n: "sum(case when g = any($2::text[]) then m when m > 6 then 1 else m end)::int", rank: "sum(case when g = any($2::text[]) then m when m > 1 then 1 else m end)::int" })}
      from (select lv, g, nk, sum(m) as m from (
        select nk, substr(cluster, 9) as cl, case when namespace is not null then substr(cluster, 9) || '/' || namespace else substr(cluster, 9) end as ns, count(*) as m from n where grp group by nk, cluster, namespace
      ) b cross join lateral (values ('namespace', b.ns), ('cluster', b.cl)) as l(lv, g) group by lv, g, nk) x group by lv`;
  const r = await db.pool.query<RingRow>(
    `${RING_CTES}
    select ${cols({ t: "'ring'", n: "(select count(*) from (select distinct far from e where far <> $1) d)::int", unknown: `(select ${unknownRank("state")} from e)` })}
    union all
    ${statSql}
    union all
    select ${cols({ t: "'node'", n: "0", id: "key", nk: "nk", project: "project", cluster: "cluster", namespace: "namespace", state: "state" })} from n where not grp
    union all
    select ${cols({ t: "'node'", n: "0", id: "key", nk: "data->>'kind'", project: "project", cluster: "cluster", namespace: "namespace", state: "state" })}
      from analysis_object where kind = 'graph-node' and valid_to is null and key = $1
    union all
    select ${cols({ t: "'edge'", n: "0", id: "e.id::text", far: "e.far", ek: "e.ek", outward: "e.outward", state: "e.state" })} from e join n on n.key = e.far where not n.grp
    union all
    ${bucketSql("cluster")}`,
    [focus, p.expand],
  );
  const ring = r.rows.find((x) => x.t === "ring")!;
  // The walk's own limits: a ring it would walk on, or cap, is its to draw; and a state the rank does
  // not know merges in the walk's own way.
  if (ring.n <= ringLimit && p.hops > 1) return null;
  if (ring.n + 1 >= WALK_LIMIT || r.rows.some((x) => x.unknown > 0)) return null;
  const single = r.rows.filter((x) => x.t === "node").length;
  // graphView's order of tries: groups of more than 6, then of any size, then (namespace) by cluster.
  const stat = (lv: string, threshold: number) => {
    const x = r.rows.find((y) => y.t === "stat" && y.id === lv);
    return single + (x ? (threshold === 6 ? x.n : x.rank!) : 0);
  };
  let chosen: { by: GroupBy; threshold: number } = { by: p.group, threshold: 6 };
  if (stat(p.group, 6) > MAX_NODES) chosen = { by: p.group, threshold: 1 };
  if (stat(p.group, 1) > MAX_NODES && p.group === "namespace") chosen = { by: "cluster", threshold: 1 };
  let bucketRows = r.rows;
  if (chosen.by === "namespace") bucketRows = (await db.pool.query<RingRow>(`${RING_CTES} ${bucketSql("namespace")}`, [focus])).rows;
  const buckets: Bucket[] = bucketRows.filter((x) => x.t === "bucket").map((x) => ({ nk: x.nk!, cluster: x.cluster!, namespace: x.namespace, n: x.n, rank: x.rank, minKey: x.id!, project: x.project }));
  if (bucketRows.some((x) => x.unknown > 0)) return null;
  const keyOf = (b: { cluster: string; namespace: string | null }, by: GroupBy) => (by === "namespace" && b.namespace ? `${b.cluster.slice(8)}/${b.namespace}` : b.cluster.slice(8));
  const expand = new Set(p.expand);
  // applyGrouping on the buckets: which groups collapse, and how many nodes the view then has.
  const tryGrouping = (by: GroupBy, threshold: number) => {
    const groups = new Map<string, { g: string; kind: string; members: number; rank: number | null; minKey: string; first: Bucket; buckets: Bucket[] }>();
    for (const b of buckets) {
      const g = keyOf(b, by);
      if (expand.has(g)) continue;
      const k = `${g}|${b.nk}`;
      const cur = groups.get(k);
      if (!cur) groups.set(k, { g, kind: b.nk, members: b.n, rank: b.rank, minKey: b.minKey, first: b, buckets: [b] });
      else {
        cur.members += b.n;
        cur.rank = cur.rank === null ? b.rank : b.rank === null ? cur.rank : Math.max(cur.rank, b.rank);
        if (b.minKey < cur.minKey) (cur.minKey = b.minKey), (cur.first = b);
        cur.buckets.push(b);
      }
    }
    const collapsed = [...groups.values()].filter((x) => x.members > threshold);
    const inGroups = collapsed.reduce((s, x) => s + x.members, 0);
    const total = buckets.reduce((s, b) => s + b.n, 0);
    return { by, collapsed, count: single + total - inGroups + collapsed.length };
  };
  const g = tryGrouping(chosen.by, chosen.threshold);
  // The counts SQL gave and the buckets' own must agree (they are the same rows, summed twice).
  if (g.count !== stat(chosen.by, chosen.threshold)) throw new Error(`graph: the ring's grouping counted ${g.count} nodes, its summary ${stat(chosen.by, chosen.threshold)}`);
  const notice = chosen.by !== p.group ? "Grouped by cluster to stay readable." : null;
  if (!g.collapsed.length) return null;
  const groupOf = new Map<Bucket, string>();
  const groupNodes: (ViewNode & { minKey: string })[] = [];
  for (const c of g.collapsed.sort((a, b) => (a.minKey < b.minKey ? -1 : 1))) {
    const id = `group:${g.by}:${c.g}:${c.kind}`;
    for (const b of c.buckets) groupOf.set(b, id);
    const sample = c.first;
    groupNodes.push({
      id,
      kind: c.kind as GraphNode["kind"],
      label: `${c.members} ${c.kind === "ksa" ? "KSAs" : c.kind === "secret" ? "Secrets" : "workloads"} · ${g.by === "namespace" ? `${sample.namespace} (${sample.cluster.split("/").pop()})` : sample.cluster.slice(8)}`,
      project: sample.project,
      cluster: sample.cluster,
      namespace: g.by === "namespace" ? sample.namespace : null,
      state: c.rank === null ? null : STATE_OF_RANK.get(c.rank)!,
      detail: `Collapsed: click to expand ${c.members} ${c.kind}s`,
      group: { members: c.members, memberKind: c.kind, key: c.g },
      distance: 1,
      highlighted: false,
      minKey: c.minKey,
    });
  }
  // The buckets left open are drawn node by node: their rows and edges.
  const open = buckets.filter((b) => !groupOf.has(b));
  const rows = [...r.rows.filter((x) => x.t === "node" || x.t === "edge")];
  if (open.length) {
    const more = await db.pool.query<RingRow>(
      `${RING_CTES}, o as (select * from unnest($2::text[], $3::text[], $4::text[]) as o(nk, cluster, namespace)),
      m as (select n.* from n join o on o.nk = n.nk and o.cluster = n.cluster and ($5::boolean or o.namespace is not distinct from n.namespace) where n.grp)
      select ${cols({ t: "'node'", n: "0", id: "key", nk: "nk", project: "project", cluster: "cluster", namespace: "namespace", state: "state" })} from m
      union all
      select ${cols({ t: "'edge'", n: "0", id: "e.id::text", far: "e.far", ek: "e.ek", outward: "e.outward", state: "e.state" })} from e join m on m.key = e.far`,
      [focus, open.map((b) => b.nk), open.map((b) => b.cluster), open.map((b) => b.namespace), chosen.by === "cluster"],
    );
    rows.push(...more.rows);
  }
  const nodes: ViewNode[] = rows
    .filter((x) => x.t === "node")
    .map((x) => ({ id: x.id!, kind: x.nk as GraphNode["kind"], label: null as unknown as string, project: x.project, cluster: x.cluster, namespace: x.namespace, state: x.state, detail: null as unknown as string, distance: x.id === focus ? 0 : 1 }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  // Edges as mergeEdges leaves them: one per kind, ends and direction, counted, the worst state.
  const merged = new Map<string, WorkEdge & { order: [number, number] }>();
  const add = (ek: string, outward: boolean, far: string, n: number, state: GraphState, rid: string) => {
    const src = outward ? focus : far;
    const dst = outward ? far : focus;
    const id = `${ek}|${src}|${dst}`;
    const cur = merged.get(id);
    if (cur) {
      cur.count! += n;
      cur.state = worse(cur.state, state);
      cur.label = `${ek.replace(/-/g, " ")} ×${cur.count}`;
      cur.rid = undefined;
      if (Number(rid) < cur.order[1]) cur.order[1] = Number(rid);
    } else
      merged.set(id, {
        id,
        src,
        dst,
        kind: ek as GraphEdge["kind"],
        state,
        label: n > 1 ? `${ek.replace(/-/g, " ")} ×${n}` : null,
        rid: n > 1 ? undefined : rid,
        count: n,
        order: [outward ? 0 : 1, Number(rid)],
      });
  };
  const bucketKey = (x: { nk: string | null; cluster: string | null; namespace: string | null }) => `${x.nk}|${x.cluster}|${x.namespace ?? ""}`;
  const groupByBucket = new Map([...groupOf].map(([b, id]) => [bucketKey(b), id]));
  for (const x of bucketRows) {
    const grp = x.t === "bedge" ? groupByBucket.get(bucketKey(x)) : undefined;
    if (grp) add(x.ek!, x.outward!, grp, x.n, STATE_OF_RANK.get(x.rank!)!, x.id!);
  }
  for (const x of rows) if (x.t === "edge") add(x.ek!, x.outward!, x.far!, 1, x.state!, x.id!);
  // The walk meets the focus's outgoing edges first, then its incoming ones, each in the table's order.
  const edges = [...merged.values()].sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]).map(({ order: _, ...e }) => e);
  const cutNotice = p.hops > 1 ? `${ring.n.toLocaleString("en-US")} nodes are 1 hop away, so the view stops there; focus on one of them to go further.` : null;
  return {
    view: { nodes: [...nodes, ...groupNodes.map(({ minKey: _, ...n }) => n)], edges },
    reached: nodes.length + groupNodes.reduce((s, n) => s + n.group!.members, 0),
    notice,
    cutNotice,
  };
}
