"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { TimelineCard } from "./timeline";
import { ChangeSetDownload } from "./change-set-download";
import { Badge, Card, Empty, ErrorBox, PageHeader, Spinner, Time, Path } from "./ui";
import { ObjectWhatIf, WhatIfLink } from "./what-if-link";
import { subjectHref, subjectLabel } from "./links";
import { CodeBlock, FindingsList, type FindingView, type FixView } from "./findings-list";
import { ConsoleLink } from "./deep-links";
import { WhoUsesIt, type GsaUsersView } from "./gsa-users";
import { OwnerLine } from "./owner-line";

type Binding = { role: string; members: string[]; membersTotal?: number; condition: { title: string | null; expression: string } | null };
type GsaDetail = {
  email: string;
  gsa: { subject: string; project: string; data: { displayName: string | null; description: string | null; disabled: boolean; uniqueId: string }; stale: string | null } | null;
  deletedInScan: number | null;
  lastAuthenticatedTime: string | null;
  policy: { data: { bindings: Binding[] }; stale: string | null } | null;
  ksasAnnotated: { subject: string; namespace: string; name: string; annotation: string; exact: boolean; pods: number; stale: string | null }[];
  keys: { subject: string; data: { keyId: string; validAfterTime: string; validBeforeTime: string; disabled: boolean }; lastAuthenticatedTime: string | null; secrets: string[]; stale: string | null }[];
  secrets: { subject: string; namespace: string; name: string; credentials: { dataKey: string; keyId: string | null }[]; stale: string | null }[];
  roles: { resource: string; role: string; condition: { title: string | null } | null }[];
  nodePools: { subject: string; metadataMode: string | null }[];
  usage: { score: number; scoreParts: { what: string; count: number; weight: number; points: number }[]; namespaces: string[]; clusters: string[] } | null;
  drift: { ksa: string; annotated: boolean; bound: boolean; bindingState: string | null; pool: string | null }[];
  moduleInput: FixView | null;
  findings: FindingView[];
  /** Who uses it, by any path, and the failed sources that may hide more. */
  users: GsaUsersView;
  /** Lists hold at most `limit` items; these are the full counts. */
  limit: number;
  totals: { ksasAnnotated: number; drift: number; driftMismatched: number; secrets: number; bindings: number };
};

/** "Showing the first N of M" under a list cut to the page's limit, with where to see them all. */
function More({ shown, total, what, href }: { shown: number; total: number; what: string; href?: string }) {
  if (shown >= total) return null;
  return (
    <p className="mt-2 text-xs text-slate-600 dark:text-slate-400" data-testid="more">
      Showing {shown.toLocaleString()} of {total.toLocaleString()} {what}
      {href ? (
        <>
          {" "}
          — <a href={href}>see them all</a>
        </>
      ) : null}
      .
    </p>
  );
}

const WI_ROLES = ["roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator"];

/** Parses `serviceAccount:POOL[NS/KSA]` into its parts. */
function parseWiMember(m: string): { pool: string; ns: string; ksa: string } | null {
  const r = /^serviceAccount:([^[]+)\[([^/\]]+)\/([^\]]+)\]$/.exec(m);
  return r ? { pool: r[1], ns: r[2], ksa: r[3] } : null;
}

function Stale({ reason }: { reason: string | null | undefined }) {
  return reason ? (
    <Badge tone="amber" title={reason}>
      stale
    </Badge>
  ) : null;
}

