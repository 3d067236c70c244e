/**
 * Writes to a simulated cluster's Kubernetes API, in the wire format the API server speaks, so the
 * real `kubectl` and `@kubernetes/client-node` can run the printed fixes against it:
 * - `POST` on a collection creates (201; 409 AlreadyExists);
 * - `PUT` replaces (200; 409 Conflict when the body's resourceVersion is not the stored one; 404);
 * - `PATCH` with `application/merge-patch+json`, `application/json-patch+json`,
 *   `application/strategic-merge-patch+json` or `application/apply-patch+yaml` (server-side apply: the
 *   applied configuration merged as a strategic merge patch, the object created when missing, the
 *   field manager recorded in managedFields; conflicts between managers are not modelled, as if every
 *   apply were `--force-conflicts`);
 * - `DELETE` (200 with a Success Status, a Pod's body for pods; 404), owned objects collected as the
 *   garbage collector would unless `propagationPolicy=Orphan`.
 * On ServiceAccounts, Secrets, ConfigMaps, Deployments, StatefulSets, DaemonSets, CronJobs and Pods.
 * `dryRun=All` answers as the write would and changes nothing; `fieldManager`, `fieldValidation` and
 * `force` are accepted (field validation itself is not modelled: unknown fields are kept).
 * Every write bumps the object's resourceVersion (and generation, for a spec change of an object that
 * has one), sets uid and creationTimestamp on create, moves the cluster's list resourceVersion, rolls
 * the pods a template change rolls (k8s-rollout.ts), and is recorded in the write log.
 */
import { parse as parseYaml } from "yaml";
import { K8S_RESOURCES, type Json, type K8sResource, type SimCluster, type World } from "./world";
import { k8sStatus, type SimRequest, type SimResponse } from "./http-types";
import { deepEqual, jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./k8s-patch";
import { convertPodSpec } from "./world";
import { createdMeta, defaulted, reconcile } from "./k8s-rollout";
import { recordWrite } from "./write-log";
import { iso, k8sSuffix } from "./derive";

export type K8sTarget = { resource: K8sResource; namespace?: string; name?: string };

/** The resources the simulator accepts writes on. */
export const WRITABLE: readonly K8sResource[] = ["serviceaccounts", "secrets", "configmaps", "deployments", "statefulsets", "daemonsets", "cronjobs", "pods"];

const WORKLOADS: readonly K8sResource[] = ["deployments", "statefulsets", "daemonsets", "cronjobs"];

const PATCH_TYPES = ["application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

const md = (o: Json) => (o.metadata ?? {}) as Json;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** `deployments.apps`, `serviceaccounts`: how the API server names a resource in messages. */
function qualified(resource: K8sResource): string {
  const g = K8S_RESOURCES[resource].group;
  return g ? `${resource}.${g}` : resource;
}

function apiVersionOf(resource: K8sResource): string {
  const d = K8S_RESOURCES[resource];
  return d.group ? `${d.group}/${d.version}` : d.version;
}

function served(resource: K8sResource, obj: Json): Json {
  return { kind: K8S_RESOURCES[resource].kind, apiVersion: apiVersionOf(resource), ...obj };
}

function details(resource: K8sResource, name: string): Record<string, unknown> {
  return { name, group: K8S_RESOURCES[resource].group, kind: resource };
}

function notFound(resource: K8sResource, name: string): SimResponse {
  return k8sStatus(404, `${qualified(resource)} "${name}" not found`, { reason: "NotFound", details: details(resource, name) });
}

function invalid(resource: K8sResource, name: string, causes: { field: string; message: string; reason?: string }[]): SimResponse {
  const kind = K8S_RESOURCES[resource].kind;
  const g = K8S_RESOURCES[resource].group;
  return k8sStatus(422, `${kind}${g ? `.${g}` : ""} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`, {
    reason: "Invalid",
    details: { name, group: g, kind, causes: causes.map((c) => ({ reason: c.reason ?? "FieldValueInvalid", message: c.message, field: c.field })) },
  });
}

function badRequest(message: string): SimResponse {
  return k8sStatus(400, message, { reason: "BadRequest" });
}

function find(cluster: SimCluster, resource: K8sResource, ns: string | undefined, name: string): Json | undefined {
  return cluster.objects[resource].find((o) => md(o).name === name && md(o).namespace === ns);
}

const sortKey = (x: Json) => `${(md(x).namespace as string | undefined) ?? ""}/${md(x).name as string}`;

/** Stores `obj` in etcd's order (namespace, then name), replacing the object of the same uid. */
function upsert(cluster: SimCluster, resource: K8sResource, obj: Json) {
  const list = cluster.objects[resource];
  const i = list.findIndex((o) => md(o).uid === md(obj).uid || (md(o).name === md(obj).name && md(o).namespace === md(obj).namespace));
  if (i >= 0) list.splice(i, 1);
  const k = sortKey(obj);
  let at = list.findIndex((o) => sortKey(o) > k);
  if (at < 0) at = list.length;
  list.splice(at, 0, obj);
}

function removeByUid(cluster: SimCluster, resource: K8sResource, uidValue: string) {
  const list = cluster.objects[resource];
  const i = list.findIndex((o) => md(o).uid === uidValue);
  if (i >= 0) list.splice(i, 1);
}

/** Every object owned (through ownerReferences, transitively) by `uidValue`, with its resource. */
function dependents(cluster: SimCluster, uidValue: string): [K8sResource, Json][] {
  const out: [K8sResource, Json][] = [];
  const queue = [uidValue];
  while (queue.length) {
    const u = queue.shift()!;
    for (const r of Object.keys(cluster.objects) as K8sResource[]) {
      for (const o of cluster.objects[r]) {
        if (((md(o).ownerReferences as Json[] | undefined) ?? []).some((ref) => ref.uid === u)) {
          out.push([r, o]);
          queue.push(md(o).uid as string);
        }
      }
    }
  }
  return out;
}

/** The managedFields entry a write records: the fields the manager set, FieldsV1 style (`f:` keys; lists as a whole). */
function fieldsV1(v: unknown): Json {
  if (!isObj(v)) return {};
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("$") || k === "apiVersion" || k === "kind") continue;
    if (k === "metadata" && isObj(x)) {
      const m: Json = {};
      for (const mk of ["labels", "annotations"]) if (isObj(x[mk])) m[`f:${mk}`] = { ".": {}, ...fieldsV1(x[mk]) };
      if (Object.keys(m).length) out["f:metadata"] = m;
      continue;
    }
    out[`f:${k}`] = isObj(x) ? fieldsV1(x) : {};
  }
  return out;
}

