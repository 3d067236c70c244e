/**
 * Automatic layout with ELK (layered, left to right), off the main thread in a Web Worker so a large
 * view never freezes the page. Falls back to the in-thread build where workers are unavailable.
 */
import type { ElkNode } from "elkjs/lib/elk-api";

type Elk = { layout: (g: ElkNode) => Promise<ElkNode> };
let elk: Promise<Elk> | undefined;

function getElk(): Promise<Elk> {
  elk ??= (async () => {
    try {
      const { default: ELK } = await import("elkjs/lib/elk-api");
      return new ELK({ workerFactory: () => new Worker(new URL("elkjs/lib/elk-worker.min.js", import.meta.url)) }) as unknown as Elk;
    } catch {
      const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
      return new ELK() as unknown as Elk;
    }
  })();
  return elk;
}

export const NODE_W = 220;
export const NODE_H = 54;

export type Positioned = { id: string; x: number; y: number };

/**
 * Columns, left to right, so every picture reads the same way: where things run, what they run as,
 * the key material, the Google accounts, and what those accounts may do.
 */
export const COLUMN: Record<string, number> = {
  cluster: 0,
  namespace: 0,
  nodepool: 1,
  workload: 1,
  ksa: 2,
  secret: 2,
  principalset: 2,
  key: 3,
  gsa: 4,
  project: 5,
  folder: 5,
  organization: 5,
};

/** Positions for nodes (ids) linked by edges (source → target). */
export async function layout(nodes: { id: string; kind?: string }[], edges: { id: string; source: string; target: string }[]): Promise<Map<string, Positioned>> {
  const col = new Map(nodes.map((n) => [n.id, COLUMN[n.kind ?? ""] ?? 2]));
  const engine = await getElk();
  const g: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "90",
      "elk.spacing.nodeNode": "22",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
      "elk.separateConnectedComponents": "false",
      "elk.partitioning.activate": "true",
    },
    children: nodes.map((n) => ({ id: n.id, width: NODE_W, height: NODE_H, layoutOptions: { "elk.partitioning.partition": String(col.get(n.id)) } })),
    // Edges point left to right for the layout (the drawing keeps their real direction).
    edges: edges
      .filter((e) => e.source !== e.target && col.get(e.source) !== col.get(e.target))
      .map((e) => ((col.get(e.source) ?? 0) <= (col.get(e.target) ?? 0) ? { id: e.id, sources: [e.source], targets: [e.target] } : { id: e.id, sources: [e.target], targets: [e.source] })),
  };
  const out = await engine.layout(g);
  return new Map((out.children ?? []).map((c) => [c.id, { id: c.id, x: c.x ?? 0, y: c.y ?? 0 }]));
}

/** Plain columns, for when ELK fails or takes too long: every node is still drawn where its kind goes. */
export function columnLayout(nodes: { id: string; kind?: string }[]): Map<string, Positioned> {
  const rows = new Map<number, number>();
  const out = new Map<string, Positioned>();
  for (const n of nodes) {
    const c = COLUMN[n.kind ?? ""] ?? 2;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    out.set(n.id, { id: n.id, x: c * (NODE_W + 90), y: r * (NODE_H + 22) });
  }
  return out;
}

/** ELK's layout, or plain columns (and why) when it fails or has not answered within `ms`. */
export async function layoutOrColumns(
  nodes: { id: string; kind?: string }[],
  edges: { id: string; source: string; target: string }[],
  ms = 30_000,
): Promise<{ pos: Map<string, Positioned>; fallback: string | null }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const pos = await Promise.race([
      layout(nodes, edges),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the layout took longer than ${ms / 1000} s`)), ms))),
    ]);
    return { pos, fallback: null };
  } catch (err) {
    return { pos: columnLayout(nodes), fallback: (err as Error).message || String(err) };
  } finally {
    clearTimeout(timer);
  }
}
