/**
 * Where the graph opens: readable first. Node labels are at least 11 px at zoom 1, so the opening view
 * is never below zoom 1 — the whole drawing when it fits at that size, else the focus and its
 * neighbours (without a focus, the busiest node and its neighbours), else at zoom 1 centred on the
 * neighbourhood along each axis where it fits and on the focus itself where it does not.
 * The user zooms out from there.
 */

/** Smallest zoom at which every label (11 px and up) renders at 11 px or more on screen. */
export const READABLE_ZOOM = 1;
/** Largest zoom the opening view uses (a tiny graph is not blown up). */
export const OPENING_MAX_ZOOM = 1.25;
/** Space kept around what is fitted, as a share of the canvas. */
const PADDING = 0.06;

export type Viewport = { x: number; y: number; zoom: number };
type Box = { id: string; x: number; y: number; width: number; height: number };

function fit(boxes: Box[], w: number, h: number): Viewport {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  const zoom = Math.min(OPENING_MAX_ZOOM, (w * (1 - 2 * PADDING)) / Math.max(x1 - x0, 1), (h * (1 - 2 * PADDING)) / Math.max(y1 - y0, 1));
  return { zoom, x: w / 2 - ((x0 + x1) / 2) * zoom, y: h / 2 - ((y0 + y1) / 2) * zoom };
}

/** The node with the most links (ties: the first id), where a view without a focus opens. */
export function busiestNode(ids: string[], edges: { source: string; target: string }[]): string | null {
  const degree = new Map<string, number>();
  for (const e of edges) for (const end of [e.source, e.target]) degree.set(end, (degree.get(end) ?? 0) + 1);
  let best: string | null = null;
  for (const id of [...ids].sort()) if (best === null || (degree.get(id) ?? 0) > (degree.get(best) ?? 0)) best = id;
  return best;
}

/** The opening viewport for nodes (drawing coordinates) on a canvas of `w` × `h` screen pixels. */
export function openingViewport(nodes: Box[], edges: { source: string; target: string }[], focus: string | null, w: number, h: number): { viewport: Viewport; anchor: string | null } {
  if (!nodes.length || w <= 0 || h <= 0) return { viewport: { x: 0, y: 0, zoom: 1 }, anchor: null };
  const all = fit(nodes, w, h);
  if (all.zoom >= READABLE_ZOOM) return { viewport: all, anchor: null };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const anchor = focus && byId.has(focus) ? focus : busiestNode([...byId.keys()], edges)!;
  const hoodIds = new Set([anchor]);
  for (const e of edges) {
    if (e.source === anchor) hoodIds.add(e.target);
    if (e.target === anchor) hoodIds.add(e.source);
  }
  const members = [...hoodIds].map((id) => byId.get(id)).filter((b): b is Box => !!b);
  const hood = fit(members, w, h);
  if (hood.zoom >= READABLE_ZOOM) return { viewport: hood, anchor };
  // Too big at zoom 1: per axis, centre on the neighbourhood where it fits, else on the anchor.
  const a = byId.get(anchor)!;
  const x0 = Math.min(...members.map((b) => b.x));
  const x1 = Math.max(...members.map((b) => b.x + b.width));
  const y0 = Math.min(...members.map((b) => b.y));
  const y1 = Math.max(...members.map((b) => b.y + b.height));
  const z = READABLE_ZOOM;
  const cx = (x1 - x0) * z <= w * (1 - 2 * PADDING) ? (x0 + x1) / 2 : a.x + a.width / 2;
  const cy = (y1 - y0) * z <= h * (1 - 2 * PADDING) ? (y0 + y1) / 2 : a.y + a.height / 2;
  return { viewport: { zoom: z, x: w / 2 - cx * z, y: h / 2 - cy * z }, anchor };
}