function withManagedFields(obj: Json, manager: string, operation: "Apply" | "Update", apiVersion: string, sent: unknown, time: string): Json {
  const prior = ((md(obj).managedFields as Json[] | undefined) ?? []).filter((e) => !(e.manager === manager && e.operation === operation));
  const entry = { manager, operation, apiVersion, time, fieldsType: "FieldsV1", fieldsV1: fieldsV1(sent) };
  return { ...obj, metadata: { ...md(obj), managedFields: [...prior, entry] } };
}

/** Map fields (`map[string]string` with omitempty): an empty one is not served. */
const MAP_FIELDS = new Set(["labels", "annotations", "nodeSelector", "data", "binaryData", "matchLabels"]);

/**
 * What Go's `omitempty` leaves out when the API server serialises: empty lists (but `containers`,
 * which is not omitempty) and empty string maps. Empty structs (`emptyDir: {}`) stay.
 */
function omitEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => omitEmpty(x));
  if (!isObj(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    if (Array.isArray(x) && x.length === 0 && k !== "containers") continue;
    if (isObj(x) && MAP_FIELDS.has(k) && Object.keys(x).length === 0) continue;
    out[k] = omitEmpty(x);
  }
  return out;
}

/** A controller's template (and a CronJob's job template) as the API server writes it back: serviceAccount ⇄ serviceAccountName. */
function normalise(resource: K8sResource, obj: Json): Json {
  const out = omitEmpty(structuredClone(obj)) as Json;
  delete out.kind;
  delete out.apiVersion;
  const spec = out.spec as Json | undefined;
  if (!spec) return out;
  if (resource === "pods") out.spec = convertPodSpec(spec);
  const t = spec.template as Json | undefined;
  if (t?.spec) t.spec = convertPodSpec(t.spec as Json);
  const jt = ((spec.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined;
  if (jt?.spec) jt.spec = convertPodSpec(jt.spec as Json);
  if (resource === "secrets") {
    // stringData folds into base64 data, as the API server does on every write.
    const sd = out.stringData as Record<string, string> | undefined;
    if (sd) {
      out.data = { ...((out.data as Json | undefined) ?? {}), ...Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Buffer.from(String(v)).toString("base64")])) };
      delete out.stringData;
    }
    out.type ??= "Opaque";
  }
  return out;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The validation the API server does that the fixes can trip over. */
