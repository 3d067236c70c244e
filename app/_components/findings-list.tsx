"use client";
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Badge, Card, Empty, Time } from "./ui";
import { fetchJson } from "./fetch-json";
import { useMe } from "./use-me";

export type FixView = { kind: string; title: string; content: string };
export type FindingView = {
  /** Set when the list mixes subjects (a GSA page lists its keys' findings too). */
  subject?: string;
  rule: string;
  severity: string;
  title: string;
  message: string;
  state: string;
  firstSeen: string | null;
  fixes: FixView[] | null;
  lacking: string[] | null;
};

export const SEVERITY_TONE: Record<string, "red" | "amber" | "blue" | "slate" | "purple"> = { critical: "red", high: "red", medium: "amber", low: "blue", info: "slate" };

export function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={SEVERITY_TONE[severity] ?? "slate"}>{severity}</Badge>;
}

export function StateBadge({ state }: { state: string }) {
  return <Badge tone={state === "open" ? "red" : state === "unverified" ? "amber" : "slate"}>{state}</Badge>;
}

export function CodeBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="relative">
      {/* Focusable: a long command scrolls sideways, and keyboard users must be able to scroll it too. */}
      <pre tabIndex={0} className="mono overflow-auto rounded bg-slate-100 p-3 pr-16 text-xs leading-relaxed dark:bg-slate-950" aria-label={label}>
        {text}
      </pre>
      <button
        type="button"
        className="absolute right-2 top-2 rounded border border-slate-300 bg-white px-1.5 py-0.5 text-xs hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}

/** `notice`: shown above a fix it returns something for (a warning before a destructive command). */
export function Fixes({ fixes, notice }: { fixes: FixView[]; notice?: (fix: FixView) => React.ReactNode }) {
  if (!fixes.length) return null;
  return (
    <div className="mt-2 space-y-2">
      {fixes.map((f, i) => (
        <div key={i}>
          <div className="mb-1 flex items-center gap-2 text-xs font-medium">
            <Badge tone="slate">{f.kind}</Badge> {f.title}
          </div>
          {notice?.(f)}
          {f.kind === "note" ? <p className="text-sm">{f.content}</p> : <CodeBlock text={f.content} label={f.title} />}
        </div>
      ))}
    </div>
  );
}

function SuppressForm({ rule, subject, onDone }: { rule: string; subject: string; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [owner, setOwner] = useState("");
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string | null>(null);
  const qc = useQueryClient();
  // With sign-in the server records the signed-in person as the owner; a typed name is only asked without.
  const { me } = useMe();
  const isSignedIn = !!me && me.authMode !== "none";
  return (
    <form
      className="mt-2 grid gap-2 rounded border border-slate-200 p-3 text-sm md:grid-cols-4 dark:border-slate-700"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await fetchJson("/api/suppressions", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ rule, subject, reason, ...(isSignedIn ? {} : { owner }), expiresAt: expires ? new Date(expires + "T00:00:00Z").toISOString() : null }),
          });
          await qc.invalidateQueries();
          onDone();
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <label className="flex flex-col gap-1 md:col-span-2">
        Reason
        <input required value={reason} onChange={(e) => setReason(e.target.value)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900" />
      </label>
      {isSignedIn ? (
        <p className="flex flex-col gap-1">
          Owner
          <span className="py-1">{me.email}</span>
        </p>
      ) : (
        <label className="flex flex-col gap-1">
          Owner
          <input required value={owner} onChange={(e) => setOwner(e.target.value)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900" />
        </label>
      )}
      <label className="flex flex-col gap-1">
        Expires (optional)
        <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900" />
      </label>
      {error && (
        <p role="alert" className="text-red-700 md:col-span-4 dark:text-red-300">
          {error}
        </p>
      )}
      <div className="flex gap-2 md:col-span-4">
        <button type="submit" className="rounded bg-slate-900 px-3 py-1 text-white dark:bg-slate-100 dark:text-slate-900">
          Accept this finding
        </button>
        <button type="button" onClick={onDone} className="rounded border border-slate-300 px-3 py-1 dark:border-slate-700">
          Cancel
        </button>
      </div>
    </form>
  );
}

export function FindingsList({
  subject,
  findings,
  title = "Findings",
  fixesOpen = false,
  fixNotice,
}: {
  subject: string;
  findings: FindingView[];
  title?: string;
  fixesOpen?: boolean;
  /** A warning shown above each fix it returns something for (see Fixes). */
  fixNotice?: (fix: FixView) => React.ReactNode;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const isAdmin = useMe().can("admin");
  return (
    <Card title={`${title} (${findings.length})`}>
      {findings.length === 0 ? (
        <Empty>No findings.</Empty>
      ) : (
        <ul className="space-y-4" data-testid="findings">
          {findings.map((f) => (
            <li key={f.rule + (f.subject ?? "")} className="border-t border-slate-100 pt-3 first:border-0 first:pt-0 dark:border-slate-800">
              <div className="flex flex-wrap items-center gap-2">
                <SeverityBadge severity={f.severity} />
                <StateBadge state={f.state} />
                <a href={`/findings?rule=${f.rule}`} className="mono text-xs">
                  {f.rule}
                </a>
                <span className="font-medium">{f.title}</span>
                <span className="text-xs text-slate-600 dark:text-slate-400">
                  since <Time value={f.firstSeen} />
                </span>
                {f.subject && f.subject !== subject && <span className="mono text-xs text-slate-600 dark:text-slate-400">{f.subject}</span>}
                {f.state !== "suppressed" && isAdmin && (
                  <button type="button" className="ml-auto text-xs text-blue-700 hover:underline dark:text-blue-300" onClick={() => setOpen(open === f.rule + (f.subject ?? "") ? null : f.rule + (f.subject ?? ""))}>
                    Accept…
                  </button>
                )}
              </div>
              <p className="mt-1 text-sm">{f.message}</p>
              {f.lacking?.length ? <p className="mt-1 text-xs text-amber-800 dark:text-amber-300">Could not verify: {f.lacking.join(", ")}</p> : null}
              {open === f.rule + (f.subject ?? "") && <SuppressForm rule={f.rule} subject={f.subject ?? subject} onDone={() => setOpen(null)} />}
              {f.fixes && f.fixes.length > 0 && (
                <details className="mt-1" open={fixesOpen}>
                  <summary className="cursor-pointer text-xs text-blue-700 dark:text-blue-300">How to fix ({f.fixes.length})</summary>
                  <Fixes fixes={f.fixes} notice={fixNotice} />
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
