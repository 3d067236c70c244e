/**
 * Kubernetes list pages decoded on the page worker (pages.ts): a scan through the simulator and the
 * real clients collects the same records and outcomes with the worker as on the main thread, and a
 * worker that cannot start or dies mid-scan costs speed, never a page. Malformed and non-JSON pages
 * fail as they did before the worker.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { startSimulator, type Simulator } from "../../simulator/server";
import { generateEstate } from "../../simulator/generate-estate";
import { simulatorClients } from "../gcp/clients";
import { Caller } from "../http/caller";
import { parseApiLimits } from "../../config";
import { collect, type SourceOutcome } from "../../scan/collect";
import { gkeEndpoint } from "./clients";
import { PageDecoder, pageDecoder } from "./pages";
import { decodePage, replyError, type PageJob } from "./page-decode";
import { MalformedResponseError } from "../../inventory/transform-gcp";
import { log } from "../../log";
import type { ClusterRef } from "../../ids";

const ESTATE = generateEstate("org-s");

async function scan(sim: Simulator, k8sWorker: boolean): Promise<SourceOutcome[]> {
  const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 10_000, retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
  return collect(
    { organization: ESTATE.organization!.name.replace("organizations/", ""), folders: [], projects: [], clusters: [], readSecrets: true },
    { google: simulatorClients(sim.url), caller, endpointFor: (c, raw) => gkeEndpoint(c, raw, sim.kubernetesPort), k8sWorker },
  );
}

/** Everything a scan found, in an order that does not depend on which answer came first. */
function digest(outcomes: SourceOutcome[]) {
  const sources = outcomes.map((o) => `${o.source} ${o.status} ${o.error ?? ""}`).sort();
  const records = outcomes
    .filter((o) => o.source.startsWith("k8s."))
    .flatMap((o) => o.records.map((r) => JSON.stringify(r)))
    .sort();
  return { sources, records };
}

const ref: ClusterRef = { project: "p", location: "l", name: "c" };
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: "web", uid: `uid-${name}`, creationTimestamp: "2026-11-01T00:00:00Z" },
  spec: { serviceAccountName: "api", containers: [{ name: "main", image: "api:1", env: [{ name: "TOKEN", value: "s3cr3t-value" }] }] },
  status: { phase: "Running" },
  ...extra,
});
const job = (items: unknown[], over: Partial<PageJob> = {}): PageJob => {
  const body = Buffer.from(JSON.stringify({ kind: "PodList", metadata: { continue: "next-token" }, items }));
  return { resource: "pods", ref, key: "p/l/c", body: new Uint8Array(body), gzip: false, ...over };
};

