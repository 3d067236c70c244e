/**
 * Google API objects → inventory records. Required fields are read directly and a missing one
 * throws (a failed source beats malformed data); optional ones become null.
 */
import { subject } from "../ids";
import type {
  ActivityData,
  ClusterData,
  CustomRoleData,
  DenyPolicyData,
  DenyRuleData,
  FolderData,
  GsaData,
  IamBinding,
  IamPolicyData,
  InventoryRecord,
  KeyData,
  MemberKind,
  MembershipData,
  MetadataMode,
  NodePoolData,
  OrganizationData,
  ProjectData,
  ResourcePolicyData,
} from "./model";

export class MalformedResponseError extends Error {
  constructor(what: string, field: string) {
    super(`Malformed API response: ${what} has no ${field}`);
    this.name = "MalformedResponseError";
  }
}

type Obj = Record<string, unknown>;

function req(o: Obj, field: string, what: string): string {
  const v = o[field];
  if (typeof v !== "string" || v === "") throw new MalformedResponseError(what, field);
  return v;
}
function opt(o: Obj | undefined | null, field: string): string | null {
  const v = o?.[field];
  return typeof v === "string" && v !== "" ? v : null;
}

export function transformProject(p: Obj, source: string): InventoryRecord<ProjectData> {
  const projectId = req(p, "projectId", "project");
  // v3 names projects `projects/NUMBER`; v1 has `projectNumber`.
  const number = opt(p, "projectNumber") ?? (typeof p.name === "string" && p.name.startsWith("projects/") ? p.name.slice(9) : null);
  if (!number) throw new MalformedResponseError(`project ${projectId}`, "projectNumber");
  let parent: string | null = null;
  if (typeof p.parent === "string") parent = p.parent;
  else if (p.parent && typeof p.parent === "object") {
    const t = (p.parent as Obj).type;
    const id = (p.parent as Obj).id;
    if (typeof t === "string" && typeof id === "string") parent = `${t === "organization" ? "organizations" : "folders"}/${id}`;
  }
  return {
    kind: "project",
    subject: subject.project(projectId),
    source,
    project: projectId,
    data: {
      projectId,
      projectNumber: number,
      // v1 (projectNumber, lifecycleState) calls the display name `name`; v3 uses `name` for projects/NUMBER.
      displayName: opt(p, "displayName") ?? ("projectNumber" in p || "lifecycleState" in p ? opt(p, "name") : null),
      parent,
      state: opt(p, "state") ?? opt(p, "lifecycleState"),
      labels: (p.labels as Record<string, string> | undefined) ?? {},
    },
  };
}

export function transformFolder(f: Obj, source: string): InventoryRecord<FolderData> {
  const name = req(f, "name", "folder");
  return { kind: "folder", subject: subject.folder(name), source, data: { name, displayName: opt(f, "displayName"), parent: opt(f, "parent") } };
}

export function transformOrganization(o: Obj, source: string): InventoryRecord<OrganizationData> {
  const name = req(o, "name", "organization");
  return { kind: "organization", subject: subject.organization(name), source, data: { name, displayName: opt(o, "displayName") } };
}

export function transformPolicy(policy: Obj, resourceSubject: string, source: string, project: string | null): InventoryRecord<IamPolicyData> {
  const bindings: IamBinding[] = ((policy.bindings as Obj[] | undefined) ?? []).map((b) => {
    const role = req(b, "role", `binding on ${resourceSubject}`);
    const c = b.condition as Obj | undefined;
    return {
      role,
      members: ((b.members as string[] | undefined) ?? []).slice().sort(),
      condition: c ? { title: opt(c, "title"), expression: String(c.expression ?? ""), description: opt(c, "description") } : null,
    };
  });
  bindings.sort((a, b) => (a.role + JSON.stringify(a.condition) < b.role + JSON.stringify(b.condition) ? -1 : 1));
  return {
    kind: "iam-policy",
    subject: resourceSubject,
    source,
    project,
    data: {
      resource: resourceSubject,
      version: typeof policy.version === "number" ? policy.version : 1,
      // The etag changes whenever the policy does; keeping it would add nothing the bindings do not say.
      etag: null,
      bindings,
    },
  };
}

