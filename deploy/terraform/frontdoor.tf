# Google's front door for the web: the Ingress's static address, its TLS policy, and who IAP lets
# through. IAP itself is switched on by the BackendConfig (deploy/kubernetes/overlays/iap), with
# Google's managed OAuth client: no OAuth client or secret to create or keep.

resource "google_compute_global_address" "web" {
  project = var.project_id
  name    = "wi-atlas"
}

resource "google_compute_ssl_policy" "web" {
  project         = var.project_id
  name            = "wi-atlas-modern-tls"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

# Before the Ingress exists there is no backend service to name: grant on the project's IAP web
# resources. Once it exists, set iap_backend_service to narrow the grant to wi-atlas alone.
resource "google_iap_web_iam_member" "access" {
  for_each = var.iap_backend_service == null ? toset(var.iap_access_members) : toset([])
  project  = var.project_id
  role     = "roles/iap.httpsResourceAccessor"
  member   = each.value
}

resource "google_iap_web_backend_service_iam_member" "access" {
  for_each            = var.iap_backend_service == null ? toset([]) : toset(var.iap_access_members)
  project             = var.project_id
  web_backend_service = var.iap_backend_service
  role                = "roles/iap.httpsResourceAccessor"
  member              = each.value
}
