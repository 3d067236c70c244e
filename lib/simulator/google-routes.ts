/**
 * Google Cloud endpoints as the real services serve them: Resource Manager v1/v3, IAM v1,
 * container v1, Policy Analyzer v1 (and Cloud Asset, see asset-routes.ts). Proto3 JSON: empty lists
 * and false values are omitted, so an empty answer is `{}`.
 */
import type { World, SimServiceAccount } from "./world";
import type { LoadedProject } from "./load-estate";
import type { IamPolicy } from "./estate-schema";
import { googleError, permissionDenied, serviceDisabled, type Route, type SimRequest, type SimResponse } from "./http-types";
import { sha, iso } from "./derive";

const DAY = 86_400_000;

export function pageParams(req: SimRequest, dflt: number, max: number): { size: number; offset: number } | SimResponse {
  const raw = req.query.get("pageSize");
  let size = raw ? Number(raw) : dflt;
  if (!Number.isFinite(size) || size <= 0) size = dflt;
  size = Math.min(size, max);
  const token = req.query.get("pageToken");
  let offset = 0;
  if (token) {
    const decoded = Number(Buffer.from(token, "base64url").toString("utf8").replace(/^o:/, ""));
    if (!Number.isInteger(decoded) || decoded < 0) return googleError(400, "Invalid page token.");
    offset = decoded;
  }
  return { size, offset };
}

export function paginate<T>(items: T[], p: { size: number; offset: number }): { page: T[]; next?: string } {
  const page = items.slice(p.offset, p.offset + p.size);
  const nextOffset = p.offset + p.size;
  return { page, next: nextOffset < items.length ? Buffer.from(`o:${nextOffset}`).toString("base64url") : undefined };
}

export function withList(key: string, page: unknown[], next?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (page.length) out[key] = page;
  if (next) out.nextPageToken = next;
  return out;
}

function projectOf(world: World, idOrNumber: string): LoadedProject | undefined {
  return world.projectByIdOrNumber.get(idOrNumber);
}

function parentOf(world: World, p: LoadedProject): string | undefined {
  return p.parent ?? world.estate.organization?.name;
}

function disabled(p: LoadedProject, service: string): boolean {
  return (p.disabledApis ?? []).includes(service as never);
}

/** Each API's title, as its SERVICE_DISABLED message names it. */
export const SERVICE_TITLES: Record<string, string> = {
  "iam.googleapis.com": "Identity and Access Management (IAM) API",
  "container.googleapis.com": "Kubernetes Engine API",
  "policyanalyzer.googleapis.com": "Policy Analyzer API",
  "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
  "cloudasset.googleapis.com": "Cloud Asset API",
};

export function checkEnabled(p: LoadedProject, service: string): SimResponse | undefined {
  return disabled(p, service) ? serviceDisabled(service, p.projectNumber, SERVICE_TITLES[service]) : undefined;
}

function projectV3(world: World, p: LoadedProject) {
  const out: Record<string, unknown> = {
    name: `projects/${p.projectNumber}`,
    projectId: p.projectId,
    state: "ACTIVE",
    displayName: p.displayName ?? p.projectId,
    createTime: p.createTime ?? iso(world.now - 900 * DAY),
    updateTime: p.createTime ?? iso(world.now - 900 * DAY),
    etag: `W/"${sha("etag:" + p.projectId).slice(0, 16)}"`,
  };
  const parent = parentOf(world, p);
  if (parent) out.parent = parent;
  if (p.labels && Object.keys(p.labels).length) out.labels = p.labels;
  return out;
}

function projectV1(world: World, p: LoadedProject) {
  const out: Record<string, unknown> = {
    projectNumber: p.projectNumber,
    projectId: p.projectId,
    lifecycleState: "ACTIVE",
    name: p.displayName ?? p.projectId,
    createTime: p.createTime ?? iso(world.now - 900 * DAY),
  };
  const parent = parentOf(world, p);
  if (parent) {
    const [type, id] = parent.split("/");
    out.parent = { type: type === "organizations" ? "organization" : "folder", id };
  }
  if (p.labels && Object.keys(p.labels).length) out.labels = p.labels;
  return out;
}

