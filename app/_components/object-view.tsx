"use client";
/**
 * Every object page but GSAs and workloads (`/objects/SUBJECT`): the way Headlamp and the Cloud
 * Console present an object — its fields, its relations as links grouped by meaning, its findings
 * and timeline — with the raw record only behind "Raw". A key answers who uses it (key-usage.tsx).
 */
import { useQuery } from "@tanstack/react-query";
import { ApiError, fetchJson } from "./fetch-json";
import { TimelineCard } from "./timeline";
import { ChangeSetDownload } from "./change-set-download";
import { Badge, Card, Empty, ErrorBox, PageHeader, Spinner, Path, Time } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { FindingsList, type FindingView } from "./findings-list";
import { ObjectWhatIf } from "./what-if-link";
import { ConsoleLink, KubectlCommands } from "./deep-links";
import { isDestructiveKeyCommand, KeyCaution, KeyUsageCard } from "./key-usage";
import { SearchBox } from "./search-box";
import { objectFields, type Field } from "@/lib/objects/object-fields";
import { kubectlCommands } from "@/lib/console-links";
import type { KeyUsage, RelationGroup } from "@/lib/store/object-page";
import { ClusterOverview, ScopeProgress } from "./cluster-overview";

type ObjectDetail = {
  subject: string;
  current: { kind: string; subject: string; source: string; data: unknown; stale: string | null }[];
  versions: { kind: string; validFrom: number; validTo: number | null; fromTime: string; toTime: string | null }[];
  related: { kind: string; subject: string }[];
  relations: RelationGroup[];
  keyUsage: KeyUsage | null;
  /** Set when the subject is no longer in the inventory: its last record. */
  gone: { kind: string; data: unknown; validTo: number; goneAt: string | null } | null;
  findings: FindingView[];
};

/** The table listing objects of a kind, for the way back from a subject that does not exist. */
const TABLE_OF: Record<string, { href: string; label: string }> = {
  gsa: { href: "/gsas", label: "Google service accounts" },
  key: { href: "/keys", label: "Keys" },
  cluster: { href: "/clusters", label: "Clusters and node pools" },
  nodepool: { href: "/clusters", label: "Clusters and node pools" },
  ksa: { href: "/ksas", label: "Kubernetes service accounts" },
  secret: { href: "/secrets", label: "Secrets with keys" },
  workload: { href: "/workloads", label: "Workloads" },
  pod: { href: "/workloads", label: "Workloads" },
};

export function NotFound({ subject, message }: { subject: string; message: string }) {
  const kind = subject.slice(0, subject.indexOf(":"));
  const table = TABLE_OF[kind];
  return (
    <div className="space-y-4" data-testid="not-found">
      <PageHeader title="Not found" description={message} />
      <Card>
        <p className="text-sm">
          No scan has seen <span className="mono break-all">{subject}</span>. It may be misspelt, or live in a project or cluster wi-atlas does not scan.
        </p>
        <div className="mt-3 max-w-md">
          <SearchBox autoFocusKey={false} placeholder="Search for it by name, email or key id" />
        </div>
        <p className="mt-3 flex flex-wrap gap-4 text-sm">
          {table && <a href={table.href}>All {table.label.toLowerCase()}</a>}
          <a href="/coverage">What was scanned (Coverage)</a>
          <a href="/">Overview</a>
        </p>
      </Card>
    </div>
  );
}

function FieldValue({ f }: { f: Field }) {
  const v = f.value;
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return <span className="text-slate-500 dark:text-slate-400">—</span>;
  if (typeof v === "boolean") return <span>{v ? "yes" : "no"}</span>;
  if (f.as === "time" && typeof v === "string") return <Time value={v} />;
  if (f.as === "subject" && typeof v === "string")
    return (
      <a href={subjectHref(v)} className="mono text-xs break-words">
        <Path value={subjectLabel(v)} />
      </a>
    );
  const cls = f.as === "mono" ? "mono text-xs break-words" : "break-words";
  if (Array.isArray(v))
    return (
      <ul className="space-y-0.5">
        {v.map((x, i) => (
          <li key={i} className={cls}>
            {x}
          </li>
        ))}
      </ul>
    );
  return <span className={cls}>{String(v)}</span>;
}

