/**
 * Where a pod template could be scheduled, for workloads with no pods: the node POOLS the container
 * API describes — a pool autoscaled to zero has no nodes, but pods can land there — each with the
 * labels and taints GKE puts on its nodes, derived from the pool's own config (what the API says):
 *   `cloud.google.com/gke-nodepool`, `kubernetes.io/os` / `arch`, `node.kubernetes.io/instance-type`,
 *   `cloud.google.com/machine-family`, `cloud.google.com/gke-spot` / `gke-preemptible` / `gke-provisioning`,
 *   `cloud.google.com/gke-accelerator`, `cloud.google.com/gke-os-distribution`, the zone and region,
 *   `iam.gke.io/gke-metadata-server-enabled` on GKE-metadata pools, and the pool's `config.labels`
 *   (compute classes among them: `cloud.google.com/compute-class`);
 *   `node.kubernetes.io/windows-build` on Windows Server pools;
 *   taints: `config.taints`, and those GKE adds itself — `node.kubernetes.io/os=windows:NoSchedule` on
 *   Windows Server pools, `kubernetes.io/arch=arm64:NoSchedule` on Arm pools (T2A, C4A, N4A, A4X; not
 *   with `taintConfig.architectureTaintBehavior: NONE`), `nvidia.com/gpu=present:NoSchedule` on GPU
 *   pools of a cluster that also has pools without GPUs. (The simulator derives its nodes from the same
 *   GKE facts, in lib/simulator/gke-nodes.ts; the analysis must not depend on the simulator.)
 * A pod fits when its nodeSelector and required node affinity match and it tolerates every NoSchedule /
 * NoExecute taint — its own tolerations, plus those GKE's admission adds: for a pod that selects
 * Windows, Arm or a compute class, and (ExtendedResourceToleration) for an extended resource it requests.
 * Where pools are unknown, the nodes are used instead. With node auto-provisioning on, or on Autopilot,
 * a pod no pool fits is not Pending: GKE creates a pool for it.
 */
import type { AnalysisContext } from "./context";
import type { InventoryRecord, NodeData, NodePoolData, PodSpecEssentials, Taint } from "../inventory/model";

type R<D> = InventoryRecord<D>;
type Obj = Record<string, unknown>;

export const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";

/** The labels and taints of a node (or of a pool's nodes in one zone). */
export type NodeProfile = { labels: Record<string, string>; taints: Taint[] };

/** Machine families whose CPUs are Arm (GKE labels their nodes arm64 and taints them). */
const ARM_FAMILIES = new Set(["t2a", "c4a", "n4a", "a4x"]);

function osDistribution(imageType: string | null | undefined): string {
  const t = (imageType ?? "COS_CONTAINERD").toUpperCase();
  if (t.startsWith("WINDOWS_LTSC")) return "windows_ltsc";
  if (t.startsWith("WINDOWS_SAC")) return "windows_sac";
  if (t.startsWith("UBUNTU")) return "ubuntu";
  return "cos";
}

/** The zones a pool's nodes live in: the pool's `locations`, else the cluster's, else its zone. */
function zonesOf(ctx: AnalysisContext, pool: R<NodePoolData>): string[] {
  if (pool.data.locations?.length) return pool.data.locations;
  const c = ctx.clusters.get(pool.cluster!);
  if (c?.data.locations?.length) return c.data.locations;
  return /-[a-z]$/.test(pool.data.location) ? [pool.data.location] : [];
}

/** What a pool's nodes carry, one profile per zone (zone labels differ); worked out once per pool and analysis. */
export function poolProfiles(ctx: AnalysisContext, pool: R<NodePoolData>): NodeProfile[] {
  const memo = ctx.memo("poolProfiles", () => new WeakMap<object, NodeProfile[]>());
  let out = memo.get(pool);
  if (!out) memo.set(pool, (out = buildPoolProfiles(ctx, pool)));
  return out;
}

