/**
 * The normalized inventory: what a scan keeps of each API object. Field names follow the APIs
 * (camelCase as Google and Kubernetes write them). Everything here is safe to store and show:
 * a Secret keeps only the key id, client email and project of a key file, never the key itself.
 */

export type InventoryKind =
  | "organization"
  | "folder"
  | "project"
  | "iam-policy"
  | "custom-role"
  | "deny-policy"
  | "gsa"
  | "key"
  | "gsa-activity"
  | "key-activity"
  | "cluster"
  | "nodepool"
  | "namespace"
  | "ksa"
  | "node"
  | "pod"
  | "workload"
  | "replicaset"
  | "job"
  | "secret"
  | "configmap"
  | "membership"
  | "resource-policy";

/** One object as a source produced it, ready to be stored. */
export type InventoryRecord<D = unknown> = {
  kind: InventoryKind;
  /** Stable identifier (lib/ids.ts); with `kind`, unique among current objects. */
  subject: string;
  /** The source that produced it, e.g. `iam.keys:acme-prod`. */
  source: string;
  /** Project id the object belongs to, for filtering. */
  project?: string | null;
  /** Cluster subject the object lives in, for filtering. */
  cluster?: string | null;
  /** Kubernetes namespace, for filtering. */
  namespace?: string | null;
  data: D;
};

export type OrganizationData = {
  /** `organizations/N` */
  name: string;
  displayName: string | null;
};

export type FolderData = {
  /** `folders/N` */
  name: string;
  displayName: string | null;
  /** `organizations/N` or `folders/N` */
  parent: string | null;
};

export type ProjectData = {
  projectId: string;
  projectNumber: string;
  displayName: string | null;
  /** `organizations/N` or `folders/N`, or null when the project has no parent. */
  parent: string | null;
  state: string | null;
  labels: Record<string, string>;
};

export type IamCondition = { title: string | null; expression: string; description: string | null };
export type IamBinding = { role: string; members: string[]; condition: IamCondition | null };

export type IamPolicyData = {
  /** The subject of the resource the policy is set on (`project:…`, `gsa:…`, `folder:…`, `organization:…`). */
  resource: string;
  version: number;
  etag: string | null;
  bindings: IamBinding[];
};

/** A custom role (IAM v1 Role), as `roles.list` with `view=FULL` and `showDeleted` gives it. */
export type CustomRoleData = {
  /** `projects/PROJECT_ID/roles/ID` or `organizations/N/roles/ID`, as bindings name it. */
  name: string;
  title: string | null;
  /** v1 permission names (`iam.serviceAccounts.getAccessToken`). */
  includedPermissions: string[];
  /** ALPHA, BETA, GA, DEPRECATED, DISABLED or EAP; a DISABLED role grants nothing. */
  stage: string;
  /** Deleted roles stay bound for a while but grant nothing. */
  deleted: boolean;
};

/** One rule of a deny policy (IAM v2 DenyRule), empty lists as empty arrays. */
export type DenyRuleData = {
  description: string | null;
  /** v2 principal identifiers (`principal://…`, `principalSet://…`). */
  deniedPrincipals: string[];
  exceptionPrincipals: string[];
  /** v2 permission names (`iam.googleapis.com/serviceAccounts.getAccessToken`), `*` allowed for the resource or the verb. */
  deniedPermissions: string[];
  exceptionPermissions: string[];
  /** The CEL condition the rule applies under (resource tags); null when it always applies. */
  denialCondition: { title: string | null; expression: string } | null;
};

/** An IAM v2 deny policy attached to an organization, folder or project. */
export type DenyPolicyData = {
  /** `policies/cloudresourcemanager.googleapis.com%2F…/denypolicies/ID`, as IAM names it. */
  name: string;
  /** The subject it is attached to (`project:ID`, `folder:N`, `organization:N`): it applies there and below. */
  attachedTo: string;
  displayName: string | null;
  rules: DenyRuleData[];
};

export type GsaData = {
  email: string;
  projectId: string;
  uniqueId: string;
  displayName: string | null;
  description: string | null;
  disabled: boolean;
};

export type KeyData = {
  email: string;
  /** The last segment of the key's resource name; equals `private_key_id` in the key file. */
  keyId: string;
  projectId: string;
  keyType: "USER_MANAGED" | "SYSTEM_MANAGED" | string;
  keyAlgorithm: string | null;
  keyOrigin: string | null;
  validAfterTime: string | null;
  validBeforeTime: string | null;
  disabled: boolean;
};

