/**
 * A kubeconfig for every cluster the simulator serves, laid out as `gcloud container clusters
 * get-credentials` writes one: a cluster, a context and a user per cluster, all named
 * `gke_PROJECT_LOCATION_NAME`, the server `https://ENDPOINT:PORT` with the cluster's own CA. Where
 * gcloud's user runs `gke-gcloud-auth-plugin`, this one carries a fixed token (the simulator accepts
 * any bearer token; kubectl sends it only over TLS, which is why the endpoints serve TLS).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import type { World } from "./world";

/** The first line of every kubeconfig the simulator writes: it overwrites only files that carry it. */
export const KUBECONFIG_MARK = "# Written by wi-atlas `npm run simulator -- --kubeconfig`: one context per simulated cluster.";

/** The bearer token the written user carries. */
export const KUBECONFIG_TOKEN = "wi-atlas-simulator";

/** gcloud's name for a cluster's context, cluster and user entries. */
export function gkeContextName(c: { project: { projectId: string }; location: string; name: string }): string {
  return `gke_${c.project.projectId}_${c.location}_${c.name}`;
}

export function kubeconfigYaml(world: World, kubernetesPort: number): string {
  const names = world.clusters.map(gkeContextName);
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    clusters: world.clusters.map((c, i) => ({
      name: names[i],
      cluster: {
        "certificate-authority-data": (c.json.masterAuth as { clusterCaCertificate: string }).clusterCaCertificate,
        server: `https://${c.json.endpoint as string}:${kubernetesPort}`,
      },
    })),
    contexts: names.map((n) => ({ name: n, context: { cluster: n, user: n } })),
    "current-context": names[0] ?? "",
    users: names.map((n) => ({ name: n, user: { token: KUBECONFIG_TOKEN } })),
  };
  return `${KUBECONFIG_MARK}\n${stringify(doc, { lineWidth: 0 })}`;
}

/**
 * Writes the kubeconfig to `file`, refusing to overwrite a file the simulator did not write (a
 * user's ~/.kube/config, say): the contexts would replace theirs.
 */
export function writeKubeconfig(file: string, world: World, kubernetesPort: number): void {
  if (existsSync(file) && !readFileSync(file, "utf8").startsWith(KUBECONFIG_MARK)) {
    throw new Error(`${file} exists and was not written by the simulator; choose another file (then KUBECONFIG=FILE kubectl …)`);
  }
  writeFileSync(file, kubeconfigYaml(world, kubernetesPort), { mode: 0o600 });
}
