/**
 * The kube-scheduler's filters the simulator reproduces: a node is eligible for a pod when every
 * NoSchedule and NoExecute taint on it is tolerated (TaintToleration), its labels satisfy the pod's
 * nodeSelector and required node affinity (NodeAffinity: In, NotIn, Exists, DoesNotExist, Gt, Lt;
 * matchFields on metadata.name), and it has the extended resources the pod asks for, such as
 * `nvidia.com/gpu` (NodeResourcesFit; CPU and memory are not modelled, nor what other pods use) — and,
 * among eligible nodes, nodes whose PreferNoSchedule taints the pod does not tolerate are used only
 * when no other node fits.
 * Rules as in k8s.io/api/core/v1 toleration.go (ToleratesTaint) and
 * k8s.io/component-helpers/scheduling/corev1/nodeaffinity.
 */
type Json = Record<string, unknown>;

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";
export type Taint = { key: string; value?: string; effect: TaintEffect };
export type Toleration = { key?: string; operator?: string; value?: string; effect?: string };
export type SchedNode = {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** Allocatable extended resources (e.g. `nvidia.com/gpu`: 1); absent = none. */
  extended?: Record<string, number>;
};

/** Whether one toleration tolerates a taint (an empty effect matches every effect; an empty key with Exists, every key). */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || "Equal";
  if (op === "Exists") return true;
  // An empty key is only valid with Exists; with Equal it tolerates nothing.
  if (!t.key) return false;
  return (t.value ?? "") === (taint.value ?? "");
}

function tolerationsOf(spec: Json): Toleration[] {
  return ((spec.tolerations as Toleration[] | undefined) ?? []).filter((t) => t && typeof t === "object");
}

/** The first NoSchedule/NoExecute taint of `node` that `spec` does not tolerate. */
export function untoleratedTaint(spec: Json, node: SchedNode): Taint | undefined {
  const tols = tolerationsOf(spec);
  return node.taints.find((taint) => taint.effect !== "PreferNoSchedule" && !tols.some((t) => toleratesTaint(t, taint)));
}

type Requirement = { key: string; operator: string; values?: string[] };

function requirementMatches(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      // Both sides must parse as integers; a label that does not never matches.
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      const [a, b] = [BigInt(value), BigInt(values[0])];
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** Whether the node's labels satisfy the pod's nodeSelector and required node affinity. */
export function matchesNodeSelection(spec: Json, node: SchedNode): boolean {
  const sel = (spec.nodeSelector ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(sel)) if (node.labels[k] !== v) return false;
  const required = (((spec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution ?? undefined) as
    | { nodeSelectorTerms?: { matchExpressions?: Requirement[]; matchFields?: Requirement[] }[] }
    | undefined;
  if (!required) return true;
  // Terms are ORed; a term's requirements are ANDed; an empty term matches nothing.
  return (required.nodeSelectorTerms ?? []).some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return (
      exprs.every((e) => requirementMatches(e, node.labels[e.key])) &&
      fields.every((f) => requirementMatches(f, f.key === "metadata.name" ? node.name : undefined))
    );
  });
}

/** Extended resources a pod asks for (`vendor.domain/name`), the larger of request and limit, summed over its containers. */
export function extendedRequests(spec: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of ((spec.containers as Json[] | undefined) ?? []) as Json[]) {
    const r = (c.resources ?? {}) as { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
    const keys = new Set([...Object.keys(r.limits ?? {}), ...Object.keys(r.requests ?? {})]);
    for (const k of keys) {
      if (!k.includes("/") || k.startsWith("kubernetes.io/")) continue;
      const n = Math.max(Number(r.limits?.[k] ?? 0) || 0, Number(r.requests?.[k] ?? 0) || 0);
      if (n > 0) out[k] = (out[k] ?? 0) + n;
    }
  }
  return out;
}

/** Why a node is not eligible, in the scheduler's words; undefined when it is. Filters run in kube-scheduler's order: taints, affinity, resources. */
export function nodeMisfit(spec: Json, node: SchedNode, requests: Record<string, number> = extendedRequests(spec)): string | undefined {
  const taint = untoleratedTaint(spec, node);
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;
  if (!matchesNodeSelection(spec, node)) return "node(s) didn't match Pod's node affinity/selector";
  for (const [k, n] of Object.entries(requests)) if ((node.extended?.[k] ?? 0) < n) return `Insufficient ${k}`;
  return undefined;
}

/** The nodes a pod may run on, preferring those without PreferNoSchedule taints it does not tolerate. */
export function eligibleNodes<N extends SchedNode>(spec: Json, nodes: N[]): N[] {
  const requests = extendedRequests(spec);
  const fit = nodes.filter((n) => !nodeMisfit(spec, n, requests));
  const tols = tolerationsOf(spec);
  const preferred = fit.filter((n) => n.taints.every((taint) => taint.effect !== "PreferNoSchedule" || tols.some((t) => toleratesTaint(t, taint))));
  return preferred.length > 0 ? preferred : fit;
}

/** The PodScheduled=False message the scheduler writes: counts per reason, reasons sorted. */
export function unschedulableMessage(spec: Json, nodes: SchedNode[]): string {
  // With no node at all the scheduler stops before filtering (ErrNoNodesAvailable).
  if (nodes.length === 0) return "no nodes available to schedule pods";
  const counts = new Map<string, number>();
  const requests = extendedRequests(spec);
  for (const n of nodes) {
    const why = nodeMisfit(spec, n, requests);
    if (why) counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const reasons = [...counts].map(([why, n]) => `${n} ${why}`).sort();
  return `0/${nodes.length} nodes are available${reasons.length ? ": " + reasons.join(", ") : ""}.`;
}
