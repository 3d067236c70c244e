/**
 * A Kubernetes list page's body → its records (lib/inventory/transform-k8s-page.ts) and its
 * `continue` token. The same code runs on the page worker (page-worker.ts) and, where no worker
 * could be started, on the scanner's main thread (pages.ts).
 */
import { MalformedResponseError } from "../../inventory/transform-gcp";
import { pageTransformer, transformPage, type K8sPageResource, type PageRecords } from "../../inventory/transform-k8s-page";
import type { ClusterRef } from "../../ids";

/** What the main thread asks for one page: the body as the API server sent it (inflated already, or gzipped). */
export type PageJob = { resource: K8sPageResource; ref: ClusterRef; key: string; body: Uint8Array; gzip: boolean };

/** One decoded page: its records (and owners) and the next page's token. */
export type DecodedPage = PageRecords & { cont?: string };

/**
 * The page's outcome, as data (it crosses threads): `page`, or `notJson` (the body is not JSON: a
 * failed request, as before the worker), `malformed` (an object without a name or namespace: the
 * source fails, as when the main thread transformed it) or `error` (the body could not be inflated).
 */
export type PageReply = { page: DecodedPage } | { notJson: string } | { malformed: string } | { error: string };

/** Parses and transforms an inflated page body. */
export function decodePage(job: Omit<PageJob, "gzip">, text: string): PageReply {
  let parsed: { items?: Record<string, unknown>[] | null; metadata?: { continue?: string } };
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { notJson: (e as Error).message };
  }
  try {
    const page = transformPage(pageTransformer(job.ref, job.key), job.resource, parsed?.items ?? []);
    const cont = parsed?.metadata?.continue;
    return { page: typeof cont === "string" && cont ? { ...page, cont } : page };
  } catch (e) {
    if (e instanceof MalformedResponseError) return { malformed: e.message };
    throw e;
  }
}

/** The error a reply stands for, thrown where the main thread would have thrown it. */
export function replyError(reply: Exclude<PageReply, { page: DecodedPage }>): Error {
  if ("notJson" in reply) return new Error(`the API server's answer is not JSON: ${reply.notJson}`);
  if ("malformed" in reply) return Object.assign(new MalformedResponseError("", ""), { message: reply.malformed });
  return new Error(reply.error);
}
