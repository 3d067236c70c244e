/** Where a subject's page lives. */
export function subjectHref(subject: string): string {
  const kind = subject.slice(0, subject.indexOf(":"));
  const enc = encodeURIComponent(subject);
  if (kind === "gsa") return `/gsas/${enc}`;
  if (kind === "workload") return `/workloads/${enc}`;
  return `/objects/${enc}`;
}

/** The readable part of a subject: what follows `kind:`. */
export function subjectLabel(subject: string): string {
  const i = subject.indexOf(":");
  return i >= 0 ? subject.slice(i + 1) : subject;
}
