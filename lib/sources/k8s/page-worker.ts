/**
 * The page worker's thread: inflates, parses and transforms Kubernetes list pages (page-decode.ts)
 * and answers each with its records as one JSON text — parsing that on the main thread costs a
 * fraction of parsing the API objects, which are several times larger than what is kept of them.
 * Started by pages.ts; Secret values never leave this thread (only the credential summary does).
 */
import { parentPort } from "node:worker_threads";
import { gunzipSync } from "node:zlib";
import { decodePage, type PageJob, type PageReply } from "./page-decode";

parentPort!.on("message", (m: { id: number; job: PageJob }) => {
  let reply: PageReply;
  try {
    const body = Buffer.from(m.job.body.buffer, m.job.body.byteOffset, m.job.body.byteLength);
    reply = decodePage(m.job, (m.job.gzip ? gunzipSync(body) : body).toString("utf8"));
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  // Records go back as JSON text: one string crosses the threads, not an object graph to clone.
  parentPort!.postMessage({ id: m.id, json: JSON.stringify(reply) });
});