function validate(resource: K8sResource, obj: Json, prev: Json | undefined): { field: string; message: string; reason?: string }[] {
  const causes: { field: string; message: string; reason?: string }[] = [];
  const name = md(obj).name;
  if (typeof name !== "string" || !name) causes.push({ field: "metadata.name", message: "Required value: name or generateName is required", reason: "FieldValueRequired" });
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    causes.push({ field: "metadata.name", message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` });
  const spec = (obj.spec ?? {}) as Json;
  const podSpecAt: [string, Json | undefined][] =
    resource === "pods"
      ? [["spec", spec]]
      : resource === "cronjobs"
        ? [["spec.jobTemplate.spec.template.spec", (((spec.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined)?.spec as Json | undefined]]
        : WORKLOADS.includes(resource)
          ? [["spec.template.spec", (spec.template as Json | undefined)?.spec as Json | undefined]]
          : [];
  for (const [field, ps] of podSpecAt) {
    const cs = ps?.containers;
    if (!Array.isArray(cs) || cs.length === 0) causes.push({ field: `${field}.containers`, message: "Required value", reason: "FieldValueRequired" });
    else
      cs.forEach((c, i) => {
        if (!isObj(c) || !c.name) causes.push({ field: `${field}.containers[${i}].name`, message: "Required value", reason: "FieldValueRequired" });
        if (!isObj(c) || !c.image) causes.push({ field: `${field}.containers[${i}].image`, message: "Required value", reason: "FieldValueRequired" });
      });
    const sel = ps?.nodeSelector;
    if (isObj(sel)) for (const [k, v] of Object.entries(sel)) if (typeof v !== "string") causes.push({ field: `${field}.nodeSelector`, message: `Invalid value: ${JSON.stringify(v)}: the value of label ${k} must be a string` });
  }
  if (["deployments", "statefulsets", "daemonsets"].includes(resource)) {
    const selector = (spec.selector as Json | undefined)?.matchLabels as Record<string, string> | undefined;
    const labels = (((spec.template as Json | undefined)?.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
    if (selector && Object.entries(selector).some(([k, v]) => labels[k] !== v))
      causes.push({ field: "spec.template.metadata.labels", message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\`` });
    const before = (prev?.spec as Json | undefined)?.selector;
    if (prev && before !== undefined && spec.selector !== undefined && !deepEqual(before, spec.selector)) causes.push({ field: "spec.selector", message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable` });
  }
  if (resource === "pods" && prev) {
    // A pod's spec is immutable but for images, activeDeadlineSeconds, additional tolerations and terminationGracePeriodSeconds.
    const strip = (s: Json) => ({ ...s, containers: ((s.containers as Json[] | undefined) ?? []).map((c) => ({ ...c, image: "" })), initContainers: ((s.initContainers as Json[] | undefined) ?? []).map((c) => ({ ...c, image: "" })), activeDeadlineSeconds: 0, tolerations: [], terminationGracePeriodSeconds: 0 });
    if (!deepEqual(strip(prev.spec as Json), strip(spec)))
      causes.push({
        field: "spec",
        message:
          "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        reason: "FieldValueForbidden",
      });
  }
  return causes;
}

type Ctx = { world: World; cluster: SimCluster; target: K8sTarget; req: SimRequest; dryRun: boolean; manager: string };

/** Parses a write's body: JSON, or YAML for server-side apply. */
function bodyOf(req: SimRequest): unknown {
  if (req.body !== undefined) return req.body;
  if (!req.rawBody) return undefined;
  if (req.contentType === "application/apply-patch+yaml" || req.contentType === "application/yaml") {
    try {
      return parseYaml(req.rawBody) as unknown;
    } catch (err) {
      throw new PatchError(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  throw new PatchError(`couldn't get version/kind; json parse error: invalid JSON in the request body`);
}

export function handleK8sWrite(cluster: SimCluster, target: K8sTarget, req: SimRequest): SimResponse {
  const { resource } = target;
  const def = K8S_RESOURCES[resource];
  if (!WRITABLE.includes(resource) || !["POST", "PUT", "PATCH", "DELETE"].includes(req.method)) {
    return k8sStatus(405, `the simulator does not accept ${req.method} on ${qualified(resource)}; it accepts writes on ${WRITABLE.join(", ")}`, { reason: "MethodNotAllowed" });
  }
  if (def.namespaced && !target.namespace) return k8sStatus(405, "the server does not allow this method on the requested resource", { reason: "MethodNotAllowed" });
  const dry = req.query.getAll("dryRun");
  if (dry.some((d) => d !== "All")) return badRequest(`Invalid dryRun value: ${dry.find((d) => d !== "All")}. Valid values are: "All"`);
  const fv = req.query.get("fieldValidation");
  if (fv && !["Ignore", "Warn", "Strict"].includes(fv)) return badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  const manager = req.query.get("fieldManager") ?? defaultManager(req);
  if (manager.length > 128) return badRequest("fieldManager: Too long: may not be more than 128 bytes");
  const ctx: Ctx = { world: req.world, cluster, target, req, dryRun: dry.length > 0, manager };
  try {
    if (req.method === "POST") {
      if (target.name) return k8sStatus(405, "the server does not allow this method on the requested resource", { reason: "MethodNotAllowed" });
      return create(ctx, bodyOf(req));
    }
    if (!target.name) return k8sStatus(405, `the simulator does not accept ${req.method} on a collection (deletecollection is not modelled)`, { reason: "MethodNotAllowed" });
    if (req.method === "PUT") return replace(ctx, bodyOf(req));
    if (req.method === "PATCH") return patch(ctx);
    return remove(ctx);
  } catch (err) {
    if (err instanceof PatchError) return k8sStatus(err.code, err.message, { reason: err.code === 422 ? "Invalid" : "BadRequest" });
    throw err;
  }
}

/** Who writes when the request names no field manager: the client's user agent, as the API server takes it. */
function defaultManager(req: SimRequest): string {
  return req.method === "PATCH" && req.contentType === "application/apply-patch+yaml" ? "" : "unknown";
}

function checkKind(resource: K8sResource, body: Json): string | undefined {
  const def = K8S_RESOURCES[resource];
  if (body.kind !== undefined && body.kind !== def.kind) return `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`;
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(resource)) return `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(resource)})`;
  return undefined;
}

/** The next resourceVersion of the cluster (one counter per cluster, as etcd's revision). */
function rvCounter(cluster: SimCluster) {
  let rv = Number(cluster.resourceVersion);
  return { next: () => String(++rv), commit: () => (cluster.resourceVersion = String(rv)) };
}

/**
 * Stores `obj` (created when `prev` is undefined) with what the controllers then do, unless dry.
 * Returns the object as stored.
 */
function commit(ctx: Ctx, obj: Json, prev: Json | undefined, how: string): Json {
  const { world, cluster, target } = ctx;
  const resource = target.resource;
  const rvs = rvCounter(cluster);
  const rv = rvs.next();
  let stored: Json = { ...obj, metadata: { ...md(obj), resourceVersion: rv } };
  if (!prev) stored.metadata = createdMeta(world, cluster, md(stored), resource, rv);
  else {
    stored.metadata = { ...md(stored), uid: md(prev).uid, creationTimestamp: md(prev).creationTimestamp };
  }
  // generation: 1 on create for objects with a spec; +1 on a spec change.
  if (WORKLOADS.includes(resource)) {
    const gen = (md(prev ?? {}).generation as number | undefined) ?? 0;
    (stored.metadata as Json).generation = !prev ? 1 : deepEqual(prev.spec, stored.spec) ? gen || 1 : gen + 1;
  }
  if (resource === "pods" && !prev) {
    // A pod: admission, scheduling and status from the derivation, metadata as created.
    const r = reconcile(world, cluster, resource, stored, undefined);
    const pod = r.upserts[0]?.[1];
    if (pod) stored = { ...pod, metadata: { ...md(pod), ...md(stored), labels: md(stored).labels, annotations: md(stored).annotations } };
    for (const k of ["labels", "annotations"]) if ((stored.metadata as Json)[k] === undefined) delete (stored.metadata as Json)[k];
    if (!ctx.dryRun) {
      upsert(cluster, resource, stored);
      rvs.commit();
      recordWrite(world, { api: "k8s", method: ctx.req.method, path: ctx.req.path, summary: `${how} pod ${String(md(stored).namespace)}/${String(md(stored).name)}: ${r.summary}` });
    }
    return stored;
  }
  stored = defaulted(world, cluster, resource, stored);
  const r = WORKLOADS.includes(resource) ? reconcile(world, cluster, resource, stored, prev) : { upserts: [], removals: [], summary: "", annotations: undefined };
  if (r.annotations) (stored.metadata as Json).annotations = { ...((md(stored).annotations as Json | undefined) ?? {}), ...r.annotations };
  if ("status" in r && r.status) stored.status = r.status;
  if (ctx.dryRun) return stored;
  upsert(cluster, resource, stored);
  for (const [res, uidValue] of r.removals) removeByUid(cluster, res, uidValue);
  for (const [res, o] of r.upserts) upsert(cluster, res, { ...o, metadata: { ...md(o), resourceVersion: rvs.next() } });
  rvs.commit();
  const what = `${K8S_RESOURCES[resource].kind.toLowerCase()} ${String(md(stored).namespace)}/${String(md(stored).name)}`;
  recordWrite(world, { api: "k8s", method: ctx.req.method, path: ctx.req.path, summary: `${how} ${what}${r.summary ? `; ${r.summary}` : ""}` });
  return stored;
}

function create(ctx: Ctx, body: unknown): SimResponse {
  const { cluster, target } = ctx;
  const resource = target.resource;
  if (!isObj(body)) return badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
  const kindErr = checkKind(resource, body);
  if (kindErr) return badRequest(kindErr);
  const meta = { ...md(body) };
  if (meta.namespace !== undefined && meta.namespace !== target.namespace) return badRequest("the namespace of the provided object does not match the namespace sent on the request");
  if (target.namespace) meta.namespace = target.namespace;
  if (!meta.name && typeof meta.generateName === "string" && meta.generateName) meta.name = `${meta.generateName}${suffix(`${meta.generateName}/${cluster.resourceVersion}`)}`;
  delete meta.resourceVersion;
  delete meta.uid;
  delete meta.creationTimestamp;
  delete meta.managedFields;
  delete meta.generation;
  const obj = normalise(resource, { ...body, metadata: meta });
  delete obj.status;
  const name = String(meta.name ?? "");
  const causes = validate(resource, obj, undefined);
  if (causes.length) return invalid(resource, name, causes);
  if (find(cluster, resource, target.namespace, name)) {
    return k8sStatus(409, `${qualified(resource)} "${name}" already exists`, { reason: "AlreadyExists", details: details(resource, name) });
  }
  const managed = withManagedFields(obj, ctx.manager, "Update", apiVersionOf(resource), body, iso(ctx.world.now));
  const stored = commit(ctx, managed, undefined, ctx.dryRun ? "dry-run created" : "created");
  return { status: 201, body: served(resource, stored) };
}

function conflict(resource: K8sResource, name: string): SimResponse {
  return k8sStatus(409, `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
    reason: "Conflict",
    details: details(resource, name),
  });
}

function replace(ctx: Ctx, body: unknown): SimResponse {
  const { cluster, target } = ctx;
  const resource = target.resource;
  const name = target.name!;
  if (!isObj(body)) return badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
  const kindErr = checkKind(resource, body);
  if (kindErr) return badRequest(kindErr);
  const meta = md(body);
  if (meta.name !== undefined && meta.name !== name) return badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  if (meta.namespace !== undefined && meta.namespace !== target.namespace) return badRequest("the namespace of the provided object does not match the namespace sent on the request");
  const prev = find(cluster, resource, target.namespace, name);
  if (!prev) return notFound(resource, name);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== "" && meta.resourceVersion !== md(prev).resourceVersion) return conflict(resource, name);
  if (meta.uid !== undefined && meta.uid !== md(prev).uid) return conflict(resource, name);
  const obj = normalise(resource, { ...body, metadata: { ...meta, name, namespace: target.namespace } });
  // Status is written through the status subresource only: a replace keeps the stored one.
  if (prev.status !== undefined) obj.status = prev.status;
  else delete obj.status;
  const causes = validate(resource, obj, prev);
  if (causes.length) return invalid(resource, name, causes);
  const managed = withManagedFields({ ...obj, metadata: { ...md(obj), managedFields: md(prev).managedFields } }, ctx.manager, "Update", apiVersionOf(resource), body, iso(ctx.world.now));
  const stored = commit(ctx, managed, prev, ctx.dryRun ? "dry-run replaced" : "replaced");
  return { status: 200, body: served(resource, stored) };
}

function patch(ctx: Ctx): SimResponse {
  const { cluster, target, req } = ctx;
  const resource = target.resource;
  const name = target.name!;
  const type = req.contentType ?? "";
  if (!PATCH_TYPES.includes(type)) {
    return k8sStatus(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`, { reason: "UnsupportedMediaType" });
  }
  const body = bodyOf(req);
  const prev = find(cluster, resource, target.namespace, name);
  const kind = K8S_RESOURCES[resource].kind;
  if (type === "application/apply-patch+yaml") {
    if (!ctx.manager) return badRequest("PATCH /" + resource + ": fieldManager is required for apply requests");
    if (!isObj(body)) return badRequest("error decoding YAML: the applied configuration is not an object");
    if (body.apiVersion === undefined || body.kind === undefined) return badRequest("invalid object type: /, Kind=");
    const kindErr = checkKind(resource, body);
    if (kindErr) return badRequest(kindErr);
    if (md(body).name !== name) return badRequest(`the name of the object (${String(md(body).name)}) does not match the name on the URL (${name})`);
    if (!prev) {
      // Server-side apply creates what does not exist.
      const meta = { ...md(body), namespace: target.namespace };
      const obj = normalise(resource, { ...body, metadata: meta });
      delete obj.status;
      const causes = validate(resource, obj, undefined);
      if (causes.length) return invalid(resource, name, causes);
      const managed = withManagedFields(obj, ctx.manager, "Apply", apiVersionOf(resource), body, iso(ctx.world.now));
      const stored = commit(ctx, managed, undefined, ctx.dryRun ? "dry-run applied (server-side, created)" : "applied (server-side, created)");
      return { status: 201, body: served(resource, stored) };
    }
    const { apiVersion: _a, kind: _k, ...applied } = body;
    const merged = strategicMergePatch(prev, applied, kind);
    return finishPatch(ctx, prev, merged, body, "Apply", "applied (server-side)");
  }
  if (!prev) return notFound(resource, name);
  let next: Json;
  let how: string;
  if (type === "application/json-patch+json") {
    next = jsonPatch(prev, body);
    how = "patched (JSON patch)";
  } else if (type === "application/merge-patch+json") {
    if (!isObj(body)) throw new PatchError("the server rejected our request due to an error in our request: a merge patch is a JSON object");
    next = mergePatch(prev, body) as Json;
    how = "patched (merge patch)";
  } else {
    next = strategicMergePatch(prev, body, kind);
    how = "patched (strategic merge)";
  }
  return finishPatch(ctx, prev, next, body, "Update", how);
}

