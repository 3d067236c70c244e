/**
 * One cluster's client. Configuration, authentication and TLS are `@kubernetes/client-node`'s: a
 * KubeConfig is loaded for the cluster and its `applyToHTTPSOptions` gives the CA, client
 * certificate, server name and headers every request uses, for real GKE and the simulator alike.
 * The scanner's reads (`getJson`) do not go through client-node's generated API classes: those turn
 * every object of a page into model classes (Dates, renamed fields) that the scanner would only turn
 * back into wire JSON — most of a list's CPU. `getJson` GETs the API path and parses the body once.
 * `with` keeps the generated clients for writes and tests.
 *
 * Each request asks for a current access token (Google tokens last about an hour; long scans
 * outlive them) and carries its own abort signal, so timeouts and cancellation reach the socket.
 * The connections are not per request: client-node would make a new agent (and so a new TLS
 * handshake) for every call, so each cluster's requests share one keep-alive agent that trusts only
 * that cluster's CA.
 */
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import zlib from "node:zlib";
import * as k8s from "@kubernetes/client-node";
import { notJsonReason, replyError } from "./page-decode";

export type ClusterEndpoint = {
  /** `https://ENDPOINT` for GKE; `https://ENDPOINT:PORT` for the simulator (its cluster endpoints share one port). */
  server: string;
  /** Base64 PEM of the cluster CA (GKE's masterAuth.clusterCaCertificate): the only CA trusted for it. */
  caData?: string;
};

/**
 * How `gcloud container clusters get-credentials` reaches a cluster: `https://ENDPOINT` (the bare
 * address the container API reports), trusting the CA the cluster advertises. `port` is for the
 * simulator, whose cluster endpoints all listen on one port.
 */
export function gkeEndpoint(cluster: { endpoint: string | null }, raw: Record<string, unknown>, port?: number): ClusterEndpoint {
  const caData = ((raw.masterAuth as Record<string, unknown> | undefined)?.clusterCaCertificate as string | undefined) ?? undefined;
  return { server: `https://${cluster.endpoint}${port ? `:${port}` : ""}`, caData };
}

class RequestKubeConfig extends k8s.KubeConfig {
  constructor(
    private readonly token: () => Promise<string>,
    private readonly signal: AbortSignal,
    private readonly agent: https.Agent,
  ) {
    super();
  }
  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam("Authorization", `Bearer ${await this.token()}`);
    context.setSignal(this.signal as never);
    context.setAgent(this.agent);
  }
}

export type ClusterApis = { core: k8s.CoreV1Api; apps: k8s.AppsV1Api; batch: k8s.BatchV1Api };

export type ClusterClient = {
  endpoint: ClusterEndpoint;
  /** Runs `fn` with API clients whose requests carry `signal`. */
  with: <T>(signal: AbortSignal, fn: (apis: ClusterApis) => Promise<T>) => Promise<T>;
  /**
   * GETs `path` (`/api/v1/pods`…) with `query` and returns the parsed JSON body. A status other
   * than 2xx is thrown as client-node's ApiException is ({code, body, headers}), so one function
   * (fromK8sError) reads both.
   */
  getJson: (path: string, query: Record<string, string | number | undefined>, signal: AbortSignal) => Promise<unknown>;
  /**
   * GETs `path` as getJson does (same errors) and returns the body as it came: `gzip` when the
   * server compressed it. List pages are inflated and parsed by the page worker (pages.ts).
   */
  getBody: (path: string, query: Record<string, string | number | undefined>, signal: AbortSignal) => Promise<{ body: Buffer; gzip: boolean }>;
};

/** What client-node throws for an HTTP error; fromK8sError reads `code`, `body` and `headers`. */
export class K8sHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: http.IncomingHttpHeaders,
  ) {
    super(`HTTP ${code}`);
    this.name = "K8sHttpError";
  }
}

