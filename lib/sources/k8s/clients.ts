/**
 * The real `@kubernetes/client-node` clients for one cluster. Each request asks for a current access
 * token (Google tokens last about an hour; long scans outlive them) and carries its own abort signal,
 * so timeouts and cancellation reach the socket. A KubeConfig per request keeps concurrent requests'
 * signals apart; building one is cheap.
 */
import * as k8s from "@kubernetes/client-node";

export type ClusterEndpoint = {
  /** https://ENDPOINT for GKE, or the simulator's /clusters/P/L/N prefix. */
  server: string;
  /** Base64 PEM of the cluster CA (GKE's masterAuth.clusterCaCertificate). */
  caData?: string;
  skipTLSVerify?: boolean;
};

class RequestKubeConfig extends k8s.KubeConfig {
  constructor(
    private readonly token: () => Promise<string>,
    private readonly signal: AbortSignal,
  ) {
    super();
  }
  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam("Authorization", `Bearer ${await this.token()}`);
    context.setSignal(this.signal as never);
  }
}

export type ClusterApis = { core: k8s.CoreV1Api; apps: k8s.AppsV1Api; batch: k8s.BatchV1Api };

export type ClusterClient = {
  endpoint: ClusterEndpoint;
  /** Runs `fn` with API clients whose requests carry `signal`. */
  with: <T>(signal: AbortSignal, fn: (apis: ClusterApis) => Promise<T>) => Promise<T>;
};

export function clusterClient(endpoint: ClusterEndpoint, token: () => Promise<string>): ClusterClient {
  return {
    endpoint,
    with: (signal, fn) => {
      const kc = new RequestKubeConfig(token, signal);
      kc.loadFromOptions({
        clusters: [{ name: "c", server: endpoint.server, caData: endpoint.caData, skipTLSVerify: endpoint.skipTLSVerify ?? false }],
        users: [{ name: "u" }],
        contexts: [{ name: "x", cluster: "c", user: "u" }],
        currentContext: "x",
      });
      return fn({ core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) });
    },
  };
}
