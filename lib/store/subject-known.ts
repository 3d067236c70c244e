/**
 * Whether a subject's page has anything to show: the subject was seen by a scan (now or before), or
 * the analysis names it (a GSA that KSAs are annotated with but no project holds is a page worth
 * having: it says the account is missing). An address that names nothing is a 404, not an empty page.
 * Before any scan has finished nothing is known, so nothing is declared unknown either.
 */
import type { Db } from "./db";

export async function subjectKnown(db: Db, subject: string): Promise<boolean> {
  const r = await db.pool.query<{ scanned: boolean; known: boolean }>(
    `select exists (select 1 from scan where status in ('succeeded', 'partial')) as scanned,
       (exists (select 1 from inventory_object where kind = $3 and subject = $1)
        or exists (select 1 from analysis_object where subject = $1)
        -- a node of the graph (a GSA only named by annotations and bindings is a "ghost" node)
        or exists (select 1 from analysis_object where kind = 'graph-node' and key = $1 and valid_to is null)
        or ($2::text is not null and exists (select 1 from analysis_object where kind = 'finding' and gsa = $2 and valid_to is null))) as known`,
    [subject, subject.startsWith("gsa:") ? subject.slice(4).toLowerCase() : null, subject.slice(0, subject.indexOf(":"))],
  );
  return !r.rows[0].scanned || r.rows[0].known;
}
