/**
 * The file name of a table's CSV: the table, then the filter values in a fixed order
 * (`wi-atlas-findings-acme-prod-critical-high.csv`), so a folder of downloads says what each holds.
 * Values are reduced to `[a-z0-9-]` (a cluster `cluster:p/l/n` reads `p-l-n`, an email's `@` and
 * dots become `-`) and the name is capped: a filter of forty namespaces still makes a usable name.
 */
import type { Filters } from "../api/filters";

/** The order filter values appear in a name (the URL's order does not matter). */
const NAME_ORDER = ["project", "cluster", "namespace", "gsa", "rule", "severity", "state"] as const;
/** Characters before `.csv`: well under every file system's 255-byte limit. */
export const NAME_MAX = 120;

function part(v: string): string {
  return v
    .replace(/^(cluster|gsa):/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function downloadName(table: string, f: Partial<Filters>): string {
  const parts = [`wi-atlas-${part(table)}`];
  for (const key of NAME_ORDER) for (const v of f[key] ?? []) parts.push(part(v));
  if (f.q) parts.push(part(f.q));
  let name = parts.filter(Boolean).join("-");
  if (name.length > NAME_MAX) name = name.slice(0, NAME_MAX).replace(/-+$/, "");
  return `${name}.csv`;
}
