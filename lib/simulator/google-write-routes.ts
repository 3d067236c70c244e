/**
 * Google Cloud writes the printed fixes make, in the wire format `gcloud` and `googleapis` send
 * (checked by running gcloud 528 against the simulator):
 * - IAM `setIamPolicy` on service accounts (IAM v1), projects (Resource Manager v1 — what gcloud
 *   uses — and v3), folders (v2 — gcloud — and v3) and the organization (v1 — gcloud — and v3); with
 *   the `getIamPolicy` of folders v2 and organizations v1 that gcloud reads first. The etag is checked
 *   (a stale one answers 409 ABORTED, as IAM does), a new one is issued on every write, `updateMask`
 *   is honoured (default `bindings,etag`), conditions need policy version 3.
 * - IAM keys `:disable`, `:enable`, `DELETE`; accounts `:disable`, `:enable`, `DELETE` (the policies
 *   that named a deleted account then name `deleted:serviceAccount:EMAIL?uid=ID`), and create.
 * - container v1 `clusters.update` (`update.desiredWorkloadIdentityConfig`), `nodePools.create`,
 *   `nodePools.update` (`workloadMetadataConfig`, labels, taints), `nodePools.delete`, each answering an
 *   Operation that `operations.get` serves RUNNING, then DONE (gcloud polls it). The change is applied
 *   when accepted: nodes' labels follow and pods are rescheduled (world-writes-google.ts).
 * Every accepted write is logged (write-log.ts) and undone by `POST /_simulator/reset`.
 */
import type { World, SimServiceAccount, SimCluster, Json } from "./world";
import type { LoadedProject } from "./load-estate";
import type { IamPolicy } from "./estate-schema";
import { googleError, permissionDenied, type Route, type SimApi, type SimRequest, type SimResponse } from "./http-types";
import { checkEnabled, currentPolicyEtag, findCluster, findSa, servePolicy } from "./google-routes";
import { indexBeforeWrite } from "./asset-routes";
import { recordWrite } from "./write-log";
import { sha, iso } from "./derive";
import {
  createAccount,
  createPool,
  deleteAccount,
  deleteKey,
  deletePool,
  nextEtag,
  setAccountDisabled,
  setKeyDisabled,
  setWorkloadPool,
  updatePool,
} from "./world-writes-google";

const CONCURRENT = "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.";

function log(req: SimRequest, api: SimApi, summary: string): void {
  recordWrite(req.world, { api, method: req.method, path: req.path, summary });
}

// ---------------------------------------------------------------- setIamPolicy

/** Where a policy lives: read it, replace it. */
type PolicyHolder = { seed: string; get: () => IamPolicy | undefined; set: (p: IamPolicy) => void; label: string };

const MEMBER = /^(user|group|serviceAccount|domain|deleted:(user|group|serviceAccount)|principal|principalSet|projectOwner|projectEditor|projectViewer):.+|^(allUsers|allAuthenticatedUsers)$|^principal(Set)?:\/\/.+/;

type Binding = IamPolicy["bindings"][number];

function parseBindings(raw: unknown): Binding[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return "Invalid JSON payload received. Unknown name \"bindings\": Proto field is not repeating, cannot start list.";
  const out: Binding[] = [];
  for (const b of raw as Json[]) {
    if (!b || typeof b !== "object" || typeof b.role !== "string" || !b.role) return "Policy binding must have a role.";
    if (!/^(roles\/|projects\/[^/]+\/roles\/|organizations\/\d+\/roles\/)/.test(b.role)) return `Role (${b.role}) does not exist in the resource's hierarchy.`;
    if (/_withcond_/.test(b.role)) return `Role (${b.role}) does not exist in the resource's hierarchy.`;
    const members = (b.members as unknown[] | undefined) ?? [];
    if (!Array.isArray(members) || members.some((m) => typeof m !== "string")) return "Policy binding members must be strings.";
    for (const m of members as string[]) if (!MEMBER.test(m)) return `Invalid member type: ${m.split(":")[0]}. Member ${m} must be of the form TYPE:ID.`;
    const cond = b.condition as Json | undefined;
    if (cond !== undefined && (typeof cond !== "object" || typeof cond.expression !== "string" || !cond.expression)) return "Condition must have an expression.";
    out.push({ ...(b as Binding), role: b.role, members: [...(members as string[])] });
  }
  return out;
}

