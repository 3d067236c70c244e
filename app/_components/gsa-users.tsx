"use client";
import { Badge, Card, Empty, Path, type Tone } from "./ui";
import { subjectHref } from "./links";

/** One way a workload uses the account (lib/analysis/gsa-users.ts GsaUserPath). */
export type GsaUserPathView = { path: string; state: string; detail: string; via: string | null };
/** The API's `users` of GET /api/gsas/{subject} (lib/store/queries.ts gsaUsersOf). */
export type GsaUsersView = {
  list: { workload: string; cluster: string; namespace: string; migrated: boolean; paths: GsaUserPathView[] }[];
  total: number;
  clusters: number;
  byPath: { path: string; workloads: number }[];
  possible: { source: string; family: string; scope: string; error: string | null; cluster: string | null; unknown: string[]; unknownTotal: number }[];
};

/** What each path is called on the page. */
export const PATH_LABEL: Record<string, string> = {
  "workload-identity": "Workload Identity",
  "key-file": "key file",
  "credential-file": "credential file",
  federation: "federation",
  node: "node account",
  annotation: "annotation (not in effect)",
  "key-mounted": "key Secret mounted",
  binding: "binding (not annotated)",
};

const STATE_TONE: Record<string, Tone> = { ok: "green", legacy: "amber", broken: "red", conditional: "purple", unknown: "slate", declared: "blue" };

/** What a failed source hides, in words: "Secrets", "pods", "the clusters", "the accounts' IAM policies". */
const FAMILY_WORDS: Record<string, string> = {
  "k8s.secrets": "Secrets (where key files live)",
  "k8s.pods": "pods",
  "k8s.serviceaccounts": "KSAs (their annotations)",
  "k8s.configmaps": "ConfigMaps (GOOGLE_APPLICATION_CREDENTIALS and key files in them)",
  "k8s.nodes": "nodes (which pods run on the node's account)",
  "container.clusters": "clusters and node pools",
  "iam.serviceAccountPolicies": "service accounts' IAM policies (the bindings naming KSAs)",
};
const familyWords = (f: string) => FAMILY_WORDS[f] ?? (f.startsWith("k8s.") ? f.slice(4) : f);

/** `prod · batch` and the full place on hover: where a workload runs. */
function Scope({ cluster, namespace }: { cluster: string; namespace: string }) {
  const parts = cluster.replace(/^cluster:/, "").split("/");
  return (
    <span className="text-xs text-slate-600 dark:text-slate-400" title={`${parts.join("/")} · namespace ${namespace}`}>
      <span className="mono">{parts[2]}</span> <span className="text-slate-600 dark:text-slate-400">({parts[0]}/{parts[1]})</span> · <span className="mono">{namespace}</span>
    </span>
  );
}

/**
 * The GSA page's first card: every workload that uses the account by any path, each with its path,
 * and the sources whose failure may hide more ("possible users") — never a clean "no users" then.
 */
export function WhoUsesIt({ email, users }: { email: string; users: GsaUsersView }) {
  const href = `/workloads?gsa=${encodeURIComponent(email)}`;
  const possible = users.possible;
  return (
    <Card title={`Who uses it (${users.total.toLocaleString()} workload${users.total === 1 ? "" : "s"}${users.total ? ` in ${users.clusters.toLocaleString()} cluster${users.clusters === 1 ? "" : "s"}` : ""})`}>
      <div data-testid="who-uses-it">
        {users.byPath.length > 0 && (
          <p className="mb-2 flex flex-wrap items-center gap-2 text-xs" data-testid="users-by-path">
            {users.byPath.map((p) => (
              <span key={p.path}>
                <Badge>{PATH_LABEL[p.path] ?? p.path}</Badge> {p.workloads.toLocaleString()}
              </span>
            ))}
          </p>
        )}
        {users.total === 0 ? (
          possible.length ? (
            <p className="text-sm" data-testid="no-users-seen">
              No workload the scan could read uses it — but some sources failed: see the possible users below.
            </p>
          ) : (
            <Empty>No workload uses it by any path the scan sees (Workload Identity, a key file, the node&apos;s account, an annotation, a binding), and every source that could hide one was read.</Empty>
          )
        ) : (
          <table className="w-full table-fixed text-sm" data-testid="users">
            <thead className="text-left text-xs uppercase text-slate-600 dark:text-slate-400">
              <tr>
                <th className="w-[34%] py-1">Workload</th>
                <th className="w-[22%]">Where</th>
                <th>How it uses it</th>
              </tr>
            </thead>
            <tbody>
              {users.list.map((u) => (
                <tr key={u.workload} className="border-t border-slate-100 align-top dark:border-slate-800" data-testid="user-row">
                  <td className="py-1 pr-2">
                    <a href={subjectHref(u.workload)} className="mono text-xs break-words">
                      <Path value={u.workload.replace(/^workload:/, "").split("/").slice(3).join("/")} />
                    </a>
                    {u.migrated && (
                      <>
                        {" "}
                        <Badge tone="green">migrated</Badge>
                      </>
                    )}
                  </td>
                  <td className="pr-2">
                    <Scope cluster={u.cluster} namespace={u.namespace} />
                  </td>
                  <td>
                    <ul className="space-y-0.5">
                      {u.paths.map((p) => (
                        <li key={p.path + p.detail} className="text-xs" data-testid="user-path" data-path={p.path}>
                          <Badge tone={STATE_TONE[p.state] ?? "slate"} title={p.state}>
                            {PATH_LABEL[p.path] ?? p.path}
                          </Badge>{" "}
                          <span className="break-words text-slate-700 dark:text-slate-300">{p.detail}</span>
                          {p.via && !p.via.startsWith("ksa:") && (
                            <>
                              {" "}
                              <a href={subjectHref(p.via)} className="whitespace-nowrap underline">
                                open
                              </a>
                            </>
                          )}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {users.total > 0 && (
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            {users.list.length < users.total ? `Showing ${users.list.length.toLocaleString()} of ${users.total.toLocaleString()} (not yet migrated first) — ` : ""}
            <a href={href} data-testid="users-table-link">
              {users.total === 1 ? "this workload" : `all ${users.total.toLocaleString()} workloads`} in the workloads table
            </a>{" "}
            (and its CSV).
          </p>
        )}
        {possible.length > 0 && (
          <div className="mt-3 rounded border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-800 dark:bg-amber-950/40" data-testid="possible-users">
            <p className="font-medium">Possible users the scan could not see</p>
            <ul className="mt-1 space-y-1">
              {possible.map((s) => (
                <li key={s.source} className="text-xs" data-testid="possible-user">
                  possible users: {s.cluster ? <>cluster <span className="mono">{s.scope}</span>&apos;s</> : <>project <span className="mono">{s.scope}</span>&apos;s</>} {familyWords(s.family)} could not be read in the last scan (
                  <a href="/coverage" className="underline">Coverage</a>)
                  {s.unknownTotal > 0 && (
                    <>
                      ; {s.unknownTotal.toLocaleString()} workload{s.unknownTotal === 1 ? "" : "s"} there {s.unknownTotal === 1 ? "has" : "have"} an identity that could not be told:{" "}
                      {s.unknown.map((w, i) => (
                        <span key={w}>
                          {i > 0 && ", "}
                          <a href={subjectHref(w)} className="mono">
                            {w.replace(/^workload:/, "").split("/").slice(3).join("/")}
                          </a>
                        </span>
                      ))}
                      {s.unknownTotal > s.unknown.length ? ", …" : ""}
                    </>
                  )}
                  .
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </Card>
  );
}
