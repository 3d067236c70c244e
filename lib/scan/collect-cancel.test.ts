import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEstateFile } from "../simulator/load-estate";
import { startSimulator, type Simulator } from "../simulator/server";
import { simulatorClients } from "../sources/gcp/clients";
import { Caller, CancelledError } from "../sources/http/caller";
import { gkeEndpoint } from "../sources/k8s/clients";
import { parseApiLimits } from "../config";
import { collect } from "./collect";

/**
 * A scan cancelled at any moment must end with CancelledError and leave no request or branch
 * rejecting unobserved: in Node an unhandled rejection ends the process — the web server, which
 * cancels scans from the UI, included.
 */
describe("a scan cancelled midway", () => {
  let sim: Simulator;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml"), latencyMs: 2 });
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await sim.close();
  });

  for (const inventoryPath of ["direct", "asset", "auto"] as const) {
    it(`ends with CancelledError and nothing unhandled, wherever it is cancelled (${inventoryPath} path)`, async () => {
      const outcomes: string[] = [];
      // Cancel after the 1st, 3rd, 5th… request: during discovery, ancestry, projects, clusters.
      const points = [1, 3, 5, 8, 12, 16, 20, 25, 30, 40, 50, 60, 75, 90];
      for (const after of points) {
        sim.resetStats();
        const abort = new AbortController();
        const timer = setInterval(() => {
          if (sim.stats().total >= after) abort.abort();
        }, 1);
        const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 5000, signal: abort.signal, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
        try {
          await collect(
            { organization: "620315948271", folders: [], projects: [], clusters: [], readSecrets: true, inventoryPath },
            { google: simulatorClients(sim.url), caller, signal: abort.signal, endpointFor: (c, raw) => gkeEndpoint(c, raw, sim.kubernetesPort) },
          );
          outcomes.push(`${after}: finished`);
        } catch (err) {
          outcomes.push(`${after}: ${err instanceof CancelledError ? "cancelled" : String(err)}`);
        } finally {
          clearInterval(timer);
        }
        // Let whatever was still in flight settle (and reject) before looking.
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(outcomes).toEqual(points.map((n) => `${n}: cancelled`));
      expect(unhandled.map(String)).toEqual([]);
    });
  }
});
