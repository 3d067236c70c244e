/**
 * What the controllers do after a write to a workload: a Deployment whose pod template changed gets a
 * new ReplicaSet (a new pod-template-hash; the old one scaled to 0 and its pods gone), a StatefulSet or
 * DaemonSet replaces its pods (unless its update strategy is OnDelete, which waits for each pod to be
 * deleted), a CronJob's next run creates its Job from the new jobTemplate; a replica count change
 * scales. Pods come from world.ts's derivation (deriveClusterObjects: admission, scheduling with
 * taints, nodeSelector and affinity, Pending with the scheduler's message when no node fits), so
 * a pod written here looks exactly like one loaded from the estate.
 *
 * Secrets and ConfigMaps a new pod needs and that do not exist: the pod is scheduled but its containers
 * do not start (phase Pending; `ContainerCreating` for a volume, as the kubelet's FailedMount leaves it,
 * `CreateContainerConfigError` for an env reference). Pods already running keep running when a Secret
 * they use is deleted, as in Kubernetes: the kubelet does not stop a container whose volume source
 * went away.
 */
import { deriveClusterObjects, K8S_RESOURCES, type Json, type K8sResource, type SimCluster, type World } from "./world";
import type { Manifest } from "./estate-schema";
import { deepEqual } from "./k8s-patch";
import { iso, k8sSuffix, sha, uid } from "./derive";

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Pod";

const md = (o: Json) => o.metadata as Json;
const nameOf = (o: Json) => md(o).name as string;
const nsOf = (o: Json) => md(o).namespace as string | undefined;
const ownedBy = (o: Json, ownerUid: string) => ((md(o).ownerReferences as Json[] | undefined) ?? []).some((r) => r.uid === ownerUid);

function manifestOf(resource: K8sResource, obj: Json): Manifest {
  const def = K8S_RESOURCES[resource];
  return { apiVersion: def.group ? `${def.group}/${def.version}` : def.version, kind: def.kind, ...structuredClone(obj) } as unknown as Manifest;
}

/** The namespace's ServiceAccounts, as manifests: admission reads their automount setting. */
function serviceAccountManifests(cluster: SimCluster, ns: string): Manifest[] {
  return cluster.objects.serviceaccounts.filter((s) => nsOf(s) === ns).map((s) => manifestOf("serviceaccounts", s));
}

/** What the derivation makes of one object written to `resource` in `cluster`. */
export function derive(world: World, cluster: SimCluster, resource: K8sResource, obj: Json, now?: number): Record<K8sResource, Json[]> {
  const ns = nsOf(obj) ?? "default";
  return deriveClusterObjects(world, cluster, [...serviceAccountManifests(cluster, ns), manifestOf(resource, obj)], now);
}

/** The object as the API server stores it after defaulting: spec defaults and status from the derivation, metadata as written. */
export function defaulted(world: World, cluster: SimCluster, resource: K8sResource, obj: Json): Json {
  if (!["deployments", "statefulsets", "daemonsets", "cronjobs"].includes(resource)) return obj;
  const derived = derive(world, cluster, resource, obj)[resource].find((o) => nameOf(o) === nameOf(obj));
  if (!derived) return obj;
  return { ...obj, spec: derived.spec, status: derived.status };
}

/** The changes a reconcile made, for the write log and the caller's resourceVersion bookkeeping. */
export type Reconciled = {
  /** Objects to store (added or changed), per resource. */
  upserts: [K8sResource, Json][];
  /** Objects removed, per resource, by uid. */
  removals: [K8sResource, string][];
  /** One line for the write log ("rolled 2 pods to ReplicaSet api-7d9c…"), empty when nothing moved. */
  summary: string;
  /** Metadata annotations to set on the workload itself (a Deployment's revision). */
  annotations?: Record<string, string>;
  /** The workload's status as the controller then reports it (a Deployment's, stalled or complete). */
  status?: Json;
};

const NONE: Reconciled = { upserts: [], removals: [], summary: "" };

/**
 * Brings a workload's controller-made objects in line with `obj` (just written; `prev` is what it was,
 * undefined when created). Does not mutate the cluster: the caller applies the answer (or, for a dry
 * run, does not).
 */
