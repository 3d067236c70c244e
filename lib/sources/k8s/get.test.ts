import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { startSimulator, type Simulator } from "../../simulator/server";
import { parseEstateText } from "../../simulator/load-estate";
import { simulatorCluster } from "../../testing/scan-helpers";
import { parseApiLimits } from "../../config";
import { Caller } from "../http/caller";
import { ApiError } from "../http/api-error";
import { clusterClient } from "./clients";
import { listAll, ListBrokenError, SECRETS_FIELD_SELECTOR } from "./get";

/*
 * Lists against the simulator's cluster endpoint over HTTPS, with client-node's configuration and
 * TLS and the API server's own JSON: a list
 * that goes round in circles or never ends is abandoned; Secrets come without Helm's release records
 * and in pages of 100.
 */

const SMALL = readFileSync("lib/simulator/estates/test/small.yaml", "utf8");
const C = "small-prod/asia-northeast1/prod";

/** The small estate with `n` more Opaque Secrets and three Helm release records in `web`. */
function estate(faults: string[] = [], opaque = 0) {
  const extra = [
    ...Array.from({ length: opaque }, (_, i) => `          - {apiVersion: v1, kind: Secret, metadata: {name: s-${String(i).padStart(3, "0")}, namespace: web}, type: Opaque, stringData: {a: b}}`),
    ...[1, 2, 3].map((v) => `          - {apiVersion: v1, kind: Secret, metadata: {name: sh.helm.release.v1.api.v${v}, namespace: web, labels: {owner: helm}}, type: helm.sh/release.v1, data: {release: SDRzSUFBQUFBQUFBLw==}}`),
  ].join("\n");
  const text = SMALL.replace("        manifests:\n", `        manifests:\n${extra}\n`).replace(
    "# A small estate for tests",
    `faults:\n${faults.map((f) => `  - ${f}`).join("\n") || "  []"}\n# A small estate for tests`,
  );
  return parseEstateText(text.replace("faults:\n  []\n", ""), "list.yaml");
}

const caller = () => new Caller({ limits: parseApiLimits(undefined, 4), timeoutMs: 5000, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });

describe("listing a Kubernetes resource", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: estate() });
  });
  afterAll(() => sim.close());
  const client = () => clusterClient(simulatorCluster(sim, C), async () => "token");

  it("lists Secrets without Helm's release records, 100 a page", async () => {
    sim.setEstate(estate([], 150));
    sim.resetStats();
    const names: string[] = [];
    await listAll(client(), caller(), "secrets", (items) => items.forEach((o) => names.push((o.metadata as { name: string }).name)));
    expect(names.length).toBe(151);
    expect(names.filter((n) => n.startsWith("sh.helm."))).toEqual([]);
    expect(names).toContain("batch-key");
    // 151 Secrets at 100 a page: two requests.
    expect(sim.stats().requests.k8s).toBe(2);
    expect(SECRETS_FIELD_SELECTOR).toBe("type!=helm.sh/release.v1");
  });

  it("is answered by the simulator as the API server answers field selectors: type for Secrets, 400 for a field it does not index", async () => {
    sim.setEstate(estate());
    const c = client();
    const helm = await c.with(AbortSignal.timeout(5000), (a) => a.core.listSecretForAllNamespaces({ fieldSelector: "type=helm.sh/release.v1" }));
    expect(helm.items.map((s) => s.metadata?.name)).toEqual(["sh.helm.release.v1.api.v1", "sh.helm.release.v1.api.v2", "sh.helm.release.v1.api.v3"]);
    const other = await c.with(AbortSignal.timeout(5000), (a) => a.core.listSecretForAllNamespaces({ fieldSelector: "type!=helm.sh/release.v1,metadata.namespace=batch" }));
    expect(other.items.map((s) => s.metadata?.name)).toEqual(["batch-key"]);
    const bad = await c.with(AbortSignal.timeout(5000), (a) => a.core.listSecretForAllNamespaces({ fieldSelector: "data.key=x" })).catch((e: unknown) => e);
    expect((bad as { code?: number }).code).toBe(400);
    expect(String((bad as { body?: string }).body)).toContain("field label not supported: data.key");
  });

  it("abandons a list whose server hands back a continue token it already gave", async () => {
    sim.setEstate(estate([`{match: {path: "/clusters/${C}/api/v1/pods"}, repeatContinue: true}`]));
    sim.resetStats();
    let seen = 0;
    const err = await listAll(client(), caller(), "pods", (items) => (seen += items.length), { limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListBrokenError);
    expect((err as Error).message).toBe("list pods: the API server returned a continue token it had already returned (after 2 pages); the list was abandoned");
    // The first page, then the same token once more: two pages, one pod each, and no third request.
    expect(seen).toBe(2);
    expect(sim.stats().requests.k8s).toBe(2);
  });

  it("abandons a list past its page limit", async () => {
    sim.setEstate(estate());
    sim.resetStats();
    const err = await listAll(client(), caller(), "nodes", () => undefined, { limit: 2, maxPages: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListBrokenError);
    expect((err as Error).message).toBe("list nodes: more than 3 pages of 2; the list was abandoned");
    expect(sim.stats().requests.k8s).toBe(3);
    // The same list with room enough ends normally: 9 nodes in 5 pages of 2.
    let n = 0;
    await listAll(client(), caller(), "nodes", (items) => (n += items.length), { limit: 2, maxPages: 5 });
    expect(n).toBe(9);
  });

  it("still fails a list the server refuses with the API's own error, its reason and the permission it names", async () => {
    sim.setEstate(estate([`{match: {path: "/clusters/${C}/api/v1/pods"}, status: 403}`]));
    const err = await listAll(client(), caller(), "pods", () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
    expect((err as ApiError).opts.reason).toBe("Forbidden");
    expect((err as ApiError).opts.permission).toBe("list pods");
    expect((err as ApiError).message).toMatch(/^list pods: pods is forbidden: /);
  });

  it("hands over each object exactly as the API server sent it: no model classes, timestamps as served", async () => {
    sim.setEstate(estate());
    const got: unknown[] = [];
    await listAll(client(), caller(), "pods", (items) => got.push(...items));
    const served = (await (await fetch(`${sim.url}/clusters/${C}/api/v1/pods`, { headers: { authorization: "Bearer t" } })).json()) as { items: unknown[] };
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(served.items);
    expect(typeof (got[0] as { metadata: { creationTimestamp: unknown } }).metadata.creationTimestamp).toBe("string");
  });

  it("starts the list over when its continue token has expired (410), telling the caller to drop what it kept", async () => {
    sim.setEstate(estate([`{match: {path: "/clusters/${C}/api/v1/nodes"}, status: 410, reason: Expired, onContinue: true, times: 1}`]));
    sim.resetStats();
    const names: string[] = [];
    let restarts = 0;
    await listAll(client(), caller(), "nodes", (items) => items.forEach((o) => names.push((o.metadata as { name: string }).name)), {
      limit: 2,
      onRestart: () => {
        restarts++;
        names.length = 0;
      },
    });
    expect(restarts).toBe(1);
    expect(new Set(names).size).toBe(9);
    expect(names.length).toBe(9);
    // The first page, the expired second, then all 5 pages of the new pass.
    expect(sim.stats().requests.k8s).toBe(7);
  });

  it("reads every page of a list over one kept-alive connection", async () => {
    sim.setEstate(estate());
    sim.resetStats();
    let n = 0;
    await listAll(client(), caller(), "nodes", (items) => (n += items.length), { limit: 2 });
    expect([n, sim.stats().requests.k8s, sim.stats().k8sConnections]).toEqual([9, 5, 1]);
  });

  it("reads a 429's Retry-After, and ends a request the server never answers as a timeout", async () => {
    sim.setEstate(estate([`{match: {path: "/clusters/${C}/api/v1/namespaces"}, status: 429, retryAfter: 7}`, `{match: {path: "/clusters/${C}/api/v1/nodes"}, hang: true}`]));
    const busy = await listAll(client(), caller(), "namespaces", () => undefined).catch((e: unknown) => e);
    expect([(busy as ApiError).status, (busy as ApiError).opts.retryAfter]).toEqual([429, 7]);
    const quick = new Caller({ limits: parseApiLimits(undefined, 4), timeoutMs: 300, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const hung = await listAll(client(), quick, "nodes", () => undefined).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(ApiError);
    expect([(hung as ApiError).status, (hung as ApiError).opts.isTimeout, (hung as ApiError).message]).toEqual([0, true, "list nodes: request timed out"]);
  });
});