function requestedVersion(req: SimRequest): number {
  const q = req.query.get("options.requestedPolicyVersion");
  const b = (req.body as { options?: { requestedPolicyVersion?: number } } | undefined)?.options?.requestedPolicyVersion;
  return Number(q ?? b ?? 0) || 0;
}

/** The etag getIamPolicy answers for a policy (and setIamPolicy checks): its own, else one derived from `seed` (`ACAB` for an empty policy). */
export function currentPolicyEtag(policy: IamPolicy | undefined, seed: string): string {
  if (policy?.etag) return policy.etag;
  return (policy?.bindings ?? []).length === 0 ? "ACAB" : Buffer.from(sha("policy:" + seed).slice(0, 12), "hex").toString("base64");
}

/**
 * A policy as getIamPolicy returns it. Asked for a version below 3, IAM returns conditional bindings
 * without their condition and with `_withcond_<hash>` appended to the role — a classic trap.
 */
export function servePolicy(policy: IamPolicy | undefined, req: SimRequest, seed: string): SimResponse {
  const bindings = policy?.bindings ?? [];
  const hasConditions = bindings.some((b) => b.condition);
  const v = requestedVersion(req);
  const etag = currentPolicyEtag(policy, seed);
  if (bindings.length === 0) return { status: 200, body: { etag } };
  const out = bindings.map((b) => {
    if (b.condition && v < 3) {
      const { condition, ...rest } = b;
      return { ...rest, role: `${b.role}_withcond_${sha(JSON.stringify(condition)).slice(0, 20)}` };
    }
    return b;
  });
  return { status: 200, body: { version: hasConditions && v >= 3 ? 3 : 1, etag, bindings: out } };
}

export function findCluster(world: World, m: RegExpExecArray) {
  return world.clusters.find((x) => (x.project.projectId === m[1] || x.project.projectNumber === m[1]) && x.location === m[2] && x.name === m[3]);
}

export function findSa(world: World, projectSeg: string, saSeg: string): SimServiceAccount | undefined {
  const sa = world.saByEmail.get(saSeg.toLowerCase()) ?? world.saByUniqueId.get(saSeg);
  if (!sa) return undefined;
  if (projectSeg !== "-" && projectSeg !== sa.project.projectId && projectSeg !== sa.project.projectNumber) return undefined;
  return sa;
}

