/**
 * Where Kubernetes list pages are inflated, parsed and transformed: on one worker thread shared by
 * the process (page-worker.ts), so that the scanner's main thread only moves bytes and handles the
 * answers of every other request. While a scan lists its clusters' hundred thousand objects, doing
 * that on the main thread held each Google answer that arrived meanwhile for 50-130 ms where it
 * takes 27 ms alone — about ten seconds of an `org-l` collect (README, "Scale").
 *
 * The worker is started once, kept for the process's life and unreferenced while it has nothing to
 * do (it never keeps a process alive). If it cannot be started or dies, every page it held and every
 * later page is decoded on the main thread, as before, and a warning says so: a slower scan, never a
 * wrong one. `WI_ATLAS_K8S_WORKER=false` decodes on the main thread from the start.
 */
import { Worker } from "node:worker_threads";
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import { decodePage, type PageJob, type PageReply } from "./page-decode";
import { log } from "../../log";

const gunzipAsync = promisify(gunzip);

/** The worker's file: beside this module in a checkout (started through tsx), beside the bundle in the built app. */
export function pageWorkerFile(): URL {
  return import.meta.url.endsWith(".ts") ? new URL("./page-worker-boot.mjs", import.meta.url) : new URL("./k8s-pages.js", import.meta.url);
}

type Waiting = { job: PageJob; resolve: (r: PageReply) => void; reject: (e: unknown) => void };

export class PageDecoder {
  private worker: Worker | undefined;
  private broken: string | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  /** Pages decoded on the worker and on the main thread (the bench and tests read them). */
  readonly decoded = { worker: 0, main: 0 };

  /** `file` null: no worker (every page on the main thread). */
  constructor(private readonly file: URL | null = pageWorkerFile()) {
    if (!file) this.broken = "turned off (WI_ATLAS_K8S_WORKER=false)";
  }

  /** Whether pages go to the worker (false once it failed, or when it is turned off). */
  get onWorker(): boolean {
    return !this.broken;
  }

  /** Whether a worker thread is running now (it is ended between collects, see release). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Starts the worker ahead of the first page (it takes a few hundred milliseconds to load). */
  warm(): void {
    if (!this.broken) this.start();
  }

  /** The page's reply; rejects only when `signal` aborts first. */
  decode(job: PageJob, signal?: AbortSignal): Promise<PageReply> {
    if (this.broken) return this.onMain(job);
    const w = this.start();
    if (!w) return this.onMain(job);
    return new Promise<PageReply>((resolve, reject) => {
      const id = this.nextId++;
      if (this.waiting.size === 0) w.ref();
      this.waiting.set(id, { job, resolve, reject });
      signal?.addEventListener("abort", () => reject(signal.reason ?? new Error("aborted")), { once: true });
      // Copied, not transferred: if the worker dies, the page is decoded here from the same bytes.
      w.postMessage({ id, job });
    });
  }

  /**
   * Ends the worker once no page waits — a collect calls it when its lists are done, so that the
   * worker's heap (120-170 MiB at `org-l`) is returned before the analysis, the scan's peak. The
   * next page starts a new one.
   */
  async release(): Promise<void> {
    const w = this.worker;
    if (!w || this.waiting.size) return;
    this.worker = undefined;
    await w.terminate();
  }

  /** Stops the worker (tests; a process that exits does not need to). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.broken ??= "closed";
    // Pages still waiting are decoded here: every decode settles.
    const held = [...this.waiting.values()];
    this.waiting.clear();
    for (const h of held) this.onMain(h.job).then(h.resolve, h.reject);
    if (w) await w.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker || this.broken) return this.worker;
    let w: Worker;
    try {
      // A bounded heap: the worker holds a page or two at a time (the scanner's own budget is 1 GiB).
      w = new Worker(this.file!, { resourceLimits: { maxOldGenerationSizeMb: 256 } });
    } catch (err) {
      this.fail(`could not be started: ${(err as Error).message}`);
      return undefined;
    }
    this.worker = w;
    w.unref();
    w.on("message", (m: { id?: number; json?: string }) => {
      if (m.id === undefined) return;
      const waiting = this.waiting.get(m.id);
      if (!waiting) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      this.decoded.worker++;
      waiting.resolve(JSON.parse(m.json!) as PageReply);
    });
    // A worker released or closed on purpose is no longer `this.worker`: its exit is not a failure.
    w.on("error", (err) => this.worker === w && this.fail(`stopped: ${err.message}`));
    w.on("exit", (code) => this.worker === w && this.fail(`exited (code ${code})`));
    return w;
  }

  /** The worker is gone: what it held, and every later page, is decoded on the main thread. */
  private fail(why: string) {
    if (this.worker === undefined && this.broken) return;
    this.worker = undefined;
    if (!this.broken) {
      this.broken = why;
      log.warn(`Kubernetes pages are decoded on the scanner's main thread: the page worker ${why}. Scans are slower, not different.`);
    }
    const held = [...this.waiting.values()];
    this.waiting.clear();
    for (const h of held) this.onMain(h.job).then(h.resolve, h.reject);
  }

  private async onMain(job: PageJob): Promise<PageReply> {
    this.decoded.main++;
    let body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    if (job.gzip) {
      try {
        body = await gunzipAsync(body);
      } catch (err) {
        return { error: (err as Error).message };
      }
    }
    return decodePage(job, body.toString("utf8"));
  }
}

let shared: PageDecoder | undefined;
let sharedOff: PageDecoder | undefined;

/** The process's decoder (`useWorker` false: WI_ATLAS_K8S_WORKER=false). */
export function pageDecoder(useWorker = true): PageDecoder {
  if (!useWorker) return (sharedOff ??= new PageDecoder(null));
  return (shared ??= new PageDecoder());
}
