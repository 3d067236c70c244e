/**
 * The three patch formats the Kubernetes API server applies, as it applies them:
 * - JSON merge patch (RFC 7386, `application/merge-patch+json`): what `kubectl annotate` and
 *   `kubectl label` send; objects merge, `null` deletes, lists are replaced whole.
 * - JSON patch (RFC 6902, `application/json-patch+json`): add/remove/replace/move/copy/test operations
 *   on JSON pointers (RFC 6901).
 * - Strategic merge patch (`application/strategic-merge-patch+json`, kubectl patch's default, `kubectl
 *   set env`, client-side `kubectl apply`): a merge patch in which the lists the API types declare
 *   `patchStrategy:"merge"` merge element by element on their `patchMergeKey` (containers, env,
 *   volumes by name; volumeMounts by mountPath, …), with the directives `$patch` (delete/replace/merge),
 *   `$retainKeys`, `$deleteFromPrimitiveList/FIELD` and `$setElementOrder/FIELD`
 *   (k8s.io/apimachinery/pkg/util/strategicpatch, the patch strategies from k8s.io/api's struct tags).
 * Each returns the patched object or throws a PatchError whose message is what the API server says.
 */
import type { Json } from "./world";

export class PatchError extends Error {
  /** 400 BadRequest for a malformed patch, 422 Invalid for one that fails (a JSON patch `test`), 500 never. */
  constructor(
    message: string,
    readonly code: 400 | 422 = 400,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

// ————————————————————————————————————————————— JSON merge patch (RFC 7386)

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Json = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ————————————————————————————————————————————— JSON patch (RFC 6902)

type Op = { op: string; path: string; value?: unknown; from?: string };

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new PatchError(`invalid JSON pointer "${path}": it must start with "/"`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: Json | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw new PatchError(`the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObj(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new PatchError(`the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(arr: unknown[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === "-") return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new PatchError(`the server rejected our request due to an error in our request: invalid index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`the server rejected our request due to an error in our request: Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  if (!tokens.length) throw new PatchError("the server rejected our request due to an error in our request: cannot remove the whole document");
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, path, false);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(`the server rejected our request due to an error in our request: Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path);
  if (!tokens.length) return structuredClone(value);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, true), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
  return doc;
}

export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError("the server rejected our request due to an error in our request: a JSON patch is a list of operations");
  let doc: unknown = structuredClone(target);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") throw new PatchError("the server rejected our request due to an error in our request: every operation needs an op and a path");
    const o = raw as Op;
    switch (o.op) {
      case "add":
        doc = addAt(doc, o.path, o.value);
        break;
      case "remove":
        removeAt(doc, o.path);
        break;
      case "replace":
        getAt(doc, o.path);
        if (o.path === "") doc = structuredClone(o.value);
        else {
          removeAt(doc, o.path);
          doc = addAt(doc, o.path, o.value);
        }
        break;
      case "move": {
        const v = removeAt(doc, o.from ?? "");
        doc = addAt(doc, o.path, v);
        break;
      }
      case "copy":
        doc = addAt(doc, o.path, getAt(doc, o.from ?? ""));
        break;
      case "test":
        if (JSON.stringify(canonical(getAt(doc, o.path))) !== JSON.stringify(canonical(o.value))) throw new PatchError(`the server rejected our request due to an error in our request: testing value ${o.path} failed: test failed`, 422);
        break;
      default:
        throw new PatchError(`the server rejected our request due to an error in our request: Unexpected kind: ${o.op}`);
    }
  }
  if (!isObj(doc)) throw new PatchError("the server rejected our request due to an error in our request: the patched document is not an object");
  return doc;
}

/** JSON with object keys sorted: for equality that ignores key order. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// ————————————————————————————————————————————— Strategic merge patch

/**
 * The patch metadata of a type: for each field, its type, and for lists whether they merge (and on
 * which key) and whether `retainKeys` applies. Only what the served kinds declare; every other field
 * is a plain value (maps merge, lists are replaced), as the API server treats fields without tags.
 */
export type PatchSchema = {
  fields?: Record<string, PatchSchema>;
  /** A list: `merge` lists merge element by element on `key` (or, for lists of scalars, as a set). */
  list?: { merge: boolean; key?: string; item?: PatchSchema };
  /** A map of string to value (labels, nodeSelector, data): merges key by key. */
  map?: PatchSchema;
  /** `patchStrategy:"retainKeys"` on this struct field (Deployment strategy, a volume's source). */
  retainKeys?: boolean;
};

const mergeList = (key?: string, item?: PatchSchema): PatchSchema => ({ list: { merge: true, key, item } });

const objectMeta: PatchSchema = {
  fields: {
    finalizers: mergeList(),
    ownerReferences: mergeList("uid"),
  },
};

const container: PatchSchema = {
  fields: {
    ports: mergeList("containerPort"),
    env: mergeList("name"),
    volumeMounts: mergeList("mountPath"),
    volumeDevices: mergeList("devicePath"),
  },
};

const podSpec: PatchSchema = {
  fields: {
    volumes: { list: { merge: true, key: "name", item: { retainKeys: true } } },
    initContainers: mergeList("name", container),
    containers: mergeList("name", container),
    ephemeralContainers: mergeList("name", container),
    imagePullSecrets: mergeList("name"),
    hostAliases: mergeList("ip"),
    topologySpreadConstraints: mergeList("topologyKey"),
    schedulingGates: mergeList("name"),
    resourceClaims: { list: { merge: true, key: "name", item: { retainKeys: true } } },
  },
};

const podTemplate: PatchSchema = { fields: { metadata: objectMeta, spec: podSpec } };

/** Patch metadata per kind (k8s.io/api core/v1, apps/v1, batch/v1 struct tags). */
export const PATCH_SCHEMAS: Record<string, PatchSchema> = {
  Pod: { fields: { metadata: objectMeta, spec: podSpec } },
  ServiceAccount: { fields: { metadata: objectMeta, secrets: mergeList("name") } },
  Secret: { fields: { metadata: objectMeta } },
  ConfigMap: { fields: { metadata: objectMeta } },
  Namespace: { fields: { metadata: objectMeta } },
  Deployment: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate, strategy: { retainKeys: true } } } } },
  StatefulSet: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } } } },
  DaemonSet: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } } } },
  ReplicaSet: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } } } },
  Job: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } } } },
  CronJob: { fields: { metadata: objectMeta, spec: { fields: { jobTemplate: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } } } } } } } },
};

const DIRECTIVE = "$patch";
const RETAIN = "$retainKeys";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";
const ORDER = "$setElementOrder/";

/** Applies a strategic merge patch to `original` for an object of `kind`. */
export function strategicMergePatch(original: Json, patch: unknown, kind: string): Json {
  if (!isObj(patch)) throw new PatchError("the server rejected our request due to an error in our request: a strategic merge patch is a JSON object");
  const out = mergeMap(structuredClone(original), patch, PATCH_SCHEMAS[kind] ?? {});
  if (out === undefined) throw new PatchError("the server rejected our request due to an error in our request: the patch deletes the whole object");
  return out;
}

function mergeMap(original: Json, patch: Json, schema: PatchSchema): Json | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === "delete") return undefined;
  if (directive === "replace") {
    const { [DIRECTIVE]: _d, ...rest } = patch;
    return stripDirectives(rest) as Json;
  }
  if (directive !== undefined && directive !== "merge") throw new PatchError(`the server rejected our request due to an error in our request: Unknown patch type: ${String(directive)}`);
  const out: Json = { ...original };
  const retain = patch[RETAIN];
  if (retain !== undefined && !Array.isArray(retain)) throw new PatchError("the server rejected our request due to an error in our request: $retainKeys must be a list");
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (k.startsWith(ORDER)) {
      if (!Array.isArray(v)) throw new PatchError(`the server rejected our request due to an error in our request: ${k} must be a list`);
      orders.push([k.slice(ORDER.length), v]);
      continue;
    }
    const sub = schema.fields?.[k] ?? schema.map ?? {};
    if (v === null) {
      delete out[k];
    } else if (isObj(v)) {
      const merged = mergeMap(isObj(out[k]) ? (out[k] as Json) : {}, v, sub);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v) && sub.list?.merge) {
      out[k] = mergeListValues(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, sub);
    } else {
      out[k] = stripDirectives(v);
    }
  }
  for (const [field, order] of orders) if (Array.isArray(out[field])) out[field] = applyOrder(out[field] as unknown[], order, schema.fields?.[field]?.list?.key);
  if (retain !== undefined) {
    const keep = new Set((retain as unknown[]).map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeListValues(original: unknown[], patch: unknown[], schema: PatchSchema): unknown[] {
  const key = schema.list?.key;
  const item = schema.list?.item ?? {};
  // A `{"$patch": "replace"}` element: the list is the patch's other elements.
  if (patch.some((p) => isObj(p) && p[DIRECTIVE] === "replace")) return patch.filter((p) => !(isObj(p) && p[DIRECTIVE] === "replace")).map(stripDirectives);
  if (!key) {
    // A merging list of scalars is a set: union, patch elements appended.
    const seen = new Set(original.map((x) => JSON.stringify(x)));
    const out = [...original];
    for (const p of patch) if (!seen.has(JSON.stringify(p))) out.push(p);
    return out;
  }
  const out = original.map((x) => x);
  for (const p of patch) {
    if (!isObj(p)) throw new PatchError(`the server rejected our request due to an error in our request: a list merged by ${key} holds only objects`);
    if (!(key in p)) throw new PatchError(`the server rejected our request due to an error in our request: map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const i = out.findIndex((o) => isObj(o) && JSON.stringify(o[key]) === JSON.stringify(p[key]));
    if (p[DIRECTIVE] === "delete") {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) {
      const merged = mergeMap(out[i] as Json, p, item);
      if (merged === undefined) out.splice(i, 1);
      else out[i] = merged;
    } else {
      out.push(mergeMap({}, p, item));
    }
  }
  return out;
}

/** `$setElementOrder`: the listed elements first in that order, the rest after in their order. */
function applyOrder(list: unknown[], order: unknown[], key?: string): unknown[] {
  const id = (x: unknown) => JSON.stringify(key && isObj(x) ? x[key] : x);
  const want = order.map((o) => JSON.stringify(key && isObj(o) ? o[key] : o));
  const rank = new Map(want.map((w, i) => [w, i]));
  const listed = list.filter((x) => rank.has(id(x))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  return [...listed, ...list.filter((x) => !rank.has(id(x)))];
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN || k.startsWith(ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