export type ActivityData = {
  /** Day-granular, from Policy Analyzer. */
  lastAuthenticatedTime: string;
};

export type MetadataMode = "GKE_METADATA" | "GCE_METADATA" | "GKE_METADATA_SERVER" | "SECURE" | "EXPOSE" | "UNSPECIFIED" | null;

export type ClusterData = {
  projectId: string;
  projectNumber: string | null;
  location: string;
  name: string;
  /** `PROJECT_ID.svc.id.goog`, or null when Workload Identity is off. */
  workloadPool: string | null;
  autopilot: boolean;
  status: string | null;
  endpoint: string | null;
  currentMasterVersion: string | null;
  nodePools: string[];
  /** The cluster's zones (`locations`). */
  locations?: string[];
  /**
   * Node auto-provisioning (`autoscaling.enableNodeAutoprovisioning`): GKE creates a node pool for a
   * pod no pool fits, so a pod is never Pending for want of a matching pool. Absent on older records.
   */
  nodeAutoprovisioning?: boolean;
  /** The service account auto-provisioned pools run as (`autoprovisioningNodePoolDefaults.serviceAccount`, `default` resolved). */
  autoprovisioningServiceAccount?: string | null;
};

export type NodePoolData = {
  projectId: string;
  location: string;
  cluster: string;
  name: string;
  /** The GSA the nodes run as, with `default` resolved to the project's Compute Engine default account. */
  serviceAccount: string;
  /** The value as the API gave it (absent, empty, `default` or an email). */
  serviceAccountRaw: string | null;
  oauthScopes: string[];
  /** `workloadMetadataConfig.mode`, or the older `nodeMetadata` value. */
  metadataMode: MetadataMode;
  /** Whether the pool's nodes serve the GKE metadata server (Workload Identity works there). */
  servesGkeMetadata: boolean;
  nodeCount: number;
  autopilot: boolean;
  /** Kubernetes labels GKE puts on the pool's nodes (`config.labels`). Absent on older records. */
  labels?: Record<string, string>;
  /** Node taints (`config.taints`), effects as the Kubernetes API writes them (`NoSchedule`, `PreferNoSchedule`, `NoExecute`). */
  taints?: Taint[];
  /** `config.machineType`, e.g. `e2-standard-4` (the node label `node.kubernetes.io/instance-type`). */
  machineType?: string | null;
  /** `config.imageType`, e.g. `COS_CONTAINERD`, `WINDOWS_LTSC_CONTAINERD`. */
  imageType?: string | null;
  spot?: boolean;
  preemptible?: boolean;
  /** `config.accelerators[].acceleratorType` with a count above 0, e.g. `nvidia-tesla-t4`. */
  accelerators?: string[];
  /** `config.taintConfig.architectureTaintBehavior` (`NONE` drops GKE's arm64 taint). */
  architectureTaintBehavior?: string | null;
  /** `config.windowsNodeConfig.osVersion` (`OS_VERSION_LTSC2019`, `OS_VERSION_LTSC2022`). */
  windowsOsVersion?: string | null;
  /** The pool's zones (`locations`). */
  locations?: string[];
  /** `autoscaling`: whether enabled, and the bounds (a pool at 0 nodes can still take pods: it scales up). */
  autoscaling?: { enabled: boolean; minNodeCount: number | null; maxNodeCount: number | null; autoprovisioned: boolean } | null;
};