function buildPoolProfiles(ctx: AnalysisContext, pool: R<NodePoolData>): NodeProfile[] {
  const d = pool.data;
  const machineType = d.machineType ?? "e2-medium";
  const family = machineType.split("-")[0];
  const windows = (d.imageType ?? "").toUpperCase().startsWith("WINDOWS");
  const arch = ARM_FAMILIES.has(family) ? "arm64" : "amd64";
  const os = windows ? "windows" : "linux";
  const labels: Record<string, string> = {
    "cloud.google.com/gke-nodepool": d.name,
    ...(windows ? { "node.kubernetes.io/windows-build": /LTSC2022/.test(d.windowsOsVersion ?? "") ? "10.0.20348" : "10.0.17763" } : { "cloud.google.com/gke-os-distribution": osDistribution(d.imageType) }),
    "cloud.google.com/machine-family": family,
    "kubernetes.io/os": os,
    "beta.kubernetes.io/os": os,
    "kubernetes.io/arch": arch,
    "beta.kubernetes.io/arch": arch,
    "node.kubernetes.io/instance-type": machineType,
    "beta.kubernetes.io/instance-type": machineType,
    "topology.kubernetes.io/region": d.location.replace(/-[a-z]$/, ""),
    "failure-domain.beta.kubernetes.io/region": d.location.replace(/-[a-z]$/, ""),
  };
  if (d.spot) Object.assign(labels, { "cloud.google.com/gke-spot": "true", "cloud.google.com/gke-provisioning": "spot" });
  else if (d.preemptible) Object.assign(labels, { "cloud.google.com/gke-preemptible": "true", "cloud.google.com/gke-provisioning": "preemptible" });
  if (d.accelerators?.length) labels["cloud.google.com/gke-accelerator"] = d.accelerators[0];
  if (d.servesGkeMetadata) labels[GKE_MD] = "true";
  Object.assign(labels, d.labels ?? {});
  const taints: Taint[] = [...(d.taints ?? [])];
  if (windows) taints.push({ key: "node.kubernetes.io/os", value: "windows", effect: "NoSchedule" });
  if (arch === "arm64" && d.architectureTaintBehavior !== "NONE") taints.push({ key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" });
  if (d.accelerators?.length && ctx.poolsOf(pool.cluster!).some((p) => !(p.data.accelerators ?? []).length)) {
    taints.push({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" });
  }
  const zones = zonesOf(ctx, pool);
  if (!zones.length) return [{ labels, taints }];
  return zones.map((z) => ({ labels: { ...labels, "topology.kubernetes.io/zone": z, "failure-domain.beta.kubernetes.io/zone": z }, taints }));
}

/** What a node carries (all its labels when the inventory kept them; older records only some). */
export function nodeProfile(node: R<NodeData>): NodeProfile {
  const labels: Record<string, string> = { ...(node.data.labels ?? {}), "kubernetes.io/hostname": node.data.name };
  if (node.data.pool) labels["cloud.google.com/gke-nodepool"] = node.data.pool;
  if (node.data.gkeMetadataLabel !== null) labels[GKE_MD] = node.data.gkeMetadataLabel;
  if (node.data.zone) labels["topology.kubernetes.io/zone"] ??= node.data.zone;
  return { labels, taints: node.data.taints ?? [] };
}

type Expr = { key: string; operator: string; values?: string[] };

function requiredTerms(spec: PodSpecEssentials): { matchExpressions?: Expr[] }[] {
  return (((spec.nodeAffinity as Obj | null)?.requiredDuringSchedulingIgnoredDuringExecution as Obj | undefined)?.nodeSelectorTerms ?? []) as { matchExpressions?: Expr[] }[];
}

function exprMatches(e: Expr, labels: Record<string, string>): boolean {
  const v = labels[e.key];
  const values = e.values ?? [];
  switch (e.operator) {
    case "In":
      return v !== undefined && values.includes(v);
    case "NotIn":
      return v === undefined || !values.includes(v);
    case "Exists":
      return v !== undefined;
    case "DoesNotExist":
      return v === undefined;
    case "Gt":
    case "Lt": {
      const a = Number(v);
      const b = Number(values[0]);
      if (v === undefined || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return e.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** nodeSelector and required node affinity (terms are ORed, expressions within a term ANDed). */
export function selectorsMatch(spec: PodSpecEssentials, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector)) if (labels[k] !== v) return false;
  const terms = requiredTerms(spec);
  if (!terms.length) return true;
  // A term with only matchFields (metadata.name) says nothing about labels: it is taken to match.
  return terms.some((t) => (t.matchExpressions ?? []).every((e) => exprMatches(e, labels)));
}

/** Whether the pod selects `key=value` (nodeSelector, or a required term's `In`): what GKE's admission keys its tolerations on. */
function selects(spec: PodSpecEssentials, key: string, value: string): boolean {
  if (spec.nodeSelector[key] === value) return true;
  return requiredTerms(spec).some((t) => (t.matchExpressions ?? []).some((e) => e.key === key && e.operator === "In" && (e.values ?? []).includes(value)));
}

type Toleration = { key?: string; operator?: string; value?: string; effect?: string };

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  return (t.value ?? "") === (taint.value ?? "");
}

/** The pod's tolerations plus those GKE's admission adds for what it selects and requests. */
function effectiveTolerations(spec: PodSpecEssentials): Toleration[] {
  const out = [...((spec.tolerations ?? []) as Toleration[])];
  if (selects(spec, "kubernetes.io/os", "windows")) out.push({ key: "node.kubernetes.io/os", operator: "Equal", value: "windows", effect: "NoSchedule" });
  if (selects(spec, "kubernetes.io/arch", "arm64")) out.push({ key: "kubernetes.io/arch", operator: "Equal", value: "arm64", effect: "NoSchedule" });
  const cc = spec.nodeSelector["cloud.google.com/compute-class"];
  if (cc) out.push({ key: "cloud.google.com/compute-class", operator: "Equal", value: cc, effect: "NoSchedule" });
  for (const r of spec.extendedResources ?? []) out.push({ key: r, operator: "Exists" });
  return out;
}

/** Whether a pod with this spec may be scheduled on a node with this profile. */
export function fits(spec: PodSpecEssentials, profile: NodeProfile): boolean {
  if (!selectorsMatch(spec, profile.labels)) return false;
  const tols = effectiveTolerations(spec);
  return profile.taints.every((taint) => (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") || tols.some((t) => tolerates(t, taint)));
}

/** Where a template could run. */
export type Landing = {
  /** `pools`: from the container API's pools; `nodes`: pools unknown, from the nodes seen. */
  basis: "pools" | "nodes";
  pools: R<NodePoolData>[];
  nodes: R<NodeData>[];
  /** No pool fits, but GKE would create one (node auto-provisioning, Autopilot). */
  autoprovision: boolean;
};

/** Where a pod template could be scheduled in a cluster; null when neither pools nor nodes are known. */
export function landing(ctx: AnalysisContext, cluster: string, spec: PodSpecEssentials): Landing | null {
  const c = ctx.clusters.get(cluster);
  const autoprovisions = !!c && (c.data.autopilot || c.data.nodeAutoprovisioning === true);
  const pools = ctx.poolsOf(cluster);
  // Pools are known when the cluster came from a container API answer (Autopilot lists its pools too).
  if (c && pools.length) {
    const fitting = pools.filter((p) => poolProfiles(ctx, p).some((prof) => fits(spec, prof)));
    return { basis: "pools", pools: fitting, nodes: [], autoprovision: !fitting.length && autoprovisions };
  }
  const nodes = ctx.nodesByCluster.get(cluster) ?? [];
  if (!nodes.length && (ctx.k8sLacking(cluster, "nodes").length || !c)) return autoprovisions ? { basis: "nodes", pools: [], nodes: [], autoprovision: true } : null;
  const fitting = nodes.filter((n) => fits(spec, nodeProfile(n)));
  return { basis: "nodes", pools: [], nodes: fitting, autoprovision: !fitting.length && autoprovisions };
}

/** The same spec without its demand for the GKE metadata server (to tell what keeps a pod Pending). */
export function withoutGkeMetadataDemand(spec: PodSpecEssentials): PodSpecEssentials {
  const { [GKE_MD]: _drop, ...nodeSelector } = spec.nodeSelector;
  const terms = requiredTerms(spec).map((t) => ({ ...t, matchExpressions: (t.matchExpressions ?? []).filter((e) => e.key !== GKE_MD) }));
  const na = spec.nodeAffinity as Obj | null;
  const nodeAffinity = na ? { ...na, requiredDuringSchedulingIgnoredDuringExecution: terms.length ? { nodeSelectorTerms: terms } : undefined } : null;
  return { ...spec, nodeSelector, nodeAffinity };
}

/** Whether the spec demands a GKE-metadata node (nodeSelector, or required affinity on the label). */
export function demandsGkeMetadata(spec: PodSpecEssentials): boolean {
  return spec.nodeSelector[GKE_MD] === "true" || selects(spec, GKE_MD, "true");
}

/**
 * The template's nodeSelector keys that keep it off every GKE-metadata node (a pin to a legacy pool,
 * `cloud.google.com/gke-nodepool: default-pool`): a patch adding the GKE-metadata selector must drop
 * them, or the new pods fit no node and the rollout stalls Pending. Empty when the template already
 * fits a GKE-metadata node with the selector added, or when dropping nodeSelector keys would not help
 * (affinity or taints keep it off — the rules say so separately).
 */
export function pinsAwayFromGkeMetadata(ctx: AnalysisContext, cluster: string, spec: PodSpecEssentials): string[] {
  const withDemand = (nodeSelector: Record<string, string>): PodSpecEssentials => ({ ...spec, nodeSelector: { ...nodeSelector, [GKE_MD]: "true" } });
  const lands = (s: PodSpecEssentials) => {
    const l = landing(ctx, cluster, s);
    return !l || l.autoprovision || l.pools.length > 0 || l.nodes.length > 0;
  };
  if (lands(withDemand(spec.nodeSelector))) return [];
  const keys = Object.keys(spec.nodeSelector).filter((k) => k !== GKE_MD);
  for (const k of keys) {
    const { [k]: _drop, ...rest } = spec.nodeSelector;
    if (lands(withDemand(rest))) return [k];
  }
  return keys.length && lands(withDemand({})) ? keys : [];
}
