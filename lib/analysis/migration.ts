/**
 * The article's migration steps for one workload, each done / todo / n/a / unknown with evidence:
 * (1) workload pool · (2) a GKE-metadata pool · (3) its own KSA, annotated · (4) pods on GKE-metadata
 * nodes · (5) binding exists · (6) effective identity is the annotated GSA · (7) no key file used or
 * mounted. On Autopilot 2 and 4 are n/a.
 *
 * Its status (`migration`) is decided by what its pods hold, not by the steps: a workload that holds
 * no legacy path — no key file, no node account, no broken link, no mounted key — is not "to migrate".
 * On its KSA's own principal it is `federated` (direct grants found: Google's preferred end state) or
 * `no-google-identity-needed` (no GSA, no key, no grant found); for both, 3, 5 and 6 are n/a (there is
 * no GSA to annotate or bind). `migrated` (the boolean every API and CSV carries) means done: one of
 * `migrated`, `federated`, `no-google-identity-needed`.
 */
import type { AnalysisContext } from "./context";
import { isSystemNamespace } from "./context";
import type { InventoryRecord, WorkloadData } from "../inventory/model";
import type { Identity, MigrationStatus, Step, StepState, WorkloadIdentity, WorkloadStatus } from "./model";
import { DONE_STATUSES, STEP_DEFS } from "./model";
import { allContainers, decidingPods, isKeyish, isPossiblyKeyish, metadataIdentity, nodeFacts, workloadIdentity } from "./identity";
import { isValidGsaEmail, parseWiMember, TOKEN_ROLES } from "./iam";
import { landing } from "./scheduling";
import { isSecretCredential } from "../inventory/secret-credentials";

type Obj = Record<string, unknown>;

/**
 * Secrets (and the ConfigMaps the scanner read) holding a Google key or a person's token that a
 * workload's pod template mounts. A Workload Identity Federation configuration is no key: a Secret
 * holding only that is not listed. `known: false`: a mounted Secret that could not be read.
 */
export function mountedCredentialSecrets(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>): { secret: string; known: boolean }[] {
  const memo = ctx.memo("mountedCredentialSecrets", () => new WeakMap<object, { secret: string; known: boolean }[]>());
  const hit = memo.get(w);
  if (hit) return hit;
  const out: { secret: string; known: boolean }[] = [];
  const names = new Set<string>();
  const cms = new Set<string>();
  for (const v of w.data.template.volumes as Obj[]) {
    const s = v.secret as { secretName?: string } | undefined;
    if (s?.secretName) names.add(s.secretName);
    const cm = v.configMap as { name?: string } | undefined;
    if (cm?.name) cms.add(cm.name);
    for (const src of (((v.projected as Obj | undefined)?.sources ?? []) as Obj[])) {
      const ps = src.secret as { name?: string } | undefined;
      if (ps?.name) names.add(ps.name);
      const pc = src.configMap as { name?: string } | undefined;
      if (pc?.name) cms.add(pc.name);
    }
  }
  for (const n of names) {
    const sec = ctx.secret(w.cluster!, w.data.namespace, n);
    if (sec && sec.data.credentials.some(isSecretCredential)) out.push({ secret: sec.subject, known: true });
    else if (!sec && ctx.k8sLacking(w.cluster!, "secrets").length) out.push({ secret: `secret:${w.cluster!.slice(8)}/${w.data.namespace}/${n}`, known: false });
  }
  // Only ConfigMaps a pod's credentials come from were read: a key found in one is named too.
  for (const n of cms) {
    const cm = ctx.configMap(w.cluster!, w.data.namespace, n);
    if (cm && cm.data.credentials.some(isSecretCredential)) out.push({ secret: cm.subject, known: true });
  }
  memo.set(w, out);
  return out;
}