/** A member naming an account of a project in this estate that does not exist (IAM refuses to bind it). */
function missingAccount(world: World, bindings: Binding[], before: IamPolicy | undefined): string | undefined {
  const had = new Set((before?.bindings ?? []).flatMap((b) => b.members));
  for (const b of bindings) {
    for (const m of b.members) {
      if (had.has(m)) continue;
      const email = /^serviceAccount:([^@[\]]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com)$/.exec(m);
      if (email && world.projectByIdOrNumber.has(email[2]) && !world.saByEmail.has(email[1].toLowerCase())) return email[1];
    }
  }
  return undefined;
}

/**
 * A Workload Identity member (`serviceAccount:P.svc.id.goog[ns/ksa]`) newly bound whose pool does not
 * exist yet: GKE creates `P.svc.id.goog` when Workload Identity is first enabled on a cluster of P (or
 * P hosts a fleet), and IAM refuses a member of a pool that does not exist — the classic error of
 * binding before enabling. Only projects of this estate are judged; elsewhere the pool may exist.
 */
function missingPool(world: World, bindings: Binding[], before: IamPolicy | undefined): string | undefined {
  const had = new Set((before?.bindings ?? []).flatMap((b) => b.members));
  for (const b of bindings) {
    for (const m of b.members) {
      if (had.has(m)) continue;
      const pool = /^serviceAccount:(([a-z0-9-]+)\.svc\.id\.goog)\[[^\]]+\]$/.exec(m);
      const project = pool && world.projectByIdOrNumber.get(pool[2]);
      if (!pool || !project) continue;
      const enabled = world.clusters.some((c) => ((c.json.workloadIdentityConfig as Json | undefined)?.workloadPool as string | undefined) === pool[1]);
      if (!enabled && (project.memberships ?? []).length === 0 && !poolNamedAnywhere(world, pool[1])) return pool[1];
    }
  }
  return undefined;
}

/** Whether a policy already names a member of the pool: IAM accepted it then, so the pool exists (clusters may have gone since). */
function poolNamedAnywhere(world: World, pool: string): boolean {
  const prefix = `serviceAccount:${pool}[`;
  const names = (p: IamPolicy | undefined) => (p?.bindings ?? []).some((b) => b.members.some((m) => m.startsWith(prefix)));
  return (
    world.serviceAccounts.some((s) => names(s.policy)) ||
    world.projects.some((p) => names(p.iamPolicy)) ||
    world.estate.folders.some((f) => names(f.iamPolicy)) ||
    names(world.estate.organization?.iamPolicy)
  );
}

