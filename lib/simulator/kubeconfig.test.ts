import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseEstateText } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import { KUBECONFIG_MARK, KUBECONFIG_TOKEN, kubeconfigYaml, writeKubeconfig } from "./kubeconfig";

const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: kc-prod
    projectNumber: "400000000001"
    clusters:
      - cluster: {name: main, location: europe-west1, nodePools: [{name: default-pool}]}
        manifests:
          - {apiVersion: v1, kind: Namespace, metadata: {name: payments}}
      - cluster: {name: edge, location: europe-west1-b, nodePools: [{name: default-pool}]}
        manifests:
          - {apiVersion: v1, kind: Namespace, metadata: {name: ingress}}
`;

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ estate: parseEstateText(ESTATE, "kc.yaml") });
  dir = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-kubeconfig-"));
});
afterAll(async () => {
  await sim.close();
});

describe("the simulator's kubeconfig", () => {
  it("names a cluster, context and user per cluster as gcloud does, with the HTTPS endpoint, the cluster's CA and a token", () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfigYaml(sim.world(), sim.kubernetesPort));
    expect(kc.getContexts().map((c) => [c.name, c.cluster, c.user])).toEqual([
      ["gke_kc-prod_europe-west1_main", "gke_kc-prod_europe-west1_main", "gke_kc-prod_europe-west1_main"],
      ["gke_kc-prod_europe-west1-b_edge", "gke_kc-prod_europe-west1-b_edge", "gke_kc-prod_europe-west1-b_edge"],
    ]);
    expect(kc.getCurrentContext()).toBe("gke_kc-prod_europe-west1_main");
    const [main, edge] = sim.world().clusters;
    expect(kc.getClusters().map((c) => [c.server, c.caData, c.skipTLSVerify])).toEqual([
      [`https://127.100.0.1:${sim.kubernetesPort}`, (main.json.masterAuth as { clusterCaCertificate: string }).clusterCaCertificate, false],
      [`https://127.100.0.2:${sim.kubernetesPort}`, (edge.json.masterAuth as { clusterCaCertificate: string }).clusterCaCertificate, false],
    ]);
    expect(kc.getUsers().map((u) => u.token)).toEqual([KUBECONFIG_TOKEN, KUBECONFIG_TOKEN]);
  });

  it("reaches each cluster through client-node's own kubeconfig handling (TLS verified against the cluster's CA)", async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfigYaml(sim.world(), sim.kubernetesPort));
    const seen: string[][] = [];
    for (const ctx of ["gke_kc-prod_europe-west1_main", "gke_kc-prod_europe-west1-b_edge"]) {
      kc.setCurrentContext(ctx);
      const r = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      seen.push(r.items.map((n) => n.metadata!.name!).filter((n) => !n.startsWith("kube-") && n !== "default"));
    }
    expect(seen).toEqual([["payments"], ["ingress"]]);
  });

  it("is written owner-only, overwrites a file it wrote, and refuses to overwrite anyone else's kubeconfig", () => {
    const file = path.join(dir, "sim.yaml");
    writeKubeconfig(file, sim.world(), sim.kubernetesPort);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").split("\n")[0]).toBe(KUBECONFIG_MARK);
    writeKubeconfig(file, sim.world(), sim.kubernetesPort);

    const mine = path.join(dir, "config");
    writeFileSync(mine, "apiVersion: v1\nkind: Config\nclusters: []\n");
    expect(() => writeKubeconfig(mine, sim.world(), sim.kubernetesPort)).toThrow(/exists and was not written by the simulator/);
    expect(readFileSync(mine, "utf8")).toBe("apiVersion: v1\nkind: Config\nclusters: []\n");
  });
});
