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
import type { ClusterRef } from "../../ids";
import type { PageDecoder } from "./pages";
import { replyError, type DecodedPage, type FailedPage } from "./page-decode";

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
  opts: ListOptions = {},
): Promise<void> {
  await paginate(
    resource,
    opts,
    async (query) => {
      const page = (await caller.call(
        "k8s",
        (signal) => client.getJson(K8S_LISTS[resource], query, signal),
        (e) => fromK8sError(e, `list ${resource}`),
      )) as ListResult;
      return { items: page.items ?? [], cont: page.metadata?.continue };
    },
    async ({ items }) => {
      // A page is handled a slice at a time, letting other responses in between: a page of 500 pods
      // takes milliseconds to transform, which would otherwise hold up every other request in flight.
      for (let i = 0; i < items.length; i += SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        onPage(items.length <= SLICE ? items : items.slice(i, i + SLICE));
      }
      if (items.length === 0) onPage([]);
    },
  );
}

/**
 * Lists `resource` as the scanner does: each page's body goes to the page decoder (pages.ts: a
 * worker thread), which inflates, parses and transforms it; `onPage` receives the page's records
 * (and, for ReplicaSets and Jobs, their owners). An object without a name or namespace fails the
 * list with MalformedResponseError, as a transform on this thread would.
 */
export async function listRecords(
  client: ClusterClient,
  caller: CallerLike,
  decoder: PageDecoder,
  cluster: { ref: ClusterRef; key: string },
  resource: K8sListName,
  onPage: (page: DecodedPage) => void,
  opts: ListOptions = {},
): Promise<void> {
  await paginate(
    resource,
    opts,
    (query) =>
      caller.call(
        "k8s",
        async (signal) => {
          const { body, gzip } = await client.getBody(K8S_LISTS[resource], query, signal);
          const reply = await decoder.decode({ resource, ref: cluster.ref, key: cluster.key, body, gzip }, signal);
          if ("page" in reply) return reply.page;
          // An object that cannot be transformed is the page's content, not a failed request: thrown
          // below, outside the retries, once what the objects before it gave is kept.
          if ("malformed" in reply || "failed" in reply) return reply;
          throw replyError(reply);
        },
        (e) => fromK8sError(e, `list ${resource}`),
      ) as Promise<DecodedPage | FailedPage>,
    async (page) => {
      if ("malformed" in page || "failed" in page) {
        if (page.partial) onPage(page.partial);
        throw replyError(page);
      }
      onPage(page);
    },
  );
}

type ListOptions = { limit?: number; onRestart?: () => void; maxRestarts?: number; maxPages?: number };

/** The paging both lists share: `limit`/`continue`, restarts on 410, and the end of a list that goes round in circles. */
async function paginate<P extends { cont?: string } | FailedPage>(
  resource: K8sListName,
  opts: ListOptions,
  fetchPage: (query: { continue: string | undefined; fieldSelector: string | undefined; limit: number }) => Promise<P>,
  handle: (page: P) => Promise<void>,
): Promise<void> {
  const limit = opts.limit ?? (resource === "secrets" ? SECRETS_PAGE_LIMIT : 500);
  const maxPages = opts.maxPages ?? MAX_LIST_PAGES;
  let restarts = 0;
  let cont: string | undefined;
  // Every token this pass of the list was given: one seen twice means the list goes round in circles.
  let seen = new Set<string>();
  let pages = 0;
  for (;;) {
    let page: P;
    try {
      page = await fetchPage({ continue: cont, fieldSelector: resource === "secrets" ? SECRETS_FIELD_SELECTOR : undefined, limit });
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
    await handle(page);
    pages++;
    cont = ("cont" in page && page.cont) || undefined;
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
