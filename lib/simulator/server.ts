/**
 * The API simulator: one local HTTP server that answers as Google Cloud (Resource Manager, IAM,
 * container, Policy Analyzer, Cloud Asset), and the Kubernetes API of every cluster in an estate —
 * over HTTPS at the cluster's `endpoint` (its own loopback address, its own CA: cluster-endpoints.ts),
 * and over plain HTTP under `/clusters/P/L/N` for curl — so that the real `googleapis` and
 * `@kubernetes/client-node` clients, `gcloud` and `kubectl` work against it unchanged.
 *
 * It adds what a real network has: per-request latency, injected faults (any status with the API's
 * own error body, `Retry-After`, hangs, `missingZones`), a 401 without a bearer token, and request
 * counts per API for the benchmark. Given a file, it reloads the estate when the file changes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { statSync } from "node:fs";
import path from "node:path";
import { loadEstateFile, type LoadedEstate } from "./load-estate";
import { buildWorld, type World } from "./world";
import type { Fault } from "./estate-schema";
import { googleRoutes, SERVICE_TITLES } from "./google-routes";
import { assetRoutes } from "./asset-routes";
import { hubRoutes } from "./hub-routes";
import { iamRolesDenyRoutes } from "./iam-roles-deny-routes";
import { googleWriteRoutes } from "./google-write-routes";
import { pubsubRoutes, publishedMessages } from "./pubsub-routes";
import { handleK8s, K8S_PREFIX, forbiddenMessage } from "./k8s-routes";
import { ClusterEndpoints } from "./cluster-endpoints";
import { googleError, k8sStatus, permissionDenied, serviceDisabled, type SimApi, type SimRequest, type SimResponse } from "./http-types";
import { log } from "../log";

export type SimulatorStats = {
  /** Requests answered (or hung) per API since start or the last reset. */
  requests: Record<SimApi, number>;
  total: number;
  /** Highest number of requests in flight at once, per API. */
  maxInFlight: Record<SimApi, number>;
  faultsInjected: number;
  /** TLS connections accepted by the cluster endpoints (clients that keep connections alive open few). */
  k8sConnections: number;
};

export type Simulator = {
  url: string;
  port: number;
  /** The port of every cluster's HTTPS endpoint: `https://ENDPOINT:kubernetesPort`. */
  kubernetesPort: number;
  /** The world currently served. */
  world: () => World;
  /** The estate error from the last reload attempt, if the file became invalid. */
  estateError: () => string | undefined;
  stats: () => SimulatorStats;
  resetStats: () => void;
  /** Replaces the estate served (faults' counters restart). */
  setEstate: (estate: LoadedEstate) => void;
  /** Overrides the estate's per-request latency. */
  setLatency: (ms: number) => void;
  close: () => Promise<void>;
};

export type SimulatorOptions = {
  /** An estate file; reloaded when it (or a manifests file beside it) changes. */
  estatePath?: string;
  /** An estate already loaded (tests, generated estates). */
  estate?: LoadedEstate;
  port?: number;
  host?: string;
  latencyMs?: number;
};

const APIS: SimApi[] = ["crm", "iam", "container", "policyanalyzer", "cloudasset", "gkehub", "k8s", "pubsub"];
/** Every Google API route the simulator serves (the field-fidelity test walks each). */
export const ROUTES = [...googleRoutes, ...assetRoutes, ...hubRoutes, ...iamRolesDenyRoutes, ...googleWriteRoutes, ...pubsubRoutes];

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (ch === "*") re += "[^/]*";
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

type FaultState = { fault: Fault; re: RegExp; remaining: number };

function estateFiles(estate: LoadedEstate): string[] {
  const files = [estate.source];
  const dir = path.dirname(estate.source);
  for (const p of estate.projects) for (const c of p.clusters) if (c.manifestsFile) files.push(path.resolve(dir, c.manifestsFile));
  return files;
}

function mtimes(files: string[]): string {
  return files
    .map((f) => {
      try {
        return String(statSync(f).mtimeMs);
      } catch {
        return "missing";
      }
    })
    .join(",");
}

type Body = { body: unknown; rawBody?: string; contentType?: string };