/** Parses the few Resource Manager query forms tools use: `parent:X`, `parent.type:T parent.id:N`, `id:X`. */
function projectMatches(world: World, p: LoadedProject, query: string): boolean {
  const terms = query.match(/[\w.]+[:=]"?[^\s"]+"?/g) ?? [];
  const parent = parentOf(world, p) ?? "";
  const [ptype, pid] = parent.split("/");
  for (const t of terms) {
    const [k, rawV] = t.split(/[:=]/, 2);
    const v = rawV.replace(/"/g, "");
    if (k === "parent" && parent !== v) return false;
    if (k === "parent.type" && ptype !== (v === "organization" ? "organizations" : v === "folder" ? "folders" : v)) return false;
    if (k === "parent.id" && pid !== v) return false;
    if ((k === "id" || k === "projectId") && p.projectId !== v) return false;
    if ((k === "state" || k === "lifecycleState") && v !== "ACTIVE") return false;
  }
  return true;
}

function folderJson(world: World, f: World["estate"]["folders"][number]) {
  return {
    name: f.name,
    parent: f.parent ?? world.estate.organization?.name ?? "organizations/0",
    displayName: f.displayName,
    state: "ACTIVE",
    createTime: iso(world.now - 1200 * DAY),
    updateTime: iso(world.now - 1200 * DAY),
    etag: `W/"${sha("f:" + f.name).slice(0, 16)}"`,
  };
}

export const googleRoutes: Route[] = [
  // ---- Resource Manager v1
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v1\/projects$/,
    permission: () => "resourcemanager.projects.list",
    handle: (_m, req) => {
      const pp = pageParams(req, 500, 500);
      if ("status" in pp) return pp;
      const items = req.world.projects.filter((p) => projectMatches(req.world, p, req.query.get("filter") ?? ""));
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("projects", page.map((p) => projectV1(req.world, p)), next) };
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v[13]\/projects\/([^/:]+):getIamPolicy$/,
    permission: () => "resourcemanager.projects.getIamPolicy",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      if (!p) return permissionDenied("crm", "resourcemanager.projects.getIamPolicy", `projects/${m[1]}`);
      return servePolicy(p.iamPolicy, req, "project:" + p.projectId);
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)$/,
    permission: () => "resourcemanager.projects.get",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      if (!p) return permissionDenied("crm", "resourcemanager.projects.get", `projects/${m[1]}`);
      return { status: 200, body: projectV1(req.world, p) };
    },
  },
  // ---- Resource Manager v3
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/projects:search$/,
    permission: () => "resourcemanager.projects.get",
    handle: (_m, req) => {
      const pp = pageParams(req, 50, 500);
      if ("status" in pp) return pp;
      const items = req.world.projects.filter((p) => projectMatches(req.world, p, req.query.get("query") ?? ""));
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("projects", page.map((p) => projectV3(req.world, p)), next) };
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/projects$/,
    permission: () => "resourcemanager.projects.list",
    handle: (_m, req) => {
      const parent = req.query.get("parent");
      if (!parent) return googleError(400, "Request contains an invalid argument.");
      const pp = pageParams(req, 50, 500);
      if ("status" in pp) return pp;
      const items = req.world.projects.filter((p) => parentOf(req.world, p) === parent);
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("projects", page.map((p) => projectV3(req.world, p)), next) };
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/projects\/([^/:]+)$/,
    permission: () => "resourcemanager.projects.get",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      if (!p) return permissionDenied("crm", "resourcemanager.projects.get", `projects/${m[1]}`);
      return { status: 200, body: projectV3(req.world, p) };
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/folders$/,
    permission: () => "resourcemanager.folders.list",
    handle: (_m, req) => {
      const parent = req.query.get("parent");
      if (!parent) return googleError(400, "Request contains an invalid argument.");
      const pp = pageParams(req, 50, 100);
      if ("status" in pp) return pp;
      const items = req.world.estate.folders.filter((f) => (f.parent ?? req.world.estate.organization?.name) === parent);
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("folders", page.map((f) => folderJson(req.world, f)), next) };
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/folders\/(\d+)$/,
    permission: () => "resourcemanager.folders.get",
    handle: (m, req) => {
      const f = req.world.estate.folders.find((x) => x.name === `folders/${m[1]}`);
      if (!f) return permissionDenied("crm", "resourcemanager.folders.get", `folders/${m[1]}`);
      return { status: 200, body: folderJson(req.world, f) };
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v3\/folders\/(\d+):getIamPolicy$/,
    permission: () => "resourcemanager.folders.getIamPolicy",
    handle: (m, req) => {
      const f = req.world.estate.folders.find((x) => x.name === `folders/${m[1]}`);
      if (!f) return permissionDenied("crm", "resourcemanager.folders.getIamPolicy", `folders/${m[1]}`);
      return servePolicy(f.iamPolicy, req, f.name);
    },
  },
  {
    api: "crm",
    method: "GET",
    pattern: /^\/v3\/organizations\/(\d+)$/,
    permission: () => "resourcemanager.organizations.get",
    handle: (m, req) => {
      const o = req.world.estate.organization;
      if (!o || o.name !== `organizations/${m[1]}`) return permissionDenied("crm", "resourcemanager.organizations.get", `organizations/${m[1]}`);
      return {
        status: 200,
        body: { name: o.name, displayName: o.displayName, directoryCustomerId: "C0" + sha(o.name).slice(0, 7), state: "ACTIVE", createTime: iso(req.world.now - 3000 * DAY), etag: `W/"${sha(o.name).slice(0, 16)}"` },
      };
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v3\/organizations\/(\d+):getIamPolicy$/,
    permission: () => "resourcemanager.organizations.getIamPolicy",
    handle: (m, req) => {
      const o = req.world.estate.organization;
      if (!o || o.name !== `organizations/${m[1]}`) return permissionDenied("crm", "resourcemanager.organizations.getIamPolicy", `organizations/${m[1]}`);
      return servePolicy(o.iamPolicy, req, o.name);
    },
  },
  // ---- IAM v1
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts$/,
    permission: () => "iam.serviceAccounts.list",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      if (!p) return permissionDenied("iam", "iam.serviceAccounts.list", `projects/${m[1]}`);
      const off = checkEnabled(p, "iam.googleapis.com");
      if (off) return off;
      const pp = pageParams(req, 20, 100);
      if ("status" in pp) return pp;
      const items = req.world.serviceAccounts.filter((s) => s.project === p);
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("accounts", page.map((s) => s.json), next) };
    },
  },
  {
    api: "iam",
    method: "POST",
    pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+):getIamPolicy$/,
    permission: () => "iam.serviceAccounts.getIamPolicy",
    handle: (m, req) => {
      const sa = findSa(req.world, m[1], m[2]);
      if (!sa) return permissionDenied("iam", "iam.serviceAccounts.getIamPolicy", `projects/${m[1]}/serviceAccounts/${m[2]}`);
      const off = checkEnabled(sa.project, "iam.googleapis.com");
      if (off) return off;
      return servePolicy(sa.policy, req, "sa:" + sa.estate.email);
    },
  },
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+)\/keys$/,
    permission: () => "iam.serviceAccountKeys.list",
    handle: (m, req) => {
      const sa = findSa(req.world, m[1], m[2]);
      if (!sa) return googleError(404, `Service account projects/${m[1]}/serviceAccounts/${m[2]} does not exist.`);
      const off = checkEnabled(sa.project, "iam.googleapis.com");
      if (off) return off;
      const types = req.query.getAll("keyTypes").flatMap((t) => t.split(","));
      const keys = types.length && !types.includes("KEY_TYPE_UNSPECIFIED") ? sa.keys.filter((k) => types.includes(k.keyType as string)) : sa.keys;
      return { status: 200, body: keys.length ? { keys } : {} };
    },
  },
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+)\/keys\/([0-9a-f]+)$/,
    permission: () => "iam.serviceAccountKeys.get",
    handle: (m, req) => {
      const sa = findSa(req.world, m[1], m[2]);
      const key = sa?.keys.find((k) => (k.name as string).endsWith(`/keys/${m[3]}`));
      if (!sa || !key) return googleError(404, `Service account key ${m[3]} does not exist.`);
      return { status: 200, body: key };
    },
  },
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+)$/,
    permission: () => "iam.serviceAccounts.get",
    handle: (m, req) => {
      const sa = findSa(req.world, m[1], m[2]);
      if (!sa) return googleError(404, "Unknown service account");
      return { status: 200, body: sa.json };
    },
  },
  // ---- container v1
  {
    api: "container",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/(locations|zones)\/([^/:]+)\/clusters$/,
    permission: () => "container.clusters.list",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      if (!p) return permissionDenied("container", "container.clusters.list", `projects/${m[1]}`);
      const off = checkEnabled(p, "container.googleapis.com");
      if (off) return off;
      const loc = m[3];
      const missing = req.missingZones ?? [];
      const clusters = req.world.clusters
        .filter((c) => c.project === p && (loc === "-" || c.location === loc || c.location.startsWith(loc + "-")))
        .filter((c) => !missing.some((z) => c.location === z || z.startsWith(c.location + "-")))
        .map((c) => c.json);
      const body: Record<string, unknown> = {};
      if (clusters.length) body.clusters = clusters;
      if (missing.length) body.missingZones = missing;
      return { status: 200, body };
    },
  },
  {
    api: "container",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/(?:locations|zones)\/([^/:]+)\/clusters\/([^/:]+)$/,
    permission: () => "container.clusters.get",
    handle: (m, req) => {
      const c = findCluster(req.world, m);
      if (!c) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}.`);
      return { status: 200, body: c.json };
    },
  },
  // `gcloud container node-pools list/describe` read these (ListNodePoolsResponse, NodePool).
  {
    api: "container",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/(?:locations|zones)\/([^/:]+)\/clusters\/([^/:]+)\/nodePools$/,
    permission: () => "container.clusters.get",
    handle: (m, req) => {
      const c = findCluster(req.world, m);
      if (!c) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}.`);
      const pools = (c.json.nodePools as unknown[] | undefined) ?? [];
      return { status: 200, body: pools.length ? { nodePools: pools } : {} };
    },
  },
  {
    api: "container",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/(?:locations|zones)\/([^/:]+)\/clusters\/([^/:]+)\/nodePools\/([^/:]+)$/,
    permission: () => "container.clusters.get",
    handle: (m, req) => {
      const c = findCluster(req.world, m);
      const pool = ((c?.json.nodePools as { name: string }[] | undefined) ?? []).find((p) => p.name === m[4]);
      if (!c || !pool) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}/nodePools/${m[4]}.`);
      return { status: 200, body: pool };
    },
  },
  // ---- Policy Analyzer v1 (Activity Analyzer)
  {
    api: "policyanalyzer",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/locations\/([^/:]+)\/activityTypes\/([^/:]+)\/activities:query$/,
    permission: (m) =>
      m[3] === "serviceAccountKeyLastAuthentication"
        ? "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query"
        : "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
    handle: (m, req) => {
      const p = projectOf(req.world, m[1]);
      const type = m[3];
      if (!p) return permissionDenied("policyanalyzer", `policyanalyzer.${type}Activities.query`, `projects/${m[1]}`);
      const off = checkEnabled(p, "policyanalyzer.googleapis.com");
      if (off) return off;
      if (m[2] !== "global") return googleError(400, `Location ${m[2]} is not supported; use global.`);
      if (type !== "serviceAccountLastAuthentication" && type !== "serviceAccountKeyLastAuthentication")
        return googleError(400, `Activity type ${type} is not supported.`);
      const pp = pageParams(req, 10, 1000);
      if ("status" in pp) return pp;
      const end = Math.floor(req.world.now / DAY) * DAY - DAY + 7 * 3_600_000;
      const observationPeriod = { startTime: iso(end - 365 * DAY), endTime: iso(end) };
      const acts: Record<string, unknown>[] = [];
      for (const s of req.world.serviceAccounts.filter((x) => x.project === p)) {
        const saName = `//iam.googleapis.com/projects/${p.projectId}/serviceAccounts/${s.estate.email}`;
        const ref = { serviceAccountId: s.json.uniqueId, projectNumber: p.projectNumber, fullResourceName: saName };
        if (type === "serviceAccountLastAuthentication" && s.estate.lastAuthenticatedTime) {
          acts.push({ fullResourceName: saName, activityType: type, observationPeriod, activity: { lastAuthenticatedTime: s.estate.lastAuthenticatedTime, serviceAccount: ref } });
        }
        if (type === "serviceAccountKeyLastAuthentication") {
          for (const k of s.estate.keys) {
            if (!k.lastAuthenticatedTime) continue;
            const kName = `${saName}/keys/${k.keyId}`;
            acts.push({
              fullResourceName: kName,
              activityType: type,
              observationPeriod,
              activity: { lastAuthenticatedTime: k.lastAuthenticatedTime, serviceAccountKey: { ...ref, fullResourceName: kName } },
            });
          }
        }
      }
      const filter = /fullResourceName\s*=\s*"?([^"\s]+)"?|full_resource_name\s*=\s*"?([^"\s]+)"?/.exec(req.query.get("filter") ?? "");
      const wanted = filter ? (filter[1] ?? filter[2]) : undefined;
      const items = wanted ? acts.filter((a) => a.fullResourceName === wanted) : acts;
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("activities", page, next) };
    },
  },
];
