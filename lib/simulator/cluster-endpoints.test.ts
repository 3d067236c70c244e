import { afterAll, beforeAll, describe, expect, it } from "vitest";
import https from "node:https";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { simulatorClients } from "../sources/gcp/clients";
import { clusterClient, gkeEndpoint } from "../sources/k8s/clients";

/*
 * Each cluster's Kubernetes API is reached as on GKE: the `endpoint` and `masterAuth` the container
 * API reports, over TLS, trusting only the advertised CA — driven through the real clients.
 */

const estate = (clusters: string[]) =>
  parseEstateText(
    `
now: "2026-11-29T00:00:00Z"
faults:
  - {match: {path: "/clusters/tls-proj/asia-northeast1/locked/api/v1/secrets"}, status: 403}
projects:
  - projectId: tls-proj
    projectNumber: "300000000001"
    clusters:
${clusters
  .map(
    (name) => `      - cluster: {name: ${name}, location: asia-northeast1, nodePools: [{name: default-pool}]}
        manifests:
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: app-${name}, namespace: web}}`,
  )
  .join("\n")}
`,
    "tls.yaml",
  );

type Cluster = { name: string; endpoint: string; caData: string };

let sim: Simulator;
let clusters: Cluster[];

/** What a GKE client knows of the clusters: the container API's answer. */
async function listClusters(s: Simulator): Promise<Cluster[]> {
  const r = await simulatorClients(s.url).container.projects.locations.clusters.list({ parent: "projects/tls-proj/locations/-" });
  return (r.data.clusters ?? []).map((c) => ({ name: c.name!, endpoint: c.endpoint!, caData: c.masterAuth!.clusterCaCertificate! }));
}

function ksaNames(s: Simulator, c: Cluster, caData = c.caData) {
  const client = clusterClient(gkeEndpoint({ endpoint: c.endpoint }, { masterAuth: { clusterCaCertificate: caData } }, s.kubernetesPort), async () => "token");
  return client.with(AbortSignal.timeout(5000), async ({ core }) => (await core.listNamespacedServiceAccount({ namespace: "web" })).items.map((sa) => sa.metadata!.name!));
}

/** One HTTPS GET with node:https, returning the status or the TLS error's code. */
function rawGet(host: string, port: number, path: string, opts: { caData?: string; token?: string } = {}): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.get(
      { host, port, path, ca: opts.caData ? Buffer.from(opts.caData, "base64") : undefined, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {}, agent: false },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code }));
  });
}

beforeAll(async () => {
  sim = await startSimulator({ estate: estate(["alpha", "locked"]) });
  clusters = await listClusters(sim);
});
afterAll(async () => {
  await sim.close();
});