export function GsaView({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["gsa", subject], queryFn: () => fetchJson<GsaDetail>(`/api/gsas/${encodeURIComponent(subject)}?view=page`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const d = q.data;
  const wiBindings = (d.policy?.data.bindings ?? []).filter((b) => WI_ROLES.includes(b.role));
  const namedByBindings = wiBindings.flatMap((b) => b.members.map((m) => ({ role: b.role, member: m, parsed: parseWiMember(m), condition: b.condition })));
  const namedTotal = wiBindings.reduce((n, b) => n + (b.membersTotal ?? b.members.length), 0);
  const otherBindings = (d.policy?.data.bindings ?? []).filter((b) => !WI_ROLES.includes(b.role));
  const gsaQs = `gsa=${encodeURIComponent(d.email)}`;
  return (
    <div className="space-y-4">
      <PageHeader
        title={d.email}
        description={
          <span className="flex flex-wrap items-center gap-2">
            {d.gsa ? (
              <>
                <span>
                  Project <span className="mono">{d.gsa.project}</span>
                </span>
                {d.gsa.data.displayName && <span>· {d.gsa.data.displayName}</span>}
                {d.gsa.data.disabled && <Badge tone="red">disabled</Badge>}
                <OwnerLine subject={d.gsa.subject} />
                <span>
                  · last authenticated <Time value={d.lastAuthenticatedTime} />
                </span>
                <Stale reason={d.gsa.stale} />
              </>
            ) : d.deletedInScan ? (
              <Badge tone="red">deleted — gone since scan #{d.deletedInScan}</Badge>
            ) : (
              <Badge tone="red" title="Annotations or keys name it, but no scanned project has it">
                not found in any scanned project
              </Badge>
            )}
          </span>
        }
        actions={
          <>
            {d.gsa && <ObjectWhatIf subject={`gsa:${d.email}`} data={d.gsa.data} />}
            <ConsoleLink subject={`gsa:${d.email}`} uniqueId={d.gsa?.data.uniqueId} project={d.gsa?.project} />
            <a className="text-sm" href={`/graph?focus=${encodeURIComponent(`gsa:${d.email}`)}`}>
              Graph
            </a>
            <a className="text-sm" href={`/gsas/${encodeURIComponent(`gsa:${d.email}`)}/audit`}>
              Audit report
            </a>
            <a className="text-sm" href={`/ksas?${gsaQs}`}>
              KSAs
            </a>
            <a className="text-sm" href={`/workloads?${gsaQs}`} title="Every workload that uses it, by any path (the list under Who uses it)">
              Workloads ({d.users.total.toLocaleString()})
            </a>
          </>
        }
      />

      <WhoUsesIt email={d.email} users={d.users} />

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={`KSAs annotated with it (${d.totals.ksasAnnotated.toLocaleString()})`}>
          {d.ksasAnnotated.length === 0 ? (
            <Empty>No KSA carries iam.gke.io/gcp-service-account: {d.email}</Empty>
          ) : (
            <ul className="space-y-1 text-sm" data-testid="ksas-annotated">
              {d.ksasAnnotated.map((k) => (
                <li key={k.subject} className="flex flex-wrap items-center gap-2">
                  <a href={subjectHref(k.subject)} className="mono text-xs break-words">
                    <Path value={subjectLabel(k.subject)} />
                  </a>
                  <span className="text-xs text-slate-600 dark:text-slate-400">{k.pods} pod{k.pods === 1 ? "" : "s"}</span>
                  {!k.exact && (
                    <Badge tone="amber" title={`Verbatim: ${JSON.stringify(k.annotation)}`}>
                      annotation not exact
                    </Badge>
                  )}
                  <Stale reason={k.stale} />
                </li>
              ))}
            </ul>
          )}
          <More shown={d.ksasAnnotated.length} total={d.totals.ksasAnnotated} what="KSAs (inexact annotations first)" href={`/ksas?${gsaQs}`} />
        </Card>
        <Card title={`KSAs its bindings name (${namedTotal.toLocaleString()})`}>
          {namedByBindings.length === 0 ? (
            <Empty>No roles/iam.workloadIdentityUser binding on this GSA.</Empty>
          ) : (
            <ul className="space-y-1 text-sm" data-testid="ksas-bound">
              {namedByBindings.map((b) => (
                <li key={b.role + b.member} className="flex flex-wrap items-center gap-2">
                  <span className="mono text-xs break-words">{b.parsed ? `${b.parsed.pool} · ${b.parsed.ns}/${b.parsed.ksa}` : b.member}</span>
                  {b.role !== "roles/iam.workloadIdentityUser" && <Badge>{b.role.replace("roles/", "")}</Badge>}
                  {b.condition && <Badge tone="purple" title={b.condition.expression}>conditional</Badge>}
                </li>
              ))}
            </ul>
          )}
          <More shown={namedByBindings.length} total={namedTotal} what="members" href={`/bindings?${gsaQs}`} />
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            The link is configured in two places — the KSA annotation and this binding — and they drift apart. Compare the two lists.
          </p>
        </Card>
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="The link, from both sides (the article's module input)">
          {d.drift.length === 0 ? (
            <Empty>No KSA is annotated with it and no binding names a KSA.</Empty>
          ) : (
            <>
              <table className="w-full text-sm" data-testid="drift">
                <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
                  <tr>
                    <th className="py-1">ns/ksa</th>
                    <th>Annotated</th>
                    <th>Bound</th>
                  </tr>
                </thead>
                <tbody>
                  {d.drift.map((x) => (
                    <tr key={x.ksa} className="border-t border-slate-100 dark:border-slate-800">
                      <td className="mono py-1 text-xs">{x.ksa}</td>
                      <td>{x.annotated ? <Badge tone="green">yes</Badge> : <Badge tone="red">no</Badge>}</td>
                      <td>
                        {x.bound ? <Badge tone={x.bindingState === "stale" ? "red" : "green"}>{x.bindingState === "stale" ? "stale" : "yes"}</Badge> : <Badge tone="red">missing</Badge>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <More shown={d.drift.length} total={d.totals.drift} what={`KSAs (${d.totals.driftMismatched.toLocaleString()} where the two sides disagree, listed first)`} href={`/gsas/${encodeURIComponent(`gsa:${d.email}`)}/audit`} />
              {d.moduleInput && (
                <div className="mt-3">
                  <p className="mb-1 text-xs text-slate-600 dark:text-slate-400">What the annotations say the Terraform should be:</p>
                  <CodeBlock text={d.moduleInput.content} label={d.moduleInput.title} />
                </div>
              )}
            </>
          )}
        </Card>
        <Card title={`Shared-account score${d.usage ? `: ${d.usage.score}` : ""}`}>
          {!d.usage || d.usage.scoreParts.length === 0 ? (
            <Empty>Not used from Kubernetes.</Empty>
          ) : (
            <table className="w-full text-sm" data-testid="score">
              <tbody>
                {d.usage.scoreParts.map((p) => (
                  <tr key={p.what} className="border-t border-slate-100 first:border-0 dark:border-slate-800">
                    <td className="py-1">{p.what}</td>
                    <td className="text-right tabular-nums">
                      {p.count} × {p.weight}
                    </td>
                    <td className="text-right font-medium tabular-nums">{p.points}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>

      <Card title={`User-managed keys (${d.keys.length})`}>
        {d.keys.length === 0 ? (
          <Empty>No user-managed keys.</Empty>
        ) : (
          <table className="w-full text-sm">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="py-1">Key id</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>In Secrets</th>
                <th>What if</th>
              </tr>
            </thead>
            <tbody>
              {d.keys.map((k) => (
                <tr key={k.subject} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <td className="mono py-1 text-xs">
                    {k.data.keyId} {k.data.disabled && <Badge>disabled</Badge>} <Stale reason={k.stale} />
                  </td>
                  <td>
                    <Time value={k.data.validAfterTime} />
                  </td>
                  <td>
                    <Time value={k.data.validBeforeTime} />
                  </td>
                  <td>
                    <Time value={k.lastAuthenticatedTime} />
                  </td>
                  <td>
                    {k.secrets.length === 0 ? (
                      <span className="text-slate-500 dark:text-slate-400">—</span>
                    ) : (
                      k.secrets.map((s) => (
                        <a key={s} href={subjectHref(s)} className="mono block text-xs break-words">
                          <Path value={subjectLabel(s)} />
                        </a>
                      ))
                    )}
                  </td>
                  <td>
                    <WhatIfLink compact changes={[{ type: "delete-key", subject: k.subject }]}>
                      What breaks if deleted
                    </WhatIfLink>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title={`Secrets holding its keys (${d.totals.secrets.toLocaleString()})`}>
          {d.secrets.length === 0 ? (
            <Empty>No Kubernetes Secret holds a key of this account.</Empty>
          ) : (
            <ul className="space-y-1 text-sm" data-testid="key-secrets">
              {d.secrets.map((s) => (
                <li key={s.subject}>
                  <a href={subjectHref(s.subject)} className="mono text-xs break-words">
                    <Path value={subjectLabel(s.subject)} />
                  </a>{" "}
                  <span className="text-xs text-slate-600 dark:text-slate-400">({s.credentials.map((c) => `${c.dataKey}: ${c.keyId ?? "?"}`).join(", ")})</span>{" "}
                  <Stale reason={s.stale} />
                </li>
              ))}
            </ul>
          )}
          <More shown={d.secrets.length} total={d.totals.secrets} what="Secrets" href={`/secrets?${gsaQs}`} />
        </Card>
        <Card title="Roles it holds">
          {d.roles.length === 0 ? (
            <Empty>No project, folder or organization role names this account.</Empty>
          ) : (
            <ul className="space-y-1 text-sm" data-testid="roles">
              {d.roles.map((r) => (
                <li key={r.resource + r.role}>
                  <span className="mono text-xs">{r.role}</span> on <span className="mono text-xs">{r.resource}</span>
                  {r.condition && <Badge tone="purple">conditional</Badge>}
                </li>
              ))}
            </ul>
          )}
          {d.nodePools.length > 0 && (
            <p className="mt-3 text-sm">
              Node pools running as it:{" "}
              {d.nodePools.map((n) => (
                <a key={n.subject} href={subjectHref(n.subject)} className="mono mr-2 text-xs">
                  <Path value={subjectLabel(n.subject)} />
                </a>
              ))}
            </p>
          )}
          {otherBindings.length > 0 && (
            <div className="mt-3 text-sm">
              <p className="font-medium">Who can act on this account</p>
              <ul>
                {otherBindings.map((b) => (
                  <li key={b.role} className="text-xs">
                    <span className="mono">{b.role}</span>: {b.members.join(", ")}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </Card>
      </div>
      <FindingsList subject={`gsa:${d.email}`} findings={d.findings} title="Findings on this account and its keys" />
      <ChangeSetDownload subject={`gsa:${d.email}`} />
      <TimelineCard subject={`gsa:${d.email}`} />
    </div>
  );
}
