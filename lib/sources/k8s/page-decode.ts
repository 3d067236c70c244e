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
 * The page's outcome, as data (it crosses threads): `page`, or `notJson` (the body is not a JSON
 * object: a failed request, as before the worker), `malformed` (an object without a name or
 * namespace) or `failed` (any other error transforming an object) — both thrown outside the
 * request's retries, as when the main thread transformed the page, with `partial` holding what the
 * objects before the bad one gave (kept: the source is partial) — or `error` (the body could not be
 * inflated).
 */
export type PageReply =
  | { page: DecodedPage }
  | { notJson: string }
  | { malformed: string; partial?: PageRecords }
  | { failed: string; partial?: PageRecords }
  | { error: string };

/** Parses and transforms an inflated page body. */
export function decodePage(job: Omit<PageJob, "gzip">, text: string): PageReply {
  let parsed: { items?: Record<string, unknown>[] | null; metadata?: { continue?: string } } | null;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { notJson: notJsonReason(e as Error) };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { notJson: `a list must be a JSON object, not ${Array.isArray(parsed) ? "an array" : String(parsed)}` };
  const out: PageRecords = { records: [] };
  try {
    const page = transformPage(pageTransformer(job.ref, job.key), job.resource, parsed.items ?? [], out);
    const cont = parsed.metadata?.continue;
    return { page: typeof cont === "string" && cont ? { ...page, cont } : page };
  } catch (e) {
    const partial = out.records.length || out.owners?.length ? out : undefined;
    if (e instanceof MalformedResponseError) return { malformed: e.message, ...(partial ? { partial } : {}) };
    return { failed: (e as Error).message, ...(partial ? { partial } : {}) };
  }
}

/**
 * Why a body is not JSON, without the body: V8 quotes the text around an unexpected token
 * (`Unexpected token 'x', ..."…"... is not valid JSON`), which in a list of Secrets could be part of
 * a value. The position stays.
 */
export function notJsonReason(e: Error): string {
  return e.message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, " (the answer's text is not repeated here)");
}

/** The error a reply stands for, thrown where the main thread would have thrown it. */
export function replyError(reply: Exclude<PageReply, { page: DecodedPage }>): Error {
  if ("notJson" in reply) return new Error(`the API server's answer is not JSON: ${reply.notJson}`);
  if ("malformed" in reply) return Object.assign(new MalformedResponseError("", ""), { message: reply.malformed });
  if ("failed" in reply) return new Error(reply.failed);
  return new Error(reply.error);
}

/** A page whose objects could not all be transformed: thrown outside the request's retries. */
export type FailedPage = Extract<PageReply, { malformed: string } | { failed: string }>;