/** A request's body: JSON parsed when it is JSON (every method may carry one; Kubernetes patches and Google writes do). */
function readBody(req: http.IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() || undefined;
    if (req.method === "GET" || req.method === "HEAD") return resolve({ body: undefined, contentType });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (!text) return resolve({ body: undefined, rawBody: undefined, contentType });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      resolve({ body, rawBody: text, contentType });
    });
    req.on("error", () => resolve({ body: undefined, contentType }));
  });
}

/** A list answer with more items than this is written as it is serialised (see sendStreamed). */
const STREAM_ITEMS = 100;
/** Items serialised per chunk of a streamed answer. */
const STREAM_CHUNK = 50;

/**
 * A large list answer (a page of 500 pods is over a megabyte of JSON) written a chunk of items at a
 * time, with the event loop free between chunks — as an API server streams its encoder's output,
 * chunked, without a content-length. The bytes are exactly JSON.stringify(body)'s. Serialising and
 * encrypting the whole page in one go held this one process for tens of milliseconds, and every
 * other API's answers due in that time (IAM's, whose 25 ms latency sets a scan's bound) were late.
 */
async function sendStreamed(res: http.ServerResponse, r: SimResponse, items: unknown[]) {
  const marker = "\u0000items\u0000";
  const text = JSON.stringify({ ...(r.body as object), items: marker });
  const at = text.indexOf(JSON.stringify(marker));
  const head = text.slice(0, at);
  const tail = text.slice(at + JSON.stringify(marker).length);
  res.writeHead(r.status, { "content-type": "application/json; charset=UTF-8", ...(r.headers ?? {}) });
  res.write(`${head}[`);
  for (let i = 0; i < items.length; i += STREAM_CHUNK) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (res.destroyed) return;
    const chunk = items.slice(i, i + STREAM_CHUNK).map((x) => JSON.stringify(x) ?? "null").join(",");
    if (!res.write(i === 0 ? chunk : `,${chunk}`)) await drainedOrClosed(res);
  }
  res.end(`]${tail}`);
}

