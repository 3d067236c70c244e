/**
 * What the analysis works out from one scan's inventory: who each workload really is to Google
 * (effective identity, with the reason), how far it is through the article's migration steps, how
 * the two halves of each Workload Identity link reconcile, and the findings with their fixes.
 * Where the data to decide is missing, answers are `unknown` / `unverified` with the sources lacked.
 */

import type { IamCondition } from "../inventory/model";

/** A source that could not be read, named as on the coverage page (`k8s.secrets:P/L/C`). */
export type Lacking = string[];

/** How a Workload Identity link to a GSA resolves. */
export type WiStatus = "working" | "conditional" | "broken" | "unknown";

/** A role grant that lets a Kubernetes identity act as a GSA (or holds a role directly). */
export type Grant = {
  /** Where the grant sits: `gsa:…`, `project:…`, `folder:…`, `organization:…`, or a resource by full name (`resource://storage.googleapis.com/BUCKET`). */
  resource: string;
  role: string;
  member: string;
  /** The IAM condition's title or expression, when the grant is conditional. */
  condition: string | null;
};

/**
 * How the credential file was found: named by GOOGLE_APPLICATION_CREDENTIALS (identities leave `via`
 * out then), or at ADC's well-known path ($HOME/.config/gcloud/application_default_credentials.json).
 */
export type CredentialVia = "GOOGLE_APPLICATION_CREDENTIALS" | "well-known-file";

/** A deny rule (IAM v2) that takes getAccessToken on a GSA away from a KSA. */
export type DenyHit = {
  /** The policy's resource name (`policies/cloudresourcemanager.googleapis.com%2F…/denypolicies/ID`). */
  policy: string;
  policyId: string;
  displayName: string | null;
  /** Where it is attached (`project:…`, `folder:…`, `organization:…`): it applies there and below. */
  attachedTo: string;
  /** The rule's description, or `rule N`. */
  rule: string;
  /** The denied principal that covers the KSA. */
  principal: string;
  /** The denied permission (or permission group) that covers getAccessToken. */
  permission: string;
  /** The rule's denialCondition (title or expression): whether it applies cannot be told. */
  condition: string | null;
};

export type Identity =
  | {
      /** A service account key file (or an impersonated_service_account file whose source is one). */
      type: "key-file";
      /** The key's account (the impersonation source's, for an impersonated_service_account file). */
      email: string | null;
      keyId: string | null;
      /** The Secret (or ConfigMap: `configmap:…`) holding the file. */
      secret: string;
      dataKey: string;
      path: string;
      container: string;
      /** Whether the key id still exists in IAM (null: its project was not scanned or keys unknown). */
      keyExists: boolean | null;
      /** The account an impersonated_service_account file acts as with that key; null otherwise. */
      impersonates?: string | null;
      via?: CredentialVia;
    }
  | {
      /**
       * A credential file holding a person's refresh token (authorized_user,
       * external_account_authorized_user, or an impersonated_service_account whose source is one),
       * or an impersonation whose source could not be told: flagged like a key.
       */
      type: "credential-file";
      credentialType: string;
      /** The account it impersonates, if any. */
      email: string | null;
      secret: string;
      path: string;
      container: string;
      /** impersonated_service_account: the type of its source credentials. */
      sourceType?: string | null;
      via?: CredentialVia;
    }
  | {
      /**
       * A Workload Identity Federation credential configuration (external_account — GKE fleets,
       * attached clusters, AWS, Azure, OIDC — or an impersonated_service_account over one): keyless.
       * The platform's token is exchanged for a federated token of `principal`.
       */
      type: "external-account";
      credentialType: string;
      /**
       * The federated principal: for a fleet (`identitynamespace:` audience) the pod's KSA in the fleet's
       * pool; for a provider audience the pool's principalSet (which member depends on the provider's mapping).
       */
      principal: string;
      /** The workload identity pool (`projects/N/locations/global/workloadIdentityPools/P` or `PROJECT.svc.id.goog`). */
      pool: string;
      audience: string | null;
      /** The service account it impersonates, if any. */
      email: string | null;
      /** The Secret or ConfigMap (`configmap:…`) holding the configuration. */
      secret: string;
      path: string;
      container: string;
      via?: CredentialVia;
    }
  | {
      /**
       * GOOGLE_APPLICATION_CREDENTIALS is set but the file cannot be resolved: ADC fails on it, it does
       * not fall through. With `possible`, it is not even known to be set (it could only come from a
       * source that could not be read), or the file is reachable only through CLOUDSDK_CONFIG, which
       * some client libraries read and others do not.
       */
      type: "unknown-key-file";
      path: string | null;
      container: string;
      reason: string;
      lacking: Lacking;
      possible?: boolean;
    }
  | {
      /** The node's service account through the GCE metadata server. */
      type: "node";
      email: string;
      pool: string | null;
      scopes: string[];
      reason: "host-network" | "legacy-pool" | "no-workload-pool";
    }
  | {
      /** The GSA named by the KSA's annotation, through the GKE metadata server. */
      type: "workload-identity";
      email: string;
      /** The annotation exactly as written. */
      annotation: string;
      status: WiStatus;
      reason: string;
      grants: Grant[];
      lacking: Lacking;
      /** Deny rules that take the grant away (with a denialCondition: the link is then `unknown`). */
      denied?: DenyHit[];
      /** Deny-policy sources that could not be read: a rule there could still block a `working` link. */
      denyUnread?: Lacking;
    }
  | {
      /** No annotation: the KSA's own federated principal (`gcloud auth list` shows the pool). */
      type: "federated";
      principal: string;
      pool: string;
      grants: Grant[];
    }
  | { type: "pending"; reason: string }
  | { type: "unknown"; reason: string; lacking: Lacking };

