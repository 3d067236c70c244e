/**
 * What each selected workload is to become: the KSA it runs as, the GSA that KSA is annotated with
 * and bound to, whether it moves onto GKE-metadata nodes, and the key it stops using. Read from the
 * migration plan the analysis stored for it (the plan the workload page shows), so the change set says
 * what the page says — except where its account is shared: then, as the gsa-shared finding proposes,
 * each workload gets an account of its own (one plan per account, not one per workload page).
 */
import YAML from "yaml";
import type { Fix } from "../analysis/model";
import { projectOfGsaEmail } from "../ids";
import type { ChangeSetInput, CsCluster, CsSplit, CsWorkload } from "./model";

type Obj = Record<string, unknown>;

/** The key material a workload stops using in step 7 and where its template reaches it. */
export type KeyRemoval = {
  /** Pod volumes that carry a key holder (removed whole). */
  volumes: string[];
  /** Container mounts of those volumes, by container (the merge key of a mount is its mountPath). */
  mounts: { container: string; init: boolean; mountPath: string }[];
  /** Containers whose own env sets GOOGLE_APPLICATION_CREDENTIALS. */
  envContainers: { container: string; init: boolean }[];
  /** Where the variable comes from a ConfigMap or Secret (envFrom): a patch cannot remove it there. */
  envFrom: { container: string; source: string }[];
  /** Key holders the template mounts (`secret:…`, `configmap:…`). */
  holders: string[];
  /** The keys it authenticates with (`key:EMAIL/ID`). */
  keys: { subject: string; email: string; keyId: string }[];
};

export type Target = {
  workload: CsWorkload;
  cluster: CsCluster;
  /** The KSA it will run as (same namespace). */
  ksa: string;
  /** The GSA that KSA is annotated with and bound to. */
  gsa: string;
  gsaProject: string;
  /** The cluster's workload pool, or the one step 1 gives it. */
  pool: string;
  /** The KSA does not exist yet: created from a manifest. */
  createKsa: boolean;
  /** The KSA needs the annotation (set or changed). */
  annotate: boolean;
  /** The GSA does not exist yet. */
  createGsa: boolean;
  /** The roles/iam.workloadIdentityUser binding is to be added. */
  bind: boolean;
  /** The workload's template changes (serviceAccountName, and the nodeSelector when it must move). */
  move: { nodeSelector: boolean } | null;
  removeKey: KeyRemoval | null;
  /** The shared account this target splits it from (gsa-shared), if any. */
  splitFrom: string | null;
  /** Step 1 and 2 commands from its plan (the cluster's). */
  clusterFixes: Fix[];
  /** Why the KSA differs from the plan's (two workloads of the selection planned on one KSA). */
  note: string | null;
};

/** A workload that has nothing to change, and why (shown in STEPS.md). */
export type Untouched = { workload: CsWorkload; why: string };

/** The body of a YAML fix without its comment lines. */
function yamlBody(f: Fix): unknown {
  try {
    return YAML.parse(f.content.split("\n").filter((l) => !l.startsWith("#")).join("\n"));
  } catch {
    return null;
  }
}

/** What a stored plan says, read by the shape of each fix (its builder in lib/analysis/fixes.ts). */
export function readPlan(plan: Fix[]) {
  let ksaManifest: { name: string; gsa: string | null } | null = null;
  let patch: { ksa: string; nodeSelector: boolean } | null = null;
  let binding: { gsa: string; member: string } | null = null;
  let createGsa: string | null = null;
  let checkGsa: string | null = null;
  const clusterFixes: Fix[] = [];
  for (const f of plan) {
    if (f.kind === "kubernetes-yaml") {
      const doc = yamlBody(f) as Obj | null;
      if (doc?.kind === "ServiceAccount") {
        const md = doc.metadata as { name: string; annotations?: Record<string, string> };
        ksaManifest = { name: md.name, gsa: md.annotations?.["iam.gke.io/gcp-service-account"] ?? null };
        continue;
      }
      const spec = doc?.spec as Obj | undefined;
      const pod = (spec?.jobTemplate ? (((spec.jobTemplate as Obj).spec as Obj).template as Obj).spec : spec?.template ? (spec.template as Obj).spec : spec) as Obj | undefined;
      if (pod && typeof pod.serviceAccountName === "string") patch = { ksa: pod.serviceAccountName, nodeSelector: !!pod.nodeSelector };
    } else if (f.kind === "terraform" && f.content.includes("google_service_account_iam_member")) {
      const sa = /serviceAccounts\/([^"]+)"/.exec(f.content);
      const member = /member\s*=\s*"([^"]+)"/.exec(f.content);
      if (sa && member) binding = { gsa: sa[1], member: member[1] };
    } else if (f.kind === "gcloud" && /^gcloud iam service-accounts create /.test(f.content)) {
      createGsa = /^Create (\S+)/.exec(f.title)?.[1] ?? null;
    } else if (f.kind === "gcloud" && /^gcloud container (clusters update|node-pools create) /.test(f.content)) {
      clusterFixes.push(f);
    } else if (f.kind === "kubectl" && f.content.includes("wi-check")) {
      checkGsa = /# Expect the email (\S+), then/.exec(f.content)?.[1] ?? null;
    }
  }
  return { ksaManifest, patch, binding, createGsa, checkGsa, clusterFixes };
}

