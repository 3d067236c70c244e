/**
 * One Kubernetes list page → what the collector keeps of it: the page's inventory records, and for
 * ReplicaSets and Jobs the owner map that ties pods to Deployments and CronJobs. It is the same
 * function on the scanner's main thread and on the page worker (lib/sources/k8s/page-worker.ts),
 * which runs it off the main thread so that a cluster's hundred thousand objects do not hold up the
 * answers of every other request in flight.
 */
import type { InventoryRecord, OwnerRef } from "./model";
import { ClusterTransformer } from "./transform-k8s";
import type { ClusterRef } from "../ids";
import type { K8sListName } from "../sources/k8s/get";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Kubernetes lists the scanner reads (lib/sources/k8s/get.ts's K8S_LISTS keys). */
export type K8sPageResource = K8sListName;

/** Lists whose every object is one workload of this kind. */
const WORKLOAD_LISTS = { deployments: "Deployment", statefulsets: "StatefulSet", daemonsets: "DaemonSet", cronjobs: "CronJob" } as const;

export type PageRecords = {
  /** The page's records, in the page's order (a pod's record, then its own workload's when it has no owner). */
  records: InventoryRecord[];
  /** ReplicaSets and Jobs: `namespace/name` → controller (null for an ownerless one, which is then a workload itself). */
  owners?: [string, OwnerRef | null][];
};

/** A transformer for a cluster whose sources are named `k8s.RESOURCE:KEY`, as the collector names them. */
export function pageTransformer(ref: ClusterRef, key: string): ClusterTransformer {
  return new ClusterTransformer(ref, (resource) => `k8s.${resource}:${key}`);
}

/**
 * Transforms one page's objects into `out` (a new one by default) and returns it; throws
 * MalformedResponseError for an object without a name or namespace — `out` then holds what the
 * objects before it gave, which the collector keeps (the source is partial, as it always was).
 */
export function transformPage(t: ClusterTransformer, resource: K8sPageResource, items: Obj[], out: PageRecords = { records: [] }): PageRecords {
  const records = out.records;
  switch (resource) {
    case "namespaces":
    case "serviceaccounts":
    case "nodes":
    case "secrets": {
      const one = { namespaces: t.namespace, serviceaccounts: t.ksa, nodes: t.node, secrets: t.secret }[resource].bind(t);
      for (const o of items) records.push(one(o));
      return out;
    }
    case "replicasets":
    case "jobs": {
      const owners: [string, OwnerRef | null][] = (out.owners ??= []);
      for (const o of items) {
        const r = resource === "replicasets" ? t.replicaSet(o) : t.job(o);
        owners.push([`${r.data.namespace}/${r.data.name}`, r.data.owner]);
        // An ownerless ReplicaSet or Job is a workload itself.
        if (!r.data.owner) records.push(t.workload(o, resource === "replicasets" ? "ReplicaSet" : "Job", resource));
      }
      return out;
    }
    case "pods":
      for (const o of items) {
        const rec = t.pod(o);
        records.push(rec);
        if (!rec.data.owner) records.push(t.workload(o, "Pod", "pods"));
      }
      return out;
    default:
      for (const o of items) records.push(t.workload(o, WORKLOAD_LISTS[resource], resource));
      return out;
  }
}