function sameEtag(a: string, b: string): boolean {
  const bytes = (e: string) => Buffer.from(e.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("hex");
  return a === b || bytes(a) === bytes(b);
}

function setPolicy(req: SimRequest, api: SimApi, holder: PolicyHolder): SimResponse {
  const body = (req.body ?? {}) as { policy?: Json; updateMask?: string };
  if (!body.policy || typeof body.policy !== "object") return googleError(400, "Request contains an invalid argument.");
  const policy = body.policy;
  const before = holder.get();
  const current = currentPolicyEtag(before, holder.seed);
  // The read-modify-write guard: an etag read before another write no longer matches.
  // An etag is proto `bytes`: JSON carries it base64 in either alphabet (gcloud sends the URL-safe one), so compare bytes.
  if (typeof policy.etag === "string" && policy.etag !== "" && !sameEtag(policy.etag, current)) {
    return googleError(409, `${CONCURRENT} The request's ETag '${policy.etag}' did not match the current policy's ETag '${current}'.`);
  }
  const mask = (body.updateMask ?? "bindings,etag").split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = mask.find((f) => !["bindings", "etag", "auditConfigs", "version"].includes(f));
  if (unknown) return googleError(400, `Invalid update mask path: ${unknown}.`);
  const parsed = mask.includes("bindings") ? parseBindings(policy.bindings) : (before?.bindings ?? []);
  if (typeof parsed === "string") return googleError(400, parsed);
  const version = typeof policy.version === "number" ? policy.version : 1;
  if (![0, 1, 3].includes(version)) return googleError(400, `Invalid policy version ${version}; valid versions are 1 and 3.`);
  if (version < 3 && parsed.some((b) => b.condition)) {
    return googleError(400, "Policy with conditional role bindings must be set with version 3. Set the policy's version field to 3 and retry.");
  }
  const missing = missingAccount(req.world, parsed, before);
  if (missing) return googleError(400, `Service account ${missing} does not exist.`);
  const pool = missingPool(req.world, parsed, before);
  if (pool) {
    return googleError(400, `Identity Pool does not exist (${pool}). Please check that you specified a valid resource name as returned in the \`name\` attribute in the configuration API.`);
  }
  indexBeforeWrite(req.world);
  const next: IamPolicy = { version: parsed.some((b) => b.condition) ? 3 : 1, etag: nextEtag(holder.seed, req.world), bindings: parsed };
  if (mask.includes("auditConfigs") && policy.auditConfigs) (next as Json).auditConfigs = policy.auditConfigs;
  else if ((before as Json | undefined)?.auditConfigs) (next as Json).auditConfigs = (before as Json).auditConfigs;
  holder.set(next);
  const members = (p: IamPolicy | undefined) => new Set((p?.bindings ?? []).flatMap((b) => b.members.map((m) => `${b.role} ${m}`)));
  const was = members(before);
  const now = members(next);
  const added = [...now].filter((x) => !was.has(x));
  const removed = [...was].filter((x) => !now.has(x));
  log(req, api, `set IAM policy of ${holder.label}${added.length ? `; added ${added.join(", ")}` : ""}${removed.length ? `; removed ${removed.join(", ")}` : ""}`);
  const out: Json = { version: next.version, etag: next.etag };
  if (next.bindings.length) out.bindings = next.bindings;
  if ((next as Json).auditConfigs) out.auditConfigs = (next as Json).auditConfigs;
  return { status: 200, body: out };
}

function projectHolder(world: World, idOrNumber: string): PolicyHolder | undefined {
  const p = world.projectByIdOrNumber.get(idOrNumber);
  if (!p) return undefined;
  return { seed: "project:" + p.projectId, get: () => p.iamPolicy, set: (x) => (p.iamPolicy = x), label: `projects/${p.projectId}` };
}

function folderHolder(world: World, id: string): PolicyHolder | undefined {
  const f = world.estate.folders.find((x) => x.name === `folders/${id}`);
  if (!f) return undefined;
  return { seed: f.name, get: () => f.iamPolicy, set: (x) => (f.iamPolicy = x), label: f.name };
}

function orgHolder(world: World, id: string): PolicyHolder | undefined {
  const o = world.estate.organization;
  if (!o || o.name !== `organizations/${id}`) return undefined;
  return { seed: o.name, get: () => o.iamPolicy, set: (x) => (o.iamPolicy = x), label: o.name };
}

function saHolder(sa: SimServiceAccount): PolicyHolder {
  return { seed: "sa:" + sa.estate.email, get: () => sa.policy, set: (x) => (sa.policy = x), label: `serviceAccounts/${sa.estate.email}` };
}

// ---------------------------------------------------------------- IAM accounts and keys

/** The account a path names, or IAM's answer when there is none (or its API is off). */
function account(req: SimRequest, m: RegExpExecArray): SimServiceAccount | SimResponse {
  const sa = findSa(req.world, m[1], m[2]);
  if (!sa) return googleError(404, `Service account projects/${m[1]}/serviceAccounts/${m[2]} does not exist.`);
  return checkEnabled(sa.project, "iam.googleapis.com") ?? sa;
}

function keyOf(sa: SimServiceAccount, keyId: string): Json | undefined {
  return sa.keys.find((k) => (k.name as string).endsWith(`/keys/${keyId}`));
}

function keyWrite(verb: "disable" | "enable" | "delete") {
  return (m: RegExpExecArray, req: SimRequest): SimResponse => {
    const sa = account(req, m);
    if ("status" in sa) return sa;
    const key = keyOf(sa, m[3]);
    if (!key) return googleError(404, `Service account key ${m[3]} does not exist.`);
    // Google rotates its own keys; IAM refuses to touch them (as it refuses other impossible key changes).
    if (key.keyType === "SYSTEM_MANAGED") return googleError(400, "Precondition check failed.", { status: "FAILED_PRECONDITION" });
    indexBeforeWrite(req.world);
    if (verb === "delete") deleteKey(req.world, sa, m[3]);
    else setKeyDisabled(req.world, sa, m[3], verb === "disable");
    log(req, "iam", `${verb}d key ${m[3]} of ${sa.estate.email}`);
    return { status: 200, body: {} };
  };
}

function accountWrite(verb: "disable" | "enable" | "delete") {
  return (m: RegExpExecArray, req: SimRequest): SimResponse => {
    const sa = account(req, m);
    if ("status" in sa) return sa;
    indexBeforeWrite(req.world);
    if (verb === "delete") deleteAccount(req.world, sa);
    else setAccountDisabled(req.world, sa, verb === "disable");
    log(req, "iam", `${verb}d service account ${sa.estate.email}`);
    return { status: 200, body: {} };
  };
}

function createAccountRoute(m: RegExpExecArray, req: SimRequest): SimResponse {
  const p = req.world.projectByIdOrNumber.get(m[1]);
  if (!p) return permissionDenied("iam", "iam.serviceAccounts.create", `projects/${m[1]}`);
  const off = checkEnabled(p, "iam.googleapis.com");
  if (off) return off;
  const body = (req.body ?? {}) as { accountId?: unknown; serviceAccount?: { displayName?: unknown; description?: unknown } };
  const id = body.accountId;
  if (typeof id !== "string" || !id) return googleError(400, "Request contains an invalid argument: accountId is required.");
  // IAM's rule: 6 to 30 characters, lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen.
  if (!/^[a-z]([-a-z0-9]{4,28})[a-z0-9]$/.test(id)) {
    return googleError(400, `Invalid value for field 'accountId': '${id}'. Service account id must be between 6 and 30 characters, start with a lower case letter, and contain only lower case letters, digits and hyphens.`);
  }
  const email = `${id}@${p.projectId}.iam.gserviceaccount.com`;
  if (req.world.saByEmail.has(email)) return googleError(409, `Service account ${id} already exists within project projects/${p.projectId}.`, { status: "ALREADY_EXISTS" });
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  indexBeforeWrite(req.world);
  const sa = createAccount(req.world, p as LoadedProject, id, { displayName: str(body.serviceAccount?.displayName), description: str(body.serviceAccount?.description) });
  log(req, "iam", `created service account ${email}`);
  return { status: 200, body: sa.json };
}

// ---------------------------------------------------------------- container: operations

type Operation = Json & { name: string };

/** Per world, its operations (a reset forgets them with the world). */
const operations = new WeakMap<World, Map<string, { op: Operation; polled: number }>>();

function startOperation(req: SimRequest, cluster: SimCluster, type: string, target: string, detail: string): Operation {
  const n = req.world.writes.length;
  const name = `operation-${Date.now()}-${sha(`${target}:${n}:${Math.random()}`).slice(0, 8)}`;
  const base = `https://container.googleapis.com/v1/projects/${cluster.project.projectNumber}/locations/${cluster.location}`;
  const op: Operation = {
    name,
    zone: cluster.location,
    operationType: type,
    status: "RUNNING",
    detail,
    selfLink: `${base}/operations/${name}`,
    targetLink: `${base}/clusters/${cluster.name}${target}`,
    startTime: iso(Date.now()),
  };
  let ops = operations.get(req.world);
  if (!ops) operations.set(req.world, (ops = new Map()));
  ops.set(`${cluster.project.projectId}/${cluster.location}/${name}`, { op, polled: 0 });
  return op;
}

/** An operation as `operations.get` serves it: RUNNING at first, DONE from the next poll on. */
function pollOperation(world: World, project: LoadedProject, location: string, name: string): Operation | undefined {
  const entry = operations.get(world)?.get(`${project.projectId}/${location}/${name}`);
  if (!entry) return undefined;
  entry.polled++;
  if (entry.polled >= 1 && entry.op.status !== "DONE") entry.op = { ...entry.op, status: "DONE", endTime: iso(Date.now()) };
  return entry.op;
}

/** The cluster a path names, or container's answer when there is none (or its API is off). */
function cluster(req: SimRequest, m: RegExpExecArray): SimCluster | SimResponse {
  const c = findCluster(req.world, m);
  if (!c) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}.`);
  return checkEnabled(c.project, "container.googleapis.com") ?? c;
}

const MODES = ["GKE_METADATA", "GCE_METADATA", "MODE_UNSPECIFIED"];
/** The beta API's (and Terraform's older) names for the same modes. */
const BETA_MODES: Record<string, string> = { GKE_METADATA_SERVER: "GKE_METADATA", EXPOSE: "GCE_METADATA", SECURE: "GCE_METADATA", UNSPECIFIED: "MODE_UNSPECIFIED" };

/** A `workloadMetadataConfig` as v1 stores it, or why it is refused. */
function metadataConfig(c: SimCluster, raw: unknown): Json | string {
  const w = (raw ?? {}) as Json;
  const mode = typeof w.mode === "string" ? w.mode : typeof w.nodeMetadata === "string" ? BETA_MODES[w.nodeMetadata] : undefined;
  if (!mode || !MODES.includes(mode)) return `Invalid value for field 'workloadMetadataConfig.mode': '${String(w.mode ?? w.nodeMetadata)}'.`;
  if (mode === "GKE_METADATA" && !(c.json.workloadIdentityConfig as Json | undefined)?.workloadPool) {
    return "Workload Identity must be enabled on the cluster (a workload pool set) before node pools can use the GKE metadata server.";
  }
  return { mode };
}

function clusterUpdate(m: RegExpExecArray, req: SimRequest): SimResponse {
  const c = cluster(req, m);
  if ("status" in c) return c;
  const update = ((req.body ?? {}) as { update?: Json }).update;
  if (!update || typeof update !== "object" || Object.keys(update).length === 0) return googleError(400, "Must specify a field to update.");
  const fields = Object.keys(update);
  const unsupported = fields.filter((f) => f !== "desiredWorkloadIdentityConfig");
  if (unsupported.length) return googleError(501, `The simulator does not model cluster update field(s) ${unsupported.join(", ")}; it models desiredWorkloadIdentityConfig.`);
  const pool = ((update.desiredWorkloadIdentityConfig as Json | undefined)?.workloadPool as string | undefined) ?? "";
  if (pool && pool !== `${c.project.projectId}.svc.id.goog`) {
    return googleError(400, `Workload Identity Pool "${pool}" is invalid; the only supported pool is "${c.project.projectId}.svc.id.goog".`);
  }
  setWorkloadPool(req.world, c, pool);
  const op = startOperation(req, c, "UPDATE_CLUSTER", "", pool ? `Enabling Workload Identity (pool ${pool})` : "Disabling Workload Identity");
  log(req, "container", `${pool ? `set workload pool ${pool} on` : "removed the workload pool of"} cluster ${c.project.projectId}/${c.location}/${c.name}`);
  return { status: 200, body: op };
}

/** Autopilot manages its nodes itself: GKE refuses node pool changes there. */
function autopilotRefusal(c: SimCluster): SimResponse | undefined {
  if (!(c.json.autopilot as Json | undefined)?.enabled) return undefined;
  return googleError(400, `Node pool operations are not supported on Autopilot cluster ${c.name}: Autopilot manages its nodes.`);
}

function poolOf(c: SimCluster, name: string): Json | undefined {
  return ((c.json.nodePools as Json[] | undefined) ?? []).find((p) => p.name === name);
}

const POOL_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;

function poolCreate(m: RegExpExecArray, req: SimRequest): SimResponse {
  const c = cluster(req, m);
  if ("status" in c) return c;
  const autopilot = autopilotRefusal(c);
  if (autopilot) return autopilot;
  const raw = ((req.body ?? {}) as { nodePool?: Json }).nodePool;
  if (!raw || typeof raw !== "object" || typeof raw.name !== "string") return googleError(400, "Node pool name must be specified.");
  if (!POOL_NAME.test(raw.name)) return googleError(400, `Invalid node pool name "${raw.name}": must be 1-40 lower-case letters, digits or hyphens, starting with a letter.`);
  if (poolOf(c, raw.name)) return googleError(409, `Already exists: projects/${c.project.projectId}/locations/${c.location}/clusters/${c.name}/nodePools/${raw.name}.`, { status: "ALREADY_EXISTS" });
  const config = { ...((raw.config as Json | undefined) ?? {}) };
  if (config.workloadMetadataConfig !== undefined) {
    const wmc = metadataConfig(c, config.workloadMetadataConfig);
    if (typeof wmc === "string") return googleError(400, wmc);
    config.workloadMetadataConfig = wmc;
  } else if ((c.json.workloadIdentityConfig as Json | undefined)?.workloadPool) {
    // A pool created in a Workload Identity cluster runs the GKE metadata server unless told otherwise.
    config.workloadMetadataConfig = { mode: "GKE_METADATA" };
  }
  const sa = config.serviceAccount;
  if (typeof sa === "string" && sa !== "default" && !req.world.saByEmail.has(sa.toLowerCase())) {
    return googleError(400, `The user does not have access to service account "${sa}". Ask a project owner to grant you the iam.serviceAccountUser role on the service account.`);
  }
  const zones = (c.json.locations as string[] | undefined) ?? [c.location];
  const version = (c.json.currentNodeVersion as string | undefined) ?? "1.33.5-gke.1308000";
  const pool: Json = {
    ...raw,
    config: { machineType: "e2-medium", diskSizeGb: 100, oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"], serviceAccount: "default", ...config },
    initialNodeCount: typeof raw.initialNodeCount === "number" ? raw.initialNodeCount : 3,
    locations: Array.isArray(raw.locations) && raw.locations.length ? raw.locations : zones,
    selfLink: `https://container.googleapis.com/v1/projects/${c.project.projectId}/locations/${c.location}/clusters/${c.name}/nodePools/${raw.name}`,
    version,
    status: "RUNNING",
  };
  createPool(req.world, c, pool);
  const op = startOperation(req, c, "CREATE_NODE_POOL", `/nodePools/${raw.name}`, `Creating node pool ${raw.name}`);
  log(req, "container", `created node pool ${raw.name} in ${c.project.projectId}/${c.location}/${c.name}`);
  return { status: 200, body: op };
}

