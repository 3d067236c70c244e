/**
 * `get` for Kubernetes: lists one resource across all namespaces, page by page (`limit`/`continue`).
 * A 410 (the continue token expired because the list moved on) restarts the list from the start,
 * as client-go's pager does; each page is handed to `onPage` and not kept, so Secrets' values are
 * dropped as soon as they are examined.
 */
import type { ClusterApis, ClusterClient } from "./clients";
import type { Caller } from "../http/caller";
type CallerLike = Pick<Caller, "call">;
import { ApiError, fromK8sError } from "../http/api-error";
// Not re-exported by the package index; the generated serializer turns model classes back into wire JSON.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

type Obj = Record<string, unknown>;
type ListResult = { items: unknown[]; metadata?: { _continue?: string } };
type ListParams = { limit: number; _continue?: string; fieldSelector?: string };

/** Pages one list may take before it is abandoned: 10,000 pages of 500 is five million objects. */
export const MAX_LIST_PAGES = 10_000;

/**
 * Secrets are listed without Helm's release records (`type: helm.sh/release.v1`, one per release
 * revision): each holds a whole gzipped chart and its values — up to a megabyte — and no Google
 * credential in a shape the scanner reads, so they would only make the largest pages of the scan.
 * `type` is a field selector the API server supports for Secrets (SecretToSelectableFields).
 */
export const SECRETS_FIELD_SELECTOR = "type!=helm.sh/release.v1";
/** Secrets are paged smaller than other lists: even without Helm's, a Secret may be up to 1 MiB. */
export const SECRETS_PAGE_LIMIT = 100;

/**
 * A list that cannot end: the server handed back a `continue` token it had already given (a broken
 * or hostile API server, or a proxy replaying a page), or the list went past `MAX_LIST_PAGES`.
 * Its source fails; what earlier scans knew of it stays, shown stale.
 */
export class ListBrokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ListBrokenError";
  }
}

export const K8S_LISTS = {
  namespaces: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.core.listNamespace(p),
  serviceaccounts: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.core.listServiceAccountForAllNamespaces(p),
  nodes: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.core.listNode(p),
  pods: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.core.listPodForAllNamespaces(p),
  secrets: (a: ClusterApis, p: ListParams) => a.core.listSecretForAllNamespaces({ ...p, fieldSelector: SECRETS_FIELD_SELECTOR }),
  deployments: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.apps.listDeploymentForAllNamespaces(p),
  replicasets: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.apps.listReplicaSetForAllNamespaces(p),
  statefulsets: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.apps.listStatefulSetForAllNamespaces(p),
  daemonsets: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.apps.listDaemonSetForAllNamespaces(p),
  jobs: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.batch.listJobForAllNamespaces(p),
  cronjobs: (a: ClusterApis, p: { limit: number; _continue?: string }) => a.batch.listCronJobForAllNamespaces(p),
} satisfies Record<string, (a: ClusterApis, p: { limit: number; _continue?: string }) => Promise<ListResult>>;

export type K8sListName = keyof typeof K8S_LISTS;

/**
 * Lists `resource`; `onPage` receives each page's objects (as plain JSON, the API's own field names).
 * `onRestart` is called when a 410 forces the list to start over, so the caller can drop what it kept.
 */
export async function listAll(
  client: ClusterClient,
  caller: CallerLike,
  resource: K8sListName,
  onPage: (items: Obj[]) => void,
  opts: { limit?: number; onRestart?: () => void; maxRestarts?: number; maxPages?: number } = {},
): Promise<void> {
  const limit = opts.limit ?? (resource === "secrets" ? SECRETS_PAGE_LIMIT : 500);
  const maxPages = opts.maxPages ?? MAX_LIST_PAGES;
  let restarts = 0;
  let cont: string | undefined;
  // Every token this pass of the list was given: one seen twice means the list goes round in circles.
  let seen = new Set<string>();
  let pages = 0;
  for (;;) {
    let page: ListResult;
    try {
      page = await caller.call(
        "k8s",
        (signal) => client.with(signal, (apis) => (K8S_LISTS[resource] as Lister)(apis, { limit, _continue: cont })),
        (e) => fromK8sError(e, `list ${resource}`),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 410 && restarts < (opts.maxRestarts ?? 3)) {
        restarts++;
        cont = undefined;
        seen = new Set();
        opts.onRestart?.();
        continue;
      }
      throw err;
    }
    // The client returns model classes (Dates, renamed reserved words); the inventory reads wire JSON.
    // A page is handled a slice at a time, letting other responses in between: a page of 500 pods
    // takes tens of milliseconds, which would otherwise hold up every other request in flight.
    const type = MODEL[resource];
    const items = page.items ?? [];
    for (let i = 0; i < items.length; i += SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      onPage(items.slice(i, i + SLICE).map((x) => ObjectSerializer.serialize(x, type, "") as Obj));
    }
    if (items.length === 0) onPage([]);
    pages++;
    cont = page.metadata?._continue || undefined;
    if (!cont) return;
    if (seen.has(cont)) {
      throw new ListBrokenError(`list ${resource}: the API server returned a continue token it had already returned (after ${pages} pages); the list was abandoned`);
    }
    if (pages >= maxPages) {
      throw new ListBrokenError(`list ${resource}: more than ${maxPages} pages of ${limit}; the list was abandoned`);
    }
    seen.add(cont);
  }
}

/** Objects handled between yields to the event loop. */
const SLICE = 100;

type Lister = (a: ClusterApis, p: ListParams) => Promise<ListResult>;

const MODEL: Record<K8sListName, string> = {
  namespaces: "V1Namespace",
  serviceaccounts: "V1ServiceAccount",
  nodes: "V1Node",
  pods: "V1Pod",
  secrets: "V1Secret",
  deployments: "V1Deployment",
  replicasets: "V1ReplicaSet",
  statefulsets: "V1StatefulSet",
  daemonsets: "V1DaemonSet",
  jobs: "V1Job",
  cronjobs: "V1CronJob",
};

/**
 * GETs one ConfigMap (`/api/v1/namespaces/NS/configmaps/NAME`) as wire JSON; undefined when it does
 * not exist (404). The scanner asks only for ConfigMaps a pod's credentials come from — never a list.
 */
export async function getConfigMap(client: ClusterClient, caller: CallerLike, namespace: string, name: string): Promise<Obj | undefined> {
  try {
    const cm = await caller.call(
      "k8s",
      (signal) => client.with(signal, (apis) => apis.core.readNamespacedConfigMap({ name, namespace })),
      (e) => fromK8sError(e, `get configmap ${namespace}/${name}`),
    );
    return ObjectSerializer.serialize(cm, "V1ConfigMap", "") as Obj;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}
