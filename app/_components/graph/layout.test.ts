import { describe, expect, it } from "vitest";
import ELK from "elkjs/lib/elk.bundled.js";
import { BOX_PAD, elkGraph, NODE_H, NODE_W, readElk } from "./layout";

const nodes = [
  { id: "namespace:a", kind: "namespace" },
  { id: "workload:a1", kind: "workload" },
  { id: "workload:a2", kind: "workload" },
  { id: "ksa:a", kind: "ksa" },
  { id: "secret:a", kind: "secret" },
  { id: "namespace:b", kind: "namespace" },
  { id: "workload:b1", kind: "workload" },
  { id: "secret:b", kind: "secret" },
  { id: "key:k", kind: "key" },
  { id: "gsa:g", kind: "gsa" },
  { id: "project:p", kind: "project" },
];
const edges = [
  ["namespace:a", "workload:a1"],
  ["namespace:a", "workload:a2"],
  ["workload:a1", "ksa:a"],
  ["secret:a", "workload:a1"],
  ["namespace:b", "workload:b1"],
  ["secret:b", "workload:b1"],
  ["key:k", "secret:a"],
  ["key:k", "secret:b"],
  ["gsa:g", "key:k"],
  ["gsa:g", "project:p"],
  ["workload:a1", "gsa:g"],
  ["workload:b1", "gsa:g"],
].map(([source, target], i) => ({ id: `e${i}`, source, target }));
const boxOf = new Map([...nodes.filter((n) => n.id.endsWith("a") || /a\d$/.test(n.id)).map((n) => [n.id, "box:A"] as const), ...["namespace:b", "workload:b1", "secret:b"].map((id) => [id, "box:B"] as const)]);

describe("the layout with boxes (ELK, in-thread as the page's fallback runs it)", () => {
  it("keeps each box's members inside it, other nodes outside every box, and boxes apart", async () => {
    const { pos, boxes } = readElk(await new ELK().layout(elkGraph(nodes, edges, boxOf)));
    expect(boxes.map((b) => b.id).sort()).toEqual(["box:A", "box:B"]);
    expect(pos.size).toBe(nodes.length);
    const inside = (id: string, b: { x: number; y: number; width: number; height: number }) => {
      const p = pos.get(id)!;
      return p.x >= b.x && p.y >= b.y + BOX_PAD.top - 1 && p.x + NODE_W <= b.x + b.width && p.y + NODE_H <= b.y + b.height;
    };
    for (const b of boxes) for (const n of nodes) expect(inside(n.id, b), `${n.id} in ${b.id}`).toBe(boxOf.get(n.id) === b.id);
    const [a, b] = boxes;
    const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
    expect(apart).toBe(true);
    // Left to right still: the key right of every box, the GSA right of the key.
    expect(pos.get("key:k")!.x).toBeGreaterThanOrEqual(Math.max(...boxes.map((x) => x.x + x.width)));
    expect(pos.get("gsa:g")!.x).toBeGreaterThan(pos.get("key:k")!.x);
  });

  it("lays out without boxes as before: one flat graph", async () => {
    const { pos, boxes } = readElk(await new ELK().layout(elkGraph(nodes, edges)));
    expect(boxes).toEqual([]);
    expect(pos.get("gsa:g")!.x).toBeGreaterThan(pos.get("workload:a1")!.x);
  });
});
