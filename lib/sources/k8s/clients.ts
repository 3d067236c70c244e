/**
 * The real `@kubernetes/client-node` clients for one cluster. Each request asks for a current access
 * token (Google tokens last about an hour; long scans outlive them) and carries its own abort signal,
 * so timeouts and cancellation reach the socket. A KubeConfig per request keeps concurrent requests'
 * signals apart; building one is cheap. The connections are not per request: client-node would make
 * a new agent (and so a new TLS handshake) for every call, so each cluster's requests share one
 * keep-alive agent that trusts only that cluster's CA.
 */
import https from "node:https";
import * as k8s from "@kubernetes/client-node";

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
};

export function clusterClient(endpoint: ClusterEndpoint, token: () => Promise<string>): ClusterClient {
  // The certificate is always verified: against the cluster's CA, or the system's when it has none.
  const agent = new https.Agent({ keepAlive: true, ca: endpoint.caData ? Buffer.from(endpoint.caData, "base64") : undefined });
  return {
    endpoint,
    with: (signal, fn) => {
      const kc = new RequestKubeConfig(token, signal, agent);
      kc.loadFromOptions({
        clusters: [{ name: "c", server: endpoint.server, caData: endpoint.caData, skipTLSVerify: false }],
        users: [{ name: "u" }],
        contexts: [{ name: "x", cluster: "c", user: "u" }],
        currentContext: "x",
      });
      return fn({ core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) });
    },
  };
}
