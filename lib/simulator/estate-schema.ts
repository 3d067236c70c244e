/**
 * The estate file: what the simulator serves as Google Cloud and GKE. Its leaves are the real API
 * objects (IAM ServiceAccount and ServiceAccountKey fields, Resource Manager Project fields,
 * container v1 Cluster fields, Kubernetes objects as `kubectl apply` takes them and as
 * `kubectl get -o yaml` and `helm template` print them); the simulator derives what the real services
 * would (resource names, uniqueIds, nodes, ReplicaSets, Pods, …). Unknown fields on API objects are
 * kept and served as given. Kubernetes objects of kinds the simulator does not serve are accepted and
 * ignored (see load-estate.ts); the kinds below are validated.
 */
import { z } from "zod";

const isoTime = z.iso.datetime({ offset: true, message: "must be an RFC 3339 time such as 2026-11-29T00:00:00Z" });

export const IamConditionSchema = z.looseObject({
  title: z.string().optional(),
  description: z.string().optional(),
  expression: z.string(),
});

export const IamBindingSchema = z.looseObject({
  role: z.string().regex(/^(roles\/|projects\/[^/]+\/roles\/|organizations\/\d+\/roles\/)/, "must be a role name such as roles/editor"),
  members: z.array(z.string().min(1)).default([]),
  condition: IamConditionSchema.optional(),
});

export const IamPolicySchema = z.looseObject({
  version: z.number().int().optional(),
  etag: z.string().optional(),
  bindings: z.array(IamBindingSchema).default([]),
});

export const KeySchema = z.looseObject({
  keyId: z.string().regex(/^[0-9a-f]{40}$/, "must be 40 lower-case hex characters, as Google's key ids are"),
  keyType: z.enum(["USER_MANAGED", "SYSTEM_MANAGED"]).default("USER_MANAGED"),
  keyAlgorithm: z.string().default("KEY_ALG_RSA_2048"),
  keyOrigin: z.string().default("GOOGLE_PROVIDED"),
  validAfterTime: isoTime,
  validBeforeTime: isoTime,
  disabled: z.boolean().optional(),
  /** Policy Analyzer: the last day this key authenticated; absent = none in its window. */
  lastAuthenticatedTime: isoTime.optional(),
});

export const ServiceAccountSchema = z.looseObject({
  email: z
    .string()
    .regex(/^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$|^[0-9]+-compute@developer\.gserviceaccount\.com$|^[a-z0-9-]+@appspot\.gserviceaccount\.com$/, "must be a service account email"),
  displayName: z.string().optional(),
  description: z.string().optional(),
  disabled: z.boolean().optional(),
  uniqueId: z.string().regex(/^\d{21}$/, "must be 21 digits").optional(),
  /** Policy Analyzer: the last day this account authenticated; absent = none in its window. */
  lastAuthenticatedTime: isoTime.optional(),
  iamPolicy: IamPolicySchema.optional(),
  keys: z.array(KeySchema).default([]),
});

/** IAM v1 `Role.stage`: a role's launch stage. A `DISABLED` role stays bound but grants nothing. */
export const ROLE_STAGES = ["ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP"] as const;

/**
 * A custom role, as the IAM v1 Role resource (`gcloud iam roles describe` prints it): served by
 * `roles.list` (permissions only with `view=FULL`, deleted roles only with `showDeleted=true`) and
 * `roles.get`. `name` is `projects/PROJECT_ID/roles/ID` or `organizations/N/roles/ID`.
 */
export const CustomRoleSchema = z.looseObject({
  name: z.string().regex(/^(projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]|organizations\/\d+)\/roles\/[A-Za-z0-9_.]{3,64}$/, "must be projects/PROJECT_ID/roles/ROLE_ID or organizations/N/roles/ROLE_ID"),
  title: z.string().optional(),
  description: z.string().optional(),
  includedPermissions: z.array(z.string().regex(/^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)+$/, "must be a v1 permission such as iam.serviceAccounts.getAccessToken")).default([]),
  /** Google's default for a new role is ALPHA. */
  stage: z.enum(ROLE_STAGES).default("ALPHA"),
  etag: z.string().optional(),
  /** Deleted within the last weeks: still listed with `showDeleted`, still bound, grants nothing. */
  deleted: z.boolean().optional(),
});

