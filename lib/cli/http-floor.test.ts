import { describe, expect, it } from "vitest";
import { measureHttpFloor } from "./http-floor";

describe("measureHttpFloor", () => {
  it("times requests to a timer-only server in another process: never under the latency, and as many as the concurrency allows", async () => {
    const r = await measureHttpFloor({ latencyMs: 20, concurrency: 4, seconds: 0.5 });
    expect(r.latencyMs).toBe(20);
    expect(r.concurrency).toBe(4);
    // Each request waits out the 20 ms timer; 4 at a time for 0.5 s is at most 4 × 500 / 20 = 100 (plus the last round started before the end).
    expect(r.msEach).toBeGreaterThanOrEqual(20);
    expect(r.msEach).toBeLessThan(200);
    expect(r.requests).toBeGreaterThan(4);
    expect(r.requests).toBeLessThanOrEqual(4 * Math.ceil(500 / 20) + 4);
  });

  it("refuses options it cannot measure with, naming them", async () => {
    await expect(measureHttpFloor({ latencyMs: -1, concurrency: 8, seconds: 1 })).rejects.toThrow(/bad options.*"latencyMs":-1/);
    await expect(measureHttpFloor({ latencyMs: 25, concurrency: 0, seconds: 1 })).rejects.toThrow(/bad options/);
    await expect(measureHttpFloor({ latencyMs: 25, concurrency: 2.5, seconds: 1 })).rejects.toThrow(/concurrency a whole number/);
  });
});
