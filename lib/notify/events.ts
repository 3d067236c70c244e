/**
 * What a scan has to tell (issue 13): open findings at or above the configured severity, user-managed
 * keys that expire within N days, and the scan itself when it failed or went partial. Read from the
 * store after the scan is applied; nothing here sends or remembers (notify-scan.ts does).
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import type { NotifySeverity } from "../config";

const SEVERITY_ORDER: NotifySeverity[] = ["critical", "high", "medium", "low", "info"];

/** Fields every event carries. None is a secret: finding texts, ids and times only. */
type EventBase = {
  /** The dedup key's kind. */
  kind: "finding" | "key-expiry" | "scan";
  /** The dedup key within the kind: a finding's `RULE|SUBJECT`, a key's `SUBJECT|DAYS`, a scan's `STATUS|hash of what failed`. */
  ref: string;
  /** The subject the event is about (a scan event: `scan:ID`). */
  subject: string;
  /** What the owners file decides from. */
  scope: { project?: string | null; cluster?: string | null; namespace?: string | null; gsa?: string | null };
  /** One line for a person. */
  title: string;
  /** More words: the finding's message, the key's expiry, the scan's failed sources. */
  text: string;
  severity?: string;
  rule?: string;
};

export type NotifyEvent = EventBase;

/** A finding's or a key's page path (mirrors app/_components/links.ts, which lib/ must not import). */
export function subjectPath(subject: string): string {
  const kind = subject.slice(0, subject.indexOf(":"));
  const enc = encodeURIComponent(subject);
  if (kind === "gsa") return `/gsas/${enc}`;
  if (kind === "workload") return `/workloads/${enc}`;
  if (kind === "scan") return `/scans`;
  return `/objects/${enc}`;
}

/** Open, unsuppressed findings at or above `min`, most severe first. */
export async function findingEvents(db: pg.Pool | pg.PoolClient, min: NotifySeverity): Promise<NotifyEvent[]> {
  const severities = SEVERITY_ORDER.slice(0, SEVERITY_ORDER.indexOf(min) + 1);
  const r = await db.query<{ key: string; rule: string; subject: string; severity: string; project: string | null; cluster: string | null; namespace: string | null; gsa: string | null; title: string | null; message: string | null }>(
    `select o.key, o.rule, o.subject, o.severity, o.project, o.cluster, o.namespace, o.gsa, o.data->>'title' as title, o.data->>'message' as message
       from analysis_object o
      where o.kind = 'finding' and o.valid_to is null and o.state = 'open' and o.severity = any($1)
        and not exists (select 1 from suppression sp where sp.rule = o.rule and sp.subject = o.subject and (sp.expires_at is null or sp.expires_at > now()))
      order by array_position($1::text[], o.severity), o.rule, o.subject`,
    [severities],
  );
  return r.rows.map((f) => ({
    kind: "finding",
    ref: f.key,
    subject: f.subject,
    scope: { project: f.project, cluster: f.cluster, namespace: f.namespace, gsa: f.gsa },
    title: `${f.severity.toUpperCase()} ${f.rule}: ${f.subject.slice(f.subject.indexOf(":") + 1)}`,
    text: f.message ?? f.title ?? "",
    severity: f.severity,
    rule: f.rule,
  }));
}

/**
 * Enabled user-managed keys whose validBeforeTime falls in [clock, clock + days). The far-future
 * 9999-12-31 of keys without expiry never qualifies; one notice per key per threshold (`SUBJECT|DAYS`).
 */
export async function keyExpiryEvents(db: pg.Pool | pg.PoolClient, clock: Date, days: number): Promise<NotifyEvent[]> {
  if (days <= 0) return [];
  const until = new Date(clock.getTime() + days * 86_400_000);
  const r = await db.query<{ subject: string; project: string | null; email: string; valid_before: string }>(
    `select o.subject, o.project, o.data->>'email' as email, o.data->>'validBeforeTime' as valid_before
       from inventory_object o
      where o.kind = 'key' and o.valid_to is null and o.data->>'keyType' = 'USER_MANAGED'
        and coalesce((o.data->>'disabled')::boolean, false) = false
        and o.data->>'validBeforeTime' is not null
        and (o.data->>'validBeforeTime')::timestamptz >= $1 and (o.data->>'validBeforeTime')::timestamptz < $2
      order by (o.data->>'validBeforeTime')::timestamptz, o.subject`,
    [clock.toISOString(), until.toISOString()],
  );
  return r.rows.map((k) => {
    const left = Math.max(0, Math.floor((Date.parse(k.valid_before) - clock.getTime()) / 86_400_000));
    const keyId = k.subject.slice(k.subject.lastIndexOf("/") + 1);
    return {
      kind: "key-expiry",
      ref: `${k.subject}|${days}`,
      subject: k.subject,
      scope: { project: k.project, gsa: k.email },
      title: `Key ${keyId} of ${k.email} expires in ${left} day${left === 1 ? "" : "s"}`,
      text: `The user-managed key ${keyId} of ${k.email} stops working at ${k.valid_before} (within ${days} days, WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS). Whatever still authenticates with it fails then: move it to Workload Identity, or rotate the key.`,
    };
  });
}

/** A failed or partial scan, naming what failed (the APIs' own messages, which carry no secret). */
export function scanEvent(scan: { scanId: number; status: string; error?: string; failed: { source: string; status: string; error?: string | null }[] }): NotifyEvent {
  const sources = scan.failed.slice(0, 10).map((s) => `${s.source} ${s.status}${s.error ? `: ${s.error}` : ""}`);
  const more = scan.failed.length > 10 ? [`and ${scan.failed.length - 10} more sources`] : [];
  const lines = [scan.status === "failed" && scan.error ? scan.error : "", ...sources, ...more].filter(Boolean);
  // The same failure scan after scan is not news: a scan notice is keyed by what failed, and a scan
  // that succeeds forgets them (notify-scan.ts), so the next failure is told again.
  const signature = scan.failed.length ? scan.failed.map((s) => `${s.source}=${s.status}`).sort().join(",") : (scan.error ?? "");
  return {
    kind: "scan",
    ref: `${scan.status}|${createHash("sha256").update(signature).digest("hex").slice(0, 32)}`,
    subject: `scan:${scan.scanId}`,
    scope: {},
    title: `Scan #${scan.scanId} ${scan.status === "failed" ? "failed" : "went partial"}`,
    text: lines.join("\n") || (scan.status === "failed" ? "The scan failed; nothing from it was applied." : "Some sources did not answer in full; their earlier data is kept and marked stale."),
    severity: scan.status === "failed" ? "high" : "medium",
  };
}
