import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { config } from "@/lib/config";
import { loadChangeSetInput } from "@/lib/changeset/load-change-set";
import { buildChangeSet, PathCollision } from "@/lib/changeset/build-change-set";
import { parsePathTemplate } from "@/lib/changeset/path-template";
import { toPatch, toZip } from "@/lib/changeset/archive";
import { changeKey } from "@/lib/changeset/steps";
import { whatIf } from "@/lib/whatif/what-if";
import { log } from "@/lib/log";

/** Destructive steps answered inline in STEPS.md; the rest keep their link (each answer reads a slice of the inventory). */
const ANSWERED_INLINE = 8;

/** GET /api/change-set?subject=SUBJECT&format=zip|patch&path=TEMPLATE: the selection's change set as a download. */
export const GET = route(async (req) => {
  const q = new URL(req.url).searchParams;
  const format = q.get("format") ?? "zip";
  if (format !== "zip" && format !== "patch") throw badRequest(`Query parameter "format" ("${format}") must be zip or patch`, { parameter: "format" });
  const template = parsePathTemplate(q.get("path"));
  if (!template.ok) throw badRequest(`Query parameter "path": ${template.error}`, { parameter: "path" });
  const input = await loadChangeSetInput(serverDb(), q.get("subject") ?? "");
  let cs;
  try {
    const opts = { template: template.template, publicUrl: config().publicUrl };
    cs = buildChangeSet(input, opts);
    // STEPS.md carries the what-if answer for each destructive step: ask the engine, build again.
    const answers = new Map<string, string>();
    for (const q of cs.questions.slice(0, ANSWERED_INLINE)) {
      try {
        // Asked of the estate as scanned: what breaks if this step is done before the ones above it.
        answers.set(changeKey(q), `done today, before the steps above: ${(await whatIf(serverDb(), [q])).summary}`);
      } catch (e) {
        log.warn(`Change set: no what-if answer for ${q.type} ${q.subject} (the step keeps its link): ${(e as Error).message}`);
      }
    }
    if (answers.size) cs = buildChangeSet(input, { ...opts, answers });
  } catch (e) {
    if (e instanceof PathCollision) throw badRequest(`Query parameter "path": ${e.message}`, { parameter: "path" });
    throw e;
  }
  const file = `wi-atlas-changes-${cs.name}.${format}`;
  const headers = { "content-disposition": `attachment; filename="${file}"`, "cache-control": "no-store" };
  if (format === "patch") return new Response(toPatch(cs.files), { headers: { ...headers, "content-type": "text/x-diff; charset=utf-8" } });
  return new Response(Buffer.from(toZip(cs.files)), { headers: { ...headers, "content-type": "application/zip" } });
});
