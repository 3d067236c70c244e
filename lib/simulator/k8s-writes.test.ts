import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiException, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from "@kubernetes/client-node";
import { startSimulator, type Simulator } from "./server";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { estateFromYaml, simulatorCluster } from "../testing/scan-helpers";
import type { Json } from "./world";
import { CLUSTER, ESTATE, GKE_LABEL } from "../testing/k8s-write-estate";

/*
 * Writes to a simulated cluster's Kubernetes API through the real @kubernetes/client-node, over HTTPS
 * to the cluster's endpoint as on GKE: every verb and patch type, conflicts, dry runs, and what the
 * controllers do after (a Deployment's new ReplicaSet, pods rescheduled onto the GKE-metadata pool).
 */

let sim: Simulator;
let api: <T>(fn: (a: ClusterApis) => Promise<T>) => Promise<T>;

const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);
const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);

const world = () => sim.world();
const cluster = () => world().clusterByPath.get(CLUSTER)!;
const objects = (r: keyof ReturnType<typeof cluster>["objects"], ns = "web") => cluster().objects[r].filter((o) => (o.metadata as Json).namespace === ns);
const names = (xs: Json[]) => xs.map((o) => (o.metadata as Json).name as string);
const nodePool = (nodeName: unknown) => {
  const n = cluster().objects.nodes.find((x) => (x.metadata as Json).name === nodeName);
  return n ? ((n.metadata as Json).labels as Record<string, string>)["cloud.google.com/gke-nodepool"] : undefined;
};
const ownedBy = (o: Json, uid: unknown) => (((o.metadata as Json).ownerReferences as Json[] | undefined) ?? []).some((r) => r.uid === uid);
const podsOf = (rsOrOwner: Json) => objects("pods").filter((p) => ownedBy(p, (rsOrOwner.metadata as Json).uid));

/** The error a client call answers with: its HTTP code and Status body. */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: Json }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return { code: e.code, body: (typeof e.body === "string" ? JSON.parse(e.body) : e.body) as Json };
    throw e;
  }
  throw new Error("the call succeeded");
}

beforeAll(async () => {
  sim = await startSimulator({ estate: estateFromYaml(ESTATE) });
  const client = clusterClient(simulatorCluster(sim, CLUSTER), async () => "token");
  api = (fn) => client.with(AbortSignal.timeout(20_000), fn);
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  const r = await fetch(`${sim.url}/_simulator/reset`, { method: "POST" });
  expect(r.status).toBe(200);
});