/** Workloads mounting each credential Secret (by secret subject, known or not). */
export function workloadsBySecret(ctx: AnalysisContext): Map<string, InventoryRecord<WorkloadData>[]> {
  return ctx.memo("workloadsBySecret", () => {
    const m = new Map<string, InventoryRecord<WorkloadData>[]>();
    for (const w of ctx.workloads) {
      for (const x of mountedCredentialSecrets(ctx, w)) {
        const a = m.get(x.secret);
        if (a) a.push(w);
        else m.set(x.secret, [w]);
      }
    }
    return m;
  });
}

/**
 * What one identity means for the migration. THE place that decides what a legacy path is: the
 * status, the roll-ups, `workload-default-ksa`'s severity and the plan all ask it. A new identity type
 * (a keyless credential configuration such as an `external_account` file) is decided here.
 *  - `legacy`: a path the migration exists to remove — a service account key file, a person's
 *    credential file, the node's service account, a broken Workload Identity link;
 *  - `keyless`: a working Workload Identity link, the KSA's own federated principal, or a Workload
 *    Identity Federation credential configuration (`external_account`);
 *  - `unknown`: cannot be told (a file that cannot be resolved, a link or node that could not be read,
 *    a conditional grant);
 *  - `none`: no identity yet (a Pending pod).
 */
export function credentialPath(id: Identity): { path: "legacy" | "keyless" | "unknown" | "none"; what: string } {
  switch (id.type) {
    case "key-file":
      return { path: "legacy", what: `key file: key ${id.keyId ?? "(unknown id)"} of ${id.email ?? "an unknown account"} from ${holder(id.secret)}${id.impersonates ? ` (to impersonate ${id.impersonates})` : ""}` };
    case "credential-file":
      // A person's refresh token (authorized_user, external_account_authorized_user, an impersonation over one).
      return { path: "legacy", what: `${id.credentialType} credential file (a person's refresh token)${id.email ? ` for ${id.email}` : ""} from ${holder(id.secret)}` };
    case "external-account":
      // A Workload Identity Federation credential configuration: the platform's token is exchanged, no key.
      return { path: "keyless", what: `a credential configuration (${id.credentialType}) as ${id.principal}${id.email ? `, impersonating ${id.email}` : ""}` };
    case "unknown-key-file":
      return { path: "unknown", what: id.possible ? `a credential file that may be in use (${id.reason})` : `a credential file that cannot be resolved (${id.reason})` };
    case "node":
      return { path: "legacy", what: `node account ${id.email} (${id.reason === "host-network" ? "hostNetwork" : id.reason === "no-workload-pool" ? "no workload pool" : "legacy node pool"})` };
    case "workload-identity":
      if (id.status === "working") return { path: "keyless", what: `Workload Identity to ${id.email}` };
      if (id.status === "broken") return { path: "legacy", what: `broken Workload Identity link to ${id.email} (${id.reason})` };
      return { path: "unknown", what: `Workload Identity to ${id.email} is ${id.status}: ${id.reason}` };
    case "federated":
      return { path: "keyless", what: `its federated principal${id.grants.length ? ` with direct grants (${[...new Set(id.grants.map((g) => g.role))].join(", ")})` : ""}` };
    case "pending":
      return { path: "none", what: id.reason };
    case "unknown":
      return { path: "unknown", what: id.reason };
  }
}

type MountedKeys = { secret: string; known: boolean }[];

/** `Secret NAME` or `ConfigMap NAME`, from a holder's subject. */
function holder(subject: string): string {
  return `${subject.startsWith("configmap:") ? "ConfigMap" : "Secret"} ${subject.split("/").pop()}`;
}

/** The Cloud Asset searches for grants on resources (buckets, topics…) to a pool's KSAs that did not answer in full. */
function resourceGrantSourcesLacking(ctx: AnalysisContext, pool: string): string[] {
  const byPool = ctx.memo("resourceGrantSourcesLacking", () => {
    const m = new Map<string, string[]>();
    for (const [source, state] of ctx.input.sources) {
      if (!source.startsWith("asset.poolPolicies:") || state === "ok") continue;
      const p = source.slice(source.lastIndexOf("/") + 1);
      m.set(p, [...(m.get(p) ?? []), source]);
    }
    return m;
  });
  return byPool.get(pool) ?? [];
}

