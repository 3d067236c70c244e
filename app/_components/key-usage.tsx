"use client";
/**
 * The key page's answers: who uses the key (the Secrets holding it, the workloads reading them), when
 * it last authenticated, and — where the scan could not see — an explicit unknown linked to Coverage.
 * A key in use, or whose users are unknown, gets the safe order before any destructive command.
 */
import type { KeyUsage } from "@/lib/store/object-page";
import { keySafePath } from "@/lib/whatif/safe-path";
import { Badge, Card, Empty, Path, Time } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { CodeBlock } from "./findings-list";
import { WhatIfLink } from "./what-if-link";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "used 2026-11-28; the Secrets of 1 cluster could not be read" — what the scan cannot tell, or null. */
export function unknownSentence(u: KeyUsage): string | null {
  const gaps: string[] = [];
  if (u.unreadableClusters.length) gaps.push(`the Secrets of ${plural(u.unreadableClusters.length, "cluster")} could not be read`);
  if (u.unlistedProjects.length) gaps.push(`the clusters of ${plural(u.unlistedProjects.length, "project")} could not be listed`);
  if (u.isRecentlyUsed && u.holders.length === 0) gaps.push("no Secret or ConfigMap of the scanned clusters holds it, so something outside them uses it");
  if (u.activityGap) gaps.unshift("its last use could not be read (Policy Analyzer did not answer)");
  if (!gaps.length) return null;
  const used = u.lastAuthenticatedTime ? `used ${u.lastAuthenticatedTime.slice(0, 10)}` : u.activityGap ? null : "no use on record";
  return [used, gaps.join("; ")].filter(Boolean).join("; ");
}

function LastAuthenticated({ u }: { u: KeyUsage }) {
  if (u.activityGap)
    return (
      <span>
        <a href="/coverage" title={u.activityGap.error ?? u.activityGap.source}>
          unknown (source failed)
        </a>
      </span>
    );
  if (!u.lastAuthenticatedTime) return <span>never on record</span>;
  return (
    <span>
      <Time value={u.lastAuthenticatedTime} />
      {u.daysSinceAuthentication !== null && (
        <span className="text-slate-600 dark:text-slate-400"> · {u.daysSinceAuthentication === 0 ? "within a day of the scan" : `${plural(u.daysSinceAuthentication, "day")} before the scan`}</span>
      )}{" "}
      {u.isRecentlyUsed && <Badge tone="amber">in use (last 30 days)</Badge>}
    </span>
  );
}

export function KeyUsageCard({ u }: { u: KeyUsage }) {
  const unknown = unknownSentence(u);
  const usersByHolder = new Map<string, KeyUsage["users"]>();
  for (const x of u.users) usersByHolder.set(x.holder, [...(usersByHolder.get(x.holder) ?? []), x]);
  return (
    <Card title="Used by">
      <dl className="mb-3 grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-600 dark:text-slate-400">Last authenticated</dt>
        <dd data-testid="key-last-authenticated">
          <LastAuthenticated u={u} />
        </dd>
      </dl>
      {unknown && (
        <div data-testid="key-unknown" className="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          <p>
            <Badge tone="amber">unknown</Badge> {unknown} (
            <a href="/coverage" className="font-medium">
              Coverage
            </a>
            ).
          </p>
          {(u.unreadableClusters.length > 0 || u.unlistedProjects.length > 0) && (
            <ul className="mt-1 list-disc pl-5 text-xs">
              {[...u.unreadableClusters, ...u.unlistedProjects].map((g) => (
                <li key={g.source}>
                  <a href={subjectHref(g.scope)} className="mono">
                    <Path value={subjectLabel(g.scope)} />
                  </a>{" "}
                  — {g.source.split(":")[0]} {g.status}
                  {g.error ? `: ${g.error}` : ""}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {u.holders.length === 0 ? (
        <Empty>No Secret or ConfigMap of the clusters scanned holds this key{unknown ? " — as far as the scan could read" : ""}.</Empty>
      ) : (
        <ul className="space-y-2 text-sm" data-testid="key-holders">
          {u.holders.map((h) => (
            <li key={h.subject}>
              <Badge>{h.subject.slice(0, h.subject.indexOf(":"))}</Badge>{" "}
              <a href={subjectHref(h.subject)} className="mono text-xs break-words">
                <Path value={subjectLabel(h.subject)} />
              </a>{" "}
              <span className="text-xs text-slate-600 dark:text-slate-400">({h.dataKeys.join(", ")})</span>
              <ul className="mt-1 ml-6 space-y-0.5" data-testid="key-users">
                {(usersByHolder.get(h.subject) ?? []).length === 0 ? (
                  <li className="text-xs text-slate-600 dark:text-slate-400">no workload of its namespace reads it</li>
                ) : (
                  usersByHolder.get(h.subject)!.map((w) => (
                    <li key={w.subject} className="text-xs">
                      ↳ read by{" "}
                      <a href={subjectHref(w.subject)} className="mono break-words">
                        <Path value={subjectLabel(w.subject)} />
                      </a>{" "}
                      <span className="text-slate-600 dark:text-slate-400">via {w.via.join(", ")}</span>
                    </li>
                  ))
                )}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** Why a destructive step needs care for this key, or null when it does not. */
function cautionReasons(u: KeyUsage): string[] {
  const out: string[] = [];
  if (u.isRecentlyUsed && u.lastAuthenticatedTime) out.push(`it authenticated on ${u.lastAuthenticatedTime.slice(0, 10)}, within 30 days of the scan`);
  if (u.activityGap) out.push("its last use is unknown");
  if (u.isUsersUnknown) out.push("who uses it is not known in full");
  return out;
}

/**
 * The warning before a destructive command for a key in use or with unknown users: why, and the safe
 * order (disable → watch → delete). `full` spells out each step's command (the page's own card);
 * otherwise it is one block above a fix's snippet.
 */
export function KeyCaution({ u, subject, full = false }: { u: KeyUsage; subject: string; full?: boolean }) {
  if (!u.needsCaution) return null;
  const reasons = cautionReasons(u);
  const steps = u.projectId ? keySafePath({ email: u.email, keyId: u.keyId, projectId: u.projectId }) : [];
  return (
    <div role="note" data-testid="key-caution" className="my-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
      <p>
        <strong>⚠ Careful before disabling or deleting this key:</strong> {reasons.join("; ")}. Either step breaks whatever still uses it.
      </p>
      <p className="mt-1">
        Safe order: <strong>disable → watch → delete</strong> (a disabled key comes back with one command; a deleted one never does).{" "}
        <WhatIfLink changes={[{ type: "delete-key", subject }]} compact>
          Ask first: what breaks if I delete it?
        </WhatIfLink>
      </p>
      {full && steps.length > 0 && (
        <ol className="mt-2 space-y-2">
          {steps.map((s) => (
            <li key={s.n}>
              <div className="text-xs font-medium">
                {s.n}. {s.title}
              </div>
              <CodeBlock text={s.command} label={s.title} />
              <p className="mt-0.5 text-xs">{s.note}</p>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** A gcloud key command that cannot be taken back at once: disable or delete. */
export function isDestructiveKeyCommand(text: string): boolean {
  return /\bgcloud\s+iam\s+service-accounts\s+keys\s+(disable|delete)\b/.test(text);
}
