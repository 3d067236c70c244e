# Cloud SQL for PostgreSQL with a private IP only, IAM database authentication, and connections
# only through the Cloud SQL connectors (the Auth Proxy beside each pod): a leaked connection string
# opens nothing without the pod's Google identity.

resource "google_project_service" "apis" {
  for_each = toset([
    "sqladmin.googleapis.com",
    "servicenetworking.googleapis.com",
    "iap.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_compute_global_address" "private_service_access" {
  count         = var.create_private_service_access ? 1 : 0
  project       = var.project_id
  name          = "wi-atlas-private-service-access"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = var.network
}

resource "google_service_networking_connection" "private_service_access" {
  count                   = var.create_private_service_access ? 1 : 0
  network                 = var.network
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_service_access[0].name]
  depends_on              = [google_project_service.apis]
}

resource "google_sql_database_instance" "main" {
  project             = var.project_id
  name                = "wi-atlas"
  region              = var.region
  database_version    = "POSTGRES_16"
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.sql_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.sql_availability_type
    disk_autoresize             = true
    connector_enforcement       = "REQUIRED"
    deletion_protection_enabled = var.deletion_protection

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    insights_config {
      query_insights_enabled = true
    }
  }

  depends_on = [google_service_networking_connection.private_service_access, google_project_service.apis]
}

resource "google_sql_database" "wi_atlas" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = "wi_atlas"
}

# IAM database users: PostgreSQL's user name is the service account email without
# ".gserviceaccount.com". They log in with the pod's Google token (the proxy's --auto-iam-authn).
resource "google_sql_user" "scanner" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = trimsuffix(google_service_account.scanner.email, ".gserviceaccount.com")
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

resource "google_sql_user" "web" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = trimsuffix(google_service_account.web.email, ".gserviceaccount.com")
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}
