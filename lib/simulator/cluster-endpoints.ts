/**
 * The clusters' Kubernetes endpoints: one HTTPS listener per cluster on its own loopback address
 * (its `endpoint`), all on one port, each presenting the certificate its cluster's CA issued for that
 * address. A request is handed on with the cluster it reached, so the simulator answers it like the
 * plain-HTTP `/clusters/P/L/N` prefix (same faults, latency and counts).
 */
import https from "node:https";
import type http from "node:http";
import type { World } from "./world";
import type { ClusterTls } from "./cluster-tls";
import { log } from "../log";

/** Called with `P/L/N` of the cluster whose address the request reached (undefined: none any more). */
export type ClusterRequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, clusterPath: string | undefined) => void;

type Listener = { server: https.Server; tls: ClusterTls };

function listen(server: https.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, address, () => {
      server.off("error", onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closeServer(server: https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function unavailable(err: NodeJS.ErrnoException, address: string): Error {
  if (err.code !== "EADDRNOTAVAIL") return err;
  return new Error(
    `Cannot listen on ${address}: the simulator gives each cluster its own loopback address (127.100.0.0/16 and up). Linux treats all of 127.0.0.0/8 as loopback; elsewhere add the addresses as loopback aliases (macOS: sudo ifconfig lo0 alias ${address}).`,
  );
}

export class ClusterEndpoints {
  private listeners = new Map<string, Listener>();
  private pathByAddress = new Map<string, string>();
  /** The one port every cluster endpoint listens on. */
  port = 0;

  /** `onConnection` is told of every TLS connection accepted (the handshakes a scan costs). */
  constructor(
    private readonly onRequest: ClusterRequestHandler,
    private readonly onConnection: () => void = () => undefined,
  ) {}

  private create(tls: ClusterTls): https.Server {
    const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => this.onRequest(req, res, this.pathByAddress.get(req.socket.localAddress ?? "")));
    server.on("secureConnection", () => this.onConnection());
    // As the plain server: clients keep connections open between requests (no handshake per request).
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    return server;
  }

  private index(world: World) {
    this.pathByAddress = new Map(world.clusters.map((c) => [c.tls.address, `${c.project.projectId}/${c.location}/${c.name}`]));
  }

  /**
   * Listens on every cluster's address, on `preferred` (the simulator's own port, so one number
   * serves all) when it is free on all of them, else on one port the kernel picks for the first.
   */
  async start(world: World, preferred: number): Promise<number> {
    this.index(world);
    const clusters = world.clusters.map((c) => c.tls);
    for (let attempt = 0; attempt < 6; attempt++) {
      let port = attempt === 0 ? preferred : 0;
      const bound: Listener[] = [];
      try {
        for (const tls of clusters) {
          const server = this.create(tls);
          try {
            port = await listen(server, tls.address, port);
          } catch (err) {
            throw unavailable(err as NodeJS.ErrnoException, tls.address);
          }
          bound.push({ server, tls });
        }
        for (const l of bound) this.listeners.set(l.tls.address, l);
        this.port = port || preferred;
        return this.port;
      } catch (err) {
        await Promise.all(bound.map((l) => closeServer(l.server)));
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      }
    }
    throw new Error("Could not find one port free on every cluster endpoint address");
  }

  /**
   * Follows an estate change: a new cluster gets a listener on the same port, a cluster whose
   * certificate changed gets it swapped in place, a removed cluster's listener closes.
   */
  update(world: World): void {
    this.index(world);
    const wanted = new Map(world.clusters.map((c) => [c.tls.address, c.tls]));
    for (const [address, l] of this.listeners) {
      const tls = wanted.get(address);
      if (!tls) {
        this.listeners.delete(address);
        void closeServer(l.server);
      } else if (tls !== l.tls) {
        l.server.setSecureContext({ key: tls.keyPem, cert: tls.certPem });
        l.tls = tls;
      }
    }
    for (const [address, tls] of wanted) {
      if (this.listeners.has(address)) continue;
      const server = this.create(tls);
      this.listeners.set(address, { server, tls });
      listen(server, address, this.port).catch((err) => {
        this.listeners.delete(address);
        log.error(`The simulator could not serve the cluster endpoint https://${address}:${this.port}`, unavailable(err as NodeJS.ErrnoException, address));
      });
    }
  }

  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => closeServer(l.server)));
  }
}
