"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { ErrorBox, Spinner } from "./ui";
import { Fixes, type FindingView, type FixView } from "./findings-list";
import { PATH_LABEL, type GsaUsersView } from "./gsa-users";

type Audit = {
  email: string;
  gsa: { project: string; data: { displayName: string | null; disabled: boolean; uniqueId: string } } | null;
  lastAuthenticatedTime: string | null;
  ksasAnnotated: { subject: string; annotation: string; exact: boolean; pods: number }[];
  /** Who uses it by any path: the same list as the GSA page's (lib/analysis/gsa-users.ts). */
  users: GsaUsersView;
  keys: { subject: string; data: { keyId: string; validAfterTime: string; validBeforeTime: string }; lastAuthenticatedTime: string | null; secrets: string[] }[];
  secrets: { subject: string }[];
  mountedBy: { secret: string; workload: string }[];
  roles: { resource: string; role: string; condition: unknown }[];
  usage: { score: number; scoreParts: { what: string; count: number; weight: number; points: number }[] } | null;
  drift: { ksa: string; annotated: boolean; bound: boolean; bindingState: string | null }[];
  moduleInput: FixView | null;
  findings: (FindingView & { subject: string })[];
};

/** Paths by which a workload is set up to use the account without acting as it today. */
const DECLARED = ["annotation", "key-mounted", "binding"];

const short = (s: string) => s.slice(s.indexOf(":") + 1);

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="mb-6 break-inside-avoid">
      <h2 className="mb-2 border-b border-slate-300 pb-1 text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

/** A printable audit of one GSA, for the "common-batch" review: who uses it, where its keys are, its roles, findings and fixes. */
export function AuditView({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["gsa-audit", subject], queryFn: () => fetchJson<Audit>(`/api/gsas/${encodeURIComponent(subject)}?limit=all`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const d = q.data;
  const split = d.findings.find((f) => f.rule === "gsa-shared");
  return (
    <article className="mx-auto max-w-4xl bg-white p-6 text-sm text-slate-900 print:p-0 dark:bg-slate-900 dark:text-slate-100" data-testid="audit">
      <div className="no-print mb-4 flex justify-end gap-2">
        <a href={`/gsas/${encodeURIComponent(subject)}`}>Back to the account</a>
        <button type="button" className="rounded bg-slate-900 px-3 py-1 text-white dark:bg-slate-100 dark:text-slate-900" onClick={() => window.print()}>
          Print
        </button>
      </div>
      <header className="mb-6">
        <p className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">Service account audit · {new Date().toISOString().slice(0, 10)}</p>
        <h1 className="text-2xl font-semibold">{d.email}</h1>
        <p>
          {d.gsa ? `Project ${d.gsa.project}${d.gsa.data.displayName ? ` · ${d.gsa.data.displayName}` : ""}${d.gsa.data.disabled ? " · DISABLED" : ""}` : "Not found in the scanned projects"} · last authenticated{" "}
          {d.lastAuthenticatedTime?.slice(0, 10) ?? "never on record"}
          {d.usage ? ` · shared-account score ${d.usage.score}` : ""}
        </p>
      </header>
      <Section title={`Who uses it (${d.users.total} workload${d.users.total === 1 ? " acts" : "s act"} as it${d.users.byPath.some((p) => DECLARED.includes(p.path)) ? " or are set up to" : ""})`}>
        {d.users.total === 0 ? (
          <p>{d.users.possible.length ? "No workload the scan could read uses it; some sources failed (below)." : "No workload uses it by any path the scan sees."}</p>
        ) : (
          <table className="w-full">
            <thead className="text-left text-xs uppercase text-slate-500 dark:text-slate-400">
              <tr>
                <th>Workload</th>
                <th>How</th>
                <th>Migrated</th>
              </tr>
            </thead>
            <tbody>
              {d.users.list.map((a) => (
                <tr key={a.workload} className="border-t border-slate-200 align-top dark:border-slate-700">
                  <td className="mono py-0.5 text-xs">{short(a.workload)}</td>
                  <td>{a.paths.map((p) => `${PATH_LABEL[p.path] ?? p.path}: ${p.detail}`).join("; ")}</td>
                  <td>{a.migrated ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {d.users.possible.length > 0 && (
          <p className="mt-2">
            Possible users not seen: {d.users.possible.map((s) => `${s.scope}: ${s.family} could not be read${s.unknownTotal ? ` (${s.unknownTotal} workload${s.unknownTotal === 1 ? "" : "s"} there of unknown identity)` : ""}`).join("; ")}.
          </p>
        )}
        {d.ksasAnnotated.length > 0 && (
          <p className="mt-2">
            KSAs annotated with it: {d.ksasAnnotated.map((k) => `${short(k.subject)}${k.exact ? "" : " (annotation not exact)"}`).join(", ")}.
          </p>
        )}
      </Section>
      <Section title={`Keys (${d.keys.length}) and where they are`}>
        {d.keys.length === 0 ? (
          <p>No user-managed keys.</p>
        ) : (
          <ul className="space-y-1">
            {d.keys.map((k) => (
              <li key={k.subject}>
                <span className="mono">{k.data.keyId}</span> — created {k.data.validAfterTime?.slice(0, 10)}, expires {k.data.validBeforeTime?.startsWith("9999") ? "never" : k.data.validBeforeTime?.slice(0, 10)}, last used{" "}
                {k.lastAuthenticatedTime?.slice(0, 10) ?? "not on record"}
                {k.secrets.length > 0 && (
                  <>
                    ; in {k.secrets.map((s) => {
                      const users = d.mountedBy.filter((m) => m.secret === s).map((m) => short(m.workload).split("/").slice(-3).join("/"));
                      return `${short(s)}${users.length ? ` (mounted by ${users.join(", ")})` : " (mounted by nothing)"}`;
                    }).join("; ")}
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Roles">
        {d.roles.length === 0 ? <p>No role on projects, folders or the organization names it.</p> : <ul>{d.roles.map((r) => <li key={r.resource + r.role}>{r.role} on {r.resource}</li>)}</ul>}
      </Section>
      <Section title="The link from both sides">
        {d.drift.length === 0 ? (
          <p>No annotation or binding.</p>
        ) : (
          <ul>
            {d.drift.map((x) => (
              <li key={x.ksa}>
                {x.ksa}: {x.annotated ? "annotated" : "NOT annotated"}, {x.bound ? (x.bindingState === "stale" ? "bound (stale)" : "bound") : "NOT bound"}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={`Findings (${d.findings.length})`}>
        {d.findings.map((f) => (
          <div key={f.rule + f.subject} className="mb-3 break-inside-avoid">
            <p>
              <strong>
                [{f.severity}] {f.rule}
              </strong>{" "}
              ({f.state}) — {f.message}
            </p>
            {f.fixes && <Fixes fixes={f.fixes} />}
          </div>
        ))}
      </Section>
      {split && (
        <Section title="Proposed split">
          <p>One GSA per workload on its own KSA, each starting with the current roles, to narrow. The commands are under gsa-shared above.</p>
        </Section>
      )}
    </article>
  );
}
