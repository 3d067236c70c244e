"use client";
/**
 * `/what-if?changes=…`: the answer to "what breaks if…" for the changes the URL holds (base64url JSON,
 * lib/whatif/changes.ts), in tables. A URL that does not decode shows a notice saying why; no
 * `changes=` explains how to ask.
 */
import { useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { decodeChanges, type Change } from "@/lib/whatif/changes";
import type { TimedAnswer } from "@/lib/whatif/what-if";
import type { MigrationFigures, Verdict, WorkloadSide } from "@/lib/whatif/engine";
import { fetchJson } from "./fetch-json";
import { Badge, Card, Empty, ErrorBox, PageHeader, Path, Spinner, Time, type Tone } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { SEVERITY_TONE } from "./findings-list";

/** A change in words. */
export function describeChange(c: Change): string {
  switch (c.type) {
    case "delete-key":
      return `delete key ${subjectLabel(c.subject)}`;
    case "disable-key":
      return `disable key ${subjectLabel(c.subject)}`;
    case "disable-gsa":
      return `disable ${subjectLabel(c.subject)}`;
    case "delete-gsa":
      return `delete ${subjectLabel(c.subject)}`;
    case "remove-binding":
      return `remove ${c.role} for ${c.member} on ${c.subject}`;
    case "add-binding":
      return `grant ${c.role} to ${c.member} on ${c.subject}`;
    case "annotate-ksa":
      return c.gsa ? `annotate ${subjectLabel(c.subject)} with ${c.gsa}` : `remove the annotation of ${subjectLabel(c.subject)}`;
    case "set-nodepool-metadata":
      return `set ${subjectLabel(c.subject)} to ${c.mode}`;
    case "delete-nodepool":
      return `delete node pool ${subjectLabel(c.subject)}`;
    case "move-workload":
      return `move ${subjectLabel(c.subject)}${c.pool ? ` to pool ${c.pool.split("/").pop()}` : ""}${c.ksa ? ` to KSA ${c.ksa.split("/").pop()}` : ""}`;
    case "delete-secret":
      return `delete Secret ${subjectLabel(c.subject)}`;
    case "remove-role":
      return `remove ${c.role} from ${c.member} on ${c.subject}`;
  }
}

const VERDICT_TONE: Record<Verdict | "nothing-breaks", Tone> = { breaks: "red", unknown: "amber", changes: "blue", unchanged: "green", "nothing-breaks": "green" };

function SubjectLink({ value }: { value: string }) {
  return (
    <a href={subjectHref(value)} className="mono text-xs break-words">
      <Path value={subjectLabel(value)} />
    </a>
  );
}

function Access({ side }: { side: WorkloadSide }) {
  return side.access === true ? <Badge tone="green">has access</Badge> : side.access === false ? <Badge tone="red">no access</Badge> : <Badge tone="amber">cannot be told</Badge>;
}

function pct(f: MigrationFigures) {
  return f.percent === null ? "—" : `${f.percent}%`;
}

function HowToAsk() {
  return (
    <Empty>
      <p className="font-medium">Ask from the object you are about to change.</p>
      <p className="mt-2">
        Every key, service account, Secret and node pool page has a <strong>What breaks if…</strong> action, as do workload pages (move it to the GKE-metadata pool) and the rows of{" "}
        <a href="/keys">Keys</a>, <a href="/clusters">node pools</a>, <a href="/secrets">Secrets</a> and <a href="/bindings">Bindings</a>. The Migration page asks it for each legacy pool (step 8).
      </p>
      <p className="mt-2">
        Scripts post the same question to <span className="mono">POST /api/what-if</span> with <span className="mono">{`{"changes": [{"type": "delete-key", "subject": "key:EMAIL/KEY_ID"}]}`}</span>.
      </p>
    </Empty>
  );
}

export function WhatIfView() {
  const params = useSearchParams();
  const raw = params.get("changes");
  const decoded = raw === null ? null : decodeChanges(raw);
  const changes = decoded?.ok ? decoded.changes : null;
  const q = useQuery({
    queryKey: ["what-if", raw],
    enabled: changes !== null,
    retry: false,
    queryFn: () => fetchJson<TimedAnswer>("/api/what-if", { method: "POST", body: JSON.stringify({ changes }) }),
  });
  return (
    <div className="space-y-4">
      <PageHeader
        title="What breaks if…"
        description="The change is applied to a copy of the part of the latest scan it touches, and analysed again: which workloads lose Google access or a role, which findings open or resolve, and how the migration moves. Nothing is changed anywhere."
      />
      {raw === null ? (
        <HowToAsk />
      ) : !decoded!.ok ? (
        <div role="alert" data-testid="what-if-bad-url" className="rounded-md border border-amber-400 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          <p className="font-medium">This link does not hold a question wi-atlas can read.</p>
          <p className="mt-1">{decoded!.error}</p>
          <p className="mt-1">Open the object you want to change and use its What breaks if… action to make a new link.</p>
        </div>
      ) : (
        <>
          <Card title="The question">
            <ul className="list-disc pl-5 text-sm" data-testid="what-if-changes">
              {changes!.map((c, i) => (
                <li key={i}>
                  What breaks if I <strong>{describeChange(c)}</strong>?
                </li>
              ))}
            </ul>
          </Card>
          {q.isPending ? <Spinner label="Analysing before and after…" /> : q.isError ? <ErrorBox error={q.error} /> : <Answer a={q.data} />}
        </>
      )}
    </div>
  );
}

function Answer({ a }: { a: TimedAnswer }) {
  const th = "py-1 pr-3";
  return (
    <div className="space-y-4">
      <div data-testid="what-if-verdict" className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={VERDICT_TONE[a.verdict]}>{a.verdict}</Badge>
        <span>{a.summary}</span>
        <span className="text-xs text-slate-500 dark:text-slate-400">
          scan #{a.scanId}; {a.slice.clusters.length} cluster{a.slice.clusters.length === 1 ? "" : "s"} and {a.slice.records.toLocaleString()} objects analysed in {a.timings.loadMs + a.timings.analyseMs} ms
        </span>
      </div>

      <Card title={`Workloads affected (${a.workloads.length})`}>
        {a.workloads.length === 0 ? (
          <Empty>No workload found that this change touches.</Empty>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="what-if-workloads">
              <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                <tr>
                  <th className={th}>Workload</th>
                  <th className={th}>Verdict</th>
                  <th className={th}>Identity before → after</th>
                  <th className={th}>Access before → after</th>
                  <th className={th}>Why</th>
                </tr>
              </thead>
              <tbody>
                {a.workloads.map((w) => (
                  <tr key={w.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                    <td className="py-1 pr-3">
                      <SubjectLink value={w.subject} />
                    </td>
                    <td className="pr-3">
                      <Badge tone={VERDICT_TONE[w.verdict]}>{w.verdict}</Badge>
                    </td>
                    <td className="mono pr-3 text-xs break-words">
                      {w.before.identity} → {w.after.identity}
                    </td>
                    <td className="pr-3 whitespace-nowrap">
                      <Access side={w.before} /> → <Access side={w.after} />
                    </td>
                    <td className="text-xs">
                      {w.reasons.map((r) => (
                        <div key={r}>{r}</div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {a.unknown.length > 0 && (
        <Card title="Where the scan could not see: cannot be told">
          <ul className="space-y-1 text-sm" data-testid="what-if-unknown">
            {a.unknown.map((u) => (
              <li key={u.scope + u.reason}>
                <Badge tone="amber">unknown</Badge> <span className="mono text-xs">{u.scope}</span> — {u.reason}
              </li>
            ))}
          </ul>
        </Card>
      )}

      {a.credentials.length > 0 && (
        <Card title="Does it still authenticate? (Policy Analyzer)">
          <table className="w-full text-sm" data-testid="what-if-credentials">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className={th}>Key or account</th>
                <th className={th}>Last authenticated</th>
                <th className={th}>Verdict</th>
                <th className={th}>Used by (found)</th>
              </tr>
            </thead>
            <tbody>
              {a.credentials.map((c) => (
                <tr key={c.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <td className="py-1 pr-3">
                    <SubjectLink value={c.subject} /> {c.disabled && <Badge>disabled</Badge>}
                  </td>
                  <td className="pr-3">
                    <Time value={c.lastAuthenticated} />
                    {c.daysSinceLastAuthentication !== null && <span className="text-xs text-slate-500 dark:text-slate-400"> ({c.daysSinceLastAuthentication} days ago)</span>}
                  </td>
                  <td className="pr-3">
                    <Badge tone={c.authenticates === "recently" ? "red" : c.authenticates === "unknown" ? "amber" : "green"} title={c.lacking.join(", ")}>
                      {c.authenticates}
                    </Badge>
                  </td>
                  <td className="text-xs">{c.usedBy.length ? c.usedBy.map((u) => <SubjectLink key={u} value={u} />) : "none found"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}

      {a.safePaths.map((p) => (
        <Card key={p.subject} title={`The safe path for ${subjectLabel(p.subject)}`}>
          <ol className="space-y-3 text-sm" data-testid="what-if-safe-path">
            {p.steps.map((s) => (
              <li key={s.n}>
                <div className="font-medium">
                  {s.n}. {s.title}
                </div>
                <pre className="mono mt-1 overflow-x-auto rounded bg-slate-50 p-2 text-xs dark:bg-slate-950">{s.command}</pre>
                <div className="mt-1 text-xs text-slate-600 dark:text-slate-400">{s.note}</div>
                <div className="mt-1 text-xs">
                  Rollback: {s.rollback ? <span className="mono">{s.rollback}</span> : <span>none — this step cannot be undone.</span>}
                </div>
              </li>
            ))}
          </ol>
        </Card>
      ))}

      <div className="grid gap-4 lg:grid-cols-2">
        {(["opened", "resolved"] as const).map((side) => (
          <Card key={side} title={`Findings ${side} (${a.findings[side].length})`}>
            {a.findings[side].length === 0 ? (
              <Empty>None.</Empty>
            ) : (
              <table className="w-full text-sm" data-testid={`what-if-findings-${side}`}>
                <tbody>
                  {a.findings[side].map((f) => (
                    <tr key={f.rule + f.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                      <td className="py-1 pr-2">
                        <Badge tone={SEVERITY_TONE[f.severity] ?? "slate"}>{f.severity}</Badge>
                      </td>
                      <td className="mono pr-2 text-xs">{f.rule}</td>
                      <td>
                        <SubjectLink value={f.subject} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        ))}
      </div>

      <Card title="Migration, before → after">
        <table className="w-full text-sm" data-testid="what-if-migration">
          <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
            <tr>
              <th className={th}>Scope</th>
              <th className={th}>Done</th>
              <th className={th}>Workloads</th>
              <th className={th}>To migrate</th>
              <th className={th}>Unknown</th>
            </tr>
          </thead>
          <tbody>
            {[{ scope: "overall", ...a.migration.overall }, ...a.migration.clusters].map((m) => (
              <tr key={m.scope} className="border-t border-slate-100 dark:border-slate-800">
                <td className="py-1 pr-3">{m.scope === "overall" ? <strong>Overall</strong> : <SubjectLink value={m.scope} />}</td>
                <td className="pr-3 tabular-nums">
                  {pct(m.before)} → {pct(m.after)}
                </td>
                <td className="pr-3 tabular-nums">
                  {m.before.workloads} → {m.after.workloads}
                </td>
                <td className="pr-3 tabular-nums">
                  {m.before.toMigrate} → {m.after.toMigrate}
                </td>
                <td className="tabular-nums">
                  {m.before.unknown} → {m.after.unknown}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}