export function transformCustomRole(r: Obj, source: string): InventoryRecord<CustomRoleData> {
  const name = req(r, "name", "custom role");
  const m = /^(projects|organizations)\/([^/]+)\/roles\/[^/]+$/.exec(name);
  if (!m) throw new MalformedResponseError(`role ${name}`, "a name of the form projects/P/roles/R or organizations/N/roles/R");
  return {
    kind: "custom-role",
    subject: `role:${name}`,
    source,
    project: m[1] === "projects" ? m[2] : null,
    data: {
      name,
      title: opt(r, "title"),
      includedPermissions: ((r.includedPermissions as string[] | undefined) ?? []).slice().sort(),
      // Proto3 JSON may leave out the enum's first value: an absent stage is ALPHA.
      stage: opt(r, "stage") ?? "ALPHA",
      deleted: r.deleted === true,
    },
  };
}

export function transformDenyPolicy(p: Obj, source: string, attachedTo: string, project: string | null): InventoryRecord<DenyPolicyData> {
  const name = req(p, "name", "deny policy");
  const list = (o: Obj, field: string) => ((o[field] as string[] | undefined) ?? []).slice();
  const rules: DenyRuleData[] = ((p.rules as Obj[] | undefined) ?? []).map((rule) => {
    const d = (rule.denyRule ?? {}) as Obj;
    const c = d.denialCondition as Obj | undefined;
    return {
      description: opt(rule, "description"),
      deniedPrincipals: list(d, "deniedPrincipals"),
      exceptionPrincipals: list(d, "exceptionPrincipals"),
      deniedPermissions: list(d, "deniedPermissions"),
      exceptionPermissions: list(d, "exceptionPermissions"),
      denialCondition: c && typeof c.expression === "string" && c.expression !== "" ? { title: opt(c, "title"), expression: c.expression } : null,
    };
  });
  return { kind: "deny-policy", subject: `deny-policy:${name}`, source, project, data: { name, attachedTo, displayName: opt(p, "displayName"), rules } };
}

export function transformServiceAccount(sa: Obj, source: string): InventoryRecord<GsaData> {
  const email = req(sa, "email", "service account").toLowerCase();
  const projectId = req(sa, "projectId", `service account ${email}`);
  return {
    kind: "gsa",
    subject: subject.gsa(email),
    source,
    project: projectId,
    data: {
      email,
      projectId,
      uniqueId: req(sa, "uniqueId", `service account ${email}`),
      displayName: opt(sa, "displayName"),
      description: opt(sa, "description"),
      disabled: sa.disabled === true,
    },
  };
}

export function transformKey(k: Obj, source: string): InventoryRecord<KeyData> {
  const name = req(k, "name", "service account key");
  const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys\/([^/]+)$/.exec(name);
  if (!m) throw new MalformedResponseError(`key ${name}`, "a name of the form projects/P/serviceAccounts/EMAIL/keys/ID");
  const email = m[2].toLowerCase();
  const projectId = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ?? m[1];
  return {
    kind: "key",
    subject: subject.key(email, m[3]),
    source,
    project: projectId,
    data: {
      email,
      keyId: m[3],
      projectId,
      keyType: opt(k, "keyType") ?? "USER_MANAGED",
      keyAlgorithm: opt(k, "keyAlgorithm"),
      keyOrigin: opt(k, "keyOrigin"),
      validAfterTime: opt(k, "validAfterTime"),
      validBeforeTime: opt(k, "validBeforeTime"),
      disabled: k.disabled === true,
    },
  };
}

/**
 * Policy Analyzer activity → activity record. Service accounts may be named by email or uniqueId in
 * `fullResourceName`; `uniqueIdToEmail` maps the latter.
 */
export function transformActivity(
  a: Obj,
  source: string,
  project: string,
  uniqueIdToEmail: Map<string, string>,
): InventoryRecord<ActivityData> | undefined {
  const full = req(a, "fullResourceName", "activity");
  const activity = (a.activity ?? {}) as Obj;
  const last = opt(activity, "lastAuthenticatedTime");
  if (!last) return undefined;
  const m = /\/serviceAccounts\/([^/]+)(?:\/keys\/([^/]+))?$/.exec(full);
  if (!m) return undefined;
  const email = (m[1].includes("@") ? m[1] : uniqueIdToEmail.get(m[1]))?.toLowerCase();
  if (!email) return undefined;
  if (m[2]) return { kind: "key-activity", subject: subject.key(email, m[2]), source, project, data: { lastAuthenticatedTime: last } };
  return { kind: "gsa-activity", subject: subject.gsa(email), source, project, data: { lastAuthenticatedTime: last } };
}

