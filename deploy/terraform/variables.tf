variable "project_id" {
  description = "Project that hosts wi-atlas: its two service accounts, its Cloud SQL instance and its load balancer address."
  type        = string
}

variable "region" {
  description = "Region of the Cloud SQL instance (the GKE cluster running wi-atlas should be in it too)."
  type        = string
  default     = "asia-northeast1"
}

variable "organization_id" {
  description = "Numeric organization id. The scanner's custom role is defined here (custom roles live in an organization or a project, never in a folder)."
  type        = string
}

variable "scan_folder_ids" {
  description = "Numeric folder ids to grant the scanner's role on. Empty: granted on the whole organization. Match WI_ATLAS_FOLDERS / WI_ATLAS_ORGANIZATION."
  type        = list(string)
  default     = []
}

variable "cluster_project_id" {
  description = "Project of the GKE cluster wi-atlas runs in (its workload pool is CLUSTER_PROJECT.svc.id.goog). Null: project_id."
  type        = string
  default     = null
}

variable "namespace" {
  description = "Kubernetes namespace of wi-atlas (deploy/kubernetes uses wi-atlas)."
  type        = string
  default     = "wi-atlas"
}

variable "network" {
  description = "Self link or id of the VPC the cluster runs in: the Cloud SQL instance gets a private IP there (no public IP)."
  type        = string
}

variable "create_private_service_access" {
  description = "Allocate a range and peer the VPC with Google's service producers. False when the VPC already has private services access."
  type        = bool
  default     = true
}

variable "sql_tier" {
  description = "Cloud SQL machine tier."
  type        = string
  default     = "db-custom-2-7680"
}

variable "sql_availability_type" {
  description = "ZONAL or REGIONAL (a standby in another zone)."
  type        = string
  default     = "REGIONAL"
}

variable "deletion_protection" {
  description = "Keep Terraform (and the console) from deleting the database instance."
  type        = bool
  default     = true
}

variable "iap_access_members" {
  description = "Who may open the dashboard through IAP, e.g. [\"group:platform-team@example.com\"]. wi-atlas's own roles (WI_ATLAS_VIEWERS, …) narrow it further."
  type        = list(string)
}

variable "iap_backend_service" {
  description = "Name of the web's backend service once the Ingress created it (k8s1-…-wi-atlas-web-3000-…). Null: grant IAP access on every IAP web resource of project_id instead."
  type        = string
  default     = null
}