function loadConfig(endpoint: ClusterEndpoint, kc: k8s.KubeConfig = new k8s.KubeConfig()): k8s.KubeConfig {
  kc.loadFromOptions({
    clusters: [{ name: "c", server: endpoint.server, caData: endpoint.caData, skipTLSVerify: false }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

export function clusterClient(endpoint: ClusterEndpoint, token: () => Promise<string>): ClusterClient {
  // The certificate is always verified: against the cluster's CA, or the system's when it has none.
  const agent = new https.Agent({ keepAlive: true, ca: endpoint.caData ? Buffer.from(endpoint.caData, "base64") : undefined });
  // What client-node would apply to every request (CA, client certificate, server name, headers),
  // worked out once per cluster; its own agent (one per call, no keep-alive) is replaced by ours.
  let prepared: Promise<{ agent: https.Agent; headers: Record<string, string> }> | undefined;
  const prepare = () =>
    (prepared ??= (async () => {
      const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
      const kc = loadConfig(endpoint);
      await kc.applyToHTTPSOptions(opts);
      (opts.agent as https.Agent | undefined)?.destroy();
      const tlsOpts = { ca: opts.ca, cert: opts.cert, key: opts.key };
      const own = new https.Agent({
        keepAlive: true,
        ...tlsOpts,
        // Built once: without it every new connection parses the CA and client certificate again
        // (tls.connect makes a SecureContext per socket), and a scan opens several per cluster.
        secureContext: tls.createSecureContext(tlsOpts),
        servername: opts.servername,
        ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      });
      return { agent: own, headers: { ...(opts.headers ?? {}) } };
    })());
  const base = endpoint.server.replace(/\/+$/, "");
  return {
    endpoint,
    with: (signal, fn) => {
      const kc = loadConfig(endpoint, new RequestKubeConfig(token, signal, agent));
      return fn({ core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) });
    },
    getJson: async (path, query, signal) => parseBody(await send(path, query, signal)),
    getBody: (path, query, signal) => send(path, query, signal),
  };
  async function send(path: string, query: Record<string, string | number | undefined>, signal: AbortSignal) {
    const { agent: a, headers } = await prepare();
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    const bearer = await token();
    return getBody(url, a, { ...headers, authorization: `Bearer ${bearer}`, accept: "application/json", "accept-encoding": "gzip" }, signal);
  }
}

/** A body getBody returned, inflated off the main thread when gzipped, and parsed once. */
function parseBody({ body, gzip }: { body: Buffer; gzip: boolean }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, buf: Buffer) => {
      if (err) return reject(err);
      try {
        resolve(JSON.parse(buf.toString("utf8")));
      } catch (e) {
        reject(replyError({ notJson: notJsonReason(e as Error) }));
      }
    };
    if (gzip) zlib.gunzip(body, done);
    else done(null, body);
  });
}

/**
 * One GET: the body is gathered as it arrives and handed back whole, with whether it is gzipped
 * (the API server compresses large lists); a status other than 2xx is a K8sHttpError.
 */
function getBody(url: URL, agent: https.Agent, headers: Record<string, string>, signal: AbortSignal): Promise<{ body: Buffer; gzip: boolean }> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== "https:") return reject(new Error(`${url.origin}: only HTTPS is allowed for a cluster endpoint`));
    const req = https.request(url, { method: "GET", agent, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      let ended = false;
      res.on("error", reject);
      // Cut off mid-body (an abort, a reset): never resolve with half a page.
      res.on("close", () => !ended && reject(signal.aborted ? abortError(signal) : new Error("the connection closed before the answer was complete")));
      res.on("end", () => {
        ended = true;
        const body = Buffer.concat(chunks);
        const gzip = res.headers["content-encoding"] === "gzip";
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve({ body, gzip });
        // An error's body is read as text (fromK8sError reads its Status).
        const fail = (err: Error | null, buf: Buffer) => reject(err ?? new K8sHttpError(status, buf.toString("utf8"), res.headers));
        if (gzip) zlib.gunzip(body, fail);
        else fail(null, body);
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The error an aborted request ends with, named as fetch names it (fromK8sError reads the name). */
function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as Error | undefined;
  if (reason instanceof Error && (reason.name === "TimeoutError" || reason.name === "AbortError")) return reason;
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
}