describe("Kubernetes list pages on the page worker", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: ESTATE });
  });
  afterAll(() => sim.close());

  it("collects the same records and outcomes as the main thread, with every page decoded on the worker", async () => {
    const worker = pageDecoder(true);
    const main = pageDecoder(false);
    const before = { ...worker.decoded };
    const onWorker = digest(await scan(sim, true));
    const onMainBefore = { ...main.decoded };
    const onMain = digest(await scan(sim, false));

    expect(worker.decoded.worker - before.worker).toBeGreaterThan(20);
    expect(worker.decoded.main).toBe(before.main);
    expect(main.decoded.main - onMainBefore.main).toBe(worker.decoded.worker - before.worker);
    expect(onWorker.sources.every((s) => !s.includes(" failed"))).toBe(true);
    // Pods, workloads, KSAs and Secrets' credential summaries, record for record.
    expect(onWorker.records.length).toBeGreaterThan(500);
    expect(onWorker.records.some((r) => r.includes('"kind":"pod"'))).toBe(true);
    expect(onWorker).toEqual(onMain);
  });

  it("ends the worker when a collect is done, and starts a new one for the next page", async () => {
    const d = pageDecoder(true);
    await scan(sim, true);
    expect(d.running).toBe(false);
    expect(d.onWorker).toBe(true);
    const before = d.decoded.worker;
    const reply = await d.decode(job([pod("api-1")]));
    expect("page" in reply).toBe(true);
    expect(d.decoded.worker).toBe(before + 1);
    expect(d.running).toBe(true);
    await d.release();
    expect(d.running).toBe(false);
  });

  it("decodes a gzipped page as the API server sends it, and keeps no environment value", async () => {
    const d = new PageDecoder();
    try {
      const plain = job([pod("api-1"), pod("api-2")]);
      const zipped = { ...plain, body: new Uint8Array(gzipSync(plain.body)), gzip: true };
      const [a, b] = await Promise.all([d.decode(plain), d.decode(zipped)]);
      expect(d.decoded).toEqual({ worker: 2, main: 0 });
      expect(a).toEqual(b);
      expect(a).toEqual(decodePage(plain, Buffer.from(plain.body).toString("utf8")));
      if (!("page" in a)) throw new Error(`not a page: ${JSON.stringify(a)}`);
      expect(a.page.cont).toBe("next-token");
      const pods = a.page.records.filter((r) => r.kind === "pod").map((r) => r.subject);
      expect(pods).toHaveLength(2);
      expect(pods.some((s) => s.endsWith("api-1")) && pods.some((s) => s.endsWith("api-2"))).toBe(true);
      expect(JSON.stringify(a)).not.toContain("s3cr3t-value");
    } finally {
      await d.close();
    }
  });

  it("fails a malformed object and a body that is not JSON as the main thread does", async () => {
    const d = new PageDecoder();
    try {
      const nameless = job([pod("ok"), { metadata: { namespace: "web" }, spec: {} }]);
      const malformed = await d.decode(nameless);
      expect(malformed).toEqual(decodePage(nameless, Buffer.from(nameless.body).toString("utf8")));
      expect("malformed" in malformed).toBe(true);
      // What the objects before the bad one gave is kept (the source is partial, not failed).
      const partial = (malformed as { partial?: { records: { kind: string; subject: string }[] } }).partial;
      // The ownerless pod before it: its record and its own workload's.
      expect(partial?.records.map((r) => r.kind)).toEqual(["pod", "workload"]);
      expect(partial?.records[0].subject.endsWith("/ok")).toBe(true);
      // Any other object the transform cannot read fails the page the same way, outside the retries.
      const odd = job([pod("ok"), pod("odd", { spec: { containers: [{ name: "m", env: 5 }] } })]);
      const failed = await d.decode(odd);
      expect(failed).toEqual(decodePage(odd, Buffer.from(odd.body).toString("utf8")));
      expect(failed).toMatchObject({ failed: expect.stringContaining("env"), partial: { records: [expect.objectContaining({ kind: "pod" }), expect.objectContaining({ kind: "workload" })] } });
      expect(replyError(failed as { failed: string }).message).toBe((failed as { failed: string }).failed);
      expect(await d.decode({ ...job([]), body: new Uint8Array(Buffer.from("null")) })).toEqual({ notJson: "a list must be a JSON object, not null" });
      const err = replyError(malformed as { malformed: string });
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect(err.message).toMatch(/name/);
      const m = job([]);
      const html = await d.decode({ ...m, body: new Uint8Array(Buffer.from("<html>502 Bad Gateway</html>")) });
      expect("notJson" in html).toBe(true);
      expect(replyError(html as { notJson: string }).message).toMatch(/^the API server's answer is not JSON: /);
      // V8 quotes the text around a bad token: in a list of Secrets, part of a value. It is not repeated.
      const cut = await d.decode({ ...m, resource: "secrets", body: new Uint8Array(Buffer.from('{"items":[{"metadata":{"name":"k","namespace":"web"},"data":{"key.json":"c2VjcmV0LXZhbHVl"}},]}')) });
      expect(cut).toEqual({ notJson: "Unexpected token ']' (the answer's text is not repeated here)" });
      expect(JSON.stringify(cut)).not.toContain("c2Vj");
      const badGzip = await d.decode({ ...m, body: new Uint8Array(Buffer.from("not gzip")), gzip: true });
      expect(badGzip).toEqual({ error: expect.stringMatching(/header/i) });
      expect(d.decoded).toEqual({ worker: 6, main: 0 });
    } finally {
      await d.close();
    }
  });

  it("decodes on the main thread, with one warning, when the worker cannot start", async () => {
    const warn = vi.spyOn(log, "warn").mockImplementation(() => {});
    const d = new PageDecoder(pathToFileURL(path.join(tmpdir(), "no-such-page-worker.mjs")));
    try {
      const j = job([pod("api-1")]);
      const replies = await Promise.all([d.decode(j), d.decode(j), d.decode(j)]);
      const expected = decodePage(j, Buffer.from(j.body).toString("utf8"));
      for (const r of replies) expect(r).toEqual(expected);
      expect(d.decoded.worker).toBe(0);
      expect(d.decoded.main).toBe(3);
      expect(d.onWorker).toBe(false);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/decoded on the scanner's main thread: the page worker .*Scans are slower, not different/);
    } finally {
      warn.mockRestore();
      await d.close();
    }
  });

  it("settles every page still waiting when it is closed", async () => {
    // A worker that never answers.
    const dir = mkdtempSync(path.join(tmpdir(), "wi-atlas-pages-"));
    const file = path.join(dir, "silent-worker.mjs");
    writeFileSync(file, `import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => {});\n`);
    const d = new PageDecoder(pathToFileURL(file));
    const j = job([pod("api-1")]);
    const waiting = d.decode(j);
    await new Promise((r) => setTimeout(r, 50));
    await d.close();
    expect(await waiting).toEqual(decodePage(j, Buffer.from(j.body).toString("utf8")));
    expect(d.decoded).toEqual({ worker: 0, main: 1 });
  });

  it("re-decodes on the main thread every page a worker held when it died", async () => {
    // A worker that takes pages and dies on the third, answering none.
    const dir = mkdtempSync(path.join(tmpdir(), "wi-atlas-pages-"));
    const file = path.join(dir, "dying-worker.mjs");
    writeFileSync(file, `import { parentPort } from "node:worker_threads";\nlet n = 0;\nparentPort.on("message", () => { if (++n === 3) process.exit(7); });\n`);
    const warn = vi.spyOn(log, "warn").mockImplementation(() => {});
    const d = new PageDecoder(pathToFileURL(file));
    try {
      const jobs = [1, 2, 3, 4].map((i) => job([pod(`api-${i}`)]));
      const replies = await Promise.all(jobs.map((j) => d.decode(j)));
      replies.forEach((r, i) => expect(r).toEqual(decodePage(jobs[i], Buffer.from(jobs[i].body).toString("utf8"))));
      expect(d.decoded.worker).toBe(0);
      expect(d.decoded.main).toBe(4);
      expect(String(warn.mock.calls[0][0])).toMatch(/exited \(code 7\)/);
      // Later pages go straight to the main thread.
      await d.decode(jobs[0]);
      expect(d.decoded.main).toBe(5);
    } finally {
      warn.mockRestore();
      await d.close();
    }
  });
});
