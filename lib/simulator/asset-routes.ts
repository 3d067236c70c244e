/**
 * Cloud Asset Inventory v1 — the organisation-scale path: `searchAllIamPolicies` and
 * `searchAllResources` over a scope (`organizations/N`, `folders/N` or `projects/ID|NUMBER`), paged
 * (at most 500 results a page, as the service caps it), answering with the real field names:
 * `results[]` of IamPolicySearchResult / ResourceSearchResult and `nextPageToken`.
 *
 * What makes it different from asking IAM directly, and what the simulator reproduces:
 * - service accounts are named by resource name with their *uniqueId*, not their email:
 *   `//iam.googleapis.com/projects/PROJECT_ID/serviceAccounts/UNIQUE_ID[/keys/KEY_ID]`;
 * - it needs `cloudasset.assets.searchAll*` on the scope (an organisation or folder role);
 * - its index lags the services by minutes: the estate's `assetLagSeconds` makes the simulator serve
 *   the world as it was before the last reload until that long after it;
 * - only resources that have a policy appear in `searchAllIamPolicies`; besides projects, folders,
 *   the organisation and service accounts, the estate's `resourcePolicies` (buckets, topics, secrets…);
 * - `query` matches as the service does (https://cloud.google.com/asset-inventory/docs/query-syntax):
 *   `policy:` compares word by word (values are split into words at every character that is not a
 *   letter, digit, `_` or `&`, case folded; a phrase's words must appear in order and consecutively,
 *   a trailing `*` makes a word a prefix), against each binding's principals, role and condition, and
 *   a result keeps only the bindings that matched — so `policy:"prod.svc.id.goog"` also matches
 *   `acme-prod.svc.id.goog`; `resource:` (words) and `resource=` (exact) filter by resource name;
 *   several terms must all hold. Other fields and operators answer 400 here;
 * - `versionedResources` (the resource's own JSON) come back only when `readMask` asks for them.
 */
import type { World, SimServiceAccount } from "./world";
import type { LoadedProject } from "./load-estate";
import type { IamBindingSchema, IamPolicy } from "./estate-schema";
import type { z } from "zod";
import { googleError, permissionDenied, serviceDisabled, type Route, type SimRequest, type SimResponse } from "./http-types";
import { pageParams, paginate } from "./google-routes";

type Json = Record<string, unknown>;

const SA_TYPE = "iam.googleapis.com/ServiceAccount";
const KEY_TYPE = "iam.googleapis.com/ServiceAccountKey";
const PROJECT_TYPE = "cloudresourcemanager.googleapis.com/Project";
const FOLDER_TYPE = "cloudresourcemanager.googleapis.com/Folder";
const ORG_TYPE = "cloudresourcemanager.googleapis.com/Organization";

type Entry = { project?: LoadedProject; ancestors: string[]; assetType: string; result: Json; versioned?: Json[] };
type Index = {
  policies: Entry[];
  resources: Entry[];
  /** Each word of any binding's members, role or condition → the policies holding it, in `policies`' order (built on the first policy query). */
  policyWords?: Map<string, Entry[]>;
};

/** Per world, its index and how many writes it had when the index was built. */
const indexes = new WeakMap<World, { index: Index; writes: number }>();

/** Folders and organisation above a project or folder, nearest first. */
function ancestry(world: World, parent: string | undefined): string[] {
  const out: string[] = [];
  let cur = parent ?? world.estate.organization?.name;
  const seen = new Set<string>();
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    out.push(cur);
    if (cur.startsWith("organizations/")) break;
    const f = world.estate.folders.find((x) => x.name === cur);
    cur = f?.parent ?? world.estate.organization?.name;
  }
  return out;
}

function hasBindings(p: IamPolicy | undefined): p is IamPolicy {
  return !!p && p.bindings.length > 0;
}

function policyJson(p: IamPolicy): Json {
  return { bindings: p.bindings.map((b) => ({ ...b, members: [...b.members] })) };
}

function scoped(world: World, project: LoadedProject | undefined, ancestors: string[]): Json {
  const out: Json = {};
  if (project) out.project = `projects/${project.projectNumber}`;
  const folders = ancestors.filter((a) => a.startsWith("folders/"));
  if (folders.length) out.folders = folders;
  if (world.estate.organization) out.organization = world.estate.organization.name;
  return out;
}

function saResourceName(s: SimServiceAccount): string {
  return `//iam.googleapis.com/projects/${s.project.projectId}/serviceAccounts/${s.json.uniqueId as string}`;
}