function poolUpdate(m: RegExpExecArray, req: SimRequest): SimResponse {
  const c = cluster(req, m);
  if ("status" in c) return c;
  const autopilot = autopilotRefusal(c);
  if (autopilot) return autopilot;
  const pool = poolOf(c, m[4]);
  if (!pool) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}/nodePools/${m[4]}.`);
  const body = (req.body ?? {}) as Json;
  const change: Json = {};
  if (body.workloadMetadataConfig !== undefined) {
    const wmc = metadataConfig(c, body.workloadMetadataConfig);
    if (typeof wmc === "string") return googleError(400, wmc);
    change.workloadMetadataConfig = wmc;
  }
  // Labels and taints replace the pool's own (gcloud sends the whole new set).
  if (body.labels !== undefined) change.labels = ((body.labels as Json).labels as Json | undefined) ?? {};
  if (body.taints !== undefined) change.taints = ((body.taints as Json).taints as Json[] | undefined) ?? [];
  const ignored = ["name", "projectId", "zone", "clusterId", "nodePoolId", "nodeVersion", "imageType", "workloadMetadataConfig", "labels", "taints"];
  const unsupported = Object.keys(body).filter((k) => !ignored.includes(k));
  if (unsupported.length) return googleError(501, `The simulator does not model node pool update field(s) ${unsupported.join(", ")}; it models workloadMetadataConfig, labels and taints.`);
  if (Object.keys(change).length === 0) return googleError(400, "Must specify a field to update.");
  updatePool(req.world, c, m[4], change);
  const op = startOperation(req, c, "UPGRADE_NODES", `/nodePools/${m[4]}`, `Updating node pool ${m[4]}`);
  const what = change.workloadMetadataConfig ? `workload metadata ${(change.workloadMetadataConfig as Json).mode}` : Object.keys(change).join(", ");
  log(req, "container", `updated node pool ${m[4]} of ${c.project.projectId}/${c.location}/${c.name}: ${what}`);
  return { status: 200, body: op };
}

function poolDelete(m: RegExpExecArray, req: SimRequest): SimResponse {
  const c = cluster(req, m);
  if ("status" in c) return c;
  const autopilot = autopilotRefusal(c);
  if (autopilot) return autopilot;
  if (!poolOf(c, m[4])) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/clusters/${m[3]}/nodePools/${m[4]}.`);
  deletePool(req.world, c, m[4]);
  const op = startOperation(req, c, "DELETE_NODE_POOL", `/nodePools/${m[4]}`, `Deleting node pool ${m[4]}`);
  log(req, "container", `deleted node pool ${m[4]} of ${c.project.projectId}/${c.location}/${c.name}`);
  return { status: 200, body: op };
}

