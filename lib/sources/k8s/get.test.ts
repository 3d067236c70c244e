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
 * Lists through the real @kubernetes/client-node against the simulator's cluster endpoint: a list
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

  it("still fails a list the server refuses with the API's own error", async () => {
    sim.setEstate(estate([`{match: {path: "/clusters/${C}/api/v1/pods"}, status: 403}`]));
    const err = await listAll(client(), caller(), "pods", () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
  });
});
