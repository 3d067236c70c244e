/**
 * Who uses a GSA: every workload that acts as it, or is set up to, by any path — the one derivation
 * the GSA page's *Who uses it*, its audit report and the workloads table's `gsa=` filter all read
 * (stored as `gsa-user` rows).
 *
 * Paths, in the order a page lists them:
 *  - `workload-identity`: its pods act as the GSA through their KSA's annotation (working, conditional,
 *    broken or unknown — a broken link is still a user: it is meant to use the account);
 *  - `key-file`: a key of the GSA is the file ADC reads (GOOGLE_APPLICATION_CREDENTIALS however it is
 *    set — env, envFrom, a ConfigMap — or the well-known file), or an impersonation through a key;
 *  - `credential-file` / `federation`: a credential file or a federation configuration impersonating it;
 *  - `node`: its pods run where the node's account is the GSA (a pool without the GKE metadata server,
 *    hostNetwork, a cluster without a workload pool);
 *  - `annotation`: its KSA is annotated with the GSA but its pods act as something else today (a
 *    legacy node, a key file first in ADC's order): the account is what it will get;
 *  - `key-mounted`: it mounts a Secret holding the GSA's key that ADC does not read (code may);
 *  - `binding`: a token-role binding on the GSA names its KSA (or a principalSet of its namespace)
 *    without the annotation: only code that impersonates the account explicitly uses it.
 * Workloads whose identity could not be read are not here: the page names the sources that failed
 * ("possible users"), never a clean "no users".
 */
import type { AnalysisContext } from "./context";
import type { BindingRow, Identity, WorkloadStatus } from "./model";
import { mountedCredentialSecrets } from "./migration";

export type GsaUserPathKind = "workload-identity" | "key-file" | "credential-file" | "federation" | "node" | "annotation" | "key-mounted" | "binding";

/** One way a workload uses a GSA. */
export type GsaUserPath = {
  /** How: see the module comment. */
  path: GsaUserPathKind;
  /** `ok` (works), `legacy` (a key or the node's account), `broken`, `conditional`, `unknown`, `declared` (annotation/binding not in effect). */
  state: "ok" | "legacy" | "broken" | "conditional" | "unknown" | "declared";
  /** One sentence a page prints: what carries the account to the workload. */
  detail: string;
  /** The object the path goes through (Secret, ConfigMap, node pool, KSA), when there is one. */
  via: string | null;
};

/** A workload using a GSA, with every path it does so by. */
export type GsaUser = {
  email: string;
  workload: string;
  project: string;
  cluster: string;
  namespace: string;
  /** Whether the workload is off every legacy path (its migration status says so). */
  migrated: boolean;
  paths: GsaUserPath[];
};

const ORDER: GsaUserPathKind[] = ["workload-identity", "key-file", "credential-file", "federation", "node", "annotation", "key-mounted", "binding"];
const short = (subject: string) => subject.slice(subject.indexOf(":") + 1);
/** `ns/name` of a Secret, ConfigMap or KSA subject. */
const nsName = (subject: string) => short(subject).split("/").slice(3).join("/");
const holder = (subject: string) => `${subject.startsWith("configmap:") ? "ConfigMap" : "Secret"} ${nsName(subject)}`;

const NODE_WHY = { "host-network": "hostNetwork: true", "legacy-pool": "a pool without the GKE metadata server", "no-workload-pool": "a cluster without Workload Identity" } as const;

/** The paths an effective identity gives (none for identities that are not a GSA). */
function identityPaths(id: Identity): { email: string; path: GsaUserPath }[] {
  const via = (p: string) => (("via" in id && id.via === "well-known-file") ? `${p} (ADC's well-known file)` : `${p} (GOOGLE_APPLICATION_CREDENTIALS)`);
  switch (id.type) {
    case "key-file": {
      const out: { email: string; path: GsaUserPath }[] = [];
      const state = id.keyExists === false ? "broken" : "legacy";
      const dead = id.keyExists === false ? "; that key no longer exists in IAM" : "";
      if (id.email) out.push({ email: id.email, path: { path: "key-file", state, detail: `key file ${via(id.path)} in container ${id.container}, from ${holder(id.secret)}${dead}`, via: id.secret } });
      if (id.impersonates) out.push({ email: id.impersonates, path: { path: "key-file", state, detail: `impersonated with a key of ${id.email ?? "an unknown account"}: ${via(id.path)}, from ${holder(id.secret)}${dead}`, via: id.secret } });
      return out;
    }
    case "credential-file":
      return id.email ? [{ email: id.email, path: { path: "credential-file", state: "legacy", detail: `${id.credentialType} file ${via(id.path)} in container ${id.container}, from ${holder(id.secret)}`, via: id.secret } }] : [];
    case "external-account":
      return id.email ? [{ email: id.email, path: { path: "federation", state: "ok", detail: `federation configuration ${via(id.path)} (${id.principal}) impersonating it, from ${holder(id.secret)}`, via: id.secret } }] : [];
    case "node":
      return [{ email: id.email, path: { path: "node", state: "legacy", detail: `the node's account${id.pool ? ` of pool ${short(id.pool).split("/").pop()}` : " (auto-provisioned nodes)"}: ${NODE_WHY[id.reason]}`, via: id.pool } }];
    case "workload-identity": {
      const state = id.status === "working" ? "ok" : id.status === "broken" ? "broken" : id.status === "conditional" ? "conditional" : "unknown";
      return [{ email: id.email, path: { path: "workload-identity", state, detail: `Workload Identity (${id.status}): ${id.reason ?? "its KSA is annotated with it"}`, via: null } }];
    }
    default:
      return [];
  }
}