function finishPatch(ctx: Ctx, prev: Json, next: Json, sent: unknown, operation: "Apply" | "Update", how: string): SimResponse {
  const { target } = ctx;
  const resource = target.resource;
  const name = target.name!;
  const nm = md(next);
  // A resourceVersion in the patch is a precondition (kubectl apply sends one with --resource-version).
  if (nm.resourceVersion !== undefined && nm.resourceVersion !== md(prev).resourceVersion) return conflict(resource, name);
  if (nm.name !== name) return badRequest(`the name of the object (${String(nm.name)}) does not match the name on the URL (${name})`);
  if (nm.uid !== md(prev).uid) return conflict(resource, name);
  const obj = normalise(resource, { ...next, metadata: { ...nm, namespace: target.namespace } });
  if (prev.status !== undefined) obj.status = prev.status;
  const causes = validate(resource, obj, prev);
  if (causes.length) return invalid(resource, name, causes);
  const managed = withManagedFields(obj, ctx.manager || "unknown", operation, apiVersionOf(resource), sent, iso(ctx.world.now));
  // A patch that changes nothing is no write: same resourceVersion, nothing logged, as the API server does.
  const strip = (o: Json) => ({ ...o, metadata: { ...md(o), managedFields: undefined, resourceVersion: undefined } });
  if (deepEqual(strip(managed), strip(prev))) return { status: 200, body: served(resource, prev) };
  const stored = commit(ctx, managed, prev, ctx.dryRun ? `dry-run ${how}` : how);
  return { status: 200, body: served(resource, stored) };
}

