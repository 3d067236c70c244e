/**
 * GKE Hub v1 — fleet memberships, as `projects.locations.memberships` serves them: `list` over one
 * location or every one (`locations/-`), `resources[]`, `nextPageToken` and `unreachable[]` (the
 * locations that did not answer: a `missingZones` fault names them), and `get`.
 *
 * What the scanner needs from it: which clusters share a fleet's workload pool. Members outside GKE
 * (attached EKS/AKS clusters, on-prem, other clouds) and GKE clusters of other projects get their
 * identities from the fleet host's pool `PROJECT_ID.svc.id.goog`; their Kubernetes objects are not
 * read, so a binding naming that pool cannot be called stale.
 *
 * A project with the GKE Hub API off answers 403 SERVICE_DISABLED (it has no fleet); an unknown
 * project, 403 PERMISSION_DENIED naming `gkehub.memberships.list` (as for a caller without
 * roles/gkehub.viewer).
 */
import type { LoadedProject } from "./load-estate";
import type { EstateMembership } from "./estate-schema";
import type { World } from "./world";
import { googleError, permissionDenied, serviceDisabled, type Route, type SimRequest, type SimResponse } from "./http-types";
import { pageParams, paginate, withList } from "./google-routes";
import { intOf, iso, uid } from "./derive";

type Json = Record<string, unknown>;
const DAY = 86_400_000;

/** The Membership as the API serves it: the estate's fields, plus what the service derives. */
function membershipJson(world: World, p: LoadedProject, m: EstateMembership): Json {
  const out: Json = {
    ...m,
    state: m.state ?? { code: "READY" },
    createTime: (m.createTime as string | undefined) ?? iso(world.now - (200 + intOf("membership-created:" + m.name, 400)) * DAY),
    updateTime: (m.updateTime as string | undefined) ?? iso(world.now - intOf("membership-updated:" + m.name, 30) * DAY),
    uniqueId: (m.uniqueId as string | undefined) ?? uid("membership:" + m.name),
  };
  // With an issuer, fleet Workload Identity is on: the member's workloads get identities from the
  // fleet host's pool (one pool per fleet), whatever project or cloud the cluster itself is in.
  if (m.authority?.issuer && !m.authority.workloadIdentityPool) out.authority = { ...m.authority, workloadIdentityPool: `${p.projectId}.svc.id.goog` };
  return out;
}

function locationOf(m: EstateMembership): string {
  return m.name.split("/")[3];
}

function projectFor(req: SimRequest, id: string, location: string, permission: string): LoadedProject | SimResponse {
  const p = req.world.projectByIdOrNumber.get(id);
  if (!p) return permissionDenied("gkehub", permission, `projects/${id}/locations/${location}`);
  if ((p.disabledApis ?? []).includes("gkehub.googleapis.com")) return serviceDisabled("gkehub.googleapis.com", p.projectNumber, "GKE Hub API");
  return p;
}

export const hubRoutes: Route[] = [
  {
    api: "gkehub",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/locations\/([^/:]+)\/memberships$/,
    permission: () => "gkehub.memberships.list",
    handle: (m, req) => {
      const p = projectFor(req, m[1], m[2], "gkehub.memberships.list");
      if ("status" in p) return p;
      if ((req.query.get("filter") ?? "").trim()) return googleError(400, "The simulator serves memberships.list without a filter.");
      // Without pageSize (or 0) the service returns every membership at once.
      const all = Number(req.query.get("pageSize") ?? 0) <= 0;
      const pp = pageParams(req, 100, 1000);
      if ("status" in pp) return pp;
      const unreachable = (req.missingZones ?? []).map((z) => `projects/${p.projectId}/locations/${z}`);
      const items = p.memberships
        .filter((x) => m[2] === "-" || locationOf(x) === m[2])
        .filter((x) => !(req.missingZones ?? []).includes(locationOf(x)))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const { page, next } = all && !req.query.get("pageToken") ? { page: items, next: undefined } : paginate(items, pp);
      const body = withList("resources", page.map((x) => membershipJson(req.world, p, x)), next);
      if (unreachable.length) body.unreachable = unreachable;
      return { status: 200, body };
    },
  },
  {
    api: "gkehub",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/locations\/([^/:]+)\/memberships\/([^/:]+)$/,
    permission: () => "gkehub.memberships.get",
    handle: (m, req) => {
      const p = projectFor(req, m[1], m[2], "gkehub.memberships.get");
      if ("status" in p) return p;
      const found = p.memberships.find((x) => locationOf(x) === m[2] && x.name.endsWith(`/memberships/${m[3]}`));
      if (!found) return googleError(404, `Resource 'projects/${m[1]}/locations/${m[2]}/memberships/${m[3]}' was not found`);
      return { status: 200, body: membershipJson(req.world, p, found) };
    },
  },
];
