/**
 * Applies a list of what-if changes to a copy of inventory records, as the change would leave the
 * inventory after a rescan. Pure: the records given are never modified (a changed record is a new
 * object; unchanged ones are shared between the "before" and the "after" analysis).
 *
 * Each change's target must exist in the records; otherwise the change is refused with a message
 * naming the subject (the route answers 404 with it).
 */
import type {
  ClusterData,
  GsaData,
  IamBinding,
  IamPolicyData,
  InventoryRecord,
  KeyData,
  KsaData,
  NodeData,
  NodePoolData,
  PodData,
  WorkloadData,
} from "../inventory/model";
import { parseSubject } from "../ids";
import type { Change } from "./changes";

/** A change whose target is not in the inventory, or that contradicts it (the route maps it to 404 / 400). */
export class ChangeTargetError extends Error {
  constructor(
    /** 404: the subject named is unknown; 400: the change does not fit what the subject is. */
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = "ChangeTargetError";
  }
}

type R<D = unknown> = InventoryRecord<D>;

/** The node label GKE sets on nodes serving the GKE metadata server. */
export const GKE_METADATA_LABEL = "iam.gke.io/gke-metadata-server-enabled";
/** The node label naming a node's pool. */
export const NODEPOOL_LABEL = "cloud.google.com/gke-nodepool";

const key = (kind: string, subject: string) => `${kind}\u0000${subject}`;

/** The mutable working copy: records by kind and subject, in their original order. */
class Working {
  private readonly byKey = new Map<string, R>();
  private readonly order: string[] = [];
  constructor(records: readonly R[]) {
    for (const r of records) {
      const k = key(r.kind, r.subject);
      if (!this.byKey.has(k)) this.order.push(k);
      this.byKey.set(k, r);
    }
  }
  get<D>(kind: string, subject: string): R<D> | undefined {
    return this.byKey.get(key(kind, subject)) as R<D> | undefined;
  }
  /** Replaces a record with a changed copy (`edit` works on a structured clone of its data). */
  edit<D>(kind: string, subject: string, editData: (d: D) => void): R<D> {
    const r = this.get<D>(kind, subject);
    if (!r) throw new Error(`no ${kind} ${subject}`);
    const data = structuredClone(r.data);
    editData(data);
    const copy = { ...r, data };
    this.byKey.set(key(kind, subject), copy);
    return copy;
  }
  put(r: R): void {
    const k = key(r.kind, r.subject);
    if (!this.byKey.has(k)) this.order.push(k);
    this.byKey.set(k, r);
  }
  remove(kind: string, subject: string): boolean {
    return this.byKey.delete(key(kind, subject));
  }
  all(): R[] {
    return this.order.map((k) => this.byKey.get(k)).filter((r): r is R => r !== undefined);
  }
  ofKind<D>(kind: string): R<D>[] {
    return this.all().filter((r) => r.kind === kind) as R<D>[];
  }
}

function need<D>(w: Working, kind: string, subject: string, what: string): R<D> {
  const r = w.get<D>(kind, subject);
  if (!r) throw new ChangeTargetError(404, `Nothing is known about ${subject}: no ${what} of that name in the latest scan`);
  return r;
}

function emailOf(gsaSubject: string): string {
  return gsaSubject.slice(4);
}

/** The policy record of a grant holder; add-binding may create one where the holder exists but has no policy yet. */
function policyFor(w: Working, holder: string, create: boolean): R<IamPolicyData> {
  const existing = w.get<IamPolicyData>("iam-policy", holder);
  if (existing) return existing;
  const p = parseSubject(holder)!;
  const holderKind = p.kind === "gsa" ? "gsa" : p.kind;
  const holderRecord = w.get(holderKind, holder);
  if (!holderRecord) throw new ChangeTargetError(404, `Nothing is known about ${holder}: no ${p.kind} of that name in the latest scan`);
  if (!create) throw new ChangeTargetError(404, `The IAM policy of ${holder} was not read by the latest scan, so no grant on it can be removed here`);
  const r: R<IamPolicyData> = { kind: "iam-policy", subject: holder, source: "what-if", project: holderRecord.project ?? null, data: { resource: holder, version: 3, etag: null, bindings: [] } };
  w.put(r);
  return r;
}

