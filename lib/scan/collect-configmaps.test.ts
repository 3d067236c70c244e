/**
 * The scanner reads ConfigMaps only where a pod's credentials come from one — one GET per ConfigMap,
 * never a list — and each answer (200, 404, 403) feeds the `k8s.configmaps:P/L/C` source and the
 * records the analysis reads. Driven through the simulator with the real client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseEstateText } from "../simulator/load-estate";
import { startSimulator, type Simulator } from "../simulator/server";
import { simulatorClients } from "../sources/gcp/clients";
import { Caller } from "../sources/http/caller";
import { parseApiLimits } from "../config";
import { collect, type SourceOutcome } from "./collect";
import { simulatorCluster } from "../testing/scan-helpers";
import type { ConfigMapData, InventoryRecord } from "../inventory/model";

const C = "cm-prod/us-central1-a/web";
const GAC = "GOOGLE_APPLICATION_CREDENTIALS";

const deploy = (name: string, container: Record<string, unknown>, volumes: unknown[] = []) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "web" },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.27", ...container }], volumes } } },
});
const cm = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "web" }, data });

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  projects: [
    {
      projectId: "cm-prod",
      projectNumber: "300000000001",
      clusters: [
        {
          cluster: { name: "web", location: "us-central1-a", workloadIdentityConfig: { workloadPool: "cm-prod.svc.id.goog" }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
          manifests: [
            cm("api-env", { [GAC]: "/etc/gcp/key.json", API_TOKEN: "tok_live_51H8secret" }),
            cm("nginx-conf", { "nginx.conf": "events {}" }),
            cm("forbidden-env", { [GAC]: "/x.json" }),
            // Read by GET for the variable only: its mount is not where GOOGLE_APPLICATION_CREDENTIALS points.
            deploy("api", { envFrom: [{ configMapRef: { name: "api-env" } }, { configMapRef: { name: "gone", optional: true } }], volumeMounts: [{ name: "conf", mountPath: "/etc/nginx" }] }, [{ name: "conf", configMap: { name: "nginx-conf" } }]),
            deploy("worker", { envFrom: [{ configMapRef: { name: "forbidden-env" } }] }),
            // No credential comes from a ConfigMap here: nothing is read for it.
            deploy("static", { env: [{ name: GAC, value: "/etc/gcp/key.json" }], envFrom: [{ configMapRef: { name: "nginx-conf" } }] }),
          ],
        },
      ],
    },
  ],
  faults: [
    // Any list of ConfigMaps, and any read of one no credential comes from, would hit these.
    { match: { path: `/clusters/${C}/api/v1/configmaps` }, status: 500 },
    { match: { path: `/clusters/${C}/api/v1/namespaces/*/configmaps` }, status: 500 },
    { match: { path: `/clusters/${C}/api/v1/namespaces/web/configmaps/nginx-conf` }, status: 500 },
    { match: { path: `/clusters/${C}/api/v1/namespaces/web/configmaps/forbidden-env` }, status: 403 },
  ],
});

describe("the scanner and ConfigMaps", () => {
  let sim: Simulator;
  let outcomes: SourceOutcome[];
  beforeAll(async () => {
    sim = await startSimulator({ estate: parseEstateText(ESTATE, "cm.yaml") });
    const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 5000, retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    outcomes = await collect(
      { folders: [], projects: ["cm-prod"], clusters: [], readSecrets: true },
      // As on GKE: the cluster's HTTPS endpoint, trusting only the CA it advertises.
      { google: simulatorClients(sim.url), caller, endpointFor: (c) => simulatorCluster(sim, `${c.projectId}/${c.location}/${c.name}`) },
    );
  });
  afterAll(async () => sim.close());

  it("GETs only the ConfigMaps a credential may come from: no list, nothing else (only the 403 fault was met)", () => {
    expect(sim.stats().faultsInjected).toBe(1);
  });

  it("records what each answer said: the value kept, a 404 as absent, a 403 as nothing — and the source partial with its 403", () => {
    const o = outcomes.find((x) => x.source === `k8s.configmaps:${C}`)!;
    expect([o.status, o.httpStatus, o.requests]).toEqual(["partial", 403, 3]);
    const recs = o.records as InventoryRecord<ConfigMapData>[];
    expect(recs.map((r) => [r.subject, r.data.looked, r.data.present, r.data.values, r.data.absent ?? false]).sort()).toEqual([
      [`configmap:${C}/web/api-env`, ["CLOUDSDK_CONFIG", GAC], [GAC], { [GAC]: "/etc/gcp/key.json" }, false],
      [`configmap:${C}/web/gone`, ["CLOUDSDK_CONFIG", GAC], [], {}, true],
    ]);
    expect(JSON.stringify(recs)).not.toContain("tok_live");
  });
});