/**
 * GSAs whose own policy grants a token role to exactly this KSA (`serviceAccount:POOL[NS/KSA]` or its
 * `principal://`), indexed once per analysis. A KSA someone bound to a GSA is meant to act as it: not
 * annotated, that is half a Workload Identity link, not a workload that needs no Google identity.
 */
export function gsasBindingKsa(ctx: AnalysisContext, pool: string, ns: string, ksa: string): string[] {
  const idx = ctx.memo("gsasBindingKsa", () => {
    const m = new Map<string, string[]>();
    for (const [subject, policy] of ctx.policies) {
      if (!subject.startsWith("gsa:")) continue;
      for (const b of policy.data.bindings) {
        if (!TOKEN_ROLES.has(b.role)) continue;
        for (const member of b.members) {
          const p = parseWiMember(member);
          if (!p || (p.kind !== "ksa" && p.kind !== "principal")) continue;
          const k = `${p.pool}|${p.ns}|${p.ksa}`;
          const a = m.get(k) ?? [];
          if (!a.includes(subject.slice(4))) a.push(subject.slice(4));
          m.set(k, a);
        }
      }
    }
    return m;
  });
  return idx.get(`${pool}|${ns}|${ksa}`) ?? [];
}

/**
 * A workload's status from its identities (each decided by credentialPath), the key Secrets it mounts,
 * and the GSAs bound to its KSA although the KSA is not annotated with them.
 */
export function migrationOf(identity: WorkloadIdentity, keys: MountedKeys, boundNotAnnotated: string[] = []): { migration: MigrationStatus; reason: string; legacyPaths: string[] } {
  const ids = identity.shares.map((s) => s.identity);
  const paths = ids.map(credentialPath);
  const legacyPaths = [...new Set(paths.filter((p) => p.path === "legacy").map((p) => p.what))];
  // On its own principal while a GSA grants it workloadIdentityUser: the annotation half of the link is missing.
  if (ids.some((i) => i.type === "federated")) for (const g of boundNotAnnotated) legacyPaths.push(`half a Workload Identity link: ${g} grants it workloadIdentityUser, but its KSA is not annotated`);
  // A key that is mounted is still reachable from the pod, used or not (step 7); one in use is named above.
  const used = new Set(ids.flatMap((i) => (i.type === "key-file" || i.type === "credential-file" ? [i.secret] : [])));
  for (const k of keys.filter((k) => k.known && !used.has(k.secret))) legacyPaths.push(`mounts key ${holder(k.secret)}`);
  if (legacyPaths.length) return { migration: "to-migrate", reason: `still on ${legacyPaths.join("; ")}`, legacyPaths };
  const unknown = paths.filter((p) => p.path === "unknown").map((p) => p.what);
  if (keys.length) unknown.push(`mounts Secrets that could not be read: ${keys.map((k) => k.secret.split("/").pop()).join(", ")}`);
  if (unknown.length) return { migration: "unknown", reason: [...new Set(unknown)].join("; "), legacyPaths };
  if (!ids.length) return { migration: "unknown", reason: "no containers", legacyPaths };
  if (paths.some((p) => p.path === "none")) return { migration: "to-migrate", reason: `its pods do not run yet: ${paths.find((p) => p.path === "none")!.what}`, legacyPaths };
  // Every identity is keyless.
  const whats = [...new Set(paths.map((p) => p.what))].join("; ");
  if (ids.some((i) => i.type === "workload-identity")) return { migration: "migrated", reason: whats, legacyPaths };
  // Only its own principal, and nothing granted to it: it acts as nobody Google knows of.
  if (ids.every((i) => i.type === "federated" && i.grants.length === 0)) return { migration: "no-google-identity-needed", reason: "no GSA, no key, and no grant to its principal was found", legacyPaths };
  // A keyless Google identity of its own: its principal with grants (or any other keyless credential).
  return { migration: "federated", reason: `keyless on ${whats}`, legacyPaths };
}

