/**
 * IAM custom roles (v1) and deny policies (v2), as the real IAM API serves them:
 *
 * - `GET /v1/{projects/P|organizations/O}/roles` — custom roles, paged (300 a page by default, 1000
 *   at most). `includedPermissions` only with `view=FULL` (the default view, BASIC, leaves it out);
 *   deleted roles only with `showDeleted=true`. Needs `iam.roles.list`.
 * - `GET /v1/{projects/P|organizations/O}/roles/R` — one role, always with its permissions, deleted
 *   or not. Needs `iam.roles.get`.
 * - `GET /v2/policies/ATTACHMENT/denypolicies` — the deny policies attached to an organization, folder
 *   or project, rules left out, as Google does. `ATTACHMENT` is the URL-encoded full resource name,
 *   `cloudresourcemanager.googleapis.com%2Fprojects%2FP`; projects may be named by id or number,
 *   answers always name them by number. IAM ignores `pageSize` and pages by 1000. Needs
 *   `iam.denypolicies.list`.
 * - `GET /v2/policies/ATTACHMENT/denypolicies/ID` — one policy with its rules. Needs `iam.denypolicies.get`.
 *
 * The attachment point arrives encoded once (`%2F`, as curl and gcloud send it) or twice (`%252F`:
 * the googleapis Node client percent-encodes the `%` of a `{+name}` that already holds `%2F`); Google's
 * front end decodes once and keeps `%2F` in multi-segment variables, so both name the same policy.
 * A literal `/` in its place is not a policy name: 404, as Google answers.
 */
import type { LoadedProject } from "./load-estate";
import type { EstateCustomRole, EstateDenyPolicy } from "./estate-schema";
import { googleError, permissionDenied, serviceDisabled, type Route, type SimRequest, type SimResponse } from "./http-types";
import { pageParams, paginate, withList } from "./google-routes";
import { iso, sha, uid } from "./derive";

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const CRM = "cloudresourcemanager.googleapis.com";

function iamDisabled(p: LoadedProject): SimResponse | undefined {
  return (p.disabledApis ?? []).includes("iam.googleapis.com") ? serviceDisabled("iam.googleapis.com", p.projectNumber, "Identity and Access Management (IAM) API") : undefined;
}

/** The custom roles of `projects/P` or `organizations/O`, or a 403 answer when the parent is not ours. */
function rolesOf(req: SimRequest, kind: string, id: string, permission: string): { parent: string; roles: EstateCustomRole[] } | SimResponse {
  if (kind === "projects") {
    const p = req.world.projectByIdOrNumber.get(id);
    if (!p) return permissionDenied("iam", permission, `projects/${id}`);
    const off = iamDisabled(p);
    if (off) return off;
    return { parent: `projects/${p.projectId}`, roles: p.customRoles ?? [] };
  }
  const o = req.world.estate.organization;
  if (!o || o.name !== `organizations/${id}`) return permissionDenied("iam", permission, `organizations/${id}`);
  return { parent: o.name, roles: o.customRoles ?? [] };
}

/** The Role resource; proto3 JSON leaves out empty strings, empty lists and `deleted: false`. */
function roleJson(r: EstateCustomRole, full: boolean): Json {
  const { includedPermissions, deleted, title, description, stage, etag, name, ...rest } = r;
  const out: Json = { ...rest, name };
  if (title) out.title = title;
  if (description) out.description = description;
  if (full && includedPermissions.length) out.includedPermissions = includedPermissions;
  out.stage = stage;
  out.etag = etag ?? Buffer.from(sha("role:" + name + JSON.stringify(includedPermissions) + stage + (deleted ? "d" : "")).slice(0, 16), "hex").toString("base64");
  if (deleted) out.deleted = true;
  return out;
}

type Attachment = { kind: "projects" | "folders" | "organizations"; id: string };

/**
 * The attachment point of a deny-policy path as Google reads it, from the raw (undecoded) path:
 * its `/` must arrive percent-encoded. Undefined when they came as literal slashes.
 */
function attachmentOf(req: SimRequest): Attachment | undefined {
  const raw = req.rawPath ?? req.path;
  const m = /^\/v2\/policies\/cloudresourcemanager\.googleapis\.com(?:%2F|%252F)(projects|folders|organizations)(?:%2F|%252F)([^/%]+)\/denypolicies(?:\/|$)/i.exec(raw);
  if (!m) return undefined;
  return { kind: m[1].toLowerCase() as Attachment["kind"], id: decodeURIComponent(m[2]) };
}

/** The policies attached at `a` and the attachment's canonical name (projects by number), or an error answer. */
function denyPoliciesAt(req: SimRequest, a: Attachment, permission: string): { canonical: string; policies: EstateDenyPolicy[] } | SimResponse {
  const resource = `${CRM}/${a.kind}/${a.id}`;
  if (a.kind === "projects") {
    const p = req.world.projectByIdOrNumber.get(a.id);
    if (!p) return permissionDenied("iam", permission, resource);
    const off = iamDisabled(p);
    if (off) return off;
    return { canonical: `${CRM}/projects/${p.projectNumber}`, policies: p.denyPolicies ?? [] };
  }
  if (a.kind === "folders") {
    const f = req.world.estate.folders.find((x) => x.name === `folders/${a.id}`);
    if (!f) return permissionDenied("iam", permission, resource);
    return { canonical: `${CRM}/folders/${a.id}`, policies: f.denyPolicies ?? [] };
  }
  const o = req.world.estate.organization;
  if (!o || o.name !== `organizations/${a.id}`) return permissionDenied("iam", permission, resource);
  return { canonical: `${CRM}/organizations/${a.id}`, policies: o.denyPolicies ?? [] };
}

