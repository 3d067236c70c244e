/**
 * `get` for Google Cloud: each function pages through one API method with the real client and
 * throws (an ApiError) when it cannot finish. They return the API objects as the API gave them;
 * lib/inventory turns them into records.
 */
import type { GoogleClients } from "./clients";
import type { Caller } from "../http/caller";
type CallerLike = Pick<Caller, "call">;
import { fromGoogleError } from "../http/api-error";
import type { ApiName } from "../../config";

type Obj = Record<string, unknown>;
const opts = (signal: AbortSignal) => ({ signal, retry: false });

async function paged<T>(
  caller: CallerLike,
  api: ApiName,
  what: string,
  fetchPage: (pageToken: string | undefined, signal: AbortSignal) => Promise<{ items: T[]; next?: string | null }>,
  onPage?: (items: T[]) => void,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await caller.call(api, (signal) => fetchPage(token, signal), (e) => fromGoogleError(api, e, what));
    if (onPage) onPage(page.items);
    else all.push(...page.items);
    token = page.next || undefined;
    if (token && seen.has(token)) throw new Error(`${what}: the API repeated a page token`);
    if (token) seen.add(token);
  } while (token);
  return all;
}

export async function getOrganization(g: GoogleClients, caller: CallerLike, org: string): Promise<Obj> {
  return caller.call("crm", async (signal) => (await g.crmV3.organizations.get({ name: `organizations/${org}` }, opts(signal))).data as Obj, (e) =>
    fromGoogleError("crm", e, `organizations.get organizations/${org}`),
  );
}

export async function getFolder(g: GoogleClients, caller: CallerLike, folder: string): Promise<Obj> {
  return caller.call("crm", async (signal) => (await g.crmV3.folders.get({ name: folder }, opts(signal))).data as Obj, (e) =>
    fromGoogleError("crm", e, `folders.get ${folder}`),
  );
}

