/**
 * What a collect tells the request pacer (lib/sources/http/pacer.ts): IAM's requests still to come
 * (two per account of the projects whose account list has not answered, on the direct path; none once
 * the asset index answered both keys and policies), and that no API is paced during discovery.
 * Through the simulator and the real clients, no database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/server";
import { generateEstate } from "../simulator/generate-estate";
import { simulatorClients } from "../sources/gcp/clients";
import { gkeEndpoint } from "../sources/k8s/clients";
import { Caller } from "../sources/http/caller";
import { API_NAMES, parseApiLimits, type ApiName } from "../config";
import { collect, expectedAccountRequests, requestsPerAccount, type CollectScope } from "./collect";

describe("what a collect tells the pacer", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: generateEstate("org-s", { seed: 11 }), latencyMs: 2 });
  });
  afterAll(() => sim.close());

  /** Collects with every API paced, noting IAM's expectation as each IAM request is made, and the holds. */
  async function observed(scope: Partial<CollectScope>) {
    const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 5000, pace: API_NAMES, retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    let iamExpected: (() => number) | undefined;
    const expectMore = caller.expectMore.bind(caller);
    caller.expectMore = (api: ApiName, count: () => number) => {
      if (api === "iam") iamExpected = count;
      expectMore(api, count);
    };
    const events: string[] = [];
    const hold = caller.holdPacing.bind(caller);
    caller.holdPacing = (held: boolean) => {
      events.push(`hold ${held}`);
      hold(held);
    };
    const samples: number[] = [];
    const call = caller.call.bind(caller);
    caller.call = ((api, fn, normalize) => {
      if (api === "iam") samples.push(iamExpected!());
      if (events.at(-1) !== api) events.push(api);
      return call(api, fn, normalize);
    }) as typeof caller.call;
    const outcomes = await collect(
      { organization: sim.world().estate.organization!.name.slice(14), folders: [], projects: [], clusters: [], readSecrets: true, ...scope },
      { google: simulatorClients(sim.url), caller, endpointFor: (c, raw) => gkeEndpoint(c, raw, sim.kubernetesPort) },
    );
    return { outcomes, samples, events, after: iamExpected!() };
  }

  it("on the direct path, expects two requests per account of the projects not yet listed, and none once every list answered", async () => {
    const { outcomes, samples, after } = await observed({ inventoryPath: "direct" });
    const accounts = sim.world().serviceAccounts.length;
    const projects = outcomes.filter((o) => o.family === "iam.serviceAccounts").length;
    expect(projects).toBeGreaterThan(1);
    // Announced while lists were still to answer, never more than the average list × the projects × 2.
    expect(Math.max(...samples)).toBeGreaterThan(0);
    const largest = Math.max(...outcomes.filter((o) => o.family === "iam.serviceAccounts").map((o) => o.objects));
    for (const s of samples) expect(s).toBeLessThanOrEqual(2 * largest * projects);
    expect(accounts).toBeGreaterThan(0);
    expect(after).toBe(0);
  });

  it("counts per account what the asset index did not answer, and nothing before the first list or while the searches run", () => {
    expect(requestsPerAccount(undefined)).toBe(2);
    expect(requestsPerAccount({ keys: new Map(), policies: new Map() })).toBe(0);
    expect(requestsPerAccount({ keys: new Map() })).toBe(1);
    expect(requestsPerAccount({ policies: new Map() })).toBe(1);
    // 10 projects listed with 500 accounts, 4 to go: 4 × 50 accounts × 2.
    expect(expectedAccountRequests({ pending: 4, listed: 10, accounts: 500, perAccount: 2 })).toBe(400);
    expect(expectedAccountRequests({ pending: 4, listed: 10, accounts: 500, perAccount: 1 })).toBe(200);
    expect(expectedAccountRequests({ pending: 4, listed: 10, accounts: 500, perAccount: 0 })).toBe(0);
    expect(expectedAccountRequests({ pending: 4, listed: 10, accounts: 500 })).toBe(0);
    expect(expectedAccountRequests({ pending: 4, listed: 0, accounts: 0, perAccount: 2 })).toBe(0);
    expect(expectedAccountRequests({ pending: 0, listed: 10, accounts: 500, perAccount: 2 })).toBe(0);
  });

  it("on the asset path, expects nothing of IAM once the searches answered keys and policies", async () => {
    const { outcomes, samples, after } = await observed({ inventoryPath: "asset" });
    expect(outcomes.filter((o) => o.family.startsWith("asset.")).every((o) => o.status === "ok")).toBe(true);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s === 0)).toBe(true);
    expect(after).toBe(0);
  });

  it("holds pacing through discovery and lets it go before the projects' requests", async () => {
    const { events } = await observed({ inventoryPath: "direct" });
    const on = events.indexOf("hold true");
    const off = events.indexOf("hold false");
    expect(on).toBe(0);
    expect(off).toBeGreaterThan(on);
    // The organization's and folders' own reads come before; the projects' account lists after.
    expect(events.slice(on, off)).toContain("crm");
    expect(events.slice(off)).toContain("iam");
    expect(events.slice(off)).toContain("k8s");
  });
});
