locals {
  # Workload Identity members: the KSAs deploy/kubernetes/base/serviceaccounts.yaml declares.
  workload_pool = "${coalesce(var.cluster_project_id, var.project_id)}.svc.id.goog"
  scanner_ksa   = "serviceAccount:${local.workload_pool}[${var.namespace}/wi-atlas-scanner]"
  web_ksa       = "serviceAccount:${local.workload_pool}[${var.namespace}/wi-atlas-web]"

  # Both processes reach the database through the Cloud SQL Auth Proxy (cloudsql.client) and log in
  # as IAM database users (cloudsql.instanceUser): nothing else, and no password anywhere.
  database_roles = toset(["roles/cloudsql.client", "roles/cloudsql.instanceUser"])
}

# ---- The scanner: reads the organization (or folders), never writes to it. -------------------------

resource "google_service_account" "scanner" {
  project      = var.project_id
  account_id   = "wi-atlas-scanner"
  display_name = "wi-atlas scanner (read-only)"
  description  = "Reads IAM, GKE and Kubernetes objects for wi-atlas. Used only by the wi-atlas-scanner KSA through Workload Identity; it has no key."
}

resource "google_organization_iam_custom_role" "scanner" {
  org_id      = var.organization_id
  role_id     = "wiAtlasScanner"
  title       = "wi-atlas scanner (read-only)"
  description = "Exactly the permissions wi-atlas's Coverage page lists. Managed by deploy/terraform."
  stage       = "GA"
  permissions = local.scanner_permissions
}

resource "google_organization_iam_member" "scanner" {
  count  = length(var.scan_folder_ids) == 0 ? 1 : 0
  org_id = var.organization_id
  role   = google_organization_iam_custom_role.scanner.name
  member = google_service_account.scanner.member
}

resource "google_folder_iam_member" "scanner" {
  for_each = toset(var.scan_folder_ids)
  folder   = "folders/${each.value}"
  role     = google_organization_iam_custom_role.scanner.name
  member   = google_service_account.scanner.member
}

# Only the scanner's KSA may act as the scanner's GSA (the migration's step 5, for ourselves).
resource "google_service_account_iam_member" "scanner_workload_identity" {
  service_account_id = google_service_account.scanner.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.scanner_ksa
}

resource "google_project_iam_member" "scanner_database" {
  for_each = local.database_roles
  project  = var.project_id
  role     = each.value
  member   = google_service_account.scanner.member
}

# ---- The web: the database, and nothing else. Never the scanner's role. ----------------------------

resource "google_service_account" "web" {
  project      = var.project_id
  account_id   = "wi-atlas-web"
  display_name = "wi-atlas web (database only)"
  description  = "Lets the wi-atlas web pods reach and log in to wi-atlas's Cloud SQL database. Used only by the wi-atlas-web KSA through Workload Identity; it has no key."
}

resource "google_service_account_iam_member" "web_workload_identity" {
  service_account_id = google_service_account.web.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.web_ksa
}

resource "google_project_iam_member" "web_database" {
  for_each = local.database_roles
  project  = var.project_id
  role     = each.value
  member   = google_service_account.web.member
}
