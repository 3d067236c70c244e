import { describe, expect, it } from "vitest";
import { busiestNode, openingViewport, READABLE_ZOOM } from "./viewport";

const box = (id: string, x: number, y: number) => ({ id, x, y, width: 240, height: 60 });
const link = (source: string, target: string) => ({ source, target });

describe("the graph's opening view", () => {
  it("shows a small graph whole, at no more than 1.25×", () => {
    const { viewport, anchor } = openingViewport([box("a", 0, 0), box("b", 320, 0)], [link("a", "b")], null, 900, 600);
    expect(viewport.zoom).toBe(1.25);
    expect(anchor).toBeNull();
  });

  it("fits the focus and its neighbours, not the whole estate, when the whole would be unreadable", () => {
    // A long chain: the whole needs zoom < 1 on a 900 px canvas; the focus and its two neighbours fit at ≥ 1.
    const nodes = Array.from({ length: 12 }, (_, i) => box(`n${i}`, i * 320, 0));
    const edges = nodes.slice(1).map((n, i) => link(`n${i}`, n.id));
    const { viewport, anchor } = openingViewport(nodes, edges, "n6", 900, 600);
    expect(anchor).toBe("n6");
    expect(viewport.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    // n5..n7 are on screen: their boxes lie within the canvas.
    for (const n of [nodes[5], nodes[7]]) {
      expect(n.x * viewport.zoom + viewport.x).toBeGreaterThanOrEqual(0);
      expect((n.x + n.width) * viewport.zoom + viewport.x).toBeLessThanOrEqual(900);
    }
  });

  it("opens at zoom 1 on a neighbourhood too big to read: centred on it where it fits, on the focus where it does not", () => {
    // A hub with a tall column of 40 leaves: the two columns fit across (centre between them), not down (centre on the hub).
    const nodes = [box("hub", 0, 0), ...Array.from({ length: 40 }, (_, i) => box(`leaf${i}`, 320, i * 80))];
    expect(openingViewport(nodes, nodes.slice(1).map((n) => link("hub", n.id)), "hub", 900, 600).viewport).toEqual({ zoom: 1, x: 450 - 280, y: 300 - 30 });
    // Leaves spread across too: centred on the hub both ways.
    const wide = [box("hub", 0, 0), ...Array.from({ length: 40 }, (_, i) => box(`leaf${i}`, 320 * (i % 5) - 640, i * 80))];
    expect(openingViewport(wide, wide.slice(1).map((n) => link("hub", n.id)), "hub", 900, 600).viewport).toEqual({ zoom: 1, x: 450 - 120, y: 300 - 30 });
  });

  it("opens on the busiest node when nothing is focused", () => {
    expect(busiestNode(["a", "b", "c", "d"], [link("a", "b"), link("c", "b"), link("d", "b"), link("a", "c")])).toBe("b");
    expect(busiestNode(["z", "y"], [])).toBe("y");
  });
});