const DenyExprSchema = z.looseObject({ expression: z.string(), title: z.string().optional(), description: z.string().optional(), location: z.string().optional() });

/** One rule of an IAM v2 deny policy (`GoogleIamV2PolicyRule`, only `denyRule` exists). */
export const DenyPolicyRuleSchema = z.looseObject({
  description: z.string().optional(),
  denyRule: z.looseObject({
    /** v2 principal identifiers: `principal://…`, `principalSet://…`, `principalSet://goog/public:all`. */
    deniedPrincipals: z.array(z.string().min(1)).default([]),
    exceptionPrincipals: z.array(z.string().min(1)).default([]),
    /** v2 permission names, `SERVICE_FQDN/RESOURCE.VERB`, with `*` for the resource or the verb. */
    deniedPermissions: z.array(z.string().regex(/^[a-z0-9.-]+\.googleapis\.com\/(\*|[A-Za-z0-9]+)\.(\*|[A-Za-z0-9]+)$/, "must be a v2 permission such as iam.googleapis.com/serviceAccounts.getAccessToken")).default([]),
    exceptionPermissions: z.array(z.string()).default([]),
    denialCondition: DenyExprSchema.optional(),
  }),
});

/**
 * An IAM v2 deny policy attached to the organization, a folder or a project: the policy file
 * `gcloud iam policies create POLICY_ID --attachment-point=… --kind=denypolicies --policy-file=…`
 * takes, plus its id. The simulator names it `policies/cloudresourcemanager.googleapis.com%2F…/denypolicies/POLICY_ID`.
 */
export const DenyPolicySchema = z.looseObject({
  policyId: z.string().regex(/^[a-z][a-z0-9.-]{2,62}$/, "must be 3-63 lower-case letters, digits, dashes or periods, starting with a letter"),
  displayName: z.string().optional(),
  uid: z.string().optional(),
  etag: z.string().optional(),
  createTime: isoTime.optional(),
  updateTime: isoTime.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  rules: z.array(DenyPolicyRuleSchema).default([]),
});

const WorkloadMetadataConfigSchema = z.looseObject({
  mode: z.enum(["MODE_UNSPECIFIED", "GCE_METADATA", "GKE_METADATA"]).optional(),
  nodeMetadata: z.enum(["UNSPECIFIED", "SECURE", "EXPOSE", "GKE_METADATA_SERVER"]).optional(),
});