/** A deny rule as proto3 JSON writes it: empty lists are left out. */
function ruleJson(rule: EstateDenyPolicy["rules"][number]): Json {
  const { denyRule, ...rest } = rule;
  const dr: Json = {};
  for (const [k, v] of Object.entries(denyRule)) {
    if (Array.isArray(v) && v.length === 0) continue;
    if (v !== undefined) dr[k] = v;
  }
  return { ...rest, denyRule: dr };
}

function policyJson(req: SimRequest, canonical: string, d: EstateDenyPolicy, withRules: boolean): Json {
  const name = `policies/${canonical.replaceAll("/", "%2F")}/denypolicies/${d.policyId}`;
  const created = d.createTime ?? iso(req.world.now - (60 + (parseInt(sha("deny:" + name).slice(0, 6), 16) % 600)) * DAY);
  const { policyId: _id, rules, uid: givenUid, etag, createTime: _c, updateTime, displayName, ...rest } = d;
  const out: Json = {
    ...rest,
    name,
    uid: givenUid ?? uid("deny:" + name),
    kind: "DenyPolicy",
    etag: etag ?? Buffer.from(sha("deny-etag:" + name + JSON.stringify(rules)).slice(0, 12), "hex").toString("base64"),
    createTime: created,
    updateTime: updateTime ?? created,
  };
  if (displayName) out.displayName = displayName;
  if (withRules && rules.length) out.rules = rules.map(ruleJson);
  return out;
}

const notFound = (req: SimRequest): SimResponse => googleError(404, `The requested URL ${req.path} was not found on this server.`);

export const iamRolesDenyRoutes: Route[] = [
  // ---- IAM v1: custom roles
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/(projects|organizations)\/([^/:]+)\/roles$/,
    permission: () => "iam.roles.list",
    handle: (m, req) => {
      const found = rolesOf(req, m[1], m[2], "iam.roles.list");
      if ("status" in found) return found;
      const view = req.query.get("view") ?? "BASIC";
      if (!["BASIC", "FULL"].includes(view)) return googleError(400, `Invalid value at 'view' (type.googleapis.com/google.iam.admin.v1.RoleView), "${view}"`);
      const pp = pageParams(req, 300, 1000);
      if ("status" in pp) return pp;
      const showDeleted = req.query.get("showDeleted") === "true";
      const items = found.roles.filter((r) => showDeleted || !r.deleted).sort((a, b) => (a.name < b.name ? -1 : 1));
      const { page, next } = paginate(items, pp);
      return { status: 200, body: withList("roles", page.map((r) => roleJson(r, view === "FULL")), next) };
    },
  },
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v1\/(projects|organizations)\/([^/:]+)\/roles\/([^/:]+)$/,
    permission: () => "iam.roles.get",
    handle: (m, req) => {
      const found = rolesOf(req, m[1], m[2], "iam.roles.get");
      if ("status" in found) return found;
      const name = `${found.parent}/roles/${m[3]}`;
      const role = found.roles.find((r) => r.name === name);
      if (!role) return googleError(404, `The role named ${m[1]}/${m[2]}/roles/${m[3]} was not found.`);
      return { status: 200, body: roleJson(role, true) };
    },
  },
  // ---- IAM v2: deny policies
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v2\/policies\/cloudresourcemanager\.googleapis\.com(?:\/|%2F)(?:projects|folders|organizations)(?:\/|%2F)[^/%]+\/denypolicies$/i,
    permission: () => "iam.denypolicies.list",
    handle: (_m, req) => {
      const a = attachmentOf(req);
      if (!a) return notFound(req);
      const found = denyPoliciesAt(req, a, "iam.denypolicies.list");
      if ("status" in found) return found;
      // IAM ignores pageSize and answers up to 1000 policies a page.
      const pp = pageParams(req, 1000, 1000);
      if ("status" in pp) return pp;
      const { page, next } = paginate(found.policies, { ...pp, size: 1000 });
      return { status: 200, body: withList("policies", page.map((d) => policyJson(req, found.canonical, d, false)), next) };
    },
  },
  {
    api: "iam",
    method: "GET",
    pattern: /^\/v2\/policies\/cloudresourcemanager\.googleapis\.com(?:\/|%2F)(?:projects|folders|organizations)(?:\/|%2F)[^/%]+\/denypolicies\/([^/]+)$/i,
    permission: () => "iam.denypolicies.get",
    handle: (m, req) => {
      const a = attachmentOf(req);
      if (!a) return notFound(req);
      const found = denyPoliciesAt(req, a, "iam.denypolicies.get");
      if ("status" in found) return found;
      const d = found.policies.find((x) => x.policyId === m[1]);
      if (!d) return googleError(404, `Policy ${`policies/${found.canonical.replaceAll("/", "%2F")}/denypolicies/${m[1]}`} not found.`);
      return { status: 200, body: policyJson(req, found.canonical, d, true) };
    },
  },
];
