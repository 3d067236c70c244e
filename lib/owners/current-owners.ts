/** The process's owners file (WI_ATLAS_OWNERS), re-read when it changes. Server-only. */
import { config } from "../config";
import { log } from "../log";
import { badRequest } from "../api/problem";
import type { Column } from "../reports/table-def";
import { ownersFrom, type Owners } from "./owners-file";
import { ownerSql, type OwnerColumns } from "./match-owner";

let warned = "";

/** The owners in effect, or undefined when no owners file is configured. */
export function currentOwners(): Owners | undefined {
  return ownersFrom(config().ownersPath, (err) => {
    if (err.message !== warned) log.error(`${err.message}\n(keeping the owners file's last valid version)`);
    warned = err.message;
  });
}

/** The Owner column's SQL for a table whose row has these columns (evaluated per query: the file may change). */
export function currentOwnerSql(c: OwnerColumns): string {
  return ownerSql(currentOwners(), c);
}

/** `owner=TEAM` names a team of the owners file, else a 400 that lists them. */
export function assertKnownOwner(team: string): void {
  const owners = currentOwners();
  if (!owners) throw badRequest(`Query parameter "owner" ("${team}") needs an owners file: set WI_ATLAS_OWNERS (see the README's "Owners")`, { parameter: "owner" });
  if (!owners.teams.some((t) => t.team === team)) {
    throw badRequest(`Query parameter "owner" ("${team}") must be a team of the owners file: ${owners.teams.map((t) => t.team).join(", ")}`, { parameter: "owner" });
  }
}

/**
 * The Owner column of a table (appended last, so CSV scripts keep their column positions). Its SQL is
 * a getter: each query compiles the owners file as it is now.
 */
export function ownerColumn(c: OwnerColumns): Column {
  return {
    id: "owner",
    label: "Owner",
    get sql() {
      return currentOwnerSql(c);
    },
    type: "text",
    help: "The team the owners file (WI_ATLAS_OWNERS) gives it: namespace first, then GSA, then project; empty when no rule claims it",
  };
}

/** The `owner=TEAM` filter of the same table. */
export function ownerFilter(c: OwnerColumns): (p: string) => string {
  return (p) => `${currentOwnerSql(c)} = ${p}`;
}