export function reconcile(world: World, cluster: SimCluster, resource: K8sResource, obj: Json, prev: Json | undefined): Reconciled {
  const spec = (obj.spec ?? {}) as Json;
  const pspec = (prev?.spec ?? {}) as Json;
  const templateOf = (s: Json) => (resource === "cronjobs" ? (((s.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined) : (s.template as Json | undefined));
  const templateChanged = !prev || !deepEqual(templateOf(spec), templateOf(pspec));
  const scaled = !!prev && spec.replicas !== pspec.replicas;
  if (prev && !templateChanged && !scaled) return NONE;
  const uidOf = md(obj).uid as string;
  const ns = nsOf(obj)!;
  const o = cluster.objects;
  switch (resource) {
    case "deployments": {
      const derived = derive(world, cluster, resource, obj);
      const rs = derived.replicasets[0];
      if (!rs) return NONE;
      const replicas = (spec.replicas as number | undefined) ?? 1;
      const owned = o.replicasets.filter((r) => nsOf(r) === ns && ownedBy(r, uidOf));
      const revisionOf = (r: Json) => Number((md(r).annotations as Json | undefined)?.["deployment.kubernetes.io/revision"] ?? 0);
      const same = owned.find((r) => nameOf(r) === nameOf(rs));
      const top = Math.max(0, ...owned.map(revisionOf));
      // A template back to an older revision scales that ReplicaSet up again under a new revision number.
      const revision = same && revisionOf(same) === top ? top : top + 1;
      const out: Reconciled = { upserts: [], removals: [], summary: "", annotations: { "deployment.kubernetes.io/revision": String(revision) } };
      const newPods = derived.pods.map((p) => blockOnMissingRefs(cluster, p));
      const ready = (p: Json) => (p.status as Json | undefined)?.phase === "Running";
      const olds = owned.filter((r) => nameOf(r) !== nameOf(rs));
      const oldPods = olds.flatMap((r) => o.pods.filter((p) => nsOf(p) === ns && ownedBy(p, md(r).uid as string)));
      // What the Deployment controller reaches: all new pods when they become available; else, for
      // RollingUpdate, maxSurge (rounded up) + maxUnavailable (rounded down) new pods and the old ones
      // kept down to replicas − maxUnavailable, where it stalls (the frozen clock never reaches
      // progressDeadlineSeconds); for Recreate, old pods gone and the new ones not starting.
      let newCount = replicas;
      let oldKeep = 0;
      const strategy = (spec.strategy ?? {}) as Json;
      const ru = (strategy.rollingUpdate ?? {}) as Json;
      const resolve = (v: unknown, up: boolean) => (typeof v === "string" && v.endsWith("%") ? (up ? Math.ceil : Math.floor)((Number(v.slice(0, -1)) / 100) * replicas) : Number(v ?? 0));
      const surge = strategy.type === "Recreate" ? 0 : resolve(ru.maxSurge ?? "25%", true);
      let unavailable = strategy.type === "Recreate" ? replicas : resolve(ru.maxUnavailable ?? "25%", false);
      if (surge === 0 && unavailable === 0) unavailable = 1;
      if (newPods.some((p) => !ready(p)) && templateChanged && oldPods.length && strategy.type !== "Recreate") {
        newCount = Math.min(replicas, surge + unavailable);
        oldKeep = Math.max(0, Math.min(oldPods.length, replicas - unavailable));
      }
      const keptPods = newPods.slice(0, newCount);
      const newRs: Json = { ...(same ?? rs), spec: { ...(rs.spec as Json), replicas: newCount } };
      const newReady = keptPods.filter(ready).length;
      newRs.status = { replicas: newCount, fullyLabeledReplicas: newCount, readyReplicas: newReady, availableReplicas: newReady, observedGeneration: (newRs.status as Json | undefined)?.observedGeneration ?? 1 };
      md(newRs).annotations = { ...((md(newRs).annotations as Json | undefined) ?? {}), "deployment.kubernetes.io/revision": String(revision) };
      out.upserts.push(["replicasets", newRs]);
      // Old ReplicaSets: the newest keeps `oldKeep` pods (a stalled rollout), the rest go to 0.
      const keepOld = new Set(oldPods.slice(0, oldKeep).map((p) => md(p).uid as string));
      for (const old of olds) {
        const mine = oldPods.filter((p) => ownedBy(p, md(old).uid as string));
        const left = mine.filter((p) => keepOld.has(md(p).uid as string)).length;
        if ((old.spec as Json).replicas !== left) out.upserts.push(["replicasets", { ...old, spec: { ...(old.spec as Json), replicas: left }, status: { replicas: left, fullyLabeledReplicas: left, readyReplicas: left, availableReplicas: left, observedGeneration: (old.status as Json | undefined)?.observedGeneration ?? 1 } }]);
        for (const p of mine) if (!keepOld.has(md(p).uid as string)) out.removals.push(["pods", md(p).uid as string]);
      }
      syncPods(cluster, out, keptPods, md(newRs).uid as string, false);
      const available = newReady + oldKeep;
      const complete = newCount === replicas && newReady === replicas;
      out.status = {
        observedGeneration: md(obj).generation ?? 1,
        replicas: newCount + oldKeep,
        updatedReplicas: newCount,
        readyReplicas: available,
        availableReplicas: available,
        ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
        conditions: [
          available >= replicas - unavailable
            ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }
            : { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
          complete
            ? { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${nameOf(newRs)}" has successfully progressed.` }
            : { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: `ReplicaSet "${nameOf(newRs)}" is progressing.` },
        ],
      };
      out.summary =
        same && !templateChanged
          ? `scaled ReplicaSet ${nameOf(newRs)} to ${newCount}`
          : complete
            ? `rolled out ReplicaSet ${nameOf(newRs)} (revision ${revision}): ${placement(keptPods)}`
            : `rollout of ReplicaSet ${nameOf(newRs)} (revision ${revision}) stalled: ${placement(keptPods)}${oldKeep ? `; ${oldKeep} old pod(s) keep running` : ""}`;
      return out;
    }
    case "statefulsets":
    case "daemonsets": {
      const derived = derive(world, cluster, resource, obj);
      const onDelete = ((spec.updateStrategy as Json | undefined)?.type ?? "RollingUpdate") === "OnDelete";
      const out: Reconciled = { upserts: [], removals: [], summary: "" };
      const replace = templateChanged && !!prev && !onDelete;
      // The pods' revision label follows the template (controller-revision-hash), as the controller's ControllerRevisions do.
      const rev = `${resource === "statefulsets" ? `${nameOf(obj)}-` : ""}${k8sSuffix("rev:" + JSON.stringify(templateOf(spec)), 10)}`;
      for (const p of derived.pods) ((md(p).labels as Json | undefined) ?? {})["controller-revision-hash"] = rev;
      if (resource === "daemonsets") for (const p of derived.pods) ((md(p).labels as Json | undefined) ?? {})["pod-template-generation"] = String(md(obj).generation ?? 1);
      let pods = derived.pods.map((p) => blockOnMissingRefs(cluster, p));
      let stalled = false;
      if (replace) {
        // A rolling update replaces one pod at a time (a StatefulSet from its highest ordinal) and waits
        // for it to be Ready: a replacement that cannot run stops the update there.
        const current = new Map(o.pods.filter((p) => ownedBy(p, uidOf)).map((p) => [nameOf(p), p]));
        const order = resource === "statefulsets" ? [...pods].reverse() : pods;
        const firstBad = order.findIndex((p) => (p.status as Json | undefined)?.phase !== "Running" && current.has(nameOf(p)));
        if (firstBad >= 0) {
          stalled = true;
          const replaced = new Set(order.slice(0, firstBad + 1).map(nameOf));
          pods = pods.map((p) => (replaced.has(nameOf(p)) || !current.has(nameOf(p)) ? p : current.get(nameOf(p))!));
        }
      }
      syncPods(cluster, out, pods, uidOf, replace, onDelete && !!prev);
      out.summary = replace
        ? `${stalled ? "rolling update stalled" : `replaced ${pods.length} pod(s)`}: ${placement(pods)}`
        : onDelete && prev
          ? "update strategy OnDelete: pods keep the old template until deleted"
          : `pods: ${placement(pods)}`;
      return out;
    }
    case "cronjobs": {
      if (prev && !templateChanged) return NONE;
      const out: Reconciled = { upserts: [], removals: [], summary: "" };
      if (!prev) {
        // Created: the schedule has not fired yet; no Job until it does.
        return { ...out, summary: "no Job until its schedule fires" };
      }
      // The next run: the schedule fires a minute on for each run already made through the simulator.
      const jobs = o.jobs.filter((j) => nsOf(j) === ns && ownedBy(j, uidOf));
      const runs = jobs.filter((j) => (md(j).annotations as Json | undefined)?.["simulator.wi-atlas/next-run"]).length + 1;
      const derived = derive(world, cluster, resource, obj, world.now + runs * 60_000);
      const job = derived.jobs[0];
      if (!job) return NONE;
      md(job).annotations = { ...((md(job).annotations as Json | undefined) ?? {}), "simulator.wi-atlas/next-run": "true" };
      out.upserts.push(["jobs", job]);
      for (const p of derived.pods) out.upserts.push(["pods", blockOnMissingRefs(cluster, p)]);
      // successfulJobsHistoryLimit (default 3) keeps the newest finished Jobs; older ones go with their pods.
      const keep = (spec.successfulJobsHistoryLimit as number | undefined) ?? 3;
      const all = [...jobs, job].sort((a, b) => String((a.status as Json | undefined)?.startTime ?? "").localeCompare(String((b.status as Json | undefined)?.startTime ?? "")));
      for (const j of all.slice(0, Math.max(0, all.length - keep))) {
        if (j === job) continue;
        out.removals.push(["jobs", md(j).uid as string]);
        for (const p of o.pods.filter((p) => ownedBy(p, md(j).uid as string))) out.removals.push(["pods", md(p).uid as string]);
      }
      out.summary = `next run, Job ${nameOf(job)}: ${placement(derived.pods)}`;
      return out;
    }
    case "pods": {
      const p = derive(world, cluster, resource, obj).pods[0];
      if (!p) return NONE;
      return { upserts: [["pods", blockOnMissingRefs(cluster, p)]], removals: [], summary: placement([p]) };
    }
    default:
      return NONE;
  }
}

/**
 * Makes the pods owned by `ownerUid` the derived ones: existing pods of the same name are kept as they
 * are (unless `replace`: a new pod of that name, as a StatefulSet's rolling update makes), missing ones
 * added, extra ones removed. `keepAll`: an OnDelete update changes no pod.
 */
function syncPods(cluster: SimCluster, out: Reconciled, derived: Json[], ownerUid: string, replace: boolean, keepAll = false) {
  const current = cluster.objects.pods.filter((p) => ownedBy(p, ownerUid));
  const byName = new Map(current.map((p) => [nameOf(p), p]));
  const want = new Set(derived.map(nameOf));
  if (keepAll) return;
  for (const p of current) if (!want.has(nameOf(p))) out.removals.push(["pods", md(p).uid as string]);
  for (const p of derived) {
    const had = byName.get(nameOf(p));
    if (had === p || (had && !replace)) continue;
    if (had) {
      out.removals.push(["pods", md(had).uid as string]);
      // A new pod of the same name is a new object: its own uid.
      md(p).uid = uid(`pod:${md(had).uid as string}:${sha(JSON.stringify(p.spec)).slice(0, 12)}`);
    }
    out.upserts.push(["pods", p]);
  }
}

/** "2 on pool wi, 1 Pending" — where the pods landed, for the write log. */
function placement(pods: Json[]): string {
  const pools = new Map<string, number>();
  let pending = 0;
  for (const p of pods) {
    const node = (p.spec as Json).nodeName as string | undefined;
    if (!node) pending++;
    else pools.set(node, (pools.get(node) ?? 0) + 1);
  }
  const parts = [...pools.entries()].map(([n, c]) => `${c} on ${n}`);
  if (pending) parts.push(`${pending} Pending`);
  return parts.join(", ") || "no pods";
}

/** The Secrets and ConfigMaps a pod needs to start (optional references aside). */
function requiredRefs(spec: Json): { secrets: { name: string; how: "volume" | "env" }[]; configMaps: { name: string; how: "volume" | "env" }[] } {
  const secrets: { name: string; how: "volume" | "env" }[] = [];
  const configMaps: { name: string; how: "volume" | "env" }[] = [];
  for (const v of (spec.volumes as Json[] | undefined) ?? []) {
    const s = v.secret as Json | undefined;
    if (s?.secretName && !s.optional) secrets.push({ name: String(s.secretName), how: "volume" });
    const c = v.configMap as Json | undefined;
    if (c?.name && !c.optional) configMaps.push({ name: String(c.name), how: "volume" });
    for (const src of ((v.projected as Json | undefined)?.sources as Json[] | undefined) ?? []) {
      const ps = src.secret as Json | undefined;
      if (ps?.name && !ps.optional) secrets.push({ name: String(ps.name), how: "volume" });
      const pc = src.configMap as Json | undefined;
      if (pc?.name && !pc.optional) configMaps.push({ name: String(pc.name), how: "volume" });
    }
  }
  for (const c of [...((spec.initContainers as Json[] | undefined) ?? []), ...((spec.containers as Json[] | undefined) ?? [])]) {
    for (const e of (c.env as Json[] | undefined) ?? []) {
      const vf = e.valueFrom as Json | undefined;
      const sk = vf?.secretKeyRef as Json | undefined;
      if (sk?.name && !sk.optional) secrets.push({ name: String(sk.name), how: "env" });
      const ck = vf?.configMapKeyRef as Json | undefined;
      if (ck?.name && !ck.optional) configMaps.push({ name: String(ck.name), how: "env" });
    }
    for (const ef of (c.envFrom as Json[] | undefined) ?? []) {
      const sr = ef.secretRef as Json | undefined;
      if (sr?.name && !sr.optional) secrets.push({ name: String(sr.name), how: "env" });
      const cr = ef.configMapRef as Json | undefined;
      if (cr?.name && !cr.optional) configMaps.push({ name: String(cr.name), how: "env" });
    }
  }
  return { secrets, configMaps };
}

/**
 * A new pod that needs a Secret or ConfigMap that does not exist does not start: scheduled, phase
 * Pending, its containers waiting (ContainerCreating while the kubelet retries the mount;
 * CreateContainerConfigError for an env reference, with the kubelet's message).
 */
export function blockOnMissingRefs(cluster: SimCluster, pod: Json): Json {
  const spec = pod.spec as Json;
  const status = (pod.status ?? {}) as Json;
  if (!spec.nodeName || status.phase !== "Running") return pod;
  const ns = nsOf(pod);
  const has = (resource: "secrets" | "configmaps", name: string) => cluster.objects[resource].some((x) => nsOf(x) === ns && nameOf(x) === name);
  const refs = requiredRefs(spec);
  const missing = [
    ...refs.secrets.filter((r) => !has("secrets", r.name)).map((r) => ({ ...r, kind: "secret" })),
    ...refs.configMaps.filter((r) => !has("configmaps", r.name)).map((r) => ({ ...r, kind: "configmap" })),
  ];
  if (!missing.length) return pod;
  const envMiss = missing.find((m) => m.how === "env");
  const waiting = envMiss
    ? { reason: "CreateContainerConfigError", message: `${envMiss.kind} "${envMiss.name}" not found` }
    : { reason: "ContainerCreating" };
  return {
    ...pod,
    status: {
      phase: "Pending",
      conditions: [
        { type: "PodScheduled", status: "True" },
        { type: "Initialized", status: "True" },
        { type: "Ready", status: "False", reason: "ContainersNotReady", message: `containers with unready status: [${((spec.containers as Json[]) ?? []).map((c) => c.name).join(" ")}]` },
      ],
      hostIP: status.hostIP,
      startTime: status.startTime,
      qosClass: status.qosClass,
      containerStatuses: ((spec.containers as Json[]) ?? []).map((c) => ({ name: c.name, image: c.image, ready: false, restartCount: 0, started: false, state: { waiting } })),
    },
  };
}

/** Fresh metadata for an object the API server creates now. */
export function createdMeta(world: World, cluster: SimCluster, m: Json, resource: K8sResource, rv: string): Json {
  const seed = `${cluster.project.projectId}/${cluster.location}/${cluster.name}/${resource}/${String(m.namespace ?? "")}/${String(m.name)}/${rv}`;
  return { ...m, uid: uid("create:" + seed), creationTimestamp: iso(world.now) };
}
