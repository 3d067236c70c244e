"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { TimelineCard } from "./timeline";
import { ChangeSetDownload } from "./change-set-download";
import { Badge, Card, ErrorBox, PageHeader, Spinner, Path } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { FindingsList, type FindingView } from "./findings-list";
import { ObjectWhatIf } from "./what-if-link";
import { ClusterOverview, ScopeProgress } from "./cluster-overview";

type ObjectDetail = {
  subject: string;
  current: { kind: string; subject: string; source: string; data: unknown; stale: string | null }[];
  versions: { kind: string; validFrom: number; validTo: number | null; fromTime: string; toTime: string | null }[];
  related: { kind: string; subject: string }[];
  findings: FindingView[];
};

export function ObjectView({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["object", subject], queryFn: () => fetchJson<ObjectDetail>(`/api/objects/${encodeURIComponent(subject)}`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const d = q.data;
  const kind = subject.slice(0, subject.indexOf(":"));
  return (
    <div className="space-y-4">
      <PageHeader
        title={subjectLabel(subject)}
        actions={
          <>
            {d.current.length > 0 && <ObjectWhatIf subject={subject} data={d.current.find((c) => c.kind === kind)?.data} />}
            <a href={`/graph?focus=${encodeURIComponent(subject)}`}>Show in graph</a>
          </>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge>{kind}</Badge>
            {d.current.length === 0 && <Badge tone="red">no longer present</Badge>}
            {d.current.map((c) => c.stale && <Badge key={c.kind} tone="amber" title={c.stale}>stale: {c.stale}</Badge>)}
          </span>
        }
      />
      {kind === "cluster" && <ClusterOverview subject={subject} />}
      {(kind === "nodepool" || kind === "namespace") && <ScopeProgress subject={subject} />}
      {d.findings.length > 0 && <FindingsList subject={subject} findings={d.findings} />}
      {d.related.length > 0 && (
        <Card title="Related">
          <ul className="columns-1 gap-6 text-sm md:columns-2">
            {d.related.map((r) => (
              <li key={r.kind + r.subject}>
                <Badge>{r.kind}</Badge>{" "}
                <a href={subjectHref(r.subject)} className="mono text-xs break-words">
                  <Path value={subjectLabel(r.subject)} />
                </a>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {d.current.map((c) => (
        <Card key={c.kind} title={`${c.kind} · from ${c.source}`}>
          <pre className="mono max-h-[32rem] overflow-auto rounded bg-slate-50 p-3 text-xs dark:bg-slate-950">{JSON.stringify(c.data, null, 2)}</pre>
        </Card>
      ))}
      <ChangeSetDownload subject={subject} />
      <TimelineCard subject={subject} />
    </div>
  );
}
