/**
 * A subject's page as an absolute link, for exports read outside the dashboard (a CSV in a ticket).
 * The paths are the pages' own (app/_components/links.ts `subjectHref`; a test keeps the two equal):
 * lib/ does not import from app/.
 */
export function subjectPath(subject: string): string {
  const kind = subject.slice(0, subject.indexOf(":"));
  const enc = encodeURIComponent(subject);
  if (kind === "gsa") return `/gsas/${enc}`;
  if (kind === "workload") return `/workloads/${enc}`;
  return `/objects/${enc}`;
}

export function subjectUrl(origin: string, subject: string): string {
  return origin.replace(/\/+$/, "") + subjectPath(subject);
}
