"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";
import { TimelineCard } from "./timeline";
import { ChangeSetDownload } from "./change-set-download";
import { Badge, Card, Empty, ErrorBox, PageHeader, Path, Spinner } from "./ui";
import { WorkloadWhatIf } from "./what-if-link";
import { subjectHref, subjectLabel } from "./links";
import { Fixes, FindingsList, type FindingView, type FixView } from "./findings-list";
import { KubectlMenu } from "./deep-links";
import { OwnerLine } from "./owner-line";

type Identity = {
  type: string;
  email?: string | null;
  status?: string;
  reason?: string;
  principal?: string;
  keyId?: string;
  secret?: string;
  path?: string;
  container?: string;
  pool?: string;
  lacking?: string[];
  annotation?: string;
  credentialType?: string;
  /** key-file: the account an impersonated_service_account file acts as. */
  impersonates?: string | null;
  /** credential-file: an impersonation's source type. */
  sourceType?: string | null;
  /** unknown-key-file: it may not be used at all. */
  possible?: boolean;
  /** `well-known-file` when found at $HOME/.config/gcloud/application_default_credentials.json. */
  via?: string;
};

/** Where a credential file came from, as people name it: "Secret x" or "ConfigMap y". */
function holder(subject: string | undefined): string {
  return `${subject?.startsWith("configmap:") ? "ConfigMap" : "Secret"} ${subject?.split("/").pop()}`;
}

function found(i: Identity): string {
  return i.via === "well-known-file" ? "ADC's well-known path (no GOOGLE_APPLICATION_CREDENTIALS needed)" : "GOOGLE_APPLICATION_CREDENTIALS";
}
type Status = {
  identity: { mode: string; label: string; source: string; shares: { identity: Identity; label: string; pods: number; containers: string[] }[] };
  steps: { n: number; id: string; title: string; state: string; evidence: string }[];
  migrated: boolean;
  /** Absent on statuses stored before migration statuses existed. */
  migration?: string;
  migrationReason?: string;
  /** Node pools its pods run on. */
  nodePools?: string[];
  federatedEndState: boolean;
  system: boolean;
  ksa: string;
  plan: FixView[];
};
type Detail = {
  subject: string;
  workload: { project: string; cluster: string; namespace: string; data: { kind: string; name: string; replicas: number | null; schedule: string | null } } | null;
  status: Status | null;
  findings: FindingView[];
  pods: { subject: string; name: string; phase: string; node: string | null; pool: string | null }[];
};

function identityExplanation(i: Identity): string {
  switch (i.type) {
    case "key-file":
      return `Uses key ${i.keyId} of ${i.email}${i.impersonates ? ` to impersonate ${i.impersonates} (an impersonated_service_account file whose source is that key)` : ""} from ${i.path} (${holder(i.secret)}, container ${i.container}, found through ${found(i)}). Note: \`gcloud auth list\` in the pod still shows the metadata identity — the client libraries use the file.`;
    case "credential-file":
      return `Uses a ${i.credentialType} file at ${i.path}${i.email ? ` acting as ${i.email}` : ""}${i.sourceType ? ` (its source: ${i.sourceType})` : ""} — a person's refresh token, flagged like a key (${holder(i.secret)}, found through ${found(i)}).`;
    case "external-account":
      return `Keyless: a Workload Identity Federation credential configuration (${i.credentialType}) at ${i.path} (${holder(i.secret)}) exchanges the platform's token for one of ${i.principal}${i.email ? `, which impersonates ${i.email}` : ""}. No key to remove.`;
    case "unknown-key-file":
      return i.possible
        ? `Not known: ${i.reason}. If it is set, ADC uses that file; if not, the metadata server. Checked once the source can be read.`
        : `GOOGLE_APPLICATION_CREDENTIALS is set in ${i.container}, but: ${i.reason}. ADC fails on a missing file; it does not fall through.`;
    case "node":
      return `Acts as the node's service account ${i.email} (${i.reason === "host-network" ? "hostNetwork bypasses the GKE metadata server" : i.reason === "no-workload-pool" ? "the cluster has no workload pool" : "the node pool does not serve GKE metadata"}).`;
    case "workload-identity":
      return `Workload Identity to ${i.email}: ${i.status} — ${i.reason}.`;
    case "federated":
      return `Its own federated principal (gcloud auth list shows the pool): ${i.principal}.`;
    default:
      return i.reason ?? i.type;
  }
}

const STEP_TONE: Record<string, "green" | "red" | "amber" | "slate"> = { done: "green", todo: "red", unknown: "amber", "n/a": "slate" };

const MIGRATION_LABEL: Record<string, string> = {
  migrated: "migrated",
  federated: "done: federated principal",
  "no-google-identity-needed": "done: needs no Google identity",
  "to-migrate": "to migrate",
  unknown: "migration unknown",
};