/** Resolves once `res` can take more (or is gone), leaving no listener behind either way. */
export function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  let estate: LoadedEstate;
  if (opts.estate) estate = opts.estate;
  else if (opts.estatePath) estate = loadEstateFile(opts.estatePath);
  else throw new Error("startSimulator needs an estate or an estatePath");
  const initialEstate = estate;

  let world: World = undefined as unknown as World; // set by setEstate below
  let faults: FaultState[] = [];
  let latencyOverride: number | undefined = opts.latencyMs;
  let estateError: string | undefined;
  let watched = opts.estatePath ? estateFiles(estate) : [];
  let lastMtimes = watched.length ? mtimes(watched) : "";
  let lastCheck = 0;

  // Cloud Asset Inventory's index catches up with a change only `assetLagSeconds` after it.
  let assetWorld: World | undefined;
  let pendingAssetWorld: World | undefined;
  let assetSwitchAt = 0;
  let endpoints: ClusterEndpoints | undefined; // set once the plain server listens
  const setEstate = (e: LoadedEstate) => {
    const previous = assetWorld ? world : undefined;
    estate = e;
    world = buildWorld(e);
    if (previous && e.assetLagSeconds > 0) {
      assetWorld = previous;
      pendingAssetWorld = world;
      assetSwitchAt = Date.now() + e.assetLagSeconds * 1000;
    } else {
      assetWorld = world;
      pendingAssetWorld = undefined;
    }
    faults = e.faults.map((f) => ({ fault: f, re: globToRegExp(f.match.path), remaining: f.times ?? Number.POSITIVE_INFINITY }));
    endpoints?.update(world);
  };
  setEstate(estate);

  const maybeReload = () => {
    if (!opts.estatePath || Date.now() - lastCheck < 500) return;
    lastCheck = Date.now();
    const now = mtimes(watched);
    if (now === lastMtimes) return;
    lastMtimes = now;
    try {
      const e = loadEstateFile(opts.estatePath);
      setEstate(e);
      watched = estateFiles(e);
      lastMtimes = mtimes(watched);
      estateError = undefined;
      log.info(`Simulator reloaded ${opts.estatePath}`);
    } catch (err) {
      estateError = (err as Error).message;
      log.error(`Simulator kept the previous estate: ${estateError}`);
    }
  };

  const zero = () => Object.fromEntries(APIS.map((a) => [a, 0])) as Record<SimApi, number>;
  const emptyStats = (): SimulatorStats => ({ requests: zero(), total: 0, maxInFlight: zero(), faultsInjected: 0, k8sConnections: 0 });
  let stats = emptyStats();
  const inFlight = zero();
  const hanging = new Set<http.ServerResponse>();

  const send = (res: http.ServerResponse, r: SimResponse) => {
    const items = (r.body as { items?: unknown } | undefined)?.items;
    if (Array.isArray(items) && items.length > STREAM_ITEMS) {
      // Its own errors end the answer (mid-body, as a server that fails while streaming does) instead
      // of escaping as an unhandled rejection.
      sendStreamed(res, r, items).catch((err: unknown) => {
        log.error("Simulator: a streamed answer failed", err);
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
      return;
    }
    const body = JSON.stringify(r.body);
    res.writeHead(r.status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(body), ...(r.headers ?? {}) });
    res.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim");
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      pathname = url.pathname;
    }
    if (pathname.startsWith("/_simulator/")) pathname = "/_sim/" + pathname.slice("/_simulator/".length);
    if (pathname.startsWith("/_sim/")) {
      if (pathname === "/_sim/health") {
        maybeReload();
        return send(res, {
          status: 200,
          body: {
            status: estateError ? "estate-error" : "ok",
            estate: estate.source,
            estateError,
            organization: estate.organization?.name ?? null,
            now: new Date(world.now).toISOString(),
            // Where each cluster's `endpoint` serves its Kubernetes API over TLS: https://ENDPOINT:PORT.
            kubernetesPort: endpoints?.port,
          },
        });
      }
      if (pathname === "/_sim/stats") return send(res, { status: 200, body: stats });
      if (pathname === "/_sim/writes") return send(res, { status: 200, body: { writes: world.writes } });
      // Issue 13: what was published to the estate's Pub/Sub topics (wi-atlas's notifications).
      if (pathname === "/_sim/pubsub") return send(res, { status: 200, body: { messages: publishedMessages(world) } });
      if (pathname === "/_sim/reset" && req.method === "POST") {
        // Every write forgotten: the estate as its file says (or as it was given), built afresh.
        try {
          setEstate(opts.estatePath ? loadEstateFile(opts.estatePath) : initialEstate);
          estateError = undefined;
        } catch (err) {
          estateError = (err as Error).message;
          return send(res, { status: 500, body: { error: `the estate file no longer loads: ${estateError}` } });
        }
        log.info("Simulator reset: every write undone");
        return send(res, { status: 200, body: { reset: true, estate: estate.source } });
      }
      if (pathname === "/_sim/reset-stats" && req.method === "POST") {
        stats = emptyStats();
        return send(res, { status: 200, body: {} });
      }
      return send(res, { status: 404, body: { error: "unknown simulator endpoint" } });
    }
    maybeReload();
    const { body, rawBody, contentType } = await readBody(req);
    const k8s = K8S_PREFIX.exec(pathname);
    const method = (req.method ?? "GET").toUpperCase();
    if (pendingAssetWorld && Date.now() >= assetSwitchAt) {
      assetWorld = pendingAssetWorld;
      pendingAssetWorld = undefined;
    }
    const sreq: SimRequest = { method, path: pathname, rawPath: url.pathname, query: url.searchParams, body, rawBody, contentType, world, assetWorld };

    let api: SimApi | undefined;
    let route: (typeof ROUTES)[number] | undefined;
    let match: RegExpExecArray | null = null;
    if (k8s) api = "k8s";
    else {
      for (const r of ROUTES) {
        if (r.method !== method) continue;
        match = r.pattern.exec(pathname);
        if (match) {
          route = r;
          api = r.api;
          break;
        }
      }
    }
    if (!api) return send(res, googleError(404, `The requested URL ${pathname} was not found on this server.`));

    stats.requests[api]++;
    stats.total++;
    inFlight[api]++;
    stats.maxInFlight[api] = Math.max(stats.maxInFlight[api], inFlight[api]);
    const done = () => {
      inFlight[api]--;
    };
    res.on("close", done);

    const latency = latencyOverride ?? estate.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));

    const auth = req.headers.authorization;
    if (!auth || !/^Bearer \S+/.test(auth)) {
      if (api === "k8s") return send(res, k8sStatus(401, "Unauthorized"));
      return send(
        res,
        googleError(401, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."),
      );
    }

    // Injected faults.
    for (const f of faults) {
      if (f.remaining <= 0) continue;
      if (f.fault.match.method && f.fault.match.method !== method) continue;
      if (!f.re.test(pathname)) continue;
      if (f.fault.match.query && !Object.entries(f.fault.match.query).every(([k, v]) => url.searchParams.getAll(k).includes(v))) continue;
      if (f.fault.onContinue && !url.searchParams.get("continue")) continue;
      f.remaining--;
      stats.faultsInjected++;
      if (f.fault.hang) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if (f.fault.missingZones) {
        sreq.missingZones = f.fault.missingZones;
        break;
      }
      if (f.fault.repeatContinue) {
        sreq.repeatContinue = true;
        break;
      }
      const status = f.fault.status ?? 500;
      const headers: Record<string, string> = {};
      if (f.fault.retryAfter !== undefined) headers["retry-after"] = String(f.fault.retryAfter);
      let r: SimResponse;
      if (api === "k8s") {
        const rest = k8s?.[4] ?? "/";
        const msg = f.fault.message ?? (status === 403 ? forbiddenMessage(rest) : status === 429 ? "Too many requests, please try again later." : `simulated ${status}`);
        r = k8sStatus(status, msg, { reason: f.fault.reason });
      } else if (status === 403 && f.fault.reason === "SERVICE_DISABLED") {
        // The API is off in the project the caller's requests are billed to (for organization and
        // folder scopes that is the caller's own project, not one of the estate's).
        const service = api === "crm" ? "cloudresourcemanager.googleapis.com" : `${api}.googleapis.com`;
        r = serviceDisabled(service, f.fault.consumer ?? world.projects[0]?.projectNumber ?? "0", SERVICE_TITLES[service] ?? service);
      } else if (status === 403 && route && match) {
        const permission = f.fault.permission ?? route.permission(match, sreq);
        r = permissionDenied(api, permission, pathname.replace(/^\/v\d\//, "").replace(/:.*$/, ""), f.fault.message);
      } else {
        r = googleError(status, f.fault.message ?? (status === 429 ? "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service." : `simulated ${status}`), {
          status: f.fault.reason,
        });
      }
      return send(res, { ...r, headers });
    }

    try {
      if (k8s) {
        const cluster = world.clusterByPath.get(`${k8s[1]}/${k8s[2]}/${k8s[3]}`);
        if (!cluster) return send(res, k8sStatus(404, `no cluster ${k8s[1]}/${k8s[2]}/${k8s[3]} in this estate`));
        return send(res, handleK8s(cluster, k8s[4] ?? "/", sreq));
      }
      return send(res, route!.handle(match!, sreq));
    } catch (err) {
      log.error("Simulator handler failed", err);
      return send(res, api === "k8s" ? k8sStatus(500, "simulator error") : googleError(500, "Internal error encountered."));
    }
  };
  const server = http.createServer(handle);
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // A cluster endpoint serves only its cluster's Kubernetes API: its requests take the plain
  // server's path for that cluster, so faults written for `/clusters/P/L/N/…` apply to both.
  endpoints = new ClusterEndpoints(
    (req, res, clusterPath) => {
      if (!clusterPath) return send(res, k8sStatus(503, "this cluster endpoint is no longer in the estate"));
      req.url = `/clusters/${clusterPath}${req.url ?? "/"}`;
      void handle(req, res);
    },
    () => stats.k8sConnections++,
  );
  try {
    await endpoints.start(world, port);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  const kubernetesPort = endpoints.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    kubernetesPort,
    world: () => world,
    estateError: () => estateError,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    setEstate,
    setLatency: (ms) => {
      latencyOverride = ms;
    },
    close: async () => {
      for (const r of hanging) r.destroy();
      await endpoints?.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
