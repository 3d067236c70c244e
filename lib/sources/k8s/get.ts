/**
 * `get` for Kubernetes: lists one resource across all namespaces, page by page (`limit`/`continue`).
 * A 410 (the continue token expired because the list moved on) restarts the list from the start,
 * as client-go's pager does; each page is handed to `onPage` and not kept, so Secrets' values are
 * dropped as soon as they are examined.
 *
 * Pages are read as the API server's own JSON (ClusterClient.getJson: the API path, parsed once),
 * not through client-node's generated list methods, which build a model object for every item that
 * the inventory would only serialise back to wire JSON.
 */
import type { ClusterClient } from "./clients";
import type { Caller } from "../http/caller";
type CallerLike = Pick<Caller, "call">;
import { ApiError, fromK8sError } from "../http/api-error";

type Obj = Record<string, unknown>;
/** A list page as the API server sends it: `metadata.continue` is the next page's token. */
type ListResult = { items?: Obj[] | null; metadata?: { continue?: string } };

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

/** The API path each list GETs: every namespace at once (the `…ForAllNamespaces` operations). */
export const K8S_LISTS = {
  namespaces: "/api/v1/namespaces",
  serviceaccounts: "/api/v1/serviceaccounts",
  nodes: "/api/v1/nodes",
  pods: "/api/v1/pods",
  secrets: "/api/v1/secrets",
  deployments: "/apis/apps/v1/deployments",
  replicasets: "/apis/apps/v1/replicasets",
  statefulsets: "/apis/apps/v1/statefulsets",
  daemonsets: "/apis/apps/v1/daemonsets",
  jobs: "/apis/batch/v1/jobs",
  cronjobs: "/apis/batch/v1/cronjobs",
} as const;

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
      page = (await caller.call(
        "k8s",
        (signal) =>
          client.getJson(K8S_LISTS[resource], { continue: cont, fieldSelector: resource === "secrets" ? SECRETS_FIELD_SELECTOR : undefined, limit }, signal),
        (e) => fromK8sError(e, `list ${resource}`),
      )) as ListResult;
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
    // A page is handled a slice at a time, letting other responses in between: a page of 500 pods
    // takes milliseconds to transform, which would otherwise hold up every other request in flight.
    const items = page.items ?? [];
    for (let i = 0; i < items.length; i += SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      onPage(items.length <= SLICE ? items : items.slice(i, i + SLICE));
    }
    if (items.length === 0) onPage([]);
    pages++;
    cont = page.metadata?.continue || undefined;
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

/**
 * GETs one ConfigMap (`/api/v1/namespaces/NS/configmaps/NAME`) as wire JSON; undefined when it does
 * not exist (404). The scanner asks only for ConfigMaps a pod's credentials come from — never a list.
 */
export async function getConfigMap(client: ClusterClient, caller: CallerLike, namespace: string, name: string): Promise<Obj | undefined> {
  try {
    return (await caller.call(
      "k8s",
      (signal) => client.getJson(`/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`, {}, signal),
      (e) => fromK8sError(e, `get configmap ${namespace}/${name}`),
    )) as Obj;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}