function buildIndex(world: World): Index {
  const policies: Entry[] = [];
  const resources: Entry[] = [];
  const org = world.estate.organization;
  if (org && hasBindings(org.iamPolicy)) {
    policies.push({ ancestors: [org.name], assetType: ORG_TYPE, result: { resource: `//cloudresourcemanager.googleapis.com/${org.name}`, assetType: ORG_TYPE, organization: org.name, policy: policyJson(org.iamPolicy) } });
  }
  for (const f of world.estate.folders) {
    const anc = [f.name, ...ancestry(world, f.parent)];
    if (hasBindings(f.iamPolicy)) {
      policies.push({ ancestors: anc, assetType: FOLDER_TYPE, result: { resource: `//cloudresourcemanager.googleapis.com/${f.name}`, assetType: FOLDER_TYPE, ...scoped(world, undefined, anc), policy: policyJson(f.iamPolicy) } });
    }
  }
  const projectAncestors = new Map<LoadedProject, string[]>();
  for (const p of world.projects) {
    const anc = ancestry(world, p.parent);
    projectAncestors.set(p, anc);
    if (hasBindings(p.iamPolicy)) {
      policies.push({
        project: p,
        ancestors: anc,
        assetType: PROJECT_TYPE,
        result: { resource: `//cloudresourcemanager.googleapis.com/projects/${p.projectNumber}`, assetType: PROJECT_TYPE, ...scoped(world, p, anc), policy: policyJson(p.iamPolicy) },
      });
    }
  }
  for (const p of world.projects) {
    const anc = projectAncestors.get(p)!;
    for (const r of p.resourcePolicies) {
      if (!hasBindings(r.policy)) continue;
      policies.push({ project: p, ancestors: anc, assetType: r.assetType, result: { resource: r.resource, assetType: r.assetType, ...scoped(world, p, anc), policy: policyJson(r.policy) } });
    }
  }
  for (const s of world.serviceAccounts) {
    const anc = projectAncestors.get(s.project) ?? [];
    const name = saResourceName(s);
    const base = scoped(world, s.project, anc);
    if (hasBindings(s.policy)) policies.push({ project: s.project, ancestors: anc, assetType: SA_TYPE, result: { resource: name, assetType: SA_TYPE, ...base, policy: policyJson(s.policy) } });
    const saResult: Json = { name, assetType: SA_TYPE, ...base, displayName: s.json.displayName ?? "", location: "global", state: s.estate.disabled ? "DISABLED" : "ENABLED" };
    if (s.json.description) saResult.description = s.json.description;
    resources.push({ project: s.project, ancestors: anc, assetType: SA_TYPE, result: saResult, versioned: [{ version: "v1", resource: s.json }] });
    for (const k of s.keys) {
      const keyId = (k.name as string).split("/").pop()!;
      resources.push({
        project: s.project,
        ancestors: anc,
        assetType: KEY_TYPE,
        result: {
          name: `${name}/keys/${keyId}`,
          assetType: KEY_TYPE,
          ...base,
          displayName: keyId,
          location: "global",
          createTime: k.validAfterTime,
          parentFullResourceName: name,
          parentAssetType: SA_TYPE,
        },
        versioned: [{ version: "v1", resource: k }],
      });
    }
  }
  const byName = (a: Entry, b: Entry) => {
    const x = (a.result.resource ?? a.result.name) as string;
    const y = (b.result.resource ?? b.result.name) as string;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  policies.sort(byName);
  resources.sort(byName);
  return { policies, resources };
}

/**
 * The index served for a world. Writes (issue 12) change a world in place: the index is rebuilt once
 * the world has writes it has not seen — but only when the last write is `assetLagSeconds` old, so
 * until then the index as it was before the writes is served, as the real index lags.
 */
function indexOf(world: World): Index {
  const cached = indexes.get(world);
  if (cached && (cached.writes === world.writes.length || lagging(world))) return cached.index;
  const index = buildIndex(world);
  indexes.set(world, { index, writes: world.writes.length });
  return index;
}

function lagging(world: World): boolean {
  const last = world.writes.at(-1);
  return !!last && world.estate.assetLagSeconds > 0 && Date.parse(last.at) + world.estate.assetLagSeconds * 1000 > Date.now();
}

/** Called by a write before it changes the world: the index of the world as it is now, kept to serve while the index lags. */
export function indexBeforeWrite(world: World): void {
  if (world.estate.assetLagSeconds > 0) indexOf(world);
}

/** Resolves the scope, or answers as the service does when it is unknown or out of reach. */
function resolveScope(world: World, kind: string, id: string, permission: string): { match: (e: Entry) => boolean } | SimResponse {
  const scope = `${kind}/${id}`;
  if (kind === "organizations") {
    if (world.estate.organization?.name !== scope) return permissionDenied("cloudasset", permission, scope);
    return { match: () => true };
  }
  if (kind === "folders") {
    if (!world.estate.folders.some((f) => f.name === scope)) return permissionDenied("cloudasset", permission, scope);
    return { match: (e) => e.ancestors.includes(scope) };
  }
  const p = world.projectByIdOrNumber.get(id);
  if (!p) return permissionDenied("cloudasset", permission, scope);
  if ((p.disabledApis ?? []).includes("cloudasset.googleapis.com")) return serviceDisabled("cloudasset.googleapis.com", p.projectNumber, "Cloud Asset API");
  return { match: (e) => e.project === p };
}

function assetTypesOf(req: SimRequest): string[] | SimResponse {
  const types = req.query.getAll("assetTypes").flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
  for (const t of types) {
    if (!/^[a-z0-9.-]+\.googleapis\.com\/[A-Za-z]+$/.test(t) && !t.includes("*")) return googleError(400, `Invalid asset type: ${t}`);
  }
  return types;
}

function typeMatches(types: string[], t: string): boolean {
  if (!types.length) return true;
  return types.some((x) => x === t || (x.includes("*") && new RegExp(`^${x.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`).test(t)));
}

type Binding = z.infer<typeof IamBindingSchema>;

/** Cloud Asset's words: split at anything but letters, digits, `_` and `&`; case folded. */
function assetWords(value: string): string[] {
  let words = WORDS.get(value);
  if (words) return words;
  words = value
    .split(/[^A-Za-z0-9_&]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  // Remembered: every search splits the same members, roles and resource names again (a scan's
  // per-pool searches each walk every policy), and this one process also serves IAM's answers.
  if (WORDS.size >= 500_000) WORDS.clear();
  WORDS.set(value, words);
  return words;
}
const WORDS = new Map<string, string[]>();

/** A query value's words; a `*` ending a word makes it a prefix. */
function queryWords(value: string): string[] {
  return value
    .split(/[^A-Za-z0-9_&*]+/)
    .map((w) => w.replace(/\*(?=.)/g, "").toLowerCase())
    .filter((w) => w && w !== "*");
}

/** Whether the phrase's words appear in `value`'s words, in order and consecutively (`w*` is a prefix). */
function hasPhrase(value: string, phrase: string[]): boolean {
  const words = assetWords(value);
  const eq = (w: string, q: string) => (q.endsWith("*") ? w.startsWith(q.slice(0, -1)) : w === q);
  for (let i = 0; i + phrase.length <= words.length; i++) if (phrase.every((q, j) => eq(words[i + j], q))) return true;
  return false;
}

type Term = { field: "policy" | "resource"; op: ":" | "="; value: string };

/** Parses `field:value`, `field:"a phrase"`, `field=value` terms (all must hold); anything else is a 400. */
function parseQuery(query: string): Term[] | SimResponse {
  const terms: Term[] = [];
  const re = /\s*([A-Za-z.]+)(:|=)("([^"]*)"|[^\s"()]+)\s*/y;
  let i = 0;
  while (i < query.length) {
    re.lastIndex = i;
    const m = re.exec(query);
    if (!m) return googleError(400, `Invalid query at position ${i}: the simulator understands field:value, field:"phrase" and field=value terms.`);
    const field = m[1];
    if (field !== "policy" && field !== "resource") return googleError(400, `The simulator does not support the query field "${field}" (policy and resource only).`);
    if (field === "policy" && m[2] === "=") return googleError(400, "policy is a nested field: it can only be used with the : operator.");
    terms.push({ field, op: m[2] as ":" | "=", value: m[4] ?? m[3] });
    i = re.lastIndex;
  }
  return terms;
}