export type IdentityType = Identity["type"];

/** One distinct identity among a workload's pods and containers, and how many use it. */
export type IdentityShare = { identity: Identity; label: string; pods: number; containers: string[] };

export type WorkloadIdentity = {
  /** `single`: all pods agree; `mixed`: they do not; `predicted`: no pods, worked out from the template and the pools it could land on. */
  mode: "single" | "mixed" | "predicted" | "none";
  shares: IdentityShare[];
  /** The summary shown in tables and CSVs: an email, a principal, `mixed`, `pending`, `unknown`. */
  label: string;
  /** key-file | node | workload-identity | federated | credential-file | external-account | unknown-key-file | pending | unknown | mixed */
  source: string;
};

export type StepState = "done" | "todo" | "n/a" | "unknown";

export type Step = { n: number; id: string; title: string; state: StepState; evidence: string };

export const STEP_DEFS = [
  { n: 1, id: "step1_workload_pool", title: "Cluster has a workload pool" },
  { n: 2, id: "step2_gke_metadata_pool", title: "A GKE-metadata node pool exists" },
  { n: 3, id: "step3_own_ksa_annotated", title: "Its own KSA, annotated with its GSA" },
  { n: 4, id: "step4_on_gke_metadata_nodes", title: "Pods run on GKE-metadata nodes" },
  { n: 5, id: "step5_binding_exists", title: "The workloadIdentityUser binding exists" },
  { n: 6, id: "step6_identity_is_gsa", title: "Effective identity is the annotated GSA" },
  { n: 7, id: "step7_no_key_file", title: "No key file used or mounted" },
] as const;

/**
 * Where a workload stands in the migration, by what its pods hold rather than by the article's steps:
 *  - `migrated`: every pod acts as the annotated GSA through a working Workload Identity link;
 *  - `federated`: its KSA's own principal, with direct grants found (Google's preferred end state),
 *    or another keyless credential of its own;
 *  - `no-google-identity-needed`: no GSA, no key, no grant found to its principal — nothing to migrate;
 *  - `to-migrate`: a legacy path is still held (a key file or a person's credential file, a node's
 *    account, a broken Workload Identity link, a mounted key), or its pods do not run yet;
 *  - `unknown`: what it holds could not be told (a source failed, a conditional grant, an unreadable file).
 * The first three are done: the migration's share is the share of workloads off every legacy path.
 */
export type MigrationStatus = "migrated" | "federated" | "no-google-identity-needed" | "to-migrate" | "unknown";
export const MIGRATION_STATUSES: MigrationStatus[] = ["migrated", "federated", "no-google-identity-needed", "to-migrate", "unknown"];
/** The statuses that count as done. */
export const DONE_STATUSES: ReadonlySet<MigrationStatus> = new Set(["migrated", "federated", "no-google-identity-needed"]);

export type WorkloadStatus = {
  subject: string;
  project: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  ksa: string;
  pods: number;
  /** Pods not scheduled (Pending). */
  pendingPods: number;
  /** Node pools its pods run on, sorted. */
  nodePools: string[];
  identity: WorkloadIdentity;
  steps: Step[];
  /** Done: off every legacy path (`migration` is `migrated`, `federated` or `no-google-identity-needed`). */
  migrated: boolean;
  /** Where it stands: see MigrationStatus. */
  migration: MigrationStatus;
  /** Why it has that status, in a sentence. */
  migrationReason: string;
  /** The legacy paths its pods still hold (empty unless `to-migrate`). */
  legacyPaths: string[];
  /** Google's preferred end state: its federated principal with direct grants, no GSA, no key (`migration` = `federated`). */
  federatedEndState: boolean;
  /** Whether it lives in a GKE-managed namespace (kube-system, gke-*, gmp-*): shown, not counted. */
  system: boolean;
  /** The remaining steps as paste-able changes (empty once migrated). */
  plan: Fix[];
};