function metadataMode(pool: Obj): MetadataMode {
  const wmc = ((pool.config as Obj | undefined)?.workloadMetadataConfig ?? {}) as Obj;
  const v = (wmc.mode ?? wmc.nodeMetadata) as string | undefined;
  if (!v) return null;
  if (["GKE_METADATA", "GCE_METADATA", "GKE_METADATA_SERVER", "SECURE", "EXPOSE"].includes(v)) return v as MetadataMode;
  return "UNSPECIFIED";
}

/** The container API's taint effect enum (`NO_SCHEDULE`) as Kubernetes writes it on the nodes (`NoSchedule`). */
const TAINT_EFFECTS: Record<string, string> = { NO_SCHEDULE: "NoSchedule", PREFER_NO_SCHEDULE: "PreferNoSchedule", NO_EXECUTE: "NoExecute" };

/** A cluster and its node pools. `default` node accounts resolve to the project's Compute Engine default. */
export function transformCluster(
  c: Obj,
  projectId: string,
  projectNumber: string | null,
  source: string,
): { cluster: InventoryRecord<ClusterData>; nodePools: InventoryRecord<NodePoolData>[] } {
  const name = req(c, "name", "cluster");
  const location = opt(c, "location") ?? req(c, "zone", `cluster ${name}`);
  const ref = { project: projectId, location, name };
  const clusterSubject = subject.cluster(ref);
  const autopilot = ((c.autopilot as Obj | undefined)?.enabled ?? false) === true;
  const workloadPool = opt(c.workloadIdentityConfig as Obj | undefined, "workloadPool") ?? (autopilot ? `${projectId}.svc.id.goog` : null);
  const pools = (c.nodePools as Obj[] | undefined) ?? [];
  const defaultAccount = (raw: string | null) => (!raw || raw === "default" ? (projectNumber ? `${projectNumber}-compute@developer.gserviceaccount.com` : "default") : raw.toLowerCase());
  const cas = (c.autoscaling ?? {}) as Obj;
  const napDefaults = (cas.autoprovisioningNodePoolDefaults ?? {}) as Obj;
  const nodePools = pools.map((p): InventoryRecord<NodePoolData> => {
    const pname = req(p, "name", `node pool of ${name}`);
    const cfg = (p.config ?? {}) as Obj;
    const raw = typeof cfg.serviceAccount === "string" ? cfg.serviceAccount : null;
    const resolved = defaultAccount(raw);
    const as = p.autoscaling as Obj | undefined;
    const mode = metadataMode(p);
    const serves = autopilot || (!!workloadPool && (mode === "GKE_METADATA" || mode === "GKE_METADATA_SERVER"));
    const count =
      typeof p.initialNodeCount === "number" ? p.initialNodeCount * Math.max(1, ((p.locations as unknown[]) ?? []).length || 1) : 0;
    return {
      kind: "nodepool",
      subject: subject.nodepool(ref, pname),
      source,
      project: projectId,
      cluster: clusterSubject,
      data: {
        projectId,
        location,
        cluster: name,
        name: pname,
        serviceAccount: resolved,
        serviceAccountRaw: raw,
        oauthScopes: ((cfg.oauthScopes as string[] | undefined) ?? []).slice(),
        metadataMode: mode,
        servesGkeMetadata: serves,
        nodeCount: count,
        autopilot,
        labels: { ...((cfg.labels as Record<string, string> | undefined) ?? {}) },
        taints: ((cfg.taints as Obj[] | undefined) ?? [])
          .filter((t) => typeof t.key === "string")
          .map((t) => ({ key: t.key as string, value: opt(t, "value"), effect: TAINT_EFFECTS[String(t.effect)] ?? String(t.effect ?? "") })),
        machineType: opt(cfg, "machineType"),
        imageType: opt(cfg, "imageType"),
        spot: cfg.spot === true,
        preemptible: cfg.preemptible === true,
        accelerators: ((cfg.accelerators as Obj[] | undefined) ?? [])
          .filter((a) => Number(a.acceleratorCount ?? 1) > 0)
          .map((a) => opt(a, "acceleratorType"))
          .filter((x): x is string => !!x),
        architectureTaintBehavior: opt(cfg.taintConfig as Obj | undefined, "architectureTaintBehavior"),
        windowsOsVersion: opt(cfg.windowsNodeConfig as Obj | undefined, "osVersion"),
        locations: ((p.locations as string[] | undefined) ?? []).slice(),
        autoscaling: as
          ? {
              enabled: as.enabled === true,
              minNodeCount: typeof as.minNodeCount === "number" ? as.minNodeCount : typeof as.totalMinNodeCount === "number" ? as.totalMinNodeCount : null,
              maxNodeCount: typeof as.maxNodeCount === "number" ? as.maxNodeCount : typeof as.totalMaxNodeCount === "number" ? as.totalMaxNodeCount : null,
              autoprovisioned: as.autoprovisioned === true,
            }
          : null,
      },
    };
  });
  return {
    cluster: {
      kind: "cluster",
      subject: clusterSubject,
      source,
      project: projectId,
      cluster: clusterSubject,
      data: {
        projectId,
        projectNumber,
        location,
        name,
        workloadPool,
        autopilot,
        status: opt(c, "status"),
        endpoint: opt(c, "endpoint"),
        currentMasterVersion: opt(c, "currentMasterVersion"),
        nodePools: nodePools.map((p) => p.data.name),
        locations: ((c.locations as string[] | undefined) ?? []).slice(),
        nodeAutoprovisioning: cas.enableNodeAutoprovisioning === true,
        autoprovisioningServiceAccount: cas.enableNodeAutoprovisioning === true ? defaultAccount(opt(napDefaults, "serviceAccount")) : null,
      },
    },
    nodePools,
  };
}