function bindingMatches(b: Binding, phrase: string[]): boolean {
  const c = b.condition;
  return [...b.members, b.role, ...(c ? [c.title ?? "", c.expression, c.description ?? ""] : [])].some((v) => hasPhrase(v, phrase));
}

/** A policy search result as the query leaves it (only matching bindings), or undefined when it does not match. */
function applyQuery(result: Json, terms: Term[]): Json | undefined {
  const resource = String(result.resource ?? "");
  for (const t of terms) {
    if (t.field !== "resource") continue;
    if (t.op === "=" ? resource !== t.value : !hasPhrase(resource, queryWords(t.value))) return undefined;
  }
  const phrases = terms.filter((t) => t.field === "policy").map((t) => queryWords(t.value));
  if (!phrases.length) return result;
  const policy = result.policy as { bindings: Binding[] };
  const bindings = policy.bindings.filter((b) => phrases.every((p) => bindingMatches(b, p)));
  return bindings.length ? { ...result, policy: { ...policy, bindings } } : undefined;
}

function search(kind: "policies" | "resources", m: RegExpExecArray, req: SimRequest): SimResponse {
  const world = req.assetWorld ?? req.world;
  const permission = kind === "policies" ? "cloudasset.assets.searchAllIamPolicies" : "cloudasset.assets.searchAllResources";
  const scope = resolveScope(world, m[1], m[2], permission);
  if ("status" in scope) return scope;
  const types = assetTypesOf(req);
  if (!Array.isArray(types)) return types;
  const query = (req.query.get("query") ?? "").trim();
  if (query && kind === "resources") return googleError(400, "The simulator supports resource searches without `query` only (filter by assetTypes).");
  const terms = parseQuery(query);
  if (!Array.isArray(terms)) return terms;
  const pp = pageParams(req, 100, 500);
  if ("status" in pp) return pp;
  const readMask = (req.query.get("readMask") ?? "").split(",").map((s) => s.trim());
  const wantVersioned = readMask.includes("*") || readMask.includes("versionedResources");
  const index = indexOf(world);
  const entries = (kind === "policies" ? policyCandidates(index, terms) : index.resources)
    .filter((e) => scope.match(e) && typeMatches(types, e.assetType))
    .map((e) => ({ e, result: terms.length ? applyQuery(e.result, terms) : e.result }))
    .filter((x): x is { e: Entry; result: Json } => x.result !== undefined);
  const { page, next } = paginate(entries, pp);
  const results = page.map(({ e, result }) => (kind === "resources" && wantVersioned && e.versioned ? { ...result, versionedResources: e.versioned } : result));
  const body: Json = {};
  if (results.length) body.results = results;
  if (next) body.nextPageToken = next;
  return { status: 200, body };
}