function removeMember(w: Working, holder: string, member: string, role: string): void {
  const policy = policyFor(w, holder, false);
  const holds = policy.data.bindings.some((b) => b.role === role && b.members.includes(member));
  if (!holds) throw new ChangeTargetError(404, `${member} holds no ${role} on ${holder} in the latest scan`);
  w.edit<IamPolicyData>("iam-policy", holder, (d) => {
    // Every binding of the role loses the member (conditional ones too, as gcloud's --all does).
    d.bindings = d.bindings.map((b) => (b.role === role ? { ...b, members: b.members.filter((m) => m !== member) } : b)).filter((b) => b.members.length > 0);
  });
}

function addMember(w: Working, holder: string, member: string, role: string): void {
  policyFor(w, holder, true);
  w.edit<IamPolicyData>("iam-policy", holder, (d) => {
    const b = d.bindings.find((x) => x.role === role && !x.condition);
    if (b) {
      if (!b.members.includes(member)) b.members.push(member);
    } else d.bindings.push({ role, members: [member], condition: null } satisfies IamBinding);
  });
}

/** Nodes of a pool (by the node's `pool` field), as subjects. */
function nodesOfPool(w: Working, pool: R<NodePoolData>): R<NodeData>[] {
  return w.ofKind<NodeData>("node").filter((n) => n.cluster === pool.cluster && n.data.pool === pool.data.name);
}

function podsOfWorkload(w: Working, workload: string): R<PodData>[] {
  return w.ofKind<PodData>("pod").filter((p) => p.data.workload === workload);
}

/** A pod no controller recreates: gone with its node, and with it the workload the pod alone made. */
function dropBarePod(w: Working, p: R<PodData>): void {
  w.remove("pod", p.subject);
  if (p.data.workload.includes("/Pod/")) w.remove("workload", p.data.workload);
}