// ---------------------------------------------------------------- routes

const SA = String.raw`\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+)`;
const CLUSTER = String.raw`\/v1\/projects\/([^/:]+)\/(?:locations|zones)\/([^/:]+)\/clusters\/([^/:]+)`;

export const googleWriteRoutes: Route[] = [
  // ---- IAM v1: service accounts' policies, accounts, keys
  {
    api: "iam",
    method: "POST",
    pattern: new RegExp(`^${SA}:setIamPolicy$`),
    permission: () => "iam.serviceAccounts.setIamPolicy",
    handle: (m, req) => {
      const sa = findSa(req.world, m[1], m[2]);
      if (!sa) return permissionDenied("iam", "iam.serviceAccounts.setIamPolicy", `projects/${m[1]}/serviceAccounts/${m[2]}`);
      return checkEnabled(sa.project, "iam.googleapis.com") ?? setPolicy(req, "iam", saHolder(sa));
    },
  },
  { api: "iam", method: "POST", pattern: new RegExp(`^${SA}:disable$`), permission: () => "iam.serviceAccounts.disable", handle: accountWrite("disable") },
  { api: "iam", method: "POST", pattern: new RegExp(`^${SA}:enable$`), permission: () => "iam.serviceAccounts.enable", handle: accountWrite("enable") },
  { api: "iam", method: "DELETE", pattern: new RegExp(`^${SA}$`), permission: () => "iam.serviceAccounts.delete", handle: accountWrite("delete") },
  { api: "iam", method: "POST", pattern: /^\/v1\/projects\/([^/:]+)\/serviceAccounts$/, permission: () => "iam.serviceAccounts.create", handle: createAccountRoute },
  { api: "iam", method: "POST", pattern: new RegExp(`^${SA}\\/keys\\/([^/:]+):disable$`), permission: () => "iam.serviceAccountKeys.disable", handle: keyWrite("disable") },
  { api: "iam", method: "POST", pattern: new RegExp(`^${SA}\\/keys\\/([^/:]+):enable$`), permission: () => "iam.serviceAccountKeys.enable", handle: keyWrite("enable") },
  { api: "iam", method: "DELETE", pattern: new RegExp(`^${SA}\\/keys\\/([^/:]+)$`), permission: () => "iam.serviceAccountKeys.delete", handle: keyWrite("delete") },
  // ---- Resource Manager: projects (v1 as gcloud, v3), folders (v2 as gcloud, v3), the organization (v1 as gcloud, v3)
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v[13]\/projects\/([^/:]+):setIamPolicy$/,
    permission: () => "resourcemanager.projects.setIamPolicy",
    handle: (m, req) => {
      const h = projectHolder(req.world, m[1]);
      if (!h) return permissionDenied("crm", "resourcemanager.projects.setIamPolicy", `projects/${m[1]}`);
      return setPolicy(req, "crm", h);
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v2\/folders\/(\d+):getIamPolicy$/,
    permission: () => "resourcemanager.folders.getIamPolicy",
    handle: (m, req) => {
      const h = folderHolder(req.world, m[1]);
      if (!h) return permissionDenied("crm", "resourcemanager.folders.getIamPolicy", `folders/${m[1]}`);
      return servePolicy(h.get(), req, h.seed);
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v[23]\/folders\/(\d+):setIamPolicy$/,
    permission: () => "resourcemanager.folders.setIamPolicy",
    handle: (m, req) => {
      const h = folderHolder(req.world, m[1]);
      if (!h) return permissionDenied("crm", "resourcemanager.folders.setIamPolicy", `folders/${m[1]}`);
      return setPolicy(req, "crm", h);
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v1\/organizations\/(\d+):getIamPolicy$/,
    permission: () => "resourcemanager.organizations.getIamPolicy",
    handle: (m, req) => {
      const h = orgHolder(req.world, m[1]);
      if (!h) return permissionDenied("crm", "resourcemanager.organizations.getIamPolicy", `organizations/${m[1]}`);
      return servePolicy(h.get(), req, h.seed);
    },
  },
  {
    api: "crm",
    method: "POST",
    pattern: /^\/v[13]\/organizations\/(\d+):setIamPolicy$/,
    permission: () => "resourcemanager.organizations.setIamPolicy",
    handle: (m, req) => {
      const h = orgHolder(req.world, m[1]);
      if (!h) return permissionDenied("crm", "resourcemanager.organizations.setIamPolicy", `organizations/${m[1]}`);
      return setPolicy(req, "crm", h);
    },
  },
  // ---- container v1: clusters.update, nodePools.create|update|delete, operations.get
  { api: "container", method: "PUT", pattern: new RegExp(`^${CLUSTER}$`), permission: () => "container.clusters.update", handle: clusterUpdate },
  { api: "container", method: "POST", pattern: new RegExp(`^${CLUSTER}\\/nodePools$`), permission: () => "container.clusters.update", handle: poolCreate },
  { api: "container", method: "PUT", pattern: new RegExp(`^${CLUSTER}\\/nodePools\\/([^/:]+)$`), permission: () => "container.clusters.update", handle: poolUpdate },
  { api: "container", method: "DELETE", pattern: new RegExp(`^${CLUSTER}\\/nodePools\\/([^/:]+)$`), permission: () => "container.clusters.update", handle: poolDelete },
  {
    api: "container",
    method: "GET",
    pattern: /^\/v1\/projects\/([^/:]+)\/(?:locations|zones)\/([^/:]+)\/operations\/([^/:]+)$/,
    permission: () => "container.operations.get",
    handle: (m, req) => {
      const p = req.world.projectByIdOrNumber.get(m[1]);
      const op = p && pollOperation(req.world, p, m[2], m[3]);
      if (!op) return googleError(404, `Not found: projects/${m[1]}/locations/${m[2]}/operations/${m[3]}.`);
      return { status: 200, body: op };
    },
  },
];
