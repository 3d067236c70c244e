/**
 * The analysis's view of one scan: every current inventory object, indexed, and what is known about
 * the sources behind them. Built once per analysis; rules and the identity resolver only read it.
 */
import type {
  ActivityData,
  ClusterData,
  ConfigMapData,
  CustomRoleData,
  DenyPolicyData,
  FolderData,
  GsaData,
  IamPolicyData,
  InventoryRecord,
  KeyData,
  KsaData,
  MembershipData,
  NamespaceData,
  NodeData,
  NodePoolData,
  PodData,
  ProjectData,
  ResourcePolicyData,
  SecretData,
  WorkloadData,
} from "../inventory/model";
import { clusterKey } from "../ids";

export type SourceStatus = "ok" | "partial" | "failed" | "skipped" | "missing";

export type AnalysisInput = {
  /** The clock ages and expiry are measured against (the estate's `now` in the simulator, else the scan's start). */
  now: Date;
  /** Every current object (stale ones included: they are the best knowledge there is). */
  records: InventoryRecord[];
  /** The latest outcome of every source known, by source name. `ok` only when it answered in full in this scan. */
  sources: Map<string, Exclude<SourceStatus, "missing">>;
  /** When each GSA was first seen by any scan (IAM has no creation time); absent = this scan. */
  firstSeen?: Map<string, Date>;
};

type R<D> = InventoryRecord<D>;

/** Namespaces GKE manages itself: shown, but not counted in migration progress or workload findings. */
export function isSystemNamespace(ns: string): boolean {
  return ns === "kube-system" || ns === "kube-public" || ns === "kube-node-lease" || ns.startsWith("gke-") || ns.startsWith("gmp-") || ns === "config-management-system";
}

export class AnalysisContext {
  readonly now: Date;
  readonly projects = new Map<string, R<ProjectData>>();
  readonly projectIdByNumber = new Map<string, string>();
  readonly folders = new Map<string, R<FolderData>>();
  readonly policies = new Map<string, R<IamPolicyData>>();
  /** Custom roles read, by name (`projects/P/roles/R`, `organizations/N/roles/R`). */
  readonly customRoles = new Map<string, R<CustomRoleData>>();
  /** Deny policies by the subject they are attached to (`project:…`, `folder:…`, `organization:…`). */
  readonly denyPoliciesByResource = new Map<string, R<DenyPolicyData>[]>();
  readonly gsas = new Map<string, R<GsaData>>();
  readonly keysByEmail = new Map<string, R<KeyData>[]>();
  readonly keysById = new Map<string, R<KeyData>>();
  readonly gsaActivity = new Map<string, string>();
  readonly keyActivity = new Map<string, string>();
  readonly clusters = new Map<string, R<ClusterData>>();
  readonly poolsByCluster = new Map<string, R<NodePoolData>[]>();
  readonly nodes = new Map<string, R<NodeData>>();
  readonly nodesByCluster = new Map<string, R<NodeData>[]>();
  readonly namespaces = new Map<string, R<NamespaceData>>();
  readonly ksas = new Map<string, R<KsaData>>();
  readonly ksasByCluster = new Map<string, R<KsaData>[]>();
  readonly workloads: R<WorkloadData>[] = [];
  readonly workloadsBySubject = new Map<string, R<WorkloadData>>();
  readonly pods: R<PodData>[] = [];
  readonly podsByWorkload = new Map<string, R<PodData>[]>();
  readonly secrets = new Map<string, R<SecretData>>();
  readonly secretsByCluster = new Map<string, R<SecretData>[]>();
  /** The few ConfigMaps a pod's credentials come from (the scanner reads no others). */
  readonly configMaps = new Map<string, R<ConfigMapData>>();
  /** Cluster subjects per workload pool (several clusters may share one: fleets). */
  readonly clustersByPool = new Map<string, string[]>();
  /** GKE Hub fleet memberships, per workload pool their workloads use. */
  readonly membershipsByPool = new Map<string, R<MembershipData>[]>();
  /** Policies on buckets, topics, secrets… that Cloud Asset Inventory found granting a pool's principals. */
  readonly resourcePolicies: R<ResourcePolicyData>[] = [];