/** Every (GSA, workload) pair with its paths, sorted by GSA then workload. */
export function gsaUsers(ctx: AnalysisContext, statuses: WorkloadStatus[], bindings: BindingRow[]): GsaUser[] {
  const byKey = new Map<string, GsaUser>();
  const statusOf = new Map(statuses.map((s) => [s.subject, s]));
  const add = (email: string, workload: string, path: GsaUserPath) => {
    const e = email.trim().toLowerCase();
    const st = statusOf.get(workload);
    if (!st) return;
    const key = `${e}|${workload}`;
    let u = byKey.get(key);
    if (!u) {
      u = { email: e, workload, project: st.project, cluster: st.cluster, namespace: st.namespace, migrated: st.migrated, paths: [] };
      byKey.set(key, u);
    }
    if (!u.paths.some((p) => p.path === path.path && p.detail === path.detail)) u.paths.push(path);
  };
  const has = (email: string, workload: string, kinds: GsaUserPathKind[]) => byKey.get(`${email}|${workload}`)?.paths.some((p) => kinds.includes(p.path)) ?? false;
  for (const st of statuses) {
    for (const share of st.identity.shares) for (const { email, path } of identityPaths(share.identity)) add(email, st.subject, { path: path.path, state: path.state, detail: path.detail, via: path.path === "workload-identity" ? `ksa:${st.cluster.slice(8)}/${st.namespace}/${st.ksa}` : path.via });
  }
  // Declared but not in effect: the KSA's annotation.
  for (const w of ctx.workloads) {
    const st = statusOf.get(w.subject);
    if (!st) continue;
    const ksa = ctx.ksa(w.cluster!, w.data.namespace, w.data.template.serviceAccountName);
    const a = ksa?.data.gsaAnnotation?.trim().toLowerCase();
    if (a && ksa && !has(a, w.subject, ["workload-identity"])) {
      add(a, w.subject, { path: "annotation", state: "declared", detail: `its KSA ${nsName(ksa.subject)} is annotated with it, but its pods act as ${st.identity.label} today: it gets this account once they run on GKE metadata nodes without a key file`, via: ksa.subject });
    }
    // A Secret holding the GSA's key, mounted but not the file ADC reads.
    for (const m of mountedCredentialSecrets(ctx, w)) {
      if (!m.known) continue;
      const s = ctx.secrets.get(m.secret);
      for (const c of s?.data.credentials ?? []) {
        if (!c.clientEmail || has(c.clientEmail, w.subject, ["key-file"])) continue;
        add(c.clientEmail, w.subject, { path: "key-mounted", state: "legacy", detail: `mounts ${holder(m.secret)}, which holds its key ${c.keyId ?? ""}; ADC does not read it, code may`.replace(" ;", ";"), via: m.secret });
      }
    }
  }
  // Bindings naming a KSA (or a namespace's principalSet) on the GSA's own policy, without the annotation.
  const wk = ctx.workloadsByKsa();
  for (const b of bindings) {
    if (!b.resource.startsWith("gsa:") || !b.namespace) continue;
    if (b.state !== "not-annotated" && b.state !== "broad" && b.state !== "unverified") continue;
    const email = b.gsa;
    const targets: string[] = [];
    if (b.ksaName) for (const k of b.ksas) {
      const [p, l, c] = short(k).split("/");
      for (const w of wk.get(`cluster:${p}/${l}/${c}|${b.namespace}/${b.ksaName}`) ?? []) targets.push(w.subject);
    }
    else if (b.pool) for (const c of ctx.clustersByPool.get(b.pool) ?? []) for (const w of ctx.workloads) if (w.cluster === c && w.data.namespace === b.namespace) targets.push(w.subject);
    for (const w of targets) {
      if (has(email, w, ["workload-identity", "annotation"])) continue;
      add(email, w, { path: "binding", state: "declared", detail: `${b.role} granted to ${b.member}${b.condition ? ` (when ${b.condition})` : ""}: its pods can impersonate it explicitly; nothing annotates its KSA`, via: null });
    }
  }
  const out = [...byKey.values()];
  for (const u of out) u.paths.sort((a, b) => ORDER.indexOf(a.path) - ORDER.indexOf(b.path));
  return out.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : a.workload < b.workload ? -1 : 1));
}