export function workloadStatus(ctx: AnalysisContext, w: InventoryRecord<WorkloadData>, identity: WorkloadIdentity = workloadIdentity(ctx, w)): WorkloadStatus {
  const cluster = ctx.clusters.get(w.cluster!);
  const pools = ctx.poolsOf(w.cluster!);
  const autopilot = cluster?.data.autopilot ?? false;
  const ksaName = w.data.template.serviceAccountName;
  const ksa = ctx.ksa(w.cluster!, w.data.namespace, ksaName);
  const allPods = ctx.podsOf(w.subject);
  // The pods that decide (running ones; else the latest finished run whose node still exists).
  const pods = decidingPods(ctx, w);
  const ids = identity.shares.map((s) => s.identity);
  const annotation = ksa?.data.gsaAnnotation ?? null;
  const metaId = cluster?.data.workloadPool ? metadataIdentity(ctx, w.cluster!, w.data.namespace, ksaName) : undefined;
  const keys = mountedCredentialSecrets(ctx, w);
  const status = migrationOf(identity, keys, cluster?.data.workloadPool && annotation === null ? gsasBindingKsa(ctx, cluster.data.workloadPool, w.data.namespace, ksaName) : []);
  if (status.migration === "no-google-identity-needed" && cluster?.data.workloadPool) {
    // Done either way (federated or needing nothing, both hold no legacy path), but "no grant found"
    // is only as good as the searches that ran: name the ones that did not.
    const unsearched = resourceGrantSourcesLacking(ctx, cluster.data.workloadPool);
    if (unsearched.length) status.reason += ` on the policies read; grants on resources could not be searched (${unsearched.join(", ")})`;
  }
  // On its own principal, done: there is no GSA to annotate or bind (steps 3, 5, 6).
  const noGsa = status.migration === "federated" || status.migration === "no-google-identity-needed";
  const noGsaWhy =
    status.migration === "federated"
      ? `uses ${[...new Set(ids.map((i) => credentialPath(i).what))].join("; ")}`
      : "needs no GSA: no key, and no grant to its principal was found";


  const steps: Step[] = [];
  const step = (n: number, state: StepState, evidence: string) => {
    const d = STEP_DEFS[n - 1];
    steps.push({ n: d.n, id: d.id, title: d.title, state, evidence });
  };

  // 1. workload pool
  if (!cluster) step(1, "unknown", "the cluster is not in the inventory");
  else if (cluster.data.workloadPool) step(1, "done", `workload pool ${cluster.data.workloadPool}`);
  else step(1, "todo", `${cluster.subject.slice(8)} has no workload pool: gcloud container clusters update ${cluster.data.name} --location ${cluster.data.location} --workload-pool=${cluster.data.projectId}.svc.id.goog`);

  // 2. a GKE-metadata pool
  if (autopilot) step(2, "n/a", "Autopilot always serves the GKE metadata server");
  else if (pools.some((p) => p.data.servesGkeMetadata)) step(2, "done", `pool ${pools.filter((p) => p.data.servesGkeMetadata).map((p) => p.data.name).join(", ")} serves GKE metadata`);
  else if (pools.length === 0 && ctx.lacking(["container.clusters", cluster?.data.projectId ?? ""]).length) step(2, "unknown", "the node pools could not be read");
  else step(2, "todo", "no node pool serves the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA)");

  // 3. own KSA, annotated
  if (noGsa) step(3, "n/a", noGsaWhy);
  else if (!ksa && ctx.k8sLacking(w.cluster!, "serviceaccounts").length) step(3, "unknown", `KSA ${ksaName} could not be read`);
  else if (ksaName === "default") step(3, "todo", `runs as the namespace's default KSA${annotation ? ` (annotated ${JSON.stringify(annotation)})` : ""}`);
  else if (annotation === null) step(3, "todo", `KSA ${ksaName} has no iam.gke.io/gcp-service-account annotation`);
  else if (!isValidGsaEmail(annotation)) step(3, "todo", `KSA ${ksaName} is annotated ${JSON.stringify(annotation)}, which is not a service account email`);
  else step(3, "done", `KSA ${ksaName} → ${annotation}`);

  // 4. pods on GKE-metadata nodes
  if (autopilot) step(4, "n/a", "Autopilot");
  else if (pods.length) {
    let legacy = 0;
    let gke = 0;
    let pending = 0;
    let unknown = 0;
    let hostNet = 0;
    for (const p of pods) {
      if (!p.data.spec.nodeName) {
        pending++;
        continue;
      }
      if (p.data.spec.hostNetwork) hostNet++;
      const f = nodeFacts(ctx, w.cluster!, p.data.spec.nodeName);
      if (f.gke === null) unknown++;
      else if (f.gke && !p.data.spec.hostNetwork) gke++;
      else legacy++;
    }
    if (legacy) step(4, "todo", `${legacy} of ${pods.length} pods run on nodes without the GKE metadata server${hostNet ? ` (${hostNet} with hostNetwork)` : ""}`);
    else if (unknown) step(4, "unknown", `the nodes of ${unknown} pods could not be read`);
    else if (pending && !gke) step(4, "todo", `${pending} pods are Pending: no node matches their selector`);
    else step(4, "done", `${gke} pods on GKE-metadata nodes${pending ? `, ${pending} Pending` : ""}`);
  } else {
    const where = landing(ctx, w.cluster!, w.data.template);
    const places = where?.basis === "pools" ? where.pools.map((p) => ({ name: `pool ${p.data.name}`, gke: p.data.servesGkeMetadata })) : (where?.nodes ?? []).map((n) => ({ name: `node ${n.data.name}`, gke: n.data.gkeMetadataLabel === "true" }));
    const cluster = ctx.clusters.get(w.cluster!);
    if (where === null) step(4, "unknown", "no pods, and the node pools and nodes are unknown");
    else if (w.data.template.hostNetwork) step(4, "todo", "no pods now; its template uses hostNetwork");
    else if (where.autoprovision) {
      if (cluster?.data.workloadPool) step(4, "done", "no pods now; no pool fits it, and node auto-provisioning would create one serving GKE metadata (predicted)");
      else step(4, "todo", "no pods now; node auto-provisioning would create a pool, but the cluster has no workload pool");
    } else if (places.length === 0) step(4, "todo", `no pods, and no ${where.basis === "pools" ? "node pool" : "node"} matches its node selector, affinity and tolerations`);
    else if (places.every((x) => x.gke)) step(4, "done", `no pods now; every ${where.basis === "pools" ? "node pool" : "node"} it can land on serves GKE metadata (predicted: ${[...new Set(places.map((x) => x.name))].join(", ")})`);
    else step(4, "todo", `no pods now; it can land on ${places.filter((x) => !x.gke).map((x) => x.name).join(", ")}, without the GKE metadata server (predicted)`);
  }

  // 5. binding
  if (noGsa) step(5, "n/a", "no GSA to bind");
  else if (!metaId || metaId.type !== "workload-identity") step(5, ksa || !ctx.k8sLacking(w.cluster!, "serviceaccounts").length ? "todo" : "unknown", "no annotated GSA to bind");
  else if (metaId.status === "working") step(5, "done", metaId.reason);
  // The binding exists but a deny policy takes it away: step 5 is done, step 6 is where it fails.
  else if (metaId.denied?.length) step(5, "done", metaId.reason);
  else if (metaId.status === "conditional") step(5, "done", metaId.reason);
  else if (metaId.status === "unknown") step(5, "unknown", metaId.reason);
  else step(5, "todo", metaId.reason);

  // 6. effective identity is the annotated GSA
  if (noGsa) step(6, "n/a", ids.some((i) => i.type === "external-account") ? "its keyless credential configuration is the intended identity" : "its federated principal is the intended identity");
  else if (!metaId || metaId.type !== "workload-identity") step(6, "todo", `effective identity: ${identity.label}`);
  else {
    const wiIds = ids.filter((i) => i.type === "workload-identity" && i.email === metaId.email);
    if (ids.length && wiIds.length === ids.length && wiIds.every((i) => i.type === "workload-identity" && i.status === "working")) step(6, "done", `effective identity ${metaId.email}`);
    else if (ids.some((i) => i.type === "unknown" || (i.type === "workload-identity" && i.status === "unknown"))) step(6, "unknown", `effective identity: ${identity.label}`);
    else if (wiIds.length === ids.length && wiIds.some((i) => i.type === "workload-identity" && i.status === "conditional")) step(6, "unknown", `the grant is conditional: ${metaId.reason}`);
    else step(6, "todo", `effective identity: ${identity.label}${identity.mode === "mixed" ? ` (${identity.shares.map((s) => `${s.pods}× ${s.label}`).join(", ")})` : ""}`);
  }

  // 7. no key file used or mounted
  const keyIds = ids.filter(isKeyish);
  const maybe = ids.filter(isPossiblyKeyish);
  const describe = (i: Identity) =>
    i.type === "key-file"
      ? `key ${i.keyId} of ${i.email} from ${i.secret.split("/").pop()}${i.impersonates ? ` (to impersonate ${i.impersonates})` : ""}`
      : i.type === "unknown-key-file"
        ? `a key file it cannot resolve (${i.reason})`
        : i.type === "credential-file"
          ? `a ${i.credentialType} file${i.credentialType === "impersonated_service_account" ? ` whose source is ${i.sourceType ?? "unknown"}` : ""} (a person's refresh token)`
          : i.type;
  if (keyIds.length) step(7, "todo", `uses ${keyIds.map(describe).join("; ")}`);
  else if (keys.some((k) => k.known)) step(7, "todo", `mounts ${keys.filter((k) => k.known).map((k) => k.secret.split("/").pop()).join(", ")}, which holds a Google key`);
  else if (maybe.length) step(7, "unknown", `may use a key file: ${maybe.map((i) => (i.type === "unknown-key-file" ? i.reason : i.type)).join("; ")}`);
  else if (keys.length) step(7, "unknown", `mounts Secrets that could not be read: ${keys.map((k) => k.secret.split("/").pop()).join(", ")}`);
  else if (allContainers(w.data.template).length === 0) step(7, "unknown", "no containers");
  else if (ids.some((i) => i.type === "external-account")) step(7, "done", "no key: it uses a Workload Identity Federation credential configuration (keyless)");
  else step(7, "done", "no key file used or mounted");

  return {
    subject: w.subject,
    project: w.project!,
    cluster: w.cluster!,
    namespace: w.data.namespace,
    kind: w.data.kind,
    name: w.data.name,
    ksa: ksaName,
    pods: allPods.length,
    pendingPods: allPods.filter((p) => p.data.phase === "Pending").length,
    nodePools: [...new Set(pods.map((p) => (p.data.spec.nodeName ? ctx.node(w.cluster!, p.data.spec.nodeName)?.data.pool : undefined)).filter((x): x is string => !!x))].sort(),
    identity,
    steps,
    migrated: DONE_STATUSES.has(status.migration),
    migration: status.migration,
    migrationReason: status.reason,
    legacyPaths: status.legacyPaths,
    federatedEndState: status.migration === "federated",
    system: isSystemNamespace(w.data.namespace),
    plan: [],
  };
}
