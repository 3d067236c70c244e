import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { EstateError, parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { simulatorClients } from "../sources/gcp/clients";
import { simulatorCluster } from "../testing/scan-helpers";

/*
 * ConfigMaps as a real API server serves them, read through the real @kubernetes/client-node:
 * declared ones as given (binaryData untouched) and the kube-root-ca.crt the controller manager
 * publishes in every namespace.
 */

const PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: shop-prod
    projectNumber: "300000000001"
    clusters:
      - cluster: {name: prod, location: europe-west1, nodePools: [{name: default-pool, initialNodeCount: 1}]}
        manifests:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: checkout-config
              namespace: shop
              labels: {app.kubernetes.io/name: checkout, app.kubernetes.io/part-of: shop}
            data:
              LOG_LEVEL: info
              GOOGLE_APPLICATION_CREDENTIALS: /var/secrets/google/key.json
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: branding, namespace: shop}
            binaryData:
              logo.png: ${PNG_1PX}
            immutable: true
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: feature-flags}
            data: {checkout.v2: "true"}
`;

let sim: Simulator;
let prod: <T>(fn: (apis: ClusterApis) => Promise<T>) => Promise<T>;
const keyOf = (o: V1ConfigMap) => `${o.metadata?.namespace}/${o.metadata?.name}`;

beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(ESTATE, "test.yaml") });
  const client = clusterClient(simulatorCluster(sim, "shop-prod/europe-west1/prod"), async () => "t");
  prod = (fn) => client.with(AbortSignal.timeout(5_000), fn);
});
afterAll(async () => {
  await sim.close();
});

describe("ConfigMaps", () => {
  it("lists every ConfigMap across namespaces, with kube-root-ca.crt in each namespace, in namespace/name order", async () => {
    const all = await prod((a) => a.core.listConfigMapForAllNamespaces({}));
    expect(all.items.map(keyOf)).toEqual([
      "default/feature-flags",
      "default/kube-root-ca.crt",
      "kube-node-lease/kube-root-ca.crt",
      "kube-public/kube-root-ca.crt",
      "kube-system/kube-root-ca.crt",
      "shop/branding",
      "shop/checkout-config",
      "shop/kube-root-ca.crt",
    ]);
  });

  it("puts the cluster CA the container API advertises (masterAuth.clusterCaCertificate) in kube-root-ca.crt's ca.crt", async () => {
    const { data } = await simulatorClients(sim.url).container.projects.locations.clusters.list({ parent: "projects/shop-prod/locations/-" });
    const advertised = Buffer.from(data.clusters![0].masterAuth!.clusterCaCertificate!, "base64").toString("utf8");
    expect(advertised).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const cm = await prod((a) => a.core.readNamespacedConfigMap({ namespace: "shop", name: "kube-root-ca.crt" }));
    expect(cm.data).toEqual({ "ca.crt": advertised });
    expect(cm.metadata!.annotations!["kubernetes.io/description"]).toMatch(/^Contains a CA bundle that can be used to verify the kube-apiserver/);
    expect([cm.kind, cm.apiVersion]).toEqual(["ConfigMap", "v1"]);
  });

  it("lists one namespace's ConfigMaps and gets one by name, data as given", async () => {
    const shop = await prod((a) => a.core.listNamespacedConfigMap({ namespace: "shop" }));
    expect(shop.items.map(keyOf)).toEqual(["shop/branding", "shop/checkout-config", "shop/kube-root-ca.crt"]);
    const cm = await prod((a) => a.core.readNamespacedConfigMap({ namespace: "shop", name: "checkout-config" }));
    expect(cm.data).toEqual({ LOG_LEVEL: "info", GOOGLE_APPLICATION_CREDENTIALS: "/var/secrets/google/key.json" });
    expect(cm.metadata!.labels).toEqual({ "app.kubernetes.io/name": "checkout", "app.kubernetes.io/part-of": "shop" });
    expect(cm.metadata!.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("keeps binaryData and immutable as given", async () => {
    const cm = await prod((a) => a.core.readNamespacedConfigMap({ namespace: "shop", name: "branding" }));
    expect(cm.binaryData).toEqual({ "logo.png": PNG_1PX });
    expect(cm.data).toBeUndefined();
    expect(cm.immutable).toBe(true);
  });

  it("puts a ConfigMap without metadata.namespace in default", async () => {
    const cm = await prod((a) => a.core.readNamespacedConfigMap({ namespace: "default", name: "feature-flags" }));
    expect(cm.data).toEqual({ "checkout.v2": "true" });
  });

  it("pages ConfigMaps with limit/continue like the other lists", async () => {
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await prod((a) => a.core.listConfigMapForAllNamespaces({ limit: 3, _continue: cont }));
      seen.push(...page.items.map(keyOf));
      cont = page.metadata?._continue;
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(seen.length).toBe(8);
    expect(new Set(seen).size).toBe(8);
  });

  it("filters ConfigMaps by label and field selectors", async () => {
    const byLabel = await prod((a) => a.core.listConfigMapForAllNamespaces({ labelSelector: "app.kubernetes.io/name=checkout" }));
    expect(byLabel.items.map(keyOf)).toEqual(["shop/checkout-config"]);
    const byName = await prod((a) => a.core.listConfigMapForAllNamespaces({ fieldSelector: "metadata.name=kube-root-ca.crt" }));
    expect(byName.items.length).toBe(5);
  });

  it("answers 404 NotFound for a ConfigMap that does not exist", async () => {
    const err = await prod((a) => a.core.readNamespacedConfigMap({ namespace: "shop", name: "ghost" })).catch((e: unknown) => e as { code: number; body: string });
    expect((err as { code: number }).code).toBe(404);
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({ kind: "Status", reason: "NotFound", message: 'configmaps "ghost" not found' });
  });

  it("refuses a ConfigMap whose data value is not a string, at the value's line, as the API server would", () => {
    const text = [
      "projects:", // 1
      "  - projectId: shop-prod", // 2
      '    projectNumber: "300000000001"', // 3
      "    clusters:", // 4
      "      - cluster: {name: prod, location: europe-west1}", // 5
      "        manifests:", // 6
      "          - {apiVersion: v1, kind: ConfigMap, metadata: {name: limits}, data: {MAX_CONNECTIONS: 100}}", // 7
      "",
    ].join("\n");
    let problems: string[] = [];
    try {
      parseEstateText(text, "test.yaml");
    } catch (e) {
      expect(e).toBeInstanceOf(EstateError);
      problems = (e as EstateError).problems;
    }
    expect(problems).toEqual([
      "test.yaml:7:97 projects[0].clusters[0].manifests[0].data.MAX_CONNECTIONS: ConfigMap data values must be strings (quote numbers and booleans, as the API server requires)",
    ]);
  });
});