describe("PATCH", () => {
  it("annotates a ServiceAccount with a merge patch (what kubectl annotate sends), bumping its resourceVersion and the cluster's, and logs the write", async () => {
    const before = cluster().objects.serviceaccounts.find((s) => (s.metadata as Json).name === "app")!;
    const listRv = Number(cluster().resourceVersion);
    const got = await api((a) =>
      a.core.patchNamespacedServiceAccount({ name: "app", namespace: "web", body: { metadata: { annotations: { "iam.gke.io/gcp-service-account": "app@wp.iam.gserviceaccount.com" } } }, fieldManager: "kubectl-annotate" }, merge),
    );
    expect(got.metadata?.annotations).toEqual({ "iam.gke.io/gcp-service-account": "app@wp.iam.gserviceaccount.com" });
    expect(got.metadata?.uid).toBe((before.metadata as Json).uid);
    expect(Number(got.metadata?.resourceVersion)).toBe(listRv + 1);
    expect(cluster().resourceVersion).toBe(got.metadata?.resourceVersion);
    expect(got.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([["kubectl-annotate", "Update"]]);
    const read = await api((a) => a.core.readNamespacedServiceAccount({ name: "app", namespace: "web" }));
    expect(read.metadata?.annotations?.["iam.gke.io/gcp-service-account"]).toBe("app@wp.iam.gserviceaccount.com");
    expect(world().writes.map((w) => [w.api, w.method, w.summary])).toEqual([["k8s", "PATCH", "patched (merge patch) serviceaccount web/app"]]);
    // null deletes, as RFC 7386 says (kubectl annotate KEY-).
    const removed = await api((a) => a.core.patchNamespacedServiceAccount({ name: "app", namespace: "web", body: { metadata: { annotations: { "iam.gke.io/gcp-service-account": null } } } }, merge));
    expect(removed.metadata?.annotations).toBeUndefined();
  });

  it("rolls a Deployment onto the GKE-metadata pool after a strategic merge patch of its serviceAccountName and nodeSelector: a new ReplicaSet, the old one scaled to 0", async () => {
    const dep = objects("deployments").find((d) => (d.metadata as Json).name === "api")!;
    const oldRs = objects("replicasets").find((r) => ownedBy(r, (dep.metadata as Json).uid))!;
    expect(podsOf(oldRs).map((p) => nodePool((p.spec as Json).nodeName))).toEqual(["legacy", "legacy"]);
    // The patch the fixes print, with the pool pin removed (null), as a fix on a pinned workload must.
    const got = await api((a) =>
      a.apps.patchNamespacedDeployment(
        { name: "api", namespace: "web", body: { spec: { template: { spec: { serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true", "cloud.google.com/gke-nodepool": null } } } } } },
        strategic,
      ),
    );
    expect(got.spec?.template.spec?.nodeSelector).toEqual({ [GKE_LABEL]: "true" });
    expect(got.spec?.template.spec?.serviceAccountName).toBe("app");
    expect(got.spec?.template.spec?.serviceAccount).toBe("app");
    expect(got.metadata?.generation).toBe(2);
    expect(got.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    expect(got.status?.observedGeneration).toBe(2);
    expect(got.status?.updatedReplicas).toBe(2);
    const rss = objects("replicasets").filter((r) => ownedBy(r, (dep.metadata as Json).uid));
    expect(rss.length).toBe(2);
    const newRs = rss.find((r) => (r.metadata as Json).name !== (oldRs.metadata as Json).name)!;
    expect((oldRs.metadata as Json).name).not.toBe((newRs.metadata as Json).name);
    expect(rss.map((r) => [(r.metadata as Json).name, (r.spec as Json).replicas])).toEqual(
      expect.arrayContaining([
        [(oldRs.metadata as Json).name, 0],
        [(newRs.metadata as Json).name, 2],
      ]),
    );
    const hash = ((newRs.metadata as Json).labels as Record<string, string>)["pod-template-hash"];
    expect((newRs.metadata as Json).name).toBe(`api-${hash}`);
    const pods = podsOf(newRs);
    expect(pods.map((p) => [nodePool((p.spec as Json).nodeName), (p.spec as Json).serviceAccountName, (p.status as Json).phase])).toEqual([
      ["wi", "app", "Running"],
      ["wi", "app", "Running"],
    ]);
    expect(pods.every((p) => ((p.metadata as Json).labels as Json)["pod-template-hash"] === hash)).toBe(true);
    expect(podsOf(oldRs)).toEqual([]);
    // The real client reads the same pods back.
    const listed = await api((a) => a.core.listNamespacedPod({ namespace: "web", labelSelector: "app=api" }));
    expect(listed.items.map((p: V1Pod) => p.spec?.serviceAccountName)).toEqual(["app", "app"]);
  });

  it("leaves a rollout stalled when the new pods fit no node: one surge pod Pending with the scheduler's message, the old pods still running", async () => {
    // GKE label added, pool pin kept: no node is both.
    await api((a) => a.apps.patchNamespacedDeployment({ name: "api", namespace: "web", body: { spec: { template: { spec: { nodeSelector: { [GKE_LABEL]: "true" } } } } } }, strategic));
    const pods = objects("pods").filter((p) => ((p.metadata as Json).labels as Json).app === "api");
    const pending = pods.filter((p) => (p.status as Json).phase === "Pending");
    expect(pending.length).toBe(1);
    expect(((pending[0].status as Json).conditions as Json[])[0]).toEqual({
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message: "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector.",
    });
    expect(pods.filter((p) => (p.status as Json).phase === "Running").map((p) => nodePool((p.spec as Json).nodeName))).toEqual(["legacy", "legacy"]);
    const dep = await api((a) => a.apps.readNamespacedDeployment({ name: "api", namespace: "web" }));
    expect([dep.status?.replicas, dep.status?.updatedReplicas, dep.status?.availableReplicas, dep.status?.conditions?.find((c) => c.type === "Progressing")?.reason]).toEqual([3, 1, 2, "ReplicaSetUpdated"]);
  });

  it("merges containers and env by name and honours $patch: delete and $setElementOrder (what kubectl set env VAR- sends)", async () => {
    const got = await api((a) =>
      a.apps.patchNamespacedDeployment(
        {
          name: "api",
          namespace: "web",
          body: { spec: { template: { spec: { containers: [{ name: "api", env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", $patch: "delete" }] }] } } } },
        },
        strategic,
      ),
    );
    const c = got.spec!.template.spec!.containers[0];
    expect([c.name, c.image, c.env]).toEqual(["api", "gcr.io/wp/api:1", [{ name: "MODE", value: "prod" }]]);
    expect(c.volumeMounts).toEqual([{ name: "key", mountPath: "/var/secrets/google" }]);
    // Volumes merged by name: delete one; volumeMounts by mountPath.
    const after = await api((a) =>
      a.apps.patchNamespacedDeployment(
        {
          name: "api",
          namespace: "web",
          body: {
            spec: {
              template: {
                spec: {
                  "$setElementOrder/containers": [{ name: "api" }],
                  containers: [{ name: "api", volumeMounts: [{ mountPath: "/var/secrets/google", $patch: "delete" }] }],
                  volumes: [{ name: "key", $patch: "delete" }],
                },
              },
            },
          },
        },
        strategic,
      ),
    );
    expect(after.spec!.template.spec!.containers[0].volumeMounts).toBeUndefined();
    expect(after.spec!.template.spec!.volumes).toBeUndefined();
  });

  it("applies an RFC 6902 JSON patch, and answers 422 when its test operation fails", async () => {
    const got = await api((a) =>
      a.core.patchNamespacedConfigMap({ name: "settings", namespace: "web", body: [{ op: "test", path: "/data/mode", value: "prod" }, { op: "replace", path: "/data/mode", value: "dev" }, { op: "add", path: "/data/extra", value: "1" }] }, jsonPatch),
    );
    expect(got.data).toEqual({ mode: "dev", extra: "1" });
    const bad = await failure(api((a) => a.core.patchNamespacedConfigMap({ name: "settings", namespace: "web", body: [{ op: "test", path: "/data/mode", value: "prod" }] }, jsonPatch)));
    expect([bad.code, bad.body.reason]).toEqual([422, "Invalid"]);
    const missing = await failure(api((a) => a.core.patchNamespacedConfigMap({ name: "settings", namespace: "web", body: [{ op: "remove", path: "/data/nope" }] }, jsonPatch)));
    expect(missing.code).toBe(400);
  });

  it("answers 404 NotFound for a patch of an object that does not exist", async () => {
    const r = await failure(api((a) => a.core.patchNamespacedServiceAccount({ name: "nope", namespace: "web", body: { metadata: { labels: { a: "b" } } } }, merge)));
    expect([r.code, r.body.reason, r.body.message]).toEqual([404, "NotFound", 'serviceaccounts "nope" not found']);
  });

  it("server-side applies: creates what is missing, merges into what exists, and records the field manager", async () => {
    const ksa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "new-ksa", namespace: "web", annotations: { "iam.gke.io/gcp-service-account": "n@wp.iam.gserviceaccount.com" } } };
    const created = await api((a) => a.core.patchNamespacedServiceAccount({ name: "new-ksa", namespace: "web", body: ksa, fieldManager: "kubectl", force: false }, apply));
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([["kubectl", "Apply"]]);
    const dep = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api", namespace: "web" },
      spec: { template: { spec: { serviceAccountName: "new-ksa", nodeSelector: { [GKE_LABEL]: "true", "cloud.google.com/gke-nodepool": null }, containers: [{ name: "api", image: "gcr.io/wp/api:2" }] } } },
    };
    const got = await api((a) => a.apps.patchNamespacedDeployment({ name: "api", namespace: "web", body: dep, fieldManager: "ci" }, apply));
    expect(got.spec?.template.spec?.containers.map((c) => [c.name, c.image, c.env?.length])).toEqual([["api", "gcr.io/wp/api:2", 2]]);
    expect(got.metadata?.managedFields?.map((m) => m.manager)).toContain("ci");
    expect(podsOf(objects("replicasets").find((r) => ((r.spec as Json).replicas as number) > 0 && ((r.metadata as Json).name as string).startsWith("api-"))!).map((p) => [nodePool((p.spec as Json).nodeName), (p.spec as Json).serviceAccountName])).toEqual([
      ["wi", "new-ksa"],
      ["wi", "new-ksa"],
    ]);
    const noManager = await failure(api((a) => a.core.patchNamespacedServiceAccount({ name: "new-ksa", namespace: "web", body: ksa }, apply)));
    expect([noManager.code, noManager.body.message]).toEqual([400, "PATCH /serviceaccounts: fieldManager is required for apply requests"]);
  });
});

describe("POST, PUT and DELETE", () => {
  it("creates a ServiceAccount (201 with uid and creationTimestamp), then answers 409 AlreadyExists for the same name", async () => {
    const created = await api((a) => a.core.createNamespacedServiceAccount({ namespace: "web", body: { metadata: { name: "worker" } } }));
    expect(created.metadata?.namespace).toBe("web");
    expect(created.metadata?.creationTimestamp?.toISOString()).toBe("2026-11-29T00:00:00.000Z");
    expect(names(objects("serviceaccounts"))).toEqual(["app", "default", "worker"]);
    const again = await failure(api((a) => a.core.createNamespacedServiceAccount({ namespace: "web", body: { metadata: { name: "worker" } } })));
    expect([again.code, again.body.reason, again.body.message]).toEqual([409, "AlreadyExists", 'serviceaccounts "worker" already exists']);
  });

  it("creates a Deployment with its ReplicaSet and scheduled pods", async () => {
    const body: V1Deployment = {
      metadata: { name: "fresh" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "fresh" } },
        template: { metadata: { labels: { app: "fresh" } }, spec: { serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true" }, containers: [{ name: "fresh", image: "x:1" }] } },
      },
    };
    const got = await api((a) => a.apps.createNamespacedDeployment({ namespace: "web", body }));
    expect([got.metadata?.generation, got.spec?.strategy?.type, got.status?.readyReplicas]).toEqual([1, "RollingUpdate", 2]);
    const rs = objects("replicasets").filter((r) => ownedBy(r, got.metadata?.uid));
    expect(rs.length).toBe(1);
    expect(podsOf(rs[0]).map((p) => nodePool((p.spec as Json).nodeName))).toEqual(["wi", "wi"]);
    const invalid = await failure(api((a) => a.apps.createNamespacedDeployment({ namespace: "web", body: { ...body, metadata: { name: "broken" }, spec: { ...body.spec!, template: { ...body.spec!.template, spec: { containers: [] } } } } })));
    expect([invalid.code, invalid.body.reason, invalid.body.message]).toEqual([422, "Invalid", 'Deployment.apps "broken" is invalid: spec.template.spec.containers: Required value']);
  });

  it("replaces with PUT, and answers 409 Conflict for a stale resourceVersion as the API server words it", async () => {
    const cm = await api((a) => a.core.readNamespacedConfigMap({ name: "settings", namespace: "web" }));
    const updated = await api((a) => a.core.replaceNamespacedConfigMap({ name: "settings", namespace: "web", body: { ...cm, data: { mode: "canary" } } }));
    expect(updated.data).toEqual({ mode: "canary" });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(cm.metadata?.resourceVersion));
    const stale = await failure(api((a) => a.core.replaceNamespacedConfigMap({ name: "settings", namespace: "web", body: { ...cm, data: { mode: "x" } } })));
    expect([stale.code, stale.body.reason, stale.body.message]).toEqual([
      409,
      "Conflict",
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    ]);
    expect(objects("configmaps").find((c) => (c.metadata as Json).name === "settings")!.data).toEqual({ mode: "canary" });
  });

  it("deletes a Deployment with its ReplicaSets and pods (the garbage collector's background propagation), then answers 404", async () => {
    const r = await api((a) => a.apps.deleteNamespacedDeployment({ name: "api", namespace: "web" }));
    expect([r.status, r.details?.name, r.details?.group, r.details?.kind]).toEqual(["Success", "api", "apps", "deployments"]);
    expect(names(objects("deployments"))).toEqual(["free"]);
    expect(names(objects("replicasets")).filter((n) => n.startsWith("api-"))).toEqual([]);
    expect(names(objects("pods")).filter((n) => n.startsWith("api-"))).toEqual([]);
    const again = await failure(api((a) => a.apps.deleteNamespacedDeployment({ name: "api", namespace: "web" })));
    expect([again.code, again.body.message]).toEqual([404, 'deployments.apps "api" not found']);
  });

  it("creates a bare Pod as kubectl run does, scheduled by its nodeSelector, and deletes it", async () => {
    const pod = await api((a) =>
      a.core.createNamespacedPod({
        namespace: "web",
        body: { metadata: { name: "wi-check", labels: { run: "wi-check" } }, spec: { serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true" }, restartPolicy: "Never", containers: [{ name: "wi-check", image: "google/cloud-sdk:slim" }] } },
      }),
    );
    expect([nodePool(pod.spec?.nodeName), pod.spec?.serviceAccountName, pod.status?.phase]).toEqual(["wi", "app", "Running"]);
    expect(pod.spec?.volumes?.[0].name).toMatch(/^kube-api-access-/);
    const deleted = await api((a) => a.core.deleteNamespacedPod({ name: "wi-check", namespace: "web" }));
    expect(deleted.metadata?.name).toBe("wi-check");
    expect(names(objects("pods")).includes("wi-check")).toBe(false);
  });

  it("refuses a change of a running pod's serviceAccountName (pod specs are immutable)", async () => {
    const name = names(objects("pods")).find((n) => n.startsWith("api-"))!;
    const r = await failure(api((a) => a.core.patchNamespacedPod({ name, namespace: "web", body: { spec: { serviceAccountName: "app" } } }, strategic)));
    expect([r.code, r.body.reason]).toEqual([422, "Invalid"]);
    expect(String(r.body.message)).toContain("Forbidden: pod updates may not change fields other than `spec.containers[*].image`");
  });

  it("replaces a deleted ReplicaSet pod under a new name, as the ReplicaSet controller does", async () => {
    const before = names(objects("pods")).filter((n) => n.startsWith("api-"));
    await api((a) => a.core.deleteNamespacedPod({ name: before[0], namespace: "web" }));
    const after = names(objects("pods")).filter((n) => n.startsWith("api-"));
    expect(after.length).toBe(2);
    expect(after).toContain(before[1]);
    expect(after).not.toContain(before[0]);
  });
});

describe("dry runs", () => {
  it("answers a dryRun=All patch, create and delete as the write would, and changes nothing", async () => {
    const rv = cluster().resourceVersion;
    const before = JSON.stringify(cluster().objects);
    const patched = await api((a) => a.apps.patchNamespacedDeployment({ name: "api", namespace: "web", dryRun: "All", body: { spec: { template: { spec: { serviceAccountName: "app" } } } } }, strategic));
    expect([patched.spec?.template.spec?.serviceAccountName, patched.metadata?.generation]).toEqual(["app", 2]);
    const created = await api((a) => a.core.createNamespacedServiceAccount({ namespace: "web", dryRun: "All", body: { metadata: { name: "ghost" } } }));
    expect(created.metadata?.name).toBe("ghost");
    const deleted = await api((a) => a.core.deleteNamespacedSecret({ name: "gsa-key", namespace: "web", dryRun: "All" }));
    expect(deleted.status).toBe("Success");
    expect(JSON.stringify(cluster().objects)).toBe(before);
    expect(cluster().resourceVersion).toBe(rv);
    expect(world().writes).toEqual([]);
    const bad = await failure(api((a) => a.core.createNamespacedServiceAccount({ namespace: "web", dryRun: "Some", body: { metadata: { name: "ghost" } } })));
    expect(bad.code).toBe(400);
  });
});

describe("controllers after a write", () => {
  it("keeps running pods running when a Secret they mount is deleted, and leaves new pods that need it in ContainerCreating", async () => {
    await api((a) => a.core.deleteNamespacedSecret({ name: "gsa-key", namespace: "web" }));
    const running = objects("pods").filter((p) => ((p.metadata as Json).labels as Json).app === "api");
    expect(running.map((p) => (p.status as Json).phase)).toEqual(["Running", "Running"]);
    await api((a) => a.apps.patchNamespacedDeployment({ name: "api", namespace: "web", body: { spec: { template: { metadata: { annotations: { restartedAt: "now" } } } } } }, strategic));
    const pods = objects("pods").filter((p) => ((p.metadata as Json).labels as Json).app === "api");
    const waiting = pods.filter((p) => (p.status as Json).phase === "Pending");
    expect(waiting.map((p) => (((p.status as Json).containerStatuses as Json[])[0].state as Json).waiting)).toEqual([{ reason: "ContainerCreating" }]);
    // The stalled rollout keeps both old pods.
    expect(pods.filter((p) => (p.status as Json).phase === "Running").length).toBe(2);
  });

  it("moves a DaemonSet's pods to the GKE-metadata nodes when its nodeSelector asks for them", async () => {
    const ds = objects("daemonsets")[0];
    expect(podsOf(ds).map((p) => nodePool((p.spec as Json).nodeName)).sort()).toEqual(["legacy", "legacy", "wi", "wi"]);
    await api((a) => a.apps.patchNamespacedDaemonSet({ name: "agent", namespace: "web", body: { spec: { template: { spec: { nodeSelector: { [GKE_LABEL]: "true" } } } } } }, strategic));
    expect(podsOf(ds).map((p) => nodePool((p.spec as Json).nodeName))).toEqual(["wi", "wi"]);
  });

  it("replaces a StatefulSet's pods under the same names with new uids after a template change", async () => {
    const sts = objects("statefulsets")[0];
    const before = podsOf(sts).map((p) => [(p.metadata as Json).name, (p.metadata as Json).uid]);
    await api((a) => a.apps.patchNamespacedStatefulSet({ name: "db", namespace: "web", body: { spec: { template: { spec: { nodeSelector: { [GKE_LABEL]: "true", "cloud.google.com/gke-nodepool": null } } } } } }, strategic));
    const after = podsOf(sts);
    expect(after.map((p) => (p.metadata as Json).name)).toEqual(before.map(([n]) => n));
    expect(after.map((p) => (p.metadata as Json).uid)).not.toContain(before[0][1]);
    expect(after.map((p) => nodePool((p.spec as Json).nodeName))).toEqual(["wi", "wi"]);
  });

  it("runs a CronJob's next Job with the new jobTemplate, keeping the Jobs already run", async () => {
    const cj = objects("cronjobs")[0];
    const jobsBefore = names(objects("jobs"));
    await api((a) =>
      a.batch.patchNamespacedCronJob({ name: "nightly", namespace: "web", body: { spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true" } } } } } } } }, strategic),
    );
    const jobs = objects("jobs").filter((j) => ownedBy(j, (cj.metadata as Json).uid));
    expect(jobs.length).toBe(jobsBefore.length + 1);
    const next = jobs.find((j) => !jobsBefore.includes((j.metadata as Json).name as string))!;
    const pod = objects("pods").find((p) => ownedBy(p, (next.metadata as Json).uid))!;
    expect([(pod.spec as Json).serviceAccountName, nodePool((pod.spec as Json).nodeName)]).toEqual(["app", "wi"]);
  });
});

describe("reset", () => {
  it("undoes every write: POST /_simulator/reset serves the estate file's objects again and empties the write log", async () => {
    const original = JSON.stringify(cluster().objects);
    await api((a) => a.apps.patchNamespacedDeployment({ name: "api", namespace: "web", body: { spec: { template: { spec: { serviceAccountName: "app" } } } } }, strategic));
    await api((a) => a.core.deleteNamespacedSecret({ name: "gsa-key", namespace: "web" }));
    await api((a) => a.core.createNamespacedServiceAccount({ namespace: "web", body: { metadata: { name: "worker" } } }));
    expect(world().writes.length).toBe(3);
    expect(JSON.stringify(cluster().objects)).not.toBe(original);
    const r = await fetch(`${sim.url}/_simulator/reset`, { method: "POST" });
    expect(r.status).toBe(200);
    expect(JSON.stringify(cluster().objects)).toBe(original);
    expect(world().writes).toEqual([]);
    const sas = await api((a) => a.core.listNamespacedServiceAccount({ namespace: "web" }));
    expect(sas.items.map((s) => s.metadata?.name)).toEqual(["app", "default"]);
  });
});