  constructor(readonly input: AnalysisInput) {
    this.now = input.now;
    const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
      const a = m.get(k);
      if (a) a.push(v);
      else m.set(k, [v]);
    };
    for (const r of input.records) {
      switch (r.kind) {
        case "project": {
          const p = r as R<ProjectData>;
          this.projects.set(p.data.projectId, p);
          this.projectIdByNumber.set(p.data.projectNumber, p.data.projectId);
          break;
        }
        case "folder":
          this.folders.set((r as R<FolderData>).data.name, r as R<FolderData>);
          break;
        case "iam-policy":
          this.policies.set(r.subject, r as R<IamPolicyData>);
          break;
        case "custom-role":
          this.customRoles.set((r as R<CustomRoleData>).data.name, r as R<CustomRoleData>);
          break;
        case "deny-policy":
          push(this.denyPoliciesByResource, (r as R<DenyPolicyData>).data.attachedTo, r as R<DenyPolicyData>);
          break;
        case "gsa":
          this.gsas.set((r as R<GsaData>).data.email, r as R<GsaData>);
          break;
        case "key": {
          const k = r as R<KeyData>;
          push(this.keysByEmail, k.data.email, k);
          this.keysById.set(k.data.keyId, k);
          break;
        }
        case "gsa-activity":
          this.gsaActivity.set(r.subject.slice(4), (r as R<ActivityData>).data.lastAuthenticatedTime);
          break;
        case "key-activity":
          this.keyActivity.set(r.subject.slice(r.subject.lastIndexOf("/") + 1), (r as R<ActivityData>).data.lastAuthenticatedTime);
          break;
        case "cluster": {
          const c = r as R<ClusterData>;
          this.clusters.set(c.subject, c);
          if (c.data.workloadPool) push(this.clustersByPool, c.data.workloadPool, c.subject);
          break;
        }
        case "nodepool":
          push(this.poolsByCluster, r.cluster!, r as R<NodePoolData>);
          break;
        case "node": {
          const n = r as R<NodeData>;
          this.nodes.set(`${n.cluster}|${n.data.name}`, n);
          push(this.nodesByCluster, n.cluster!, n);
          break;
        }
        case "namespace":
          this.namespaces.set(r.subject, r as R<NamespaceData>);
          break;
        case "ksa": {
          const k = r as R<KsaData>;
          this.ksas.set(k.subject, k);
          push(this.ksasByCluster, k.cluster!, k);
          break;
        }
        case "workload": {
          const w = r as R<WorkloadData>;
          this.workloads.push(w);
          this.workloadsBySubject.set(w.subject, w);
          break;
        }
        case "pod": {
          const p = r as R<PodData>;
          this.pods.push(p);
          push(this.podsByWorkload, p.data.workload, p);
          break;
        }
        case "secret": {
          const s = r as R<SecretData>;
          this.secrets.set(s.subject, s);
          push(this.secretsByCluster, s.cluster!, s);
          break;
        }
        case "configmap":
          this.configMaps.set(r.subject, r as R<ConfigMapData>);
          break;
        case "membership": {
          const m = r as R<MembershipData>;
          if (m.data.pool) push(this.membershipsByPool, m.data.pool, m);
          break;
        }
        case "resource-policy":
          this.resourcePolicies.push(r as R<ResourcePolicyData>);
          break;
        default:
          break;
      }
    }
    this.workloads.sort((a, b) => (a.subject < b.subject ? -1 : 1));
  }

  // ---- sources ---------------------------------------------------------------------------

  sourceStatus(family: string, scope: string): SourceStatus {
    return this.input.sources.get(`${family}:${scope}`) ?? "missing";
  }

  /** The named sources that did not answer in full (for `unverified` / `unknown` answers). */
  lacking(...sources: [family: string, scope: string][]): string[] {
    return sources.filter(([f, s]) => this.sourceStatus(f, s) !== "ok").map(([f, s]) => `${f}:${s}`);
  }

  /** The Kubernetes source of a resource in a cluster (cluster subject). */
  k8sLacking(cluster: string, ...resources: string[]): string[] {
    const key = cluster.replace(/^cluster:/, "");
    return this.lacking(...resources.map((r) => [`k8s.${r}`, key] as [string, string]));
  }

  /** Whether a project is in the scan at all (discovered), whatever its sources did. */
  isProjectScanned(projectId: string): boolean {
    return this.projects.has(projectId);
  }

  // ---- lookups ---------------------------------------------------------------------------

  clusterKeyOf(subject: string): string {
    return subject.replace(/^[a-z]+:/, "").split("/").slice(0, 3).join("/");
  }

  poolsOf(cluster: string): R<NodePoolData>[] {
    return this.poolsByCluster.get(cluster) ?? [];
  }

  ksa(cluster: string, ns: string, name: string): R<KsaData> | undefined {
    return this.ksas.get(`ksa:${cluster.replace(/^cluster:/, "")}/${ns}/${name}`);
  }

  secret(cluster: string, ns: string, name: string): R<SecretData> | undefined {
    return this.secrets.get(`secret:${cluster.replace(/^cluster:/, "")}/${ns}/${name}`);
  }

  configMap(cluster: string, ns: string, name: string): R<ConfigMapData> | undefined {
    return this.configMaps.get(`configmap:${cluster.replace(/^cluster:/, "")}/${ns}/${name}`);
  }

  node(cluster: string, name: string): R<NodeData> | undefined {
    return this.nodes.get(`${cluster}|${name}`);
  }

  poolOfNode(cluster: string, nodeName: string): R<NodePoolData> | undefined {
    const n = this.node(cluster, nodeName);
    if (!n?.data.pool) return undefined;
    return this.poolsOf(cluster).find((p) => p.data.name === n.data.pool);
  }

  /** Whether a pod could land on a node serving the GKE metadata server in this cluster (a nodeSelector for it would not leave it Pending). */
  hasGkeMetadataNodes(cluster: string): boolean {
    if (this.clusters.get(cluster)?.data.autopilot) return true;
    return (this.nodesByCluster.get(cluster) ?? []).some((n) => n.data.gkeMetadataLabel === "true");
  }

  podsOf(workload: string): R<PodData>[] {
    return this.podsByWorkload.get(workload) ?? [];
  }

  /** The folder/organization ancestry of a project, nearest first (`folders/N`, …, `organizations/N`). */
  ancestors(projectId: string): string[] {
    return this.ancestry(projectId).chain;
  }

  /**
   * A project's ancestry, nearest first, and where it stops being known: `unknownAbove` is a folder
   * whose own record (and so parent) the scan does not have — its parents may hold grants too.
   */
  ancestry(projectId: string): { chain: string[]; unknownAbove: string | null } {
    const chain: string[] = [];
    let parent = this.projects.get(projectId)?.data.parent ?? null;
    const seen = new Set<string>();
    while (parent && !seen.has(parent)) {
      seen.add(parent);
      chain.push(parent);
      if (!parent.startsWith("folders/")) break;
      const folder = this.folders.get(parent);
      if (!folder) return { chain, unknownAbove: parent };
      parent = folder.data.parent;
    }
    return { chain, unknownAbove: null };
  }

  /**
   * The IAM policy sources a grant on a GSA could come from: the GSA, its project, and the project's
   * ancestors — up to the organization. Where the ancestry stops being known, a last entry stands for
   * the unread rest (`crm.ancestry:folders/N`, a subject with no policy), so absence answers name it.
   */
  policyScopesForGsa(email: string, projectId: string): { subject: string; source: [string, string] }[] {
    const out: { subject: string; source: [string, string] }[] = [
      { subject: `gsa:${email}`, source: ["iam.serviceAccountPolicies", projectId] },
      { subject: `project:${projectId}`, source: ["crm.iamPolicy", `projects/${projectId}`] },
    ];
    const { chain, unknownAbove } = this.ancestry(projectId);
    for (const a of chain) {
      out.push({ subject: a.startsWith("folders/") ? `folder:${a.slice(8)}` : `organization:${a.slice(14)}`, source: ["crm.iamPolicy", a] });
    }
    if (unknownAbove) out.push({ subject: `ancestors-of:${unknownAbove}`, source: ["crm.ancestry", unknownAbove] });
    return out;
  }

  /**
   * Every cluster whose workloads get identities from `pool`, and what was not read of them: the pool
   * project's clusters (and any other scanned cluster naming the pool) plus the fleet's members —
   * GKE clusters of other projects, attached (EKS, AKS…), on-prem and other-cloud clusters. Only
   * when `lacking` is empty may anything be called absent in the pool.
   */
  poolScope(pool: string): { clusters: string[]; lacking: string[] } {
    return this.memo(`poolScope|${pool}`, () => {
      const clusters = new Set(this.clustersByPool.get(pool) ?? []);
      const lacking: string[] = [];
      const host = pool.replace(/\.(svc|hub)\.id\.goog$/, "");
      if (!this.isProjectScanned(host)) lacking.push(`project ${host} (not scanned): its clusters and fleet members use ${pool}`);
      else lacking.push(...this.lacking(["container.clusters", host], ["gkehub.memberships", host]));
      for (const m of this.membershipsByPool.get(pool) ?? []) {
        const d = m.data;
        if (d.memberKind === "gke" && d.gkeCluster) {
          if (d.clusterMissing) continue; // the cluster is gone; its membership lingers
          const [p, l, c] = d.gkeCluster.slice(8).split("/");
          const subject = `cluster:${this.projectIdByNumber.get(p) ?? p}/${l}/${c}`;
          if (this.clusters.has(subject)) clusters.add(subject);
          else {
            const project = subject.slice(8).split("/")[0];
            lacking.push(`fleet member ${d.name}: GKE cluster ${subject.slice(8)} (${this.isProjectScanned(project) ? "not in its project's cluster list" : `project ${project} not scanned`})`);
          }
          continue;
        }
        const what = { attached: "attached cluster", multicloud: "GKE Multi-Cloud cluster", onprem: "on-prem cluster", edge: "edge cluster", appliance: "appliance cluster", other: "registered cluster", gke: "GKE cluster" }[d.memberKind];
        lacking.push(`fleet member ${d.name} (${what}${d.resourceLink ? ` ${d.resourceLink}` : ""}: its Kubernetes objects are not read)`);
      }
      const sorted = [...clusters].sort();
      for (const c of sorted) lacking.push(...this.k8sLacking(c, "serviceaccounts"));
      return { clusters: sorted, lacking: [...new Set(lacking)] };
    });
  }

  /** Fleet members whose Kubernetes objects no scan reads (attached, on-prem, other clouds, GKE clusters out of scope). */
  unreadFleetMembers(): string[] {
    return this.memo("unreadFleetMembers", () =>
      [...this.membershipsByPool.keys()].flatMap((pool) => this.poolScope(pool).lacking.filter((l) => l.startsWith("fleet member "))),
    );
  }

  // ---- indexes built on first use ---------------------------------------------------------

  private readonly memos = new Map<string, unknown>();
  /** An index or other derived value, built once per analysis on first use (rules share them). */
  memo<T>(key: string, build: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = build();
    this.memos.set(key, v);
    return v;
  }

  /** The account ids (local parts of emails) already taken, for naming new GSAs. */
  gsaIdsTaken(): Set<string> {
    return this.memo("gsaIdsTaken", () => new Set([...this.gsas.keys()].map((e) => e.split("@")[0])));
  }

  /** Pods per cluster subject. */
  podsByCluster(): Map<string, R<PodData>[]> {
    return this.memo("podsByCluster", () => {
      const m = new Map<string, R<PodData>[]>();
      for (const p of this.pods) {
        const a = m.get(p.cluster!);
        if (a) a.push(p);
        else m.set(p.cluster!, [p]);
      }
      return m;
    });
  }

  /** Secrets holding a credential file with each key id. */
  secretsByKeyId(): Map<string, R<SecretData>[]> {
    return this.memo("secretsByKeyId", () => {
      const m = new Map<string, R<SecretData>[]>();
      for (const s of this.secrets.values()) {
        for (const c of s.data.credentials) {
          if (!c.keyId) continue;
          const a = m.get(c.keyId);
          if (!a) m.set(c.keyId, [s]);
          else if (!a.includes(s)) a.push(s);
        }
      }
      return m;
    });
  }

  /** Workloads per KSA (`cluster|namespace/name`). */
  workloadsByKsa(): Map<string, R<WorkloadData>[]> {
    return this.memo("workloadsByKsa", () => {
      const m = new Map<string, R<WorkloadData>[]>();
      for (const w of this.workloads) {
        const k = `${w.cluster}|${w.data.namespace}/${w.data.template.serviceAccountName}`;
        const a = m.get(k);
        if (a) a.push(w);
        else m.set(k, [w]);
      }
      return m;
    });
  }

  clusterRef(cluster: string) {
    const c = this.clusters.get(cluster)!;
    return { project: c.data.projectId, location: c.data.location, name: c.data.name, key: clusterKey({ project: c.data.projectId, location: c.data.location, name: c.data.name }) };
  }
}