function MigrationBadge({ s }: { s: Status }) {
  const status = s.migration ?? (s.migrated ? (s.federatedEndState ? "federated" : "migrated") : "to-migrate");
  const tone = status === "to-migrate" ? "red" : status === "unknown" ? "amber" : "green";
  return (
    <Badge tone={tone} title={s.migrationReason}>
      <span data-testid="migration-status">{MIGRATION_LABEL[status] ?? status}</span>
    </Badge>
  );
}

export function WorkloadView({ subject }: { subject: string }) {
  const q = useQuery({ queryKey: ["workload", subject], queryFn: () => fetchJson<Detail>(`/api/workloads/${encodeURIComponent(subject)}`) });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  const d = q.data;
  const s = d.status;
  return (
    <div className="space-y-4">
      <PageHeader
        title={`${d.workload?.data.kind ?? ""} ${d.workload?.data.name ?? subjectLabel(subject)}`}
        actions={
          <>
            {d.workload && <WorkloadWhatIf subject={subject} currentPools={s?.nodePools ?? []} />}
            <KubectlMenu subject={subject} />
            <a href={`/graph?focus=${encodeURIComponent(subject)}`}>Show in graph</a>
          </>
        }
        description={
          <span className="flex flex-wrap items-center gap-2">
            <a href={subjectHref(`namespace:${subjectLabel(subject).split("/").slice(0, 4).join("/")}`)} className="mono text-xs">
              <Path value={subjectLabel(subject).split("/").slice(0, 4).join("/")} />
            </a>
            {s && <span>runs as KSA <span className="mono">{s.ksa}</span></span>}
            {s && <MigrationBadge s={s} />}
            {s?.system && <Badge>GKE-managed namespace</Badge>}
            <OwnerLine subject={subject} />
          </span>
        }
      />
      {!s ? (
        <Empty>Not analysed yet.</Empty>
      ) : (
        <>
          <Card title={`Effective identity${s.identity.mode === "predicted" ? " (predicted: no pods now)" : s.identity.mode === "mixed" ? " (mixed)" : ""}`}>
            <ul className="space-y-2 text-sm" data-testid="identity">
              {s.identity.shares.map((sh, i) => (
                <li key={i}>
                  <div className="flex flex-wrap items-center gap-2">
                    <Badge
                      tone={
                        (sh.identity.type === "workload-identity" && sh.identity.status === "working") || sh.identity.type === "federated" || sh.identity.type === "external-account"
                          ? "green"
                          : sh.identity.type === "node" || (sh.identity.type === "unknown-key-file" && sh.identity.possible)
                            ? "amber"
                            : "red"
                      }
                    >
                      {sh.identity.type}
                    </Badge>
                    <span className="mono text-xs break-all">{sh.label}</span>
                    <span className="text-xs text-slate-600 dark:text-slate-400">
                      {sh.pods} pod{sh.pods === 1 ? "" : "s"} · containers {sh.containers.join(", ")}
                    </span>
                  </div>
                  <p className="mt-1">{identityExplanation(sh.identity)}</p>
                  {sh.identity.lacking?.length ? <p className="text-xs text-amber-800 dark:text-amber-300">Could not read: {sh.identity.lacking.join(", ")}</p> : null}
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Migration steps">
            {s.migrationReason && (
              <p className="mb-2 text-sm" data-testid="migration-reason">
                <strong>{MIGRATION_LABEL[s.migration ?? ""] ?? "status"}:</strong> {s.migrationReason}
              </p>
            )}
            <ol className="space-y-1 text-sm" data-testid="steps">
              {s.steps.map((st) => (
                <li key={st.id} className="flex items-start gap-2">
                  <Badge tone={STEP_TONE[st.state]}>{st.state}</Badge>
                  <span>
                    <strong>
                      {st.n}. {st.title}
                    </strong>{" "}
                    — <span className="text-slate-700 dark:text-slate-300">{st.evidence}</span>
                  </span>
                </li>
              ))}
            </ol>
          </Card>
          {s.plan.length > 0 && (
            <Card title="What to change">
              <Fixes fixes={s.plan} />
            </Card>
          )}
        </>
      )}
      <FindingsList subject={subject} findings={d.findings} />
      <ChangeSetDownload subject={subject} />
      <TimelineCard subject={subject} />
      <Card title={`Pods (${d.pods.length})`}>
        {d.pods.length === 0 ? (
          <Empty>No pods (scaled to zero, or a CronJob between runs).</Empty>
        ) : (
          <ul className="text-sm">
            {d.pods.map((p) => (
              <li key={p.subject}>
                <span className="mono text-xs">{p.name}</span> <Badge tone={p.phase === "Pending" ? "amber" : "slate"}>{p.phase}</Badge>{" "}
                {p.node && (
                  <span className="text-xs text-slate-600 dark:text-slate-400">
                    on {p.node} ({p.pool})
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