export function FieldList({ fields }: { fields: Field[] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-4 gap-y-1.5 text-sm sm:grid-cols-[13rem_1fr]" data-testid="fields">
      {fields.map((f) => (
        <div key={f.label} className="contents">
          <dt className="text-slate-600 dark:text-slate-400" title={f.help}>
            {f.label}
          </dt>
          <dd className="min-w-0">
            <FieldValue f={f} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Relations({ groups }: { groups: RelationGroup[] }) {
  return (
    <div className="grid gap-x-6 gap-y-3 text-sm md:grid-cols-2" data-testid="relations">
      {groups.map((g) => (
        <section key={g.label} aria-label={g.label}>
          <h3 className="mb-1 text-xs font-semibold text-slate-700 dark:text-slate-300">
            {g.label}
            {g.total > 1 && <span className="font-normal text-slate-500 dark:text-slate-400"> ({g.total.toLocaleString()})</span>}
          </h3>
          {g.items.length === 0 ? (
            <p className="text-xs text-slate-500 dark:text-slate-400">none</p>
          ) : (
            <ul className="space-y-0.5">
              {g.items.map((r) => (
                <li key={r.subject + (r.note ?? "")} className="text-xs">
                  <a href={subjectHref(r.subject)} className="mono break-words">
                    <Path value={subjectLabel(r.subject)} />
                  </a>
                  {r.note && <span className="text-slate-600 dark:text-slate-400"> · {r.note}</span>}
                </li>
              ))}
              {g.total > g.items.length && <li className="text-xs text-slate-500">… and {(g.total - g.items.length).toLocaleString()} more</li>}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}

export function ObjectView({ subject }: { subject: string }) {
  const q = useQuery({
    queryKey: ["object", subject],
    queryFn: () => fetchJson<ObjectDetail>(`/api/objects/${encodeURIComponent(subject)}`),
    // A subject that does not exist will not appear on a retry.
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
  if (q.isPending) return <Spinner />;
  if (q.isError) return q.error instanceof ApiError && q.error.status === 404 ? <NotFound subject={subject} message={q.error.message} /> : <ErrorBox error={q.error} />;
  const d = q.data;
  const kind = subject.slice(0, subject.indexOf(":"));
  const main = d.current.find((c) => c.kind === kind);
  const record = main?.data ?? (d.gone?.kind === kind ? d.gone.data : undefined);
  const fields = objectFields(kind, record);
  const u = d.keyUsage;
  const hasKubectl = !!kubectlCommands(subject);
  return (
    <div className="space-y-4">
      <PageHeader
        title={subjectLabel(subject)}
        actions={
          <>
            {d.current.length > 0 && <ObjectWhatIf subject={subject} data={main?.data} />}
            <ConsoleLink subject={subject} uniqueId={null} project={null} />
            <a href={`/graph?focus=${encodeURIComponent(subject)}`}>Show in graph</a>
          </>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge>{kind}</Badge>
            {d.current.length === 0 && (
              <Badge tone="red" title={d.gone?.goneAt ?? undefined}>
                no longer present{d.gone ? ` — gone since scan #${d.gone.validTo}` : ""}
              </Badge>
            )}
            {d.current.map((c) => c.stale && <Badge key={c.kind} tone="amber" title={c.stale}>stale: {c.stale}</Badge>)}
          </span>
        }
      />
      {kind === "cluster" && <ClusterOverview subject={subject} />}
      {(kind === "nodepool" || kind === "namespace") && <ScopeProgress subject={subject} />}
      {u && kind === "key" && <KeyUsageCard u={u} />}
      {u && kind === "key" && <KeyCaution u={u} subject={subject} full />}
      {/* Every destructive key command on this page carries the caution (the fixes of key findings). */}
      <FindingsList subject={subject} findings={d.findings} fixNotice={u ? (f) => (isDestructiveKeyCommand(f.content) ? <KeyCaution u={u} subject={subject} /> : null) : undefined} />
      {fields.length > 0 && (
        <Card title={d.current.length === 0 ? "Details (as last seen)" : "Details"}>
          <FieldList fields={fields} />
        </Card>
      )}
      {d.relations.length > 0 && (
        <Card title="Relations">
          <Relations groups={d.relations} />
        </Card>
      )}
      {hasKubectl && (
        <Card title="kubectl">
          <KubectlCommands subject={subject} />
        </Card>
      )}
      <ChangeSetDownload subject={subject} />
      <TimelineCard subject={subject} />
      <details className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900" data-testid="raw">
        <summary className="cursor-pointer text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Raw</summary>
        {d.current.length === 0 && d.gone ? (
          <RawRecord title={`${d.gone.kind} · as last seen`} data={d.gone.data} />
        ) : d.current.length === 0 ? (
          <Empty>No record.</Empty>
        ) : (
          d.current.map((c) => <RawRecord key={c.kind} title={`${c.kind} · from ${c.source}`} data={c.data} />)
        )}
      </details>
    </div>
  );
}

function RawRecord({ title, data }: { title: string; data: unknown }) {
  return (
    <div className="mt-3">
      <h3 className="mb-1 text-xs font-semibold text-slate-700 dark:text-slate-300">{title}</h3>
      <pre className="mono max-h-[32rem] overflow-auto rounded bg-slate-50 p-3 text-xs dark:bg-slate-950">{JSON.stringify(data, null, 2)}</pre>
    </div>
  );
}
