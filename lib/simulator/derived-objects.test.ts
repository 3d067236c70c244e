import { describe, expect, it } from "vitest";
import type { Manifest } from "./estate-schema";
import { dropDerivedObjects } from "./derived-objects";

/* Which objects of a `kubectl get -o yaml` dump the simulator derives itself, and so drops. */

const owner = (apiVersion: string, kind: string, name: string, controller: boolean | undefined = true) => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${name}`,
  ...(controller === undefined ? {} : { controller }),
});
const tmpl = { spec: { containers: [{ name: "c" }] } };
const obj = (kind: string, name: string, ns: string, extra: Record<string, unknown> = {}, refs?: object[], labels?: Record<string, string>) =>
  ({
    apiVersion: kind === "Pod" ? "v1" : ["Job", "CronJob"].includes(kind) ? "batch/v1" : "apps/v1",
    kind,
    metadata: { name, namespace: ns, ...(refs ? { ownerReferences: refs } : {}), ...(labels ? { labels } : {}) },
    ...extra,
  }) as unknown as Manifest;
const deploy = (name: string, ns = "web") => obj("Deployment", name, ns, { spec: { template: tmpl } });
const pod = (name: string, ns: string, refs?: object[], labels?: Record<string, string>) => obj("Pod", name, ns, { spec: tmpl.spec }, refs, labels);

function run(manifests: Manifest[]) {
  const { kept, skipped } = dropDerivedObjects(manifests);
  return { kept: kept.map((m) => `${m.kind}/${m.metadata.name}`), skipped: skipped.map((s) => `${s.manifest.kind}/${s.manifest.metadata.name}: ${s.because}`) };
}

describe("dropDerivedObjects", () => {
  it("drops a Deployment's dumped ReplicaSets (current and old) and their pods", () => {
    expect(
      run([
        deploy("api"),
        obj("ReplicaSet", "api-7f9c6d8b5d", "web", { spec: { template: tmpl } }, [owner("apps/v1", "Deployment", "api")]),
        obj("ReplicaSet", "api-5d8f7c6b9", "web", { spec: { replicas: 0, template: tmpl } }, [owner("apps/v1", "Deployment", "api")]),
        pod("api-7f9c6d8b5d-x2mqp", "web", [owner("apps/v1", "ReplicaSet", "api-7f9c6d8b5d")]),
      ]),
    ).toEqual({
      kept: ["Deployment/api"],
      skipped: [
        "ReplicaSet/api-7f9c6d8b5d: ReplicaSet of Deployment web/api",
        "ReplicaSet/api-5d8f7c6b9: ReplicaSet of Deployment web/api",
        "Pod/api-7f9c6d8b5d-x2mqp: Pod of ReplicaSet web/api-7f9c6d8b5d of Deployment web/api",
      ],
    });
  });

  it("recognises a Deployment's pod without its ReplicaSet by the pod-template-hash in the ReplicaSet's name", () => {
    expect(
      run([
        deploy("api"),
        deploy("api-gateway"),
        pod("api-gateway-6c8d9f7b4-wq7zn", "web", [owner("apps/v1", "ReplicaSet", "api-gateway-6c8d9f7b4")], { "pod-template-hash": "6c8d9f7b4" }),
        pod("api-6c8d9f7b4-k2p9z", "web", [owner("apps/v1", "ReplicaSet", "api-6c8d9f7b4")]),
      ]).skipped,
    ).toEqual([
      "Pod/api-gateway-6c8d9f7b4-wq7zn: Pod of ReplicaSet web/api-gateway-6c8d9f7b4 of Deployment web/api-gateway",
      "Pod/api-6c8d9f7b4-k2p9z: Pod of ReplicaSet web/api-6c8d9f7b4 of Deployment web/api",
    ]);
  });

  it("keeps a Deployment-named pod in another namespace, and a ReplicaSet owned by a Rollout, dropping only the pods it will run", () => {
    expect(
      run([
        deploy("api", "web"),
        pod("api-6c8d9f7b4-k2p9z", "staging", [owner("apps/v1", "ReplicaSet", "api-6c8d9f7b4")]),
        obj("ReplicaSet", "storefront-7b9f6d5c84", "web", { spec: { template: tmpl } }, [owner("argoproj.io/v1alpha1", "Rollout", "storefront")]),
        pod("storefront-7b9f6d5c84-hq2zt", "web", [owner("apps/v1", "ReplicaSet", "storefront-7b9f6d5c84")]),
      ]),
    ).toEqual({
      kept: ["Deployment/api", "Pod/api-6c8d9f7b4-k2p9z", "ReplicaSet/storefront-7b9f6d5c84"],
      skipped: ["Pod/storefront-7b9f6d5c84-hq2zt: Pod of ReplicaSet web/storefront-7b9f6d5c84"],
    });
  });

  it("drops a CronJob's Jobs and pods, also a pod whose Job was not dumped, and keeps a pod whose CronJob is not in the estate", () => {
    const cron = obj("CronJob", "report", "batch", { spec: { schedule: "0 2 * * *", jobTemplate: { spec: { template: tmpl } } } });
    expect(
      run([
        cron,
        obj("Job", "report-29427060", "batch", { spec: { template: tmpl } }, [owner("batch/v1", "CronJob", "report")]),
        pod("report-29427060-x7k2p", "batch", [owner("batch/v1", "Job", "report-29427060")]),
        pod("report-29425620-b8v4n", "batch", [owner("batch/v1", "Job", "report-29425620")]),
        pod("cleanup-29427000-q2w3e", "batch", [owner("batch/v1", "Job", "cleanup-29427000")]),
      ]),
    ).toEqual({
      kept: ["CronJob/report", "Pod/cleanup-29427000-q2w3e"],
      skipped: [
        "Job/report-29427060: Job of CronJob batch/report",
        "Pod/report-29427060-x7k2p: Pod of Job batch/report-29427060",
        "Pod/report-29425620-b8v4n: Pod of Job batch/report-29425620 of CronJob batch/report",
      ],
    });
  });

  it("drops pods of StatefulSets, DaemonSets and Jobs of the estate, and keeps pods of Workflows, operators and Nodes", () => {
    expect(
      run([
        obj("StatefulSet", "queue", "jobs", { spec: { template: tmpl } }),
        obj("DaemonSet", "agent", "kube-system", { spec: { template: tmpl } }),
        obj("Job", "migrate", "jobs", { spec: { template: tmpl } }),
        pod("queue-0", "jobs", [owner("apps/v1", "StatefulSet", "queue")]),
        pod("agent-x2k9p", "kube-system", [owner("apps/v1", "DaemonSet", "agent")]),
        pod("migrate-k8s2d", "jobs", [owner("batch/v1", "Job", "migrate")]),
        pod("etl-step-1827", "workflows", [owner("argoproj.io/v1alpha1", "Workflow", "etl")]),
        pod("kube-proxy-gke-prod-pool-a-1234", "kube-system", [owner("v1", "Node", "gke-prod-pool-a-1234")]),
        pod("queue-1", "other", [owner("apps/v1", "StatefulSet", "queue")]),
      ]).kept,
    ).toEqual(["StatefulSet/queue", "DaemonSet/agent", "Job/migrate", "Pod/etl-step-1827", "Pod/kube-proxy-gke-prod-pool-a-1234", "Pod/queue-1"]);
  });

  it("takes a sole owner written without the controller flag as the controller, but not one marked controller: false", () => {
    expect(run([deploy("api"), pod("api-6c8d9f7b4-k2p9z", "web", [owner("apps/v1", "ReplicaSet", "api-6c8d9f7b4", undefined)])]).kept).toEqual(["Deployment/api"]);
    expect(run([deploy("api"), pod("api-6c8d9f7b4-k2p9z", "web", [owner("apps/v1", "ReplicaSet", "api-6c8d9f7b4", false)])]).kept).toEqual([
      "Deployment/api",
      "Pod/api-6c8d9f7b4-k2p9z",
    ]);
  });
});