export type Severity = "critical" | "high" | "medium" | "low" | "info";
export const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low", "info"];

export type FixKind = "kubernetes-yaml" | "terraform" | "gcloud" | "kubectl" | "note";
export type Fix = { kind: FixKind; title: string; content: string };

/** What a rule reports about one subject. */
export type FindingDraft = {
  subject: string;
  /** `open`: the rule fires; `unverified`: an absence rule could not be decided because a source it needs failed or was out of scope. */
  state: "open" | "unverified";
  message: string;
  evidence: Record<string, unknown>;
  /**
   * Or a function that makes them: a rule whose fixes are long text gives one, so that a scan makes
   * them only as the finding's row is written (see runAnalysis's deferFixes). It must give the same
   * fixes whenever it is called: it reads the analysis's inputs only, never what a later rule changes,
   * and never a status's `plan` (empty while the scan's plans are deferred too).
   */
  fixes: Fix[] | (() => Fix[]);
  lacking?: Lacking;
  /** This finding's own severity, when the rule grades its findings (e.g. `low` where the rule's risk is not live yet); the rule's otherwise. */
  severity?: Severity;
  /** Filter columns; derived from the subject when omitted. */
  project?: string | null;
  cluster?: string | null;
  namespace?: string | null;
  gsa?: string | null;
};

export type Finding = Omit<FindingDraft, "fixes"> & { fixes: Fix[]; rule: string; severity: Severity; title: string };

/** The reconciliation of one GSA × role × member: does each half of the link have its other half? */
export type BindingState =
  | "ok" // the member's KSA exists and is annotated with this GSA
  | "not-annotated" // the KSA exists but is not annotated with this GSA
  | "stale" // the KSA exists in no cluster using the pool
  | "unverified" // cluster KSA lists incomplete, or the pool's clusters were not scanned
  | "broad" // a namespace-wide principalSet or a grant on a project/folder/organization
  | "deleted" // a `deleted:…?uid=…` member: the principal is gone, the grant gives nothing to anyone
  | "inactive" // a custom token role that grants nothing (DISABLED, deleted, gone)
  | "other"; // not a Kubernetes member (users, groups, other service accounts)

export type BindingRow = {
  gsa: string;
  role: string;
  member: string;
  /** Where the grant sits (`gsa:…` for the GSA's own policy, else the project/folder/organization). */
  resource: string;
  /** The IAM condition's title or expression, when the binding is conditional. */
  condition: string | null;
  /** The condition exactly as the policy holds it (a fix that removes this binding must name it). */
  iamCondition: IamCondition | null;
  pool: string | null;
  namespace: string | null;
  ksaName: string | null;
  /** KSA subjects in clusters using the pool that match the member. */
  ksas: string[];
  state: BindingState;
  detail: string;
  /**
   * What leaves the row undecided: the pool's clusters not read (unverified rows, and not-annotated
   * ones in a pool not read in full), and a custom role whose definition could not be read.
   */
  lacking?: string[];
};

/**
 * A GSA's spread, and the shared-account score that ranks it. The lists name the real objects; the
 * score counts distinct identities: Workload Identity names a KSA by pool, namespace and name only, so
 * one app deployed to every cluster of a fleet (clusters sharing a workload pool) is one user.
 */
export type GsaUsage = {
  email: string;
  project: string | null;
  /** KSA subjects annotated with it (every copy, cluster by cluster). */
  ksas: string[];
  /** Namespaces (`P/L/C/NS`) where a KSA annotated with it or a Secret holding its key sits. */
  namespaces: string[];
  clusters: string[];
  projects: string[];
  keySecrets: string[];
  /** Distinct KSA identities annotated with it: `POOL[NS/KSA]`, or `cluster:P/L/C[NS/KSA]` for a cluster without a workload pool. */
  identities: string[];
  /** Distinct namespaces using it, one per pool (`POOL/NS`, or `cluster:P/L/C/NS` without a pool). */
  poolNamespaces: string[];
  /** Workload pools using it, and clusters without one (each counts alone). */
  pools: string[];
  /** Distinct key Secrets, one per pool, namespace and name (`POOL/NS/NAME`): copies synced to every cluster of a fleet count once. */
  keyPlaces: string[];
  basicRoles: string[];
  adminRoles: string[];
  score: number;
  /** What the score is made of, term by term. */
  scoreParts: { what: string; count: number; weight: number; points: number }[];
};
