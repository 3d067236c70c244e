/**
 * Exporting the drawn graph as a picture: the whole drawing (every node, not the part on screen), at
 * its drawn size or larger so 11 px labels stay legible, named after what it shows.
 */

/** Space around the drawing in the exported picture, in drawing pixels. */
export const EXPORT_PADDING = 40;
/** Pixels per drawing pixel in a PNG: 2 keeps an 11 px label sharp when zoomed or printed. */
export const EXPORT_PIXEL_RATIO = 2;
/** Browsers refuse canvases beyond about 16k pixels a side or 268M pixels in all (Chromium). */
const MAX_SIDE = 16_384;
const MAX_AREA = 200_000_000;

/**
 * `wi-atlas-graph-common-batch@acme-prod.iam.gserviceaccount.com.png` for a focused GSA (its email),
 * `wi-atlas-graph-key-EMAIL-KEYID.png` for other subjects (kind first), `wi-atlas-graph-overview.png`
 * without a focus. Anything but letters, digits, `@`, `.`, `_` and `-` becomes `-`, so the name is
 * safe on every file system.
 */
export function exportFileName(focus: string | null | undefined, ext: "png" | "svg"): string {
  if (!focus) return `wi-atlas-graph-overview.${ext}`;
  const colon = focus.indexOf(":");
  const kind = colon > 0 ? focus.slice(0, colon) : "";
  const rest = colon > 0 ? focus.slice(colon + 1) : focus;
  const raw = kind === "gsa" || !kind ? rest : `${kind}-${rest}`;
  const safe = raw
    .replace(/[^A-Za-z0-9@._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 150);
  return `wi-atlas-graph-${safe || "overview"}.${ext}`;
}

/**
 * The pixel ratio for a PNG of `width` × `height` drawing pixels: EXPORT_PIXEL_RATIO, lowered only as
 * far as the browser's canvas limits demand (never below 1 unless the drawing itself exceeds them).
 */
export function exportPixelRatio(width: number, height: number): number {
  const bySide = MAX_SIDE / Math.max(width, height, 1);
  const byArea = Math.sqrt(MAX_AREA / Math.max(width * height, 1));
  return Math.min(EXPORT_PIXEL_RATIO, bySide, byArea);
}

/** A drawn node's box, in drawing coordinates. */
export type Box = { x: number; y: number; width: number; height: number };

/** The box around every drawn node plus EXPORT_PADDING on each side: what the picture covers. */
export function exportFrame(boxes: Box[]): Box {
  if (!boxes.length) return { x: 0, y: 0, width: 2 * EXPORT_PADDING, height: 2 * EXPORT_PADDING };
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: x0 - EXPORT_PADDING, y: y0 - EXPORT_PADDING, width: Math.ceil(x1 - x0 + 2 * EXPORT_PADDING), height: Math.ceil(y1 - y0 + 2 * EXPORT_PADDING) };
}