/** The pod spec's key material for step 7: what mounts the key holders, and who sets the variable. */
export function keyRemovalOf(w: CsWorkload): KeyRemoval | null {
  const step7 = w.status.steps.find((s) => s.n === 7);
  if (step7?.state !== "todo") return null;
  const holders = new Set<string>();
  const keys = new Map<string, { subject: string; email: string; keyId: string }>();
  for (const sh of w.status.identity.shares) {
    const id = sh.identity;
    if (id.type === "key-file" || id.type === "credential-file") holders.add(id.secret);
    if (id.type === "key-file" && id.email && id.keyId) keys.set(`${id.email}/${id.keyId}`, { subject: `key:${id.email}/${id.keyId}`, email: id.email, keyId: id.keyId });
  }
  // Mounted key holders not in use are named in step 7's evidence ("mounts NAME, which holds a Google key").
  const evidence = step7.evidence;
  const prefix = `${w.cluster.slice(8)}/${w.namespace}/`;
  const holderNames = new Set([...holders].map((h) => h.split("/").pop()!));
  const volumes: string[] = [];
  for (const v of w.template.volumes as Obj[]) {
    const names: { kind: "secret" | "configmap"; name: string }[] = [];
    const s = (v.secret as { secretName?: string } | undefined)?.secretName;
    if (s) names.push({ kind: "secret", name: s });
    const cm = (v.configMap as { name?: string } | undefined)?.name;
    if (cm) names.push({ kind: "configmap", name: cm });
    for (const src of (((v.projected as Obj | undefined)?.sources ?? []) as Obj[])) {
      const ps = (src.secret as { name?: string } | undefined)?.name;
      if (ps) names.push({ kind: "secret", name: ps });
      const pc = (src.configMap as { name?: string } | undefined)?.name;
      if (pc) names.push({ kind: "configmap", name: pc });
    }
    const hit = names.find((n) => holderNames.has(n.name) || new RegExp(`mounts [^;]*\\b${n.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(evidence));
    if (hit) {
      volumes.push(v.name as string);
      holders.add(`${hit.kind}:${prefix}${hit.name}`);
    }
  }
  const mounts: KeyRemoval["mounts"] = [];
  const envContainers: KeyRemoval["envContainers"] = [];
  const envFrom: KeyRemoval["envFrom"] = [];
  for (const [init, list] of [
    [false, w.template.containers],
    [true, w.template.initContainers],
  ] as const) {
    for (const c of list) {
      for (const m of (c as unknown as { volumeMounts?: { name: string; mountPath: string }[] }).volumeMounts ?? []) if (volumes.includes(m.name)) mounts.push({ container: c.name, init, mountPath: m.mountPath });
      if (c.env.some((e) => e.name === "GOOGLE_APPLICATION_CREDENTIALS")) envContainers.push({ container: c.name, init });
      else
        for (const ef of (c as unknown as { envFrom?: Obj[] }).envFrom ?? []) {
          const ref = (ef.configMapRef as { name?: string } | undefined)?.name ? `ConfigMap ${(ef.configMapRef as { name: string }).name}` : (ef.secretRef as { name?: string } | undefined)?.name ? `Secret ${(ef.secretRef as { name: string }).name}` : null;
          // Whether that source sets the variable is not in the inventory (values are not kept): name it for a look.
          if (ref && sharesUseContainer(w, c.name)) envFrom.push({ container: c.name, source: ref });
        }
    }
  }
  if (!volumes.length && !envContainers.length && !keys.size && !envFrom.length) return null;
  return { volumes, mounts, envContainers, envFrom, holders: [...holders].sort(), keys: [...keys.values()] };
}

function sharesUseContainer(w: CsWorkload, container: string): boolean {
  return w.status.identity.shares.some((s) => (s.identity.type === "key-file" || s.identity.type === "credential-file") && s.identity.container === container);
}

/** The account a workload uses now that a split could replace (its key's or its annotation's). */
function currentAccounts(w: CsWorkload): string[] {
  const out: string[] = [];
  for (const s of w.status.identity.shares) {
    const id = s.identity;
    if ((id.type === "key-file" || id.type === "workload-identity") && id.email) out.push(id.email.toLowerCase());
  }
  return out;
}

function splitFor(w: CsWorkload, splits: Map<string, CsSplit>): { split: CsSplit; entry: CsSplit["entries"][number] } | null {
  for (const email of currentAccounts(w)) {
    const split = splits.get(email);
    const entry = split?.entries.find((e) => e.workloads.includes(w.subject));
    if (split && entry) return { split, entry };
  }
  return null;
}

/**
 * The targets of a selection, and the workloads left as they are. Two workloads of the selection
 * that their plans put on one KSA with different GSAs (a KSA carries one annotation) each get a KSA
 * named after them instead, as the gsa-shared split does.
 */
export function resolveTargets(input: ChangeSetInput): { targets: Target[]; untouched: Untouched[] } {
  const targets: Target[] = [];
  const untouched: Untouched[] = [];
  for (const w of input.workloads) {
    const st = w.status;
    const cluster = input.clusters.get(w.cluster);
    if (st.system) {
      untouched.push({ workload: w, why: "a system namespace: GKE manages it" });
      continue;
    }
    if (!cluster) {
      untouched.push({ workload: w, why: "its cluster is not in the inventory" });
      continue;
    }
    if (!st.plan.length) {
      untouched.push({ workload: w, why: st.migrated ? `done (${st.migration ?? "migrated"}): ${st.migrationReason ?? ""}`.replace(/: $/, "") : `no plan: ${st.migrationReason ?? "the analysis cannot tell what it needs"}` });
      continue;
    }
    const p = readPlan(st.plan);
    const todo = (n: number) => ["todo", "unknown"].includes(st.steps.find((s) => s.n === n)?.state ?? "");
    const pool = cluster.workloadPool ?? `${cluster.project}.svc.id.goog`;
    let ksa = p.ksaManifest?.name ?? p.patch?.ksa ?? (p.binding ? /\[[^/]+\/([^\]]+)\]$/.exec(p.binding.member)?.[1] : undefined) ?? st.ksa;
    let gsa = (p.ksaManifest?.gsa ?? p.binding?.gsa ?? p.checkGsa ?? "").toLowerCase();
    if (!gsa) {
      untouched.push({ workload: w, why: "its plan names no GSA" });
      continue;
    }
    let createGsa = p.createGsa !== null;
    let annotate = p.ksaManifest !== null;
    let bind = p.binding !== null;
    let move: Target["move"] = p.patch ? { nodeSelector: p.patch.nodeSelector } : null;
    let splitFrom: string | null = null;
    const sp = splitFor(w, input.splits);
    if (sp) {
      splitFrom = sp.split.email;
      gsa = sp.entry.gsa.toLowerCase();
      ksa = sp.entry.ksa.slice(sp.entry.ksa.indexOf("/") + 1);
      createGsa = true;
      annotate = true;
      bind = true;
      const nodeSelector = !cluster.autopilot && (move?.nodeSelector ?? todo(4));
      move = ksa !== st.ksa || todo(4) ? { nodeSelector } : null;
    }
    const ksaSubject = `ksa:${w.cluster.slice(8)}/${w.namespace}/${ksa}`;
    targets.push({
      workload: w,
      cluster,
      ksa,
      gsa,
      gsaProject: projectOfGsaEmail(gsa) ?? cluster.project,
      pool,
      createKsa: !input.ksas.has(ksaSubject),
      annotate,
      createGsa,
      bind,
      move,
      removeKey: keyRemovalOf(w),
      splitFrom,
      clusterFixes: p.clusterFixes,
      note: null,
    });
  }
  // One annotation per KSA: plans that disagree on a KSA's GSA give each workload a KSA of its own.
  const byKsa = new Map<string, Target[]>();
  for (const t of targets) {
    const k = `${t.workload.cluster}|${t.workload.namespace}|${t.ksa}`;
    byKsa.set(k, [...(byKsa.get(k) ?? []), t]);
  }
  for (const group of byKsa.values()) {
    if (new Set(group.map((t) => t.gsa)).size < 2) continue;
    for (const t of group) {
      const from = t.ksa;
      t.ksa = t.workload.name;
      t.createKsa = !input.ksas.has(`ksa:${t.workload.cluster.slice(8)}/${t.workload.namespace}/${t.ksa}`);
      t.annotate = true;
      t.bind = true;
      t.move = { nodeSelector: !t.cluster.autopilot && (t.move?.nodeSelector ?? false) };
      t.note = `its plan annotates KSA ${from}, which ${group.length - 1} other workload(s) of this change set are planned on with another GSA; a KSA carries one annotation, so it gets KSA ${t.ksa} of its own`;
    }
  }
  targets.sort((a, b) => (a.workload.subject < b.workload.subject ? -1 : 1));
  return { targets, untouched };
}
