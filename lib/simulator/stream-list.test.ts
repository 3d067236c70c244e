import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { drainedOrClosed, startSimulator, type Simulator } from "./server";
import { ESTATE_SIZES, generateEstate } from "./generate-estate";

// A large list answer is written as it is serialised (chunked, no content-length); its bytes must be
// exactly what one JSON.stringify of the page gives, and its items the same as smaller pages give.
describe("simulator: large list pages are streamed", () => {
  let sim: Simulator;
  let base: string;
  beforeAll(async () => {
    const estate = generateEstate({ ...ESTATE_SIZES["org-s"], clusters: 1, pods: 400 }, { seed: "stream" });
    sim = await startSimulator({ estate, latencyMs: 0 });
    const project = estate.projects.find((p) => p.clusters?.length)!;
    const c = project.clusters![0].cluster as { name: string; location: string };
    base = `${sim.url}/clusters/${project.projectId}/${c.location}/${c.name}/api/v1/pods`;
  });
  afterAll(() => sim?.close());

  const get = (limit: number, cont?: string) =>
    fetch(`${base}?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`, { headers: { Authorization: "Bearer x" } });

  it("writes a page of 400 pods chunked, byte for byte JSON.stringify's text, with the items pages of 50 give", async () => {
    const res = await get(500);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const text = await res.text();
    const page = JSON.parse(text) as { kind: string; metadata: { resourceVersion: string }; items: { metadata: { name: string } }[] };
    expect(text).toBe(JSON.stringify(page));
    expect(page.kind).toBe("PodList");
    expect(page.items.length).toBeGreaterThan(100);

    // Pages of 50 are written in one piece, with their length; together they hold the same pods.
    type Page = { items: unknown[]; metadata: { continue?: string } };
    const first = await get(50);
    expect(first.headers.get("content-length")).not.toBeNull();
    let p = (await first.json()) as Page;
    const small = [...p.items];
    while (p.metadata.continue) {
      p = (await (await get(50, p.metadata.continue)).json()) as Page;
      small.push(...p.items);
    }
    expect(small).toEqual(page.items);
  });

  it("waits for drain without leaving listeners behind, however many times a streamed answer waits", async () => {
    const counts: number[] = [];
    const server = http.createServer(async (_req, res) => {
      const before = [res.listenerCount("drain"), res.listenerCount("close")];
      for (let i = 0; i < 25; i++) {
        const waiting = drainedOrClosed(res);
        res.emit("drain");
        await waiting;
      }
      counts.push(...before, res.listenerCount("drain"), res.listenerCount("close"));
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await r.text()).toBe("ok");
      const [drainBefore, closeBefore, drainAfter, closeAfter] = counts;
      expect(drainAfter).toBe(drainBefore);
      expect(closeAfter).toBe(closeBefore);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
