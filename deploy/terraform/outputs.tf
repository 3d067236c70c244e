output "scanner_service_account" {
  description = "The scanner's GSA: the wi-atlas-scanner KSA's iam.gke.io/gcp-service-account annotation."
  value       = google_service_account.scanner.email
}

output "web_service_account" {
  description = "The web's GSA: the wi-atlas-web KSA's iam.gke.io/gcp-service-account annotation."
  value       = google_service_account.web.email
}

output "scanner_role" {
  description = "The scanner's custom role (organizations/ORG/roles/wiAtlasScanner)."
  value       = google_organization_iam_custom_role.scanner.name
}

output "sql_connection_name" {
  description = "PROJECT:REGION:INSTANCE, the Cloud SQL Auth Proxy's first argument in both Deployments."
  value       = google_sql_database_instance.main.connection_name
}

output "sql_private_ip" {
  description = "The instance's private address: the wi-atlas-egress-database NetworkPolicy's /32."
  value       = google_sql_database_instance.main.private_ip_address
}

output "database_urls" {
  description = "DATABASE_URL of each process for the wi-atlas-database Secret (no password: the proxy logs in with the pod's IAM identity)."
  value = {
    DATABASE_URL_WEB     = "postgresql://${urlencode(google_sql_user.web.name)}@127.0.0.1:5432/${google_sql_database.wi_atlas.name}?options=-c%20role%3Dwi_atlas_owner"
    DATABASE_URL_SCANNER = "postgresql://${urlencode(google_sql_user.scanner.name)}@127.0.0.1:5432/${google_sql_database.wi_atlas.name}?options=-c%20role%3Dwi_atlas_owner"
  }
}

output "web_address" {
  description = "The Ingress's static IP: point the dashboard's DNS name (an A record) at it."
  value       = google_compute_global_address.web.address
}
