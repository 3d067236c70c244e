/**
 * A dump of a live cluster (`kubectl get deploy,rs,pods,jobs -A -o yaml`) holds both controllers and
 * what their controllers made. The simulator derives ReplicaSets, Jobs and Pods itself, so an object
 * whose controller it derives it from is dropped here rather than served twice:
 * - a ReplicaSet controlled by a Deployment of the estate (current or old revision),
 * - a Job controlled by a CronJob of the estate,
 * - a Pod controlled by a ReplicaSet, StatefulSet, DaemonSet or Job the simulator materialises pods
 *   for — given in the estate, or derived from a Deployment / CronJob of the estate (recognised by the
 *   names those controllers give: `DEPLOYMENT-POD_TEMPLATE_HASH`, `CRONJOB-SCHEDULED_MINUTES`).
 * Objects owned by anything else — an Argo Rollout's ReplicaSets, a Workflow's pods, a Spark or Ray
 * operator's pods, a Node's mirror pods — are kept with their ownerReferences as given.
 */
import type { Manifest } from "./estate-schema";

type OwnerRef = { apiVersion?: string; kind?: string; name?: string; controller?: boolean };

/** An object left out because the simulator derives it, and why (for the load notes). */
export type SkippedObject = { manifest: Manifest; because: string };

/** The controller reference: the one marked controller, else a sole owner written without the flag. */
export function controllerOf(m: Manifest): OwnerRef | undefined {
  const refs: OwnerRef[] = m.metadata.ownerReferences ?? [];
  return refs.find((r) => r.controller === true) ?? (refs.length === 1 && refs[0].controller === undefined ? refs[0] : undefined);
}

const groupOf = (apiVersion: string | undefined) => (apiVersion?.includes("/") ? apiVersion.split("/")[0] : "");
const isApps = (r: OwnerRef) => ["apps", "extensions"].includes(groupOf(r.apiVersion));
const isBatch = (r: OwnerRef) => groupOf(r.apiVersion) === "batch";

/** The random-suffix alphabet the Deployment controller's pod-template-hash is written in. */
const HASH = /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/;

export function dropDerivedObjects(manifests: Manifest[]): { kept: Manifest[]; skipped: SkippedObject[] } {
  const nsOf = (m: Manifest) => m.metadata.namespace ?? "default";
  const names = (kind: string) => new Set(manifests.filter((m) => m.kind === kind).map((m) => `${nsOf(m)}/${m.metadata.name}`));
  const deployments = names("Deployment");
  const statefulSets = names("StatefulSet");
  const daemonSets = names("DaemonSet");
  const cronJobs = names("CronJob");
  const skipped: SkippedObject[] = [];
  /** ReplicaSets dropped because a Deployment of the estate owns them: ns/name → that Deployment. */
  const deploymentOfSkippedRs = new Map<string, string>();
  const skip = (m: Manifest, because: string) => skipped.push({ manifest: m, because });

  // Controllers the simulator derives pods from, first: ReplicaSets of Deployments, Jobs of CronJobs.
  for (const m of manifests) {
    const ref = controllerOf(m);
    if (!ref?.name) continue;
    if (m.kind === "ReplicaSet" && ref.kind === "Deployment" && isApps(ref) && deployments.has(`${nsOf(m)}/${ref.name}`)) {
      skip(m, `ReplicaSet of Deployment ${nsOf(m)}/${ref.name}`);
      deploymentOfSkippedRs.set(`${nsOf(m)}/${m.metadata.name}`, `${nsOf(m)}/${ref.name}`);
    }
    if (m.kind === "Job" && ref.kind === "CronJob" && isBatch(ref) && cronJobs.has(`${nsOf(m)}/${ref.name}`)) skip(m, `Job of CronJob ${nsOf(m)}/${ref.name}`);
  }
  const replicaSets = names("ReplicaSet");
  const jobs = names("Job");

  // The Deployment controller names a ReplicaSet DEPLOYMENT-HASH: with the pod's pod-template-hash the
  // Deployment's name is exact; without it, the last dash-separated segment must look like a hash.
  const deploymentOfReplicaSet = (ns: string, rs: string, hash: string | undefined): string | undefined => {
    const cut = hash !== undefined ? (rs.endsWith(`-${hash}`) ? rs.length - hash.length - 1 : -1) : rs.lastIndexOf("-");
    if (cut <= 0 || (hash === undefined && !HASH.test(rs.slice(cut + 1)))) return undefined;
    const d = rs.slice(0, cut);
    return deployments.has(`${ns}/${d}`) ? d : undefined;
  };
  const cronJobOfJob = (ns: string, job: string): string | undefined => {
    const m = /^(.+)-(\d+)$/.exec(job);
    return m && cronJobs.has(`${ns}/${m[1]}`) ? m[1] : undefined;
  };

  for (const m of manifests) {
    if (m.kind !== "Pod") continue;
    const ref = controllerOf(m);
    if (!ref?.name || !ref.kind) continue;
    const ns = nsOf(m);
    const key = `${ns}/${ref.name}`;
    if (ref.kind === "ReplicaSet" && isApps(ref)) {
      if (replicaSets.has(key)) {
        const d = deploymentOfSkippedRs.get(key);
        skip(m, d ? `Pod of ReplicaSet ${key} of Deployment ${d}` : `Pod of ReplicaSet ${key}`);
        continue;
      }
      const d = deploymentOfReplicaSet(ns, ref.name, m.metadata.labels?.["pod-template-hash"]);
      if (d) skip(m, `Pod of ReplicaSet ${key} of Deployment ${ns}/${d}`);
    } else if (ref.kind === "StatefulSet" && isApps(ref) && statefulSets.has(key)) skip(m, `Pod of StatefulSet ${key}`);
    else if (ref.kind === "DaemonSet" && isApps(ref) && daemonSets.has(key)) skip(m, `Pod of DaemonSet ${key}`);
    else if (ref.kind === "Job" && isBatch(ref)) {
      if (jobs.has(key)) skip(m, `Pod of Job ${key}`);
      else {
        const c = cronJobOfJob(ns, ref.name);
        if (c) skip(m, `Pod of Job ${key} of CronJob ${ns}/${c}`);
      }
    }
  }
  const gone = new Set(skipped.map((s) => s.manifest));
  return { kept: manifests.filter((m) => !gone.has(m)), skipped };
}