function remove(ctx: Ctx): SimResponse {
  const { cluster, target, req, world } = ctx;
  const resource = target.resource;
  const name = target.name!;
  const prev = find(cluster, resource, target.namespace, name);
  if (!prev) return notFound(resource, name);
  const opts = isObj(req.body) ? req.body : {};
  const pre = opts.preconditions as Json | undefined;
  if (pre?.uid !== undefined && pre.uid !== md(prev).uid) return k8sStatus(409, `Operation cannot be fulfilled on ${qualified(resource)} "${name}": Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${String(md(prev).uid)}`, { reason: "Conflict", details: details(resource, name) });
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== md(prev).resourceVersion) return conflict(resource, name);
  const policy = (opts.propagationPolicy as string | undefined) ?? req.query.get("propagationPolicy") ?? "Background";
  if (!["Background", "Foreground", "Orphan"].includes(policy)) return badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  const okBody =
    resource === "pods"
      ? served(resource, { ...prev, metadata: { ...md(prev), deletionTimestamp: iso(world.now), deletionGracePeriodSeconds: 30 } })
      : { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { ...details(resource, name), uid: md(prev).uid } };
  if (ctx.dryRun) return { status: 200, body: okBody };
  const uidValue = md(prev).uid as string;
  const gone = policy === "Orphan" ? [] : dependents(cluster, uidValue);
  removeByUid(cluster, resource, uidValue);
  for (const [r, o] of gone) removeByUid(cluster, r, md(o).uid as string);
  const rvs = rvCounter(cluster);
  rvs.next();
  let extra = gone.length ? `; the garbage collector removed ${gone.length} dependent(s)` : "";
  if (policy === "Orphan") {
    // Orphans lose their owner reference to the deleted object.
    for (const r of Object.keys(cluster.objects) as K8sResource[])
      for (const o of cluster.objects[r]) {
        const refs = (md(o).ownerReferences as Json[] | undefined) ?? [];
        if (refs.some((x) => x.uid === uidValue)) (o.metadata as Json).ownerReferences = refs.filter((x) => x.uid !== uidValue);
      }
  }
  if (resource === "pods") extra += replacePod(ctx, prev, rvs.next);
  rvs.commit();
  recordWrite(world, { api: "k8s", method: req.method, path: req.path, summary: `deleted ${K8S_RESOURCES[resource].kind.toLowerCase()} ${String(target.namespace)}/${name}${extra}` });
  return { status: 200, body: okBody };
}

