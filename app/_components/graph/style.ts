/**
 * How states and kinds look: one place, shared by nodes, edges, the legend and the exported picture.
 * Every state differs in line style as well as colour, so the picture reads without colour (colour
 * blindness, a greyscale print).
 */
export const STATE_COLOR: Record<string, string> = {
  ok: "#16a34a",
  legacy: "#d97706",
  broad: "#7c3aed",
  broken: "#dc2626",
  ghost: "#dc2626",
  info: "#94a3b8",
};

/** SVG stroke-dasharray per state: working solid, legacy dotted, broad long dashes, broken short dashes. */
export const STATE_DASH: Record<string, string | undefined> = {
  ok: undefined,
  legacy: "2 4",
  broad: "12 6",
  broken: "6 4",
  ghost: "6 4",
  info: undefined,
};

/** The line style in words, for the legend (and anyone who cannot tell the colours apart). */
export const STATE_LINE: Record<string, string> = {
  ok: "green, solid",
  legacy: "amber, dotted",
  broad: "purple, long dashes",
  broken: "red, short dashes",
  ghost: "red, short dashes",
  info: "grey, thin",
};

export const STATE_LABEL: Record<string, string> = {
  ok: "working Workload Identity",
  legacy: "legacy path (node account, key file)",
  broad: "broad grant (principalSet, unverified binding, basic or admin role)",
  broken: "broken link (unbound, missing, stale)",
  ghost: "referenced but not found",
  info: "structure (contains, runs as, runs on)",
};

export const KIND_LABEL: Record<string, string> = {
  project: "Project",
  folder: "Folder",
  organization: "Organization",
  gsa: "GSA",
  key: "Key",
  secret: "Secret",
  cluster: "Cluster",
  nodepool: "Node pool",
  namespace: "Namespace",
  ksa: "KSA",
  workload: "Workload",
  principalset: "principalSet",
};

export const KIND_BG: Record<string, string> = {
  project: "bg-slate-100 dark:bg-slate-800",
  folder: "bg-slate-100 dark:bg-slate-800",
  organization: "bg-slate-100 dark:bg-slate-800",
  gsa: "bg-blue-50 dark:bg-blue-950",
  key: "bg-amber-50 dark:bg-amber-950",
  secret: "bg-amber-50 dark:bg-amber-950",
  cluster: "bg-slate-100 dark:bg-slate-800",
  nodepool: "bg-slate-50 dark:bg-slate-900",
  namespace: "bg-slate-50 dark:bg-slate-900",
  ksa: "bg-violet-50 dark:bg-violet-950",
  workload: "bg-emerald-50 dark:bg-emerald-950",
  principalset: "bg-amber-50 dark:bg-amber-950",
};

export const EDGE_LABEL: Record<string, string> = {
  annotation: "KSA annotated with GSA",
  "wi-binding": "workloadIdentityUser on the GSA",
  "wi-binding-inherited": "token role inherited from project/folder/org",
  "direct-grant": "role granted to the KSA's principal",
  "key-of": "user-managed key",
  "key-in-secret": "key stored in Secret",
  "secret-mounted": "Secret mounted by workload",
  "runs-as": "workload runs as KSA",
  "runs-on": "pods run on node pool",
  "pool-runs-as": "node pool runs as GSA",
  "holds-role": "GSA holds role",
  "effective-identity": "workload's effective identity",
  contains: "contains",
};