export function listFolders(g: GoogleClients, caller: CallerLike, parent: string): Promise<Obj[]> {
  return paged(caller, "crm", `folders.list ${parent}`, async (pageToken, signal) => {
    const r = await g.crmV3.folders.list({ parent, pageToken, pageSize: 100 }, opts(signal));
    return { items: (r.data.folders ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

export function listProjectsUnder(g: GoogleClients, caller: CallerLike, parent: string): Promise<Obj[]> {
  return paged(caller, "crm", `projects.list ${parent}`, async (pageToken, signal) => {
    const r = await g.crmV3.projects.list({ parent, pageToken, pageSize: 500 }, opts(signal));
    return { items: (r.data.projects ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

export function searchProjects(g: GoogleClients, caller: CallerLike, query = ""): Promise<Obj[]> {
  return paged(caller, "crm", `projects.search ${query || "(all)"}`, async (pageToken, signal) => {
    const r = await g.crmV3.projects.search({ query: query || undefined, pageToken, pageSize: 500 }, opts(signal));
    return { items: (r.data.projects ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

export async function getProject(g: GoogleClients, caller: CallerLike, projectId: string): Promise<Obj> {
  return caller.call("crm", async (signal) => (await g.crmV3.projects.get({ name: `projects/${projectId}` }, opts(signal))).data as Obj, (e) =>
    fromGoogleError("crm", e, `projects.get ${projectId}`),
  );
}

/** getIamPolicy for `projects/X`, `folders/N` or `organizations/N`, asking for version 3 (conditions intact). */
export async function getResourcePolicy(g: GoogleClients, caller: CallerLike, resource: string): Promise<Obj> {
  const requestBody = { options: { requestedPolicyVersion: 3 } };
  return caller.call(
    "crm",
    async (signal) => {
      if (resource.startsWith("projects/")) return (await g.crmV3.projects.getIamPolicy({ resource, requestBody }, opts(signal))).data as Obj;
      if (resource.startsWith("folders/")) return (await g.crmV3.folders.getIamPolicy({ resource, requestBody }, opts(signal))).data as Obj;
      return (await g.crmV3.organizations.getIamPolicy({ resource, requestBody }, opts(signal))).data as Obj;
    },
    (e) => fromGoogleError("crm", e, `getIamPolicy ${resource}`),
  );
}

export function listServiceAccounts(g: GoogleClients, caller: CallerLike, projectId: string): Promise<Obj[]> {
  return paged(caller, "iam", `serviceAccounts.list projects/${projectId}`, async (pageToken, signal) => {
    const r = await g.iam.projects.serviceAccounts.list({ name: `projects/${projectId}`, pageSize: 100, pageToken }, opts(signal));
    return { items: (r.data.accounts ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

/** User-managed keys only: Google rotates system-managed keys itself and they are never downloadable. */
export async function listUserManagedKeys(g: GoogleClients, caller: CallerLike, projectId: string, email: string): Promise<Obj[]> {
  return caller.call(
    "iam",
    async (signal) =>
      ((await g.iam.projects.serviceAccounts.keys.list({ name: `projects/${projectId}/serviceAccounts/${email}`, keyTypes: ["USER_MANAGED"] }, opts(signal))).data
        .keys ?? []) as Obj[],
    (e) => fromGoogleError("iam", e, `keys.list ${email}`),
  );
}

export async function getServiceAccountPolicy(g: GoogleClients, caller: CallerLike, projectId: string, email: string): Promise<Obj> {
  return caller.call(
    "iam",
    async (signal) =>
      (
        await g.iam.projects.serviceAccounts.getIamPolicy(
          { resource: `projects/${projectId}/serviceAccounts/${email}`, "options.requestedPolicyVersion": 3 },
          opts(signal),
        )
      ).data as Obj,
    (e) => fromGoogleError("iam", e, `serviceAccounts.getIamPolicy ${email}`),
  );
}

/**
 * The custom roles defined in `projects/ID` or `organizations/N`, with their permissions (`view=FULL`;
 * the default view leaves them out) and the recently deleted ones (`showDeleted`: still bound, they
 * grant nothing, and a binding naming one must not be read as a role that could not be found).
 */
export function listCustomRoles(g: GoogleClients, caller: CallerLike, parent: string): Promise<Obj[]> {
  return paged(caller, "iam", `roles.list ${parent}`, async (pageToken, signal) => {
    const params = { parent, view: "FULL", showDeleted: true, pageSize: 1000, pageToken };
    const r = parent.startsWith("organizations/") ? await g.iam.organizations.roles.list(params, opts(signal)) : await g.iam.projects.roles.list(params, opts(signal));
    return { items: (r.data.roles ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

/** One custom role by name (`projects/ID/roles/R` or `organizations/N/roles/R`); `get` always has its permissions. */
export async function getCustomRole(g: GoogleClients, caller: CallerLike, name: string): Promise<Obj> {
  return caller.call(
    "iam",
    async (signal) => (name.startsWith("organizations/") ? await g.iam.organizations.roles.get({ name }, opts(signal)) : await g.iam.projects.roles.get({ name }, opts(signal))).data as Obj,
    (e) => fromGoogleError("iam", e, `roles.get ${name}`),
  );
}

/**
 * The deny policies attached to `resource` (`projects/ID`, `folders/N`, `organizations/N`), as IAM v2
 * lists them: metadata only, rules left out (see getDenyPolicy). The attachment point is the resource's
 * full name URL-encoded into one path segment.
 */
export function listDenyPolicies(g: GoogleClients, caller: CallerLike, resource: string): Promise<Obj[]> {
  const parent = `policies/${encodeURIComponent(`cloudresourcemanager.googleapis.com/${resource}`)}/denypolicies`;
  return paged(caller, "iam", `denypolicies.list ${resource}`, async (pageToken, signal) => {
    const r = await g.iamV2.policies.listPolicies({ parent, pageToken }, opts(signal));
    return { items: (r.data.policies ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

/** One deny policy with its rules, by the `name` its list gave. */
export async function getDenyPolicy(g: GoogleClients, caller: CallerLike, name: string): Promise<Obj> {
  return caller.call("iam", async (signal) => (await g.iamV2.policies.get({ name }, opts(signal))).data as Obj, (e) => fromGoogleError("iam", e, `denypolicies.get ${name}`));
}

export async function listClusters(g: GoogleClients, caller: CallerLike, projectId: string): Promise<{ clusters: Obj[]; missingZones: string[] }> {
  return caller.call(
    "container",
    async (signal) => {
      const r = await g.container.projects.locations.clusters.list({ parent: `projects/${projectId}/locations/-` }, opts(signal));
      return { clusters: (r.data.clusters ?? []) as Obj[], missingZones: r.data.missingZones ?? [] };
    },
    (e) => fromGoogleError("container", e, `clusters.list projects/${projectId}`),
  );
}

export type ActivityType = "serviceAccountLastAuthentication" | "serviceAccountKeyLastAuthentication";

export function queryActivities(g: GoogleClients, caller: CallerLike, projectId: string, type: ActivityType): Promise<Obj[]> {
  return paged(caller, "policyanalyzer", `activities.query ${type} projects/${projectId}`, async (pageToken, signal) => {
    const r = await g.policyanalyzer.projects.locations.activityTypes.activities.query(
      { parent: `projects/${projectId}/locations/global/activityTypes/${type}`, pageSize: 1000, pageToken },
      opts(signal),
    );
    return { items: (r.data.activities ?? []) as Obj[], next: r.data.nextPageToken };
  });
}

/**
 * Cloud Asset Inventory: every IAM policy attached to resources of `assetTypes` under `scope`
 * (organizations/N, folders/N or projects/X), page by page; pages go to `onPage` and are not kept.
 */
export async function searchAllIamPolicies(g: GoogleClients, caller: CallerLike, scope: string, assetTypes: string[], onPage: (results: Obj[]) => void): Promise<void> {
  await paged(
    caller,
    "cloudasset",
    `searchAllIamPolicies ${scope}`,
    async (pageToken, signal) => {
      const r = await g.cloudasset.v1.searchAllIamPolicies({ scope, assetTypes, pageSize: 500, pageToken }, opts(signal));
      return { items: (r.data.results ?? []) as Obj[], next: r.data.nextPageToken };
    },
    onPage,
  );
}

/** Cloud Asset Inventory: resources of `assetTypes` under `scope`, with their own JSON (`versionedResources`). */
export async function searchAllResources(g: GoogleClients, caller: CallerLike, scope: string, assetTypes: string[], onPage: (results: Obj[]) => void): Promise<void> {
  await paged(
    caller,
    "cloudasset",
    `searchAllResources ${scope}`,
    async (pageToken, signal) => {
      const r = await g.cloudasset.v1.searchAllResources(
        { scope, assetTypes, pageSize: 500, pageToken, readMask: "name,assetType,project,parentFullResourceName,versionedResources" },
        opts(signal),
      );
      return { items: (r.data.results ?? []) as Obj[], next: r.data.nextPageToken };
    },
    onPage,
  );
}

/**
 * GKE Hub: the fleet memberships registered in a project (the fleet host), every region, page by
 * page. `unreachable` names regions that did not answer: their members are unknown.
 */
export async function listMemberships(g: GoogleClients, caller: CallerLike, projectId: string): Promise<{ memberships: Obj[]; unreachable: string[] }> {
  const unreachable = new Set<string>();
  const memberships = await paged(caller, "gkehub", `memberships.list projects/${projectId}`, async (pageToken, signal) => {
    const r = await g.gkehub.projects.locations.memberships.list({ parent: `projects/${projectId}/locations/-`, pageSize: 100, pageToken }, opts(signal));
    for (const u of r.data.unreachable ?? []) unreachable.add(u);
    return { items: (r.data.resources ?? []) as Obj[], next: r.data.nextPageToken };
  });
  return { memberships, unreachable: [...unreachable].sort() };
}

/**
 * Cloud Asset Inventory: the IAM policy bindings under `scope` whose text matches `query` (e.g.
 * `policy:"acme-prod.svc.id.goog"`), page by page. The service returns only the bindings that match;
 * its matching is by words, so callers match members exactly themselves.
 */
export async function searchIamPolicies(g: GoogleClients, caller: CallerLike, scope: string, query: string, onPage: (results: Obj[]) => void): Promise<void> {
  await paged(
    caller,
    "cloudasset",
    `searchAllIamPolicies ${scope} ${query}`,
    async (pageToken, signal) => {
      const r = await g.cloudasset.v1.searchAllIamPolicies({ scope, query, pageSize: 500, pageToken }, opts(signal));
      return { items: (r.data.results ?? []) as Obj[], next: r.data.nextPageToken };
    },
    onPage,
  );
}
