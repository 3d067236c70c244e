/** How states and kinds look: one place, shared by nodes, edges and the legend. */
export const STATE_COLOR: Record<string, string> = {
  ok: "#16a34a",
  legacy: "#d97706",
  broad: "#d97706",
  broken: "#dc2626",
  ghost: "#dc2626",
  info: "#94a3b8",
};

export const STATE_LABEL: Record<string, string> = {
  ok: "working Workload Identity",
  legacy: "legacy path (node account, key file)",
  broad: "broad or unverified grant",
  broken: "broken link (unbound, missing, stale)",
  ghost: "referenced but not found",
  info: "structure",
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
