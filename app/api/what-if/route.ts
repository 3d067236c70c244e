import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest, notFound, Problem } from "@/lib/api/problem";
import { parseChanges } from "@/lib/whatif/changes";
import { ChangeTargetError } from "@/lib/whatif/apply-changes";
import { NoScanError } from "@/lib/whatif/load-slice";
import { whatIf } from "@/lib/whatif/what-if";

/**
 * `POST /api/what-if` with `{"changes": [...]}`: what breaks if the changes were made. A POST for the
 * size of the question, but it changes nothing, so a viewer may ask.
 */
export const POST = route(
  async (req) => {
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      throw badRequest('The request body must be JSON: {"changes": [{"type": "delete-key", "subject": "key:EMAIL/KEY_ID"}, …]}');
    }
    if (typeof body !== "object" || body === null || Array.isArray(body) || !("changes" in body)) {
      throw badRequest('The request body must be an object with a "changes" list: {"changes": [{"type": …, "subject": …}]}');
    }
    const parsed = parseChanges((body as { changes: unknown }).changes);
    if (!parsed.ok) throw badRequest(parsed.error);
    try {
      return await whatIf(serverDb(), parsed.changes);
    } catch (err) {
      if (err instanceof ChangeTargetError) throw err.status === 404 ? notFound(err.message) : badRequest(err.message);
      if (err instanceof NoScanError) throw new Problem(404, "not_found", err.message);
      throw err;
    }
  },
  { role: "viewer" },
);
