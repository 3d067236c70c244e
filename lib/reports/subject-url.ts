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

/** Characters encodeURIComponent leaves as they are, but `-` (last in a bracket expression, or it makes a range). */
const UNRESERVED = `A-Za-z0-9_.!~*'()`;

/**
 * `encodeURIComponent(subjectSql)` in SQL. Subjects are almost always unreserved characters and
 * `: / @` (one replace each); anything else is encoded a character at a time (its UTF-8 bytes as %XX).
 */
export function encodeUriComponentSql(s: string): string {
  const q = UNRESERVED.replace(/'/g, "''");
  return `(case when ${s} ~ '^[${q}:/@-]*$' then replace(replace(replace(${s}, ':', '%3A'), '/', '%2F'), '@', '%40')
    else (select coalesce(string_agg(case when ch ~ '^[${q}-]$' then ch else regexp_replace(upper(encode(convert_to(ch, 'UTF8'), 'hex')), '(..)', E'%\\\\1', 'g') end, '' order by n), '')
      from regexp_split_to_table(${s}, '') with ordinality as t(ch, n)) end)`;
}

/** `subjectUrl(origin, subjectSql)` in SQL, null for a null subject; `originSql` is a text literal. */
export function subjectUrlSql(originSql: string, s: string): string {
  // The kind as subjectPath reads it: the text before the first colon (without one: all but the last character).
  const kind = `(case when strpos(${s}, ':') > 0 then left(${s}, strpos(${s}, ':') - 1) else left(${s}, -1) end)`;
  return `(case when ${s} is null then null else regexp_replace(${originSql}, '/+$', '') || (case ${kind} when 'gsa' then '/gsas/' when 'workload' then '/workloads/' else '/objects/' end) || ${encodeUriComponentSql(s)} end)`;
}