describe("cluster endpoints", () => {
  it("give every cluster a bare loopback address as its endpoint and one shared port, told in /_sim/health", async () => {
    expect(clusters.map((c) => [c.name, c.endpoint])).toEqual([
      ["alpha", "127.100.0.1"],
      ["locked", "127.100.0.2"],
    ]);
    const health = (await (await fetch(`${sim.url}/_sim/health`)).json()) as { kubernetesPort: number };
    expect(health.kubernetesPort).toBe(sim.kubernetesPort);
    expect(sim.kubernetesPort).toBeGreaterThan(0);
  });

  it("serve each cluster's own objects to the real client trusting the CA that cluster advertises", async () => {
    expect(await ksaNames(sim, clusters[0])).toEqual(["app-alpha", "default"]);
    expect(await ksaNames(sim, clusters[1])).toEqual(["app-locked", "default"]);
  });

  it("refuse a client that trusts another cluster's CA, or only the system's: the certificate does not chain to them", async () => {
    await expect(ksaNames(sim, clusters[0], clusters[1].caData)).rejects.toThrow(/unable to verify the first certificate/);
    expect(await rawGet(clusters[0].endpoint, sim.kubernetesPort, "/version", { caData: clusters[1].caData })).toEqual({ error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    expect(await rawGet(clusters[0].endpoint, sim.kubernetesPort, "/version")).toEqual({ error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  it("answer 401 without a bearer token, and the faults written for /clusters/P/L/N paths, as the plain prefix does", async () => {
    const [alpha, locked] = clusters;
    const anonymous = await rawGet(alpha.endpoint, sim.kubernetesPort, "/api/v1/namespaces", { caData: alpha.caData });
    expect([anonymous.status, JSON.parse(anonymous.body!).reason]).toEqual([401, "Unauthorized"]);
    const denied = await rawGet(locked.endpoint, sim.kubernetesPort, "/api/v1/secrets", { caData: locked.caData, token: "t" });
    expect([denied.status, JSON.parse(denied.body!).reason]).toEqual([403, "Forbidden"]);
    const plain = await fetch(`${sim.url}/clusters/tls-proj/asia-northeast1/locked/api/v1/secrets`, { headers: { authorization: "Bearer t" } });
    expect(plain.status).toBe(403);
    const allowed = await rawGet(alpha.endpoint, sim.kubernetesPort, "/api/v1/secrets", { caData: alpha.caData, token: "t" });
    expect([allowed.status, JSON.parse(allowed.body!).kind]).toEqual([200, "SecretList"]);
  });

  it("serve only Kubernetes: a Google API path on a cluster endpoint is a Kubernetes 404", async () => {
    const r = await rawGet(clusters[0].endpoint, sim.kubernetesPort, "/v1/projects/tls-proj/serviceAccounts", { caData: clusters[0].caData, token: "t" });
    expect([r.status, JSON.parse(r.body!).kind]).toEqual([404, "Status"]);
  });

  it("keep the plain-HTTP /clusters/P/L/N prefix for curl", async () => {
    const r = await fetch(`${sim.url}/clusters/tls-proj/asia-northeast1/alpha/api/v1/namespaces/web/serviceaccounts`, { headers: { authorization: "Bearer t" } });
    expect(((await r.json()) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).toEqual(["app-alpha", "default"]);
  });

  it("keep connections alive: 20 requests of one client cost one TLS handshake", async () => {
    sim.resetStats();
    const c = clusters[0];
    const client = clusterClient(gkeEndpoint({ endpoint: c.endpoint }, { masterAuth: { clusterCaCertificate: c.caData } }, sim.kubernetesPort), async () => "t");
    for (let i = 0; i < 20; i++) await client.with(AbortSignal.timeout(5000), ({ core }) => core.listNamespace());
    expect([sim.stats().requests.k8s, sim.stats().k8sConnections]).toEqual([20, 1]);
  });
});

describe("cluster endpoints across estate edits", () => {
  it("open a listener for an added cluster, keep every other cluster's CA, and close a removed cluster's", async () => {
    const s = await startSimulator({ estate: estate(["one", "two"]) });
    try {
      const before = await listClusters(s);
      s.setEstate(estate(["one", "two", "three"]));
      const after = await listClusters(s);
      expect(after.map((c) => [c.name, c.endpoint])).toEqual([
        ["one", "127.100.0.1"],
        ["two", "127.100.0.2"],
        ["three", "127.100.0.3"],
      ]);
      expect(after.slice(0, 2).map((c) => c.caData)).toEqual(before.map((c) => c.caData));
      expect(await ksaNames(s, after[2])).toEqual(["app-three", "default"]);
      expect(await ksaNames(s, after[0])).toEqual(["app-one", "default"]);

      s.setEstate(estate(["one"]));
      await new Promise((r) => setTimeout(r, 50));
      expect(await rawGet(after[2].endpoint, s.kubernetesPort, "/version", { caData: after[2].caData })).toEqual({ error: "ECONNREFUSED" });
    } finally {
      await s.close();
    }
  });

  it("let two simulators serve the same loopback addresses side by side, each on its own port", async () => {
    const other = await startSimulator({ estate: estate(["alpha"]) });
    try {
      expect(other.kubernetesPort).not.toBe(sim.kubernetesPort);
      const [c] = await listClusters(other);
      expect(c.endpoint).toBe(clusters[0].endpoint);
      expect(await ksaNames(other, c)).toEqual(["app-alpha", "default"]);
    } finally {
      await other.close();
    }
  });
});