/**
 * The policies that can match the query's policy terms: those holding every whole word of every
 * phrase (a binding matches a phrase only if its members, role or condition hold the phrase's words),
 * from the word index — a scan's per-pool searches otherwise walked every binding of the estate each,
 * tens of milliseconds in which this one process answered nothing else. The query still decides.
 */
function policyCandidates(index: Index, terms: Term[]): Entry[] {
  const words = terms.filter((t) => t.field === "policy").flatMap((t) => queryWords(t.value).filter((w) => !w.endsWith("*")));
  if (!words.length) return index.policies;
  if (!index.policyWords) {
    const byWord = new Map<string, Entry[]>();
    for (const e of index.policies) {
      const mine = new Set<string>();
      for (const b of (e.result.policy as { bindings: Binding[] }).bindings) {
        const c = b.condition;
        for (const v of [...b.members, b.role, ...(c ? [c.title ?? "", c.expression, c.description ?? ""] : [])]) for (const w of assetWords(v)) mine.add(w);
      }
      for (const w of mine) {
        const list = byWord.get(w);
        if (list) list.push(e);
        else byWord.set(w, [e]);
      }
    }
    index.policyWords = byWord;
  }
  const lists = words.map((w) => index.policyWords!.get(w) ?? []).sort((a, b) => a.length - b.length);
  if (!lists[0].length) return [];
  const rest = lists.slice(1).map((l) => new Set(l));
  return lists[0].filter((e) => rest.every((s) => s.has(e)));
}

export const assetRoutes: Route[] = [
  {
    api: "cloudasset",
    method: "GET",
    pattern: /^\/v1\/(organizations|folders|projects)\/([^/:]+):searchAllIamPolicies$/,
    permission: () => "cloudasset.assets.searchAllIamPolicies",
    handle: (m, req) => search("policies", m, req),
  },
  {
    api: "cloudasset",
    method: "GET",
    pattern: /^\/v1\/(organizations|folders|projects)\/([^/:]+):searchAllResources$/,
    permission: () => "cloudasset.assets.searchAllResources",
    handle: (m, req) => search("resources", m, req),
  },
];
