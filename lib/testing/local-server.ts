/**
 * A plain HTTP server on a free loopback port for tests that drive a real client against scripted
 * answers. `close` also ends kept-alive connections (a client's pooled socket would hold it open).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type LocalServer = { server: http.Server; url: string; close: () => Promise<void> };

export async function startLocalServer(listener: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