const ENDPOINT_KINDS: [field: string, kind: MemberKind][] = [
  ["gkeCluster", "gke"],
  ["multiCloudCluster", "multicloud"],
  ["onPremCluster", "onprem"],
  ["edgeCluster", "edge"],
  ["applianceCluster", "appliance"],
];

/** A GKE Hub Membership. Its endpoint says what the member is; its authority, which pool its workloads use. */
export function transformMembership(m: Obj, source: string): InventoryRecord<MembershipData> {
  const name = req(m, "name", "membership");
  const parts = /^projects\/([^/]+)\/locations\/([^/]+)\/memberships\/([^/]+)$/.exec(name);
  if (!parts) throw new MalformedResponseError(`membership ${name}`, "name of the form projects/P/locations/L/memberships/ID");
  const endpoint = (m.endpoint as Obj | undefined) ?? {};
  let memberKind: MemberKind = "other";
  let link: Obj | undefined;
  for (const [field, kind] of ENDPOINT_KINDS) {
    if (endpoint[field] && typeof endpoint[field] === "object") {
      memberKind = kind;
      link = endpoint[field] as Obj;
      break;
    }
  }
  const resourceLink = opt(link, "resourceLink");
  // Attached clusters (EKS, AKS, any conformant cluster) are Multi-Cloud resources of kind attachedClusters.
  if (memberKind === "multicloud" && resourceLink && /\/attachedClusters\//.test(resourceLink)) memberKind = "attached";
  const gke = memberKind === "gke" && resourceLink ? /^\/\/container\.googleapis\.com\/projects\/([^/]+)\/(?:locations|zones)\/([^/]+)\/clusters\/([^/]+)$/.exec(resourceLink) : null;
  const authority = m.authority as Obj | undefined;
  const pool = opt(authority, "workloadIdentityPool");
  const issuer = opt(authority, "issuer");
  return {
    kind: "membership",
    subject: `membership:${parts[1]}/${parts[2]}/${parts[3]}`,
    source,
    project: parts[1],
    data: {
      name,
      projectId: parts[1],
      location: parts[2],
      membershipId: parts[3],
      memberKind,
      resourceLink,
      gkeCluster: gke ? `cluster:${gke[1]}/${gke[2]}/${gke[3]}` : null,
      workloadIdentityPool: pool,
      issuer,
      // Fleet Workload Identity: one pool per fleet, the host project's (named by id, not number).
      pool: pool ?? (issuer && !/^\d+$/.test(parts[1]) ? `${parts[1]}.svc.id.goog` : null),
      state: opt(m.state as Obj | undefined, "code"),
      clusterMissing: (link as Obj | undefined)?.clusterMissing === true,
    },
  };
}

/**
 * One IamPolicySearchResult of a workload pool's search, keyed by resource and pool (two pools'
 * searches may both find a resource, each with its own bindings).
 */
export function transformResourcePolicy(r: Obj, pool: string, source: string): InventoryRecord<ResourcePolicyData> {
  const resource = req(r, "resource", "IAM policy search result");
  const assetType = req(r, "assetType", `IAM policy search result ${resource}`);
  const policy = transformPolicy((r.policy as Obj | undefined) ?? {}, resource, source, null);
  return {
    kind: "resource-policy",
    subject: `resource:${resource}#${pool}`,
    source,
    project: null,
    data: { resource, assetType, project: opt(r, "project"), pool, bindings: policy.data.bindings },
  };
}
