/**
 * The least privilege the scanner needs, per source family: the Google permissions (and a predefined
 * role that carries them) and the Kubernetes verbs. Shown on the coverage page beside what failed.
 * The single source of truth for deploy/terraform's custom role (a test holds them equal).
 */
export type FamilyPermission = {
  /** The source family, as the Coverage page groups sources. */
  family: string;
  /** What the family reads, in the user's words. */
  what: string;
  /** Google IAM permissions; for Kubernetes families, the RBAC verb and resource (`list pods`). */
  permissions: string[];
  /** A predefined role (or, for Kubernetes, the ClusterRole) that carries them. */
  role: string;
  /**
   * Kubernetes families only: the GKE IAM permissions that allow the same read in every cluster of
   * the projects where they are granted (GKE authorizes a request when IAM *or* RBAC allows it), so
   * no per-cluster ClusterRole is needed.
   */
  gkePermissions?: string[];
  /** The scan completes without it (the source is shown skipped, with the permission named). */
  optional?: boolean;
};

export const SOURCE_PERMISSIONS: FamilyPermission[] = [
  { family: "crm.organization", what: "The organization (org scope only)", permissions: ["resourcemanager.organizations.get"], role: "roles/browser" },
  { family: "crm.projects", what: "Folders and projects to scan", permissions: ["resourcemanager.folders.list", "resourcemanager.projects.list", "resourcemanager.projects.get"], role: "roles/browser" },
  { family: "crm.iamPolicy", what: "IAM policies of projects, folders and the organization (inherited grants)", permissions: ["resourcemanager.projects.getIamPolicy", "resourcemanager.folders.getIamPolicy", "resourcemanager.organizations.getIamPolicy"], role: "roles/iam.securityReviewer" },
  { family: "crm.ancestry", what: "The folders above a project or folder scope, up to the organization (their grants count)", permissions: ["resourcemanager.folders.get"], role: "roles/browser" },
  { family: "crm.folder", what: "The folders named in WI_ATLAS_FOLDERS", permissions: ["resourcemanager.folders.get"], role: "roles/browser" },
  { family: "iam.serviceAccounts", what: "Service accounts", permissions: ["iam.serviceAccounts.list", "iam.serviceAccounts.get"], role: "roles/iam.serviceAccountViewer" },
  { family: "iam.keys", what: "Their user-managed keys (metadata only, never key material)", permissions: ["iam.serviceAccountKeys.list"], role: "roles/iam.serviceAccountViewer" },
  { family: "iam.serviceAccountPolicies", what: "Each service account's own IAM policy (workloadIdentityUser bindings)", permissions: ["iam.serviceAccounts.getIamPolicy"], role: "roles/iam.securityReviewer" },
  {
    family: "iam.roles",
    what: "Custom roles the policies grant (which of them carry iam.serviceAccounts.getAccessToken; DISABLED and deleted ones grant nothing)",
    permissions: ["iam.roles.list", "iam.roles.get"],
    role: "roles/iam.securityReviewer",
  },
  {
    family: "iam.denyPolicies",
    what: "IAM deny policies of the organization, folders and projects (a deny rule on getAccessToken breaks a Workload Identity link)",
    permissions: ["iam.denypolicies.list", "iam.denypolicies.get"],
    role: "roles/iam.denyReviewer",
  },
  { family: "policyanalyzer.serviceAccountLastAuthentication", what: "When each service account last authenticated", permissions: ["policyanalyzer.serviceAccountLastAuthenticationActivities.query"], role: "roles/policyanalyzer.activityAnalysisViewer" },
  { family: "policyanalyzer.serviceAccountKeyLastAuthentication", what: "When each key last authenticated", permissions: ["policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query"], role: "roles/policyanalyzer.activityAnalysisViewer" },
  { family: "container.clusters", what: "GKE clusters and node pools", permissions: ["container.clusters.list", "container.clusters.get"], role: "roles/container.clusterViewer" },
  { family: "gkehub.memberships", what: "Fleet members sharing a workload pool (attached, on-prem, other-cloud and other projects' clusters)", permissions: ["gkehub.memberships.list"], role: "roles/gkehub.viewer" },
  { family: "asset.keys", what: "Keys of every service account at once (WI_ATLAS_INVENTORY_PATH auto or asset; without it auto asks IAM per account)", permissions: ["cloudasset.assets.searchAllResources"], role: "roles/cloudasset.viewer" },
  { family: "asset.iamPolicies", what: "Every service account's policy at once (WI_ATLAS_INVENTORY_PATH auto or asset; without it auto asks IAM per account)", permissions: ["cloudasset.assets.searchAllIamPolicies"], role: "roles/cloudasset.viewer" },
  { family: "asset.poolPolicies", what: "Grants to each workload pool's KSAs on buckets, topics, secrets… (one search per pool)", permissions: ["cloudasset.assets.searchAllIamPolicies"], role: "roles/cloudasset.viewer", optional: true },
  { family: "k8s.namespaces", what: "Namespaces", permissions: ["list namespaces"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.namespaces.list"] },
  { family: "k8s.serviceaccounts", what: "Kubernetes service accounts and their annotations", permissions: ["list serviceaccounts"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.serviceAccounts.list"] },
  { family: "k8s.nodes", what: "Nodes and their node pool / GKE metadata labels", permissions: ["list nodes"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.nodes.list"] },
  { family: "k8s.pods", what: "Pods (service account, node, env, mounts)", permissions: ["list pods"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.pods.list"] },
  { family: "k8s.deployments", what: "Deployments", permissions: ["list deployments.apps"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.deployments.list"] },
  { family: "k8s.replicasets", what: "ReplicaSets (to tie pods to Deployments)", permissions: ["list replicasets.apps"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.replicaSets.list"] },
  { family: "k8s.statefulsets", what: "StatefulSets", permissions: ["list statefulsets.apps"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.statefulSets.list"] },
  { family: "k8s.daemonsets", what: "DaemonSets", permissions: ["list daemonsets.apps"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.daemonSets.list"] },
  { family: "k8s.jobs", what: "Jobs (to tie pods to CronJobs)", permissions: ["list jobs.batch"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.jobs.list"] },
  { family: "k8s.cronjobs", what: "CronJobs", permissions: ["list cronjobs.batch"], role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.cronJobs.list"] },
  { family: "k8s.secrets", what: "Secrets holding JSON keys (only key id, email and project are kept)", permissions: ["list secrets"], role: "ClusterRole wi-atlas-secret-reader", gkePermissions: ["container.secrets.list"], optional: true },
  {
    family: "k8s.configmaps",
    what: "Only the ConfigMaps a pod's GOOGLE_APPLICATION_CREDENTIALS (or ADC file) comes from, one GET each: only that path value or the credential file's summary is kept",
    permissions: ["get configmaps"],
    role: "ClusterRole wi-atlas-scanner", gkePermissions: ["container.configMaps.get"],
  },
];

/**
 * Every Google IAM permission the scanner uses, Kubernetes reads included as GKE IAM permissions:
 * the exact permission list of the organization custom role deploy/terraform creates (`wiAtlasScanner`,
 * granted on the organization or on folders). Optional families are in it too — they are what the
 * Coverage page lists; leave one out and its source shows `skipped` with the permission named.
 */
export const SCANNER_ROLE_PERMISSIONS: string[] = [
  ...new Set(SOURCE_PERMISSIONS.flatMap((p) => (p.gkePermissions ? p.gkePermissions : p.permissions))),
].sort();

export const CUSTOM_ROLE_SETUP = `# One custom role with exactly these permissions (deploy/terraform creates the same), granted at the
# organization or on each folder. Kubernetes reads are GKE IAM permissions: every cluster of every
# project below the grant is covered, no per-cluster RBAC needed.
ORG=620315948271  SCANNER=wi-atlas-scanner@PROJECT_ID.iam.gserviceaccount.com
gcloud iam roles create wiAtlasScanner --organization="$ORG" --stage=GA \\
  --title="wi-atlas scanner (read-only)" \\
  --permissions=${SCANNER_ROLE_PERMISSIONS.join(",")}
gcloud organizations add-iam-policy-binding "$ORG" --member="serviceAccount:$SCANNER" \\
  --role="organizations/$ORG/roles/wiAtlasScanner" --condition=None`;

export const CLUSTER_ROLE_YAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: wi-atlas-scanner
rules:
  - apiGroups: [""]
    resources: [namespaces, nodes, pods, serviceaccounts]
    verbs: [list]
  # Only the ConfigMaps pods take GOOGLE_APPLICATION_CREDENTIALS (or its file) from, one by one.
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
  - apiGroups: [apps]
    resources: [deployments, replicasets, statefulsets, daemonsets]
    verbs: [list]
  - apiGroups: [batch]
    resources: [jobs, cronjobs]
    verbs: [list]
---
# Optional: without it, set WI_ATLAS_READ_SECRETS=false and keys in Secrets stay unknown.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: wi-atlas-secret-reader
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: wi-atlas-scanner
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wi-atlas-scanner}
subjects:
  # GKE maps a Google identity to this user name: the scanner's service account email.
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: wi-atlas-scanner@PROJECT_ID.iam.gserviceaccount.com}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: wi-atlas-secret-reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wi-atlas-secret-reader}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: wi-atlas-scanner@PROJECT_ID.iam.gserviceaccount.com}
`;

export const GCLOUD_SETUP = `# Google side: grant the scanner's identity read-only roles at the organization (or on each folder/project).
ORG=620315948271  SCANNER=wi-atlas-scanner@PROJECT_ID.iam.gserviceaccount.com
for ROLE in roles/browser roles/iam.securityReviewer roles/iam.denyReviewer roles/iam.serviceAccountViewer \\
            roles/policyanalyzer.activityAnalysisViewer roles/container.clusterViewer roles/gkehub.viewer; do
  gcloud organizations add-iam-policy-binding "$ORG" --member="serviceAccount:$SCANNER" --role="$ROLE"
done
# roles/container.clusterViewer lets it reach each cluster's API; what it may read there is the ClusterRole below.
# roles/gkehub.viewer lists fleet members: without it no binding can be called stale (a member outside GKE may use it).
# Optional: roles/cloudasset.viewer shows KSAs' direct grants on buckets, topics, secrets (Google's keyless end state).
gcloud organizations add-iam-policy-binding "$ORG" --member="serviceAccount:$SCANNER" --role=roles/cloudasset.viewer`;