export const NodePoolSchema = z.looseObject({
  name: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a node pool name (lower case, digits, dashes)"),
  initialNodeCount: z.number().int().min(0).max(1000).optional(),
  config: z
    .looseObject({
      serviceAccount: z.string().optional(),
      oauthScopes: z.array(z.string()).optional(),
      machineType: z.string().optional(),
      workloadMetadataConfig: WorkloadMetadataConfigSchema.optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

export const ClusterSchema = z.looseObject({
  name: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a cluster name (lower case, digits, dashes)"),
  location: z.string().regex(/^[a-z]+-[a-z]+\d+(-[a-z])?$/, "must be a region or zone such as asia-northeast1 or asia-northeast1-a"),
  workloadIdentityConfig: z.looseObject({ workloadPool: z.string().optional() }).optional(),
  autopilot: z.looseObject({ enabled: z.boolean().optional() }).optional(),
  nodePools: z.array(NodePoolSchema).default([]),
});

const ObjectMetaSchema = z.looseObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name (lower case, digits, '-' and '.')"),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  /** Kept as given: pods and ReplicaSets owned by kinds the simulator does not model read back with that owner. */
  ownerReferences: z
    .array(
      z.looseObject({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        uid: z.string().optional(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
});

const ContainerSchema = z.looseObject({ name: z.string(), image: z.string().optional() });
export const PodSpecSchema = z.looseObject({
  containers: z.array(ContainerSchema).min(1, "a pod needs at least one container"),
  initContainers: z.array(ContainerSchema).optional(),
  serviceAccountName: z.string().optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  hostNetwork: z.boolean().optional(),
  nodeName: z.string().optional(),
});
const PodTemplateSchema = z.looseObject({
  metadata: z.looseObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  spec: PodSpecSchema,
});

const base = { metadata: ObjectMetaSchema, apiVersion: z.string() };
export const ManifestSchema = z.discriminatedUnion("kind", [
  z.looseObject({ ...base, kind: z.literal("Namespace") }),
  z.looseObject({ ...base, kind: z.literal("ServiceAccount") }),
  z.looseObject({
    ...base,
    kind: z.literal("Secret"),
    type: z.string().optional(),
    data: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "data values must be base64")).optional(),
    stringData: z.record(z.string(), z.string()).optional(),
  }),
  z.looseObject({
    ...base,
    kind: z.literal("ConfigMap"),
    // The API server refuses a number or boolean here ("cannot unmarshal number into … of type string").
    data: z.record(z.string(), z.string({ message: "ConfigMap data values must be strings (quote numbers and booleans, as the API server requires)" })).optional(),
    /** Kept as given: base64 of bytes that are not UTF-8 text. */
    binaryData: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "binaryData values must be base64")).optional(),
    immutable: z.boolean().optional(),
  }),
  z.looseObject({ ...base, kind: z.literal("Deployment"), spec: z.looseObject({ replicas: z.number().int().min(0).optional(), template: PodTemplateSchema }) }),
  z.looseObject({
    ...base,
    kind: z.literal("ReplicaSet"),
    spec: z.looseObject({ replicas: z.number().int().min(0).optional(), template: PodTemplateSchema }),
  }),
  z.looseObject({ ...base, kind: z.literal("StatefulSet"), spec: z.looseObject({ replicas: z.number().int().min(0).optional(), template: PodTemplateSchema }) }),
  z.looseObject({ ...base, kind: z.literal("DaemonSet"), spec: z.looseObject({ template: PodTemplateSchema }) }),
  z.looseObject({ ...base, kind: z.literal("Job"), spec: z.looseObject({ template: PodTemplateSchema }) }),
  z.looseObject({
    ...base,
    kind: z.literal("CronJob"),
    spec: z.looseObject({
      schedule: z.string(),
      suspend: z.boolean().optional(),
      successfulJobsHistoryLimit: z.number().int().min(0).optional(),
      jobTemplate: z.looseObject({ spec: z.looseObject({ template: PodTemplateSchema }) }),
    }),
  }),
  z.looseObject({
    ...base,
    kind: z.literal("Pod"),
    spec: PodSpecSchema,
    /** As `kubectl get pods -o yaml` prints it; a Succeeded or Failed phase is kept, anything else is derived. */
    status: z.looseObject({ phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional() }).optional(),
  }),
]);
export type Manifest = z.infer<typeof ManifestSchema>;

export const EstateClusterSchema = z
  .object({
    cluster: ClusterSchema,
    manifests: z.array(z.unknown()).optional(),
    /** Multi-document YAML of manifests, relative to the estate file. */
    manifestsFile: z.string().optional(),
  })
  .strict();

/**
 * A GKE Hub fleet membership as `projects.locations.memberships` returns it (v1). The endpoint says
 * what the member is (`gkeCluster`, `multiCloudCluster` — attached EKS/AKS clusters included —,
 * `onPremCluster`, `edgeCluster`, `applianceCluster`); `authority.issuer` set means fleet Workload
 * Identity is on for it. Output-only fields the simulator derives when absent: `uniqueId`,
 * `createTime`, `updateTime`, `state.code` (READY), and `authority.workloadIdentityPool` (the fleet
 * host's `PROJECT_ID.svc.id.goog`, once an issuer is set).
 */
export const MembershipSchema = z.looseObject({
  name: z
    .string()
    .regex(/^projects\/[a-z0-9-]+\/locations\/[a-z0-9-]+\/memberships\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be projects/PROJECT/locations/LOCATION/memberships/ID"),
  endpoint: z.looseObject({}).optional(),
  authority: z
    .looseObject({
      issuer: z.string().startsWith("https://", "must be an https:// OIDC issuer URI").optional(),
      workloadIdentityPool: z.string().optional(),
    })
    .optional(),
  state: z.looseObject({ code: z.enum(["CODE_UNSPECIFIED", "CREATING", "READY", "DELETING", "UPDATING", "SERVICE_UPDATING"]) }).optional(),
});

/**
 * An IAM policy on a resource other than a project, folder, organization or service account, in Cloud
 * Asset Inventory's IamPolicySearchResult shape: `resource` (full resource name), `assetType`,
 * `policy`. The simulator adds `project`, `folders` and `organization` from where the project sits.
 */
export const ResourcePolicySchema = z.looseObject({
  resource: z.string().regex(/^\/\/[a-z0-9.-]+\.googleapis\.com\/\S+$/, "must be a full resource name such as //storage.googleapis.com/BUCKET"),
  assetType: z.string().regex(/^[a-z0-9.-]+\.googleapis\.com\/[A-Za-z]+$/, "must be an asset type such as storage.googleapis.com/Bucket"),
  policy: IamPolicySchema,
});

export const ProjectSchema = z.strictObject({
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a project id (6-30 lower-case letters, digits, dashes)"),
  projectNumber: z.string().regex(/^\d{6,19}$/, "must be the project number as a string of digits"),
  displayName: z.string().optional(),
  /** `organizations/N` or `folders/N`; defaults to the organization when there is one. */
  parent: z.string().regex(/^(organizations|folders)\/\d+$/, "must be organizations/N or folders/N").optional(),
  labels: z.record(z.string(), z.string()).optional(),
  iamPolicy: IamPolicySchema.optional(),
  /** APIs not enabled in this project: calls to them answer 403 SERVICE_DISABLED, as Google does. */
  disabledApis: z
    .array(z.enum(["iam.googleapis.com", "container.googleapis.com", "policyanalyzer.googleapis.com", "cloudresourcemanager.googleapis.com", "cloudasset.googleapis.com", "gkehub.googleapis.com"]))
    .optional(),
  serviceAccounts: z.array(ServiceAccountSchema).default([]),
  clusters: z.array(EstateClusterSchema).default([]),
  createTime: isoTime.optional(),
  /** Fleet memberships registered in this project (it is their fleet host), in the GKE Hub wire format. */
  memberships: z.array(MembershipSchema).default([]),
  /** IAM policies on this project's buckets, topics, secrets…, served by Cloud Asset Inventory's searchAllIamPolicies. */
  resourcePolicies: z.array(ResourcePolicySchema).default([]),
  /** Custom roles defined in this project (IAM v1 Role resources named `projects/PROJECT_ID/roles/…`). */
  customRoles: z.array(CustomRoleSchema).optional(),
  /** IAM v2 deny policies attached to this project. */
  denyPolicies: z.array(DenyPolicySchema).optional(),
  /** Pub/Sub topics (issue 13): a Topic resource each (`name: projects/PROJECT_ID/topics/ID`); `topics.publish` to any other is 404. */
  pubsubTopics: z
    .array(
      z.looseObject({
        name: z.string().regex(/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/, "must be a topic name projects/PROJECT_ID/topics/TOPIC_ID"),
        labels: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
});

export const FolderSchema = z.looseObject({
  name: z.string().regex(/^folders\/\d+$/, "must be folders/N"),
  displayName: z.string(),
  parent: z.string().regex(/^(organizations|folders)\/\d+$/, "must be organizations/N or folders/N").optional(),
  iamPolicy: IamPolicySchema.optional(),
  /** IAM v2 deny policies attached to this folder. */
  denyPolicies: z.array(DenyPolicySchema).optional(),
});

export const FaultSchema = z
  .object({
    match: z
      .object({
        method: z.enum(["GET", "POST"]).optional(),
        /** The request path; `*` matches within a segment, `**` across segments. */
        path: z.string().startsWith("/", "must start with /"),
        /** Query parameters that must all be present with these values. */
        query: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    /** HTTP status to answer with (default 500); the body is the API's own error format. */
    status: z.number().int().min(200).max(599).optional(),
    message: z.string().optional(),
    /**
     * Google `status` (e.g. PERMISSION_DENIED) or Kubernetes `reason` (e.g. Forbidden); derived from the code when absent.
     * With status 403, `SERVICE_DISABLED` answers as Google does when the API is off in the caller's project.
     */
    reason: z.string().optional(),
    /** For `reason: SERVICE_DISABLED`: the number of the project the API is off in (default: the estate's first project). */
    consumer: z
      .union([z.string().regex(/^\d+$/, "must be a project number"), z.number().int().nonnegative().transform(String)])
      .optional(),
    /** The permission a 403 names; defaults to the one the endpoint needs. */
    permission: z.string().optional(),
    retryAfter: z.number().int().min(0).optional(),
    /** How many matching requests fail; absent = every one. */
    times: z.number().int().min(1).optional(),
    /** Never answer (the client's timeout ends the request). */
    hang: z.boolean().optional(),
    /** For cluster lists: answer 200 with these zones in `missingZones` and their clusters left out. */
    missingZones: z.array(z.string()).optional(),
    /** For Kubernetes lists: fail only requests that carry a `continue` token (a list that breaks midway). */
    onContinue: z.boolean().optional(),
    /**
     * For Kubernetes lists: answer 200, but hand back the `continue` token the request carried (the
     * first page's on the first request), so a client that follows tokens never reaches the end.
     */
    repeatContinue: z.boolean().optional(),
  })
  .strict();
export type Fault = z.infer<typeof FaultSchema>;

export const EstateSchema = z
  .object({
    now: isoTime.optional(),
    organization: z.looseObject({
      name: z.string().regex(/^organizations\/\d+$/, "must be organizations/N"),
      displayName: z.string(),
      iamPolicy: IamPolicySchema.optional(),
      /** Custom roles defined in the organization (`organizations/N/roles/…`). */
      customRoles: z.array(CustomRoleSchema).optional(),
      /** IAM v2 deny policies attached to the organization. */
      denyPolicies: z.array(DenyPolicySchema).optional(),
    }).optional(),
    folders: z.array(FolderSchema).default([]),
    projects: z.array(ProjectSchema).default([]),
    faults: z.array(FaultSchema).default([]),
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    /** How far Cloud Asset Inventory lags behind: after a reload it serves the previous estate this long. */
    assetLagSeconds: z.number().int().min(0).max(86_400).default(0),
    /** A description shown by the simulator; free text. */
    description: z.string().optional(),
  })
  .strict();

export type Estate = z.infer<typeof EstateSchema>;
export type EstateProject = z.infer<typeof ProjectSchema>;
export type EstateServiceAccount = z.infer<typeof ServiceAccountSchema>;
export type EstateKey = z.infer<typeof KeySchema>;
export type EstateCluster = z.infer<typeof EstateClusterSchema>;
export type IamPolicy = z.infer<typeof IamPolicySchema>;
export type EstateMembership = z.infer<typeof MembershipSchema>;
export type EstateResourcePolicy = z.infer<typeof ResourcePolicySchema>;
export type EstateCustomRole = z.infer<typeof CustomRoleSchema>;
export type EstateDenyPolicy = z.infer<typeof DenyPolicySchema>;
