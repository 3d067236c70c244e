import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator } from "../../simulator/server";
import { parseEstateText } from "../../simulator/load-estate";
import { parseApiLimits } from "../../config";
import { Caller } from "../http/caller";
import { simulatorClients } from "./clients";
import { listServiceAccounts } from "./get";

/*
 * The googleapis clients against the simulator: their requests go over the scanner's own
 * keep-alive connections, not one per request and not Node's shared global agent.
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(readFileSync("lib/simulator/estates/test/small.yaml", "utf8"), "small.yaml") });
});
afterAll(() => sim.close());

describe("Google clients", () => {
  it("send 60 requests at concurrency 4 over at most 4 connections of their own agent", async () => {
    const opened: http.Agent[] = [];
    const proto = http.Agent.prototype as unknown as { createConnection: (...a: unknown[]) => unknown };
    const original = proto.createConnection;
    proto.createConnection = function (this: http.Agent, ...a: unknown[]) {
      opened.push(this);
      return original.apply(this, a);
    };
    try {
      const g = simulatorClients(sim.url);
      const caller = new Caller({ limits: parseApiLimits(undefined, 4), timeoutMs: 5000 });
      const pages = await Promise.all(Array.from({ length: 60 }, () => listServiceAccounts(g, caller, "small-prod")));
      expect(pages.every((p) => p.length === pages[0].length && p.length > 0)).toBe(true);
      expect(caller.stats.requests.iam).toBe(60);
      expect(opened.length).toBeGreaterThan(0);
      expect(opened.length).toBeLessThanOrEqual(4);
      expect(opened.filter((a) => a === http.globalAgent)).toEqual([]);
    } finally {
      proto.createConnection = original;
    }
  });
});