/** A node taint as Kubernetes writes it. */
export type Taint = { key: string; value: string | null; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" | string };

/** What a fleet member is, from the kind of its `endpoint` (GKE Hub Membership). */
export type MemberKind = "gke" | "attached" | "multicloud" | "onprem" | "edge" | "appliance" | "other";

/** A GKE Hub fleet membership: a cluster registered to the fleet hosted by `projectId`. */
export type MembershipData = {
  /** `projects/P/locations/L/memberships/ID`, as the API names it. */
  name: string;
  /** The fleet host project (the project the membership lives in). */
  projectId: string;
  location: string;
  membershipId: string;
  memberKind: MemberKind;
  /** The endpoint's `resourceLink` (`//container.googleapis.com/projects/…/clusters/C`, `//gkemulticloud…`), or null. */
  resourceLink: string | null;
  /** For GKE members: the cluster subject its resource link names (`cluster:P/L/C`; P may be a project number). */
  gkeCluster: string | null;
  /** `authority.workloadIdentityPool`: the pool its workloads get identities from (null: Workload Identity off on the membership). */
  workloadIdentityPool: string | null;
  /** `authority.issuer`: the cluster's OIDC issuer Google trusts. */
  issuer: string | null;
  /**
   * The pool its workloads get identities from: `workloadIdentityPool`, or — with an issuer but no
   * pool named — the fleet host's `PROJECT_ID.svc.id.goog`. Null: Workload Identity is off on it.
   */
  pool: string | null;
  /** `state.code` (READY, CREATING, DELETING, …). */
  state: string | null;
  /** The endpoint's `clusterMissing`: the underlying cluster resource no longer exists. */
  clusterMissing: boolean;
};

/**
 * An IAM policy on a resource other than a project, folder, organization or service account (a
 * bucket, topic, secret…), as Cloud Asset Inventory returned it for one workload pool's search: only
 * the bindings that matched the pool's name.
 */
export type ResourcePolicyData = {
  /** The full resource name, e.g. `//storage.googleapis.com/acme-invoices`. */
  resource: string;
  /** e.g. `storage.googleapis.com/Bucket`. */
  assetType: string;
  /** `projects/NUMBER` the resource belongs to, when it has one. */
  project: string | null;
  /** The workload pool whose search found it. */
  pool: string;
  bindings: IamBinding[];
};

export type NamespaceData = { name: string; labels: Record<string, string> };

export type KsaData = {
  namespace: string;
  name: string;
  /** The verbatim value of the `iam.gke.io/gcp-service-account` annotation (whitespace and all). */
  gsaAnnotation: string | null;
  /** The same key set as a label instead of an annotation (a common mistake). */
  gsaLabel: string | null;
  automountServiceAccountToken: boolean | null;
  creationTimestamp: string | null;
};

export type NodeData = {
  name: string;
  pool: string | null;
  /** The verbatim `iam.gke.io/gke-metadata-server-enabled` label value. */
  gkeMetadataLabel: string | null;
  zone: string | null;
  /** Every label of the node (scheduling reads them). Absent on older records. */
  labels?: Record<string, string>;
  /** `spec.taints`. */
  taints?: Taint[];
};

/** The parts of a PodSpec that decide which identity a pod has, in the API's own shape. */
export type PodSpecEssentials = {
  serviceAccountName: string;
  hostNetwork: boolean;
  nodeName: string | null;
  nodeSelector: Record<string, string>;
  /** `affinity.nodeAffinity` as given. */
  nodeAffinity: unknown | null;
  /** `tolerations` as given. Absent on older records. */
  tolerations?: unknown[];
  /** Extended resources any container requests or limits (e.g. `nvidia.com/gpu`): GKE tolerates the matching taints for them. */
  extendedResources?: string[];
  automountServiceAccountToken: boolean | null;
  containers: ContainerEssentials[];
  initContainers: ContainerEssentials[];
  ephemeralContainers: ContainerEssentials[];
  volumes: unknown[];
};

/**
 * An `env` entry as the inventory keeps it (lib/inventory/env-values.ts): the name, the `valueFrom`
 * reference, and the value only for the variables that decide identity.
 */
export type EnvEntryData = {
  name: string;
  /** The value, kept only for GOOGLE_APPLICATION_CREDENTIALS (a path), HOME, CLOUDSDK_CONFIG, GCE_METADATA_HOST, GCE_METADATA_IP — and "" for any. */
  value?: string;
  valueFrom?: unknown;
  /**
   * The entry had a value that was not kept: `not-kept` (not an identity variable), `not-a-path`
   * (an identity variable whose value is JSON, multi-line or too long), `credential` (it held a
   * credential). Absent on older records, which kept every value.
   */
  valueWithheld?: "not-kept" | "not-a-path" | "credential";
  /** What the dropped value held when it held a credential: summaries (`dataKey` is the variable's name) and what was found. */
  inlineCredential?: { credentials: SecretCredential[]; credentialTypes: string[] };
};

export type ContainerEssentials = {
  name: string;
  image: string | null;
  /** `env` entries: names, valueFrom references, and the values of identity variables only. */
  env: EnvEntryData[];
  envFrom: unknown[];
  volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
};

export type OwnerRef = { kind: string; name: string };

export type PodData = {
  namespace: string;
  name: string;
  phase: string | null;
  owner: OwnerRef | null;
  /** The workload subject the pod belongs to, resolved through ReplicaSets and Jobs. */
  workload: string;
  /** True when the owning ReplicaSet or Job could not be read and the workload was inferred from names. */
  workloadInferred: boolean;
  /** The `pod-template-hash` label (Deployment pods), used to infer the workload from names. */
  podTemplateHash: string | null;
  spec: PodSpecEssentials;
  startTime: string | null;
};

/**
 * The kinds the scanner lists, and any other controller a pod's ownerReferences name (an Argo
 * Rollout, a Workflow, a SparkApplication, a RayCluster…): such a workload is built from its pods.
 */
export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job" | "ReplicaSet" | "Pod" | (string & {});

export type WorkloadData = {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  /** Desired replicas, where the kind has them. */
  replicas: number | null;
  schedule: string | null;
  suspend: boolean | null;
  template: PodSpecEssentials;
  labels: Record<string, string>;
  creationTimestamp: string | null;
};

export type ReplicaSetData = { namespace: string; name: string; owner: OwnerRef | null };
export type JobData = { namespace: string; name: string; owner: OwnerRef | null };

/** What a Secret holds, without its values. */
export type SecretCredential = {
  /** The data key holding it. */
  dataKey: string;
  /**
   * `service_account`, `external_account`, `impersonated_service_account`, `authorized_user`, …, or
   * `p12`: a PKCS#12 key file (Google's legacy format; its key id is not inside it, so only the data
   * key name and, when its friendly name carries one, the account are known).
   */
  type: string;
  /**
   * The account whose key this is, its id and project: a `service_account` key, or the
   * `service_account` source of an `impersonated_service_account` file. Null for every other type.
   * Never the private key.
   */
  clientEmail: string | null;
  keyId: string | null;
  projectId: string | null;
  /**
   * How the value was stored, outermost layer first, beyond the API's own base64 of `data`: `json`
   * (the file as is), `base64-json` (Terraform's `private_key`), `base64-base64-json`, `yaml` (a key
   * object inside a YAML document), `json-json` (a JSON string field holding the file), `p12`, …
   */
  encoding: "json" | "base64-json" | (string & {});
  /** Where inside a JSON or YAML document the credential sits (`gcp.credentials`); absent at the top. */
  path?: string;
  /**
   * `external_account` / `external_account_authorized_user`: the audience — a workload identity pool
   * provider (`//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X`),
   * a fleet's identity namespace (`identitynamespace:POOL:PROVIDER`) or a workforce pool.
   */
  audience?: string | null;
  /** The account the file impersonates (`service_account_impersonation_url`), if any. */
  impersonates?: string | null;
  /** `impersonated_service_account`: the type of its `source_credentials`. */
  sourceType?: string | null;
};

export type SecretData = {
  namespace: string;
  name: string;
  type: string;
  /** Names of the data keys (never values). */
  dataKeys: string[];
  credentials: SecretCredential[];
  /**
   * What the values were found to hold (lib/inventory/find-credentials.ts `credentialTypes`):
   * `service_account`, `service_account (base64-base64-json)`, `p12`, `pem-private-key`… Absent on
   * records from before it was kept.
   */
  credentialTypes?: string[];
  /**
   * No longer filled: a Secret's values are never kept, whatever they look like. Older records may
   * hold path values here; readers ignore them.
   */
  pathValues?: Record<string, string>;
};

/**
 * The little the scanner keeps of a ConfigMap it read because a pod's GOOGLE_APPLICATION_CREDENTIALS
 * (or ADC's well-known file) comes from it: the keys it looked for, which of them exist, the values
 * that make up the credentials path, and the summary of a credential file. Nothing else of the
 * ConfigMap is read into the inventory.
 */
export type ConfigMapData = {
  namespace: string;
  name: string;
  /** The keys the scanner looked for (env keys and file keys), sorted. */
  looked: string[];
  /** Which of `looked` exist in `data` or `binaryData`. */
  present: string[];
  /** Values of looked-for env keys that are path-like (the one value the issue allows); other values are not kept. */
  values: Record<string, string>;
  /** Credential summaries of looked-for file keys (as for Secrets: type, audience, impersonation target, key id). */
  credentials: SecretCredential[];
  /**
   * The API answered 404 when the scanner asked for it: it does not exist (a missing `optional`
   * source leaves a variable unset). Kept as a record so that one ConfigMap's 403 elsewhere in the
   * cluster does not make this one unknown.
   */
  absent?: boolean;
};
