# The scanner's custom role: exactly the permissions the Coverage page lists
# (lib/scan/permissions.ts SCANNER_ROLE_PERMISSIONS, Kubernetes reads as GKE IAM permissions). A test
# (deploy/terraform/terraform.test.ts) fails when this list and that one differ by a single name.
# Every one of them only reads; none reads key material or a secret's value through IAM.
locals {
  scanner_permissions = [
    "cloudasset.assets.searchAllIamPolicies",
    "cloudasset.assets.searchAllResources",
    "container.clusters.get",
    "container.clusters.list",
    "container.configMaps.get",
    "container.cronJobs.list",
    "container.daemonSets.list",
    "container.deployments.list",
    "container.jobs.list",
    "container.namespaces.list",
    "container.nodes.list",
    "container.pods.list",
    "container.replicaSets.list",
    "container.secrets.list",
    "container.serviceAccounts.list",
    "container.statefulSets.list",
    "gkehub.memberships.list",
    "iam.denypolicies.get",
    "iam.denypolicies.list",
    "iam.roles.get",
    "iam.roles.list",
    "iam.serviceAccountKeys.list",
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.getIamPolicy",
    "iam.serviceAccounts.list",
    "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
    "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
    "resourcemanager.folders.get",
    "resourcemanager.folders.getIamPolicy",
    "resourcemanager.folders.list",
    "resourcemanager.organizations.get",
    "resourcemanager.organizations.getIamPolicy",
    "resourcemanager.projects.get",
    "resourcemanager.projects.getIamPolicy",
    "resourcemanager.projects.list",
  ]
}