/**
 * A pod its ReplicaSet, StatefulSet or DaemonSet controls comes back: the controller creates a
 * replacement (a ReplicaSet's and a DaemonSet's under a new name, a StatefulSet's under the same
 * name), from the same template, on the same node. A bare pod, a Job's, stays gone.
 */
function replacePod(ctx: Ctx, pod: Json, nextRv: () => string): string {
  const ref = ((md(pod).ownerReferences as Json[] | undefined) ?? []).find((r) => r.controller);
  if (!ref || !["ReplicaSet", "StatefulSet", "DaemonSet"].includes(String(ref.kind))) return "";
  const resource = ref.kind === "ReplicaSet" ? "replicasets" : ref.kind === "StatefulSet" ? "statefulsets" : "daemonsets";
  if (!ctx.cluster.objects[resource].some((o) => md(o).uid === ref.uid)) return "";
  const rv = nextRv();
  const gen = typeof md(pod).generateName === "string" ? (md(pod).generateName as string) : undefined;
  const name = ref.kind === "StatefulSet" || !gen ? (md(pod).name as string) : `${gen}${suffix(`${String(md(pod).uid)}/${rv}`)}`;
  const replacement: Json = {
    ...structuredClone(pod),
    metadata: { ...createdMeta(ctx.world, ctx.cluster, { ...md(pod), name }, "pods", rv), resourceVersion: rv },
  };
  delete (replacement.metadata as Json).deletionTimestamp;
  upsert(ctx.cluster, "pods", replacement);
  return `; ${String(ref.kind)} ${String(ref.name)} created pod ${name} in its place`;
}

function suffix(seed: string): string {
  return k8sSuffix(seed, 5);
}

