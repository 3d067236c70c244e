/** Who owns one subject (the owner line of the workload and GSA pages; issue 13). Server-only. */
import type { Db } from "../store/db";
import { badRequest } from "../api/problem";
import { currentOwners } from "./current-owners";
import { ownerOf, type OwnerScope } from "./match-owner";

/** The answer of GET /api/owner. */
export type SubjectOwner = {
  /** Whether an owners file is configured (WI_ATLAS_OWNERS): "no owner" means something only then. */
  configured: boolean;
  owner: { team: string; contact?: string } | null;
};

export async function subjectOwner(db: Db, subject: string): Promise<SubjectOwner> {
  let scope: OwnerScope;
  const w = /^workload:([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)\/[A-Za-z]+\/[^/]+$/.exec(subject);
  if (w) scope = { project: w[1], cluster: `cluster:${w[1]}/${w[2]}/${w[3]}`, namespace: w[4] };
  else if (/^gsa:[^@\s]+@[a-z0-9.-]+$/.test(subject)) {
    // A GSA's project as scanned (a default compute account's email names a project number, not its id).
    const r = await db.pool.query<{ project: string | null }>(`select project from inventory_object where kind = 'gsa' and subject = $1 and valid_to is null`, [subject]);
    scope = { gsa: subject.slice(4), project: r.rows[0]?.project ?? null };
  } else {
    throw badRequest(`Query parameter "subject" ("${subject}") must be a workload:PROJECT/LOCATION/CLUSTER/NAMESPACE/KIND/NAME or gsa:EMAIL subject`, { parameter: "subject" });
  }
  const owners = currentOwners();
  const team = ownerOf(owners, scope);
  return { configured: owners !== undefined, owner: team ? { team: team.team, ...(team.contact ? { contact: team.contact } : {}) } : null };
}