/** Applies every change in order; returns the changed copy of the records. */
export function applyChanges(records: readonly InventoryRecord[], changes: readonly Change[]): InventoryRecord[] {
  const w = new Working(records);
  for (const c of changes) {
    switch (c.type) {
      case "delete-key": {
        const k = need<KeyData>(w, "key", c.subject, "service account key");
        w.remove("key", k.subject);
        break;
      }
      case "disable-key": {
        need<KeyData>(w, "key", c.subject, "service account key");
        w.edit<KeyData>("key", c.subject, (d) => (d.disabled = true));
        break;
      }
      case "disable-gsa": {
        need<GsaData>(w, "gsa", c.subject, "service account");
        w.edit<GsaData>("gsa", c.subject, (d) => (d.disabled = true));
        break;
      }
      case "delete-gsa": {
        const g = need<GsaData>(w, "gsa", c.subject, "service account");
        const email = g.data.email;
        w.remove("gsa", g.subject);
        w.remove("iam-policy", g.subject);
        for (const k of w.ofKind<KeyData>("key")) if (k.data.email === email) w.remove("key", k.subject);
        // Google keeps a deleted account's grants, renamed `deleted:serviceAccount:EMAIL?uid=ID`: they give nothing to anyone.
        const plain = `serviceAccount:${email}`;
        for (const p of w.ofKind<IamPolicyData>("iam-policy")) {
          if (!p.data.bindings.some((b) => b.members.some((m) => m.toLowerCase() === plain.toLowerCase()))) continue;
          w.edit<IamPolicyData>("iam-policy", p.subject, (d) => {
            for (const b of d.bindings) b.members = b.members.map((m) => (m.toLowerCase() === plain.toLowerCase() ? `deleted:${plain}?uid=${g.data.uniqueId}` : m));
          });
        }
        break;
      }
      case "remove-binding":
      case "remove-role":
        removeMember(w, c.subject, c.member, c.role);
        break;
      case "add-binding":
        addMember(w, c.subject, c.member, c.role);
        break;
      case "annotate-ksa": {
        need<KsaData>(w, "ksa", c.subject, "Kubernetes service account");
        w.edit<KsaData>("ksa", c.subject, (d) => (d.gsaAnnotation = c.gsa));
        break;
      }
      case "set-nodepool-metadata": {
        const pool = need<NodePoolData>(w, "nodepool", c.subject, "node pool");
        const gke = c.mode === "GKE_METADATA";
        w.edit<NodePoolData>("nodepool", c.subject, (d) => {
          d.metadataMode = c.mode;
          d.servesGkeMetadata = gke;
          if (d.labels) {
            if (gke) d.labels[GKE_METADATA_LABEL] = "true";
            else delete d.labels[GKE_METADATA_LABEL];
          }
        });
        // GKE recreates the pool's nodes, labelled anew: controllers' pods come back, a bare pod does not.
        const recreated = new Set(nodesOfPool(w, pool).map((n) => n.data.name));
        for (const p of w.ofKind<PodData>("pod")) if (p.cluster === pool.cluster && !p.data.owner && p.data.spec.nodeName && recreated.has(p.data.spec.nodeName)) dropBarePod(w, p);
        for (const n of nodesOfPool(w, pool)) {
          w.edit<NodeData>("node", n.subject, (d) => {
            d.gkeMetadataLabel = gke ? "true" : null;
            if (d.labels) {
              if (gke) d.labels[GKE_METADATA_LABEL] = "true";
              else delete d.labels[GKE_METADATA_LABEL];
            }
          });
        }
        break;
      }
      case "delete-nodepool": {
        const pool = need<NodePoolData>(w, "nodepool", c.subject, "node pool");
        const nodes = new Set(nodesOfPool(w, pool).map((n) => n.data.name));
        w.remove("nodepool", pool.subject);
        for (const n of nodesOfPool(w, pool)) w.remove("node", n.subject);
        if (pool.cluster && w.get("cluster", pool.cluster)) w.edit<ClusterData>("cluster", pool.cluster, (d) => (d.nodePools = d.nodePools.filter((x) => x !== pool.data.name)));
        // Its pods are evicted; their controllers make new ones wherever the scheduler places them,
        // which the analysis predicts from the templates (a bare pod is simply gone).
        for (const p of w.ofKind<PodData>("pod")) {
          if (p.cluster !== pool.cluster || !p.data.spec.nodeName || !nodes.has(p.data.spec.nodeName)) continue;
          if (p.data.owner) w.remove("pod", p.subject);
          else dropBarePod(w, p);
        }
        break;
      }
      case "move-workload": {
        const wl = need<WorkloadData>(w, "workload", c.subject, "workload");
        const cluster = wl.cluster;
        let poolName: string | null = null;
        let nodeName: string | null = null;
        if (c.pool) {
          const pool = need<NodePoolData>(w, "nodepool", c.pool, "node pool");
          if (pool.cluster !== cluster) throw new ChangeTargetError(400, `${c.pool} is not in the cluster of ${c.subject} (${cluster})`);
          poolName = pool.data.name;
          nodeName = nodesOfPool(w, pool)[0]?.data.name ?? null;
        }
        let ksaName: string | null = null;
        if (c.ksa) {
          const ksa = need<KsaData>(w, "ksa", c.ksa, "Kubernetes service account");
          if (ksa.cluster !== cluster || ksa.data.namespace !== wl.data.namespace) throw new ChangeTargetError(400, `${c.ksa} is not in the namespace of ${c.subject}`);
          ksaName = ksa.data.name;
        }
        w.edit<WorkloadData>("workload", wl.subject, (d) => {
          if (poolName) d.template.nodeSelector = { ...d.template.nodeSelector, [NODEPOOL_LABEL]: poolName };
          if (ksaName) d.template.serviceAccountName = ksaName;
        });
        // The template change rolls the pods: the new ones run on the pool and as the KSA named. A
        // pool with no node yet leaves them to the scheduler's prediction (they are dropped).
        for (const p of podsOfWorkload(w, wl.subject)) {
          if (poolName && !nodeName) {
            w.remove("pod", p.subject);
            continue;
          }
          w.edit<PodData>("pod", p.subject, (d) => {
            if (poolName) {
              d.spec.nodeSelector = { ...d.spec.nodeSelector, [NODEPOOL_LABEL]: poolName };
              d.spec.nodeName = nodeName;
              d.phase = "Running";
            }
            if (ksaName) d.spec.serviceAccountName = ksaName;
          });
        }
        break;
      }
      case "delete-secret": {
        need(w, "secret", c.subject, "Secret");
        w.remove("secret", c.subject);
        break;
      }
    }
  }
  return w.all();
}
