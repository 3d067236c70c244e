/**
 * Scope for nodes whose names repeat in one drawing: two namespaces `payments` (one per cluster), the
 * KSA `default` of every namespace. A label alone cannot tell them apart, so each such node carries the
 * shortest scope that does — `payments · prod/asia-northeast1`, `default · batch · legacy/asia-northeast1-b`.
 * Names that are unique in the drawing keep no scope (the picture stays short).
 */

/** What scopeLabels reads of a node. */
export type ScopedNode = {
  /** The node's id (its subject). */
  id: string;
  /** Node kind: namespace, ksa, workload, secret, nodepool, cluster, key, gsa, … */
  kind: string;
  /** The name drawn on the node. */
  label: string;
  project: string | null;
  /** The cluster's subject, `cluster:PROJECT/LOCATION/NAME`, for in-cluster nodes. */
  cluster: string | null;
  namespace: string | null;
};

/** `cluster:acme-prod/asia-northeast1/prod` → `prod/asia-northeast1` (name first: what people call it). */
export function clusterShortName(cluster: string): string {
  const parts = cluster.replace(/^cluster:/, "").split("/");
  return parts.length >= 3 ? `${parts.slice(2).join("/")}/${parts[1]}` : parts.join("/");
}

const IN_NAMESPACE = new Set(["ksa", "workload", "secret"]);

/** The scope variants to try for a node, shortest first. */
function variants(n: ScopedNode): string[][] {
  const cl = n.cluster ? clusterShortName(n.cluster) : null;
  const pj = n.project;
  const ns = n.namespace;
  const out: (string | null)[][] = IN_NAMESPACE.has(n.kind)
    ? [[ns], [ns, cl], [ns, cl, pj]]
    : n.cluster && n.kind !== "cluster"
      ? [[cl], [cl, pj]]
      : [[pj]];
  return out.map((v) => v.filter((x): x is string => !!x));
}

/**
 * For every node whose (kind, label) repeats among `nodes`, the scope that tells it apart from the
 * others of its name; nodes with a unique name are absent from the map. Several variants are tried in
 * order and the first under which the whole group's scopes differ wins; failing all, the longest.
 */
export function scopeLabels(nodes: ScopedNode[]): Map<string, string> {
  const byName = new Map<string, ScopedNode[]>();
  for (const n of nodes) {
    const k = `${n.kind}\u0000${n.label}`;
    const g = byName.get(k);
    if (g) g.push(n);
    else byName.set(k, [n]);
  }
  const out = new Map<string, string>();
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    const options = group.map(variants);
    const tries = Math.max(...options.map((o) => o.length));
    let chosen = -1;
    for (let i = 0; i < tries && chosen < 0; i++) {
      const scopes = options.map((o) => o[Math.min(i, o.length - 1)].join(" · "));
      if (new Set(scopes).size === scopes.length) chosen = i;
    }
    if (chosen < 0) chosen = tries - 1;
    group.forEach((n, j) => {
      const s = options[j][Math.min(chosen, options[j].length - 1)].join(" · ");
      if (s) out.set(n.id, s);
    });
  }
  return out;
}
