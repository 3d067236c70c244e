/**
 * Automatic layout with ELK (layered, left to right), off the main thread in a Web Worker so a large
 * view never freezes the page. If the worker cannot be made, or does not answer a first layout within
 * 20 s (a worker that never starts), the page switches for good to ELK's
 * in-thread build; if that fails too, plain columns (layoutOrColumns).
 */
import type { ElkNode } from "elkjs/lib/elk-api";

type Elk = { layout: (g: ElkNode) => Promise<ElkNode>; terminateWorker?: () => void };
let worker: Promise<Elk> | undefined;
let inThread: Promise<Elk> | undefined;
/** Set once the worker has answered; until then each layout is raced against WORKER_FIRST_ANSWER_MS. */
let workerProven = false;
let workerFailed = false;
const WORKER_FIRST_ANSWER_MS = 20_000;

function getInThread(): Promise<Elk> {
  inThread ??= import("elkjs/lib/elk.bundled.js").then(({ default: ELK }) => new ELK() as unknown as Elk);
  return inThread;
}

function getWorker(): Promise<Elk> {
  worker ??= import("elkjs/lib/elk-api").then(
    ({ default: ELK }) => new ELK({ workerFactory: () => new Worker(new URL("elkjs/lib/elk-worker.min.js", import.meta.url)) }) as unknown as Elk,
  );
  return worker;
}

/** Starts loading the layout worker (1.6 MB to fetch and compile) before the first view arrives. */
export function warmLayout(): void {
  if (typeof Worker === "undefined") return;
  void getWorker().catch(() => undefined);
}

async function runLayout(g: ElkNode): Promise<ElkNode> {
  if (!workerFailed) {
    try {
      const engine = await getWorker();
      if (workerProven) return await engine.layout(g);
      const out = await withTimeout(engine.layout(g), WORKER_FIRST_ANSWER_MS, "the layout worker did not answer");
      workerProven = true;
      return out;
    } catch (err) {
      if (workerProven) throw err; // a real layout error, not a worker that never started
      workerFailed = true;
      void worker?.then((e) => e.terminateWorker?.()).catch(() => undefined);
    }
  }
  return (await getInThread()).layout(g);
}

export const NODE_W = 240;
export const NODE_H = 62;

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

/** Space inside a box: room for its label on top, a margin on the other sides. */
export const BOX_PAD = { top: 34, side: 14 };

/** A box drawn around a group's nodes, in drawing coordinates. */
export type BoxRect = { id: string; x: number; y: number; width: number; height: number };

const SPACING = {
  "elk.layered.spacing.nodeNodeBetweenLayers": "80",
  "elk.spacing.nodeNode": "22",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
  "elk.partitioning.activate": "true",
};

/**
 * The ELK graph for nodes linked by edges, with each node whose id is in `boxOf` nested in its box
 * (a compound node): ELK lays boxes out with their members together (hierarchy handled across levels,
 * so edges in and out of a box still read left to right).
 */
export function elkGraph(nodes: { id: string; kind?: string }[], edges: { id: string; source: string; target: string }[], boxOf: Map<string, string> = new Map()): ElkNode {
  const col = new Map(nodes.map((n) => [n.id, COLUMN[n.kind ?? ""] ?? 2]));
  const leaf = (id: string): ElkNode => ({ id, width: NODE_W, height: NODE_H, layoutOptions: { "elk.partitioning.partition": String(col.get(id)) } });
  const boxes = new Map<string, ElkNode>();
  const top: ElkNode[] = [];
  for (const n of nodes) {
    const b = boxOf.get(n.id);
    if (!b) {
      top.push(leaf(n.id));
      continue;
    }
    let box = boxes.get(b);
    if (!box) {
      box = { id: b, children: [], layoutOptions: { ...SPACING, "elk.padding": `[top=${BOX_PAD.top},left=${BOX_PAD.side},bottom=${BOX_PAD.side},right=${BOX_PAD.side}]`, "elk.partitioning.partition": "0" } };
      boxes.set(b, box);
      top.push(box);
    }
    box.children!.push(leaf(n.id));
  }
  // A box sits in the column of its leftmost member.
  for (const box of boxes.values()) box.layoutOptions!["elk.partitioning.partition"] = String(Math.min(...box.children!.map((c) => col.get(c.id) ?? 0)));
  return {
    id: "root",
    layoutOptions: { "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.separateConnectedComponents": "false", ...SPACING, ...(boxes.size ? { "elk.hierarchyHandling": "INCLUDE_CHILDREN" } : {}) },
    children: top,
    // Edges point left to right for the layout (the drawing keeps their real direction).
    edges: edges
      .filter((e) => e.source !== e.target && col.has(e.source) && col.has(e.target) && col.get(e.source) !== col.get(e.target))
      .map((e) => ((col.get(e.source) ?? 0) <= (col.get(e.target) ?? 0) ? { id: e.id, sources: [e.source], targets: [e.target] } : { id: e.id, sources: [e.target], targets: [e.source] })),
  };
}

/** ELK's answer as absolute positions of nodes, and the boxes' rectangles. */
export function readElk(out: ElkNode): { pos: Map<string, Positioned>; boxes: BoxRect[] } {
  const pos = new Map<string, Positioned>();
  const boxes: BoxRect[] = [];
  for (const c of out.children ?? []) {
    const x = c.x ?? 0;
    const y = c.y ?? 0;
    if (c.children?.length) {
      boxes.push({ id: c.id, x, y, width: c.width ?? 0, height: c.height ?? 0 });
      for (const m of c.children) pos.set(m.id, { id: m.id, x: x + (m.x ?? 0), y: y + (m.y ?? 0) });
    } else pos.set(c.id, { id: c.id, x, y });
  }
  return { pos, boxes };
}

/** Positions for nodes (ids) linked by edges (source → target), nodes in `boxOf` kept together in their box. */
export async function layout(
  nodes: { id: string; kind?: string }[],
  edges: { id: string; source: string; target: string }[],
  boxOf: Map<string, string> = new Map(),
): Promise<{ pos: Map<string, Positioned>; boxes: BoxRect[] }> {
  return readElk(await runLayout(elkGraph(nodes, edges, boxOf)));
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
  ms = 45_000,
  boxOf: Map<string, string> = new Map(),
): Promise<{ pos: Map<string, Positioned>; boxes: BoxRect[]; fallback: string | null }> {
  try {
    return { ...(await withTimeout(layout(nodes, edges, boxOf), ms, `the layout took longer than ${ms / 1000} s`)), fallback: null };
  } catch (err) {
    // Plain columns draw no boxes.
    return { pos: columnLayout(nodes), boxes: [], fallback: (err as Error).message || String(err) };
  }
}

/** `p`, or a rejection with `message` if it has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
