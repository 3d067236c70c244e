/**
 * The Kubernetes API of each simulated cluster (at its HTTPS endpoint, or under
 * /clusters/PROJECT/LOCATION/NAME over plain HTTP): list (across namespaces or in one) and get for the
 * resources the scanner reads, with `limit`/`continue` pagination (a token from another
 * resourceVersion answers 410 Expired, as etcd compaction does) and `Status` error bodies; and the
 * discovery `kubectl` needs first (`/version`, `/api`, `/apis`, each group version's resource list),
 * in the unaggregated form, which clients fall back to as they do with API servers before 1.26.
 */
import { K8S_RESOURCES, type K8sResource, type Json, type SimCluster } from "./world";
import { k8sStatus, type SimRequest, type SimResponse } from "./http-types";
import { sha } from "./derive";
import { handleK8sWrite, WRITABLE } from "./k8s-write-routes";
import { handleOpenApi } from "./k8s-openapi";

export const K8S_PREFIX = /^\/clusters\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/;

type Parsed =
  | { resource: K8sResource; namespace?: string; name?: string }
  | { special: "version" | "api" | "apis" }
  | { special: "group"; group: string }
  | { special: "resources"; group: string };

/** The API groups served, each at v1 ("" is the core group, at /api/v1). */
function groups(): string[] {
  return [...new Set(Object.values(K8S_RESOURCES).map((d) => d.group))];
}

function parsePath(rest: string): Parsed | undefined {
  rest = rest.replace(/\/$/, "") || "/";
  if (rest === "/version") return { special: "version" };
  if (rest === "/api") return { special: "api" };
  if (rest === "/apis") return { special: "apis" };
  if (rest === "/api/v1") return { special: "resources", group: "" };
  let g = /^\/apis\/([a-z.]+)$/.exec(rest);
  if (g && g[1] && groups().includes(g[1])) return { special: "group", group: g[1] };
  g = /^\/apis\/([a-z.]+)\/v1$/.exec(rest);
  if (g && g[1] && groups().includes(g[1])) return { special: "resources", group: g[1] };
  let m = /^\/api\/v1\/(namespaces|nodes)\/([^/]+)$/.exec(rest);
  if (m) return { resource: m[1] as K8sResource, name: m[2] };
  m = /^\/api\/v1\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(rest);
  if (m) return checkCore(m[2], m[1], m[3]);
  m = /^\/api\/v1\/([a-z]+)$/.exec(rest);
  if (m) return checkCore(m[1]);
  m = /^\/apis\/([a-z.]+)\/(v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(rest);
  if (m) return checkGroup(m[1], m[4], m[3], m[5]);
  m = /^\/apis\/([a-z.]+)\/(v1)\/([a-z]+)$/.exec(rest);
  if (m) return checkGroup(m[1], m[3]);
  return undefined;
}

function checkCore(resource: string, namespace?: string, name?: string): Parsed | undefined {
  const def = K8S_RESOURCES[resource as K8sResource];
  if (!def || def.group !== "") return undefined;
  if (namespace !== undefined && !def.namespaced) return undefined;
  return { resource: resource as K8sResource, namespace, name };
}

function checkGroup(group: string, resource: string, namespace?: string, name?: string): Parsed | undefined {
  const def = K8S_RESOURCES[resource as K8sResource];
  if (!def || def.group !== group) return undefined;
  return { resource: resource as K8sResource, namespace, name };
}

/** The verb and resource a request needs in RBAC terms, for 403 messages. */
export function k8sPermission(rest: string): { verb: string; resource: string; group: string; namespace?: string } {
  const p = parsePath(rest);
  if (!p || "special" in p) return { verb: "get", resource: rest, group: "" };
  const def = K8S_RESOURCES[p.resource];
  return { verb: p.name ? "get" : "list", resource: p.resource, group: def.group, namespace: p.namespace };
}

export function forbiddenMessage(rest: string, user = "wi-atlas-scanner"): string {
  const { verb, resource, group, namespace } = k8sPermission(rest);
  const scope = namespace ? `in the namespace "${namespace}"` : "at the cluster scope";
  return `${resource} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`;
}

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: Number(rv), start })).toString("base64");
}

function decodeContinue(token: string): { rv: string; start: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { v?: string; rv?: number; start?: string };
    if (v.v !== "meta.k8s.io/v1" || typeof v.start !== "string" || typeof v.rv !== "number") return undefined;
    return { rv: String(v.rv), start: v.start };
  } catch {
    return undefined;
  }
}

function keyOf(obj: Json): string {
  const md = obj.metadata as Json;
  return `${(md.namespace as string | undefined) ?? ""}/${md.name as string}`;
}

/**
 * Fields each resource can be selected by, as the API server's `…ToSelectableFields` functions
 * declare them (pkg/apis/core/v1/conversion.go and friends); every resource has metadata.name and
 * metadata.namespace. Anything else is refused with 400, as the API server refuses it.
 */
const SELECTABLE_FIELDS: Partial<Record<K8sResource, Record<string, (o: Json) => unknown>>> = {
  secrets: { type: (o) => o.type },
  pods: {
    "spec.nodeName": (o) => (o.spec as Json | undefined)?.nodeName,
    "spec.restartPolicy": (o) => (o.spec as Json | undefined)?.restartPolicy,
    "spec.schedulerName": (o) => (o.spec as Json | undefined)?.schedulerName,
    "spec.serviceAccountName": (o) => (o.spec as Json | undefined)?.serviceAccountName,
    "spec.hostNetwork": (o) => String((o.spec as Json | undefined)?.hostNetwork ?? false),
    "status.phase": (o) => (o.status as Json | undefined)?.phase,
    "status.podIP": (o) => (o.status as Json | undefined)?.podIP,
    "status.nominatedNodeName": (o) => (o.status as Json | undefined)?.nominatedNodeName,
  },
  namespaces: { "status.phase": (o) => (o.status as Json | undefined)?.phase },
  nodes: { "spec.unschedulable": (o) => String((o.spec as Json | undefined)?.unschedulable ?? false) },
  replicasets: { "status.replicas": (o) => String((o.status as Json | undefined)?.replicas ?? 0) },
  jobs: { "status.successful": (o) => String((o.status as Json | undefined)?.successful ?? 0) },
};

type FieldTerm = { get: (o: Json) => unknown; value: string; negate: boolean };

/** Parses `a=b,c!=d` for `resource`; a string naming the unsupported field when there is one. */
function parseFieldSelector(resource: K8sResource, selector: string): FieldTerm[] | string {
  const terms: FieldTerm[] = [];
  for (const term of selector.split(",").filter(Boolean)) {
    const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) return term;
    const [, key, op, value] = m;
    const get =
      key === "metadata.name" ? (o: Json) => (o.metadata as Json).name : key === "metadata.namespace" ? (o: Json) => (o.metadata as Json).namespace : SELECTABLE_FIELDS[resource]?.[key];
    if (!get) return key;
    terms.push({ get, value, negate: op === "!=" });
  }
  return terms;
}

function selectorMatches(obj: Json, labelSelector: string | null, fields: FieldTerm[]): boolean {
  const md = obj.metadata as Json;
  if (labelSelector) {
    const labels = (md.labels ?? {}) as Record<string, string>;
    for (const term of labelSelector.split(",").filter(Boolean)) {
      const [k, v] = term.split(/!?==?/);
      const negate = term.includes("!=");
      if (v === undefined) {
        if (!(k in labels)) return false;
      } else if (negate ? labels[k] === v : labels[k] !== v) return false;
    }
  }
  for (const f of fields) {
    const equal = String(f.get(obj) ?? "") === f.value;
    if (f.negate ? equal : !equal) return false;
  }
  return true;
}

/** Short names as `kubectl api-resources` lists them. */
const SHORT_NAMES: Partial<Record<string, string[]>> = {
  namespaces: ["ns"],
  nodes: ["no"],
  serviceaccounts: ["sa"],
  pods: ["po"],
  configmaps: ["cm"],
  deployments: ["deploy"],
  replicasets: ["rs"],
  statefulsets: ["sts"],
  daemonsets: ["ds"],
  cronjobs: ["cj"],
};

function apiGroup(group: string) {
  const gv = { groupVersion: `${group}/v1`, version: "v1" };
  return { name: group, versions: [gv], preferredVersion: gv };
}

/** Discovery: what kubectl asks before it can map `pods` or `deploy` to a path. */
function discovery(cluster: SimCluster, parsed: Extract<Parsed, { special: string }>): SimResponse {
  switch (parsed.special) {
    case "version": {
      const v = String((cluster.json.currentMasterVersion as string) ?? "1.33.5-gke.1308000");
      const [maj, min] = v.split(".");
      return {
        status: 200,
        body: {
          major: maj,
          minor: min,
          gitVersion: `v${v}`,
          gitCommit: sha("commit:" + v).slice(0, 40),
          gitTreeState: "clean",
          buildDate: "2025-09-04T09:14:52Z",
          goVersion: "go1.24.6 X:boringcrypto",
          compiler: "gc",
          platform: "linux/amd64",
        },
      };
    }
    case "api":
      return {
        status: 200,
        body: { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: `${cluster.json.endpoint as string}:443` }] },
      };
    case "apis":
      return { status: 200, body: { kind: "APIGroupList", apiVersion: "v1", groups: groups().filter(Boolean).map(apiGroup) } };
    case "group":
      return { status: 200, body: { kind: "APIGroup", apiVersion: "v1", ...apiGroup(parsed.group) } };
    case "resources": {
      const resources = Object.entries(K8S_RESOURCES)
        .filter(([, d]) => d.group === parsed.group)
        .map(([name, d]) => {
          const shortNames = SHORT_NAMES[name];
          // Writes where the simulator accepts them (k8s-write-routes.ts), reads elsewhere, and it says so.
          const verbs = WRITABLE.includes(name as K8sResource) ? ["create", "delete", "get", "list", "patch", "update"] : ["get", "list"];
          return { name, singularName: d.kind.toLowerCase(), namespaced: d.namespaced, kind: d.kind, verbs, ...(shortNames ? { shortNames } : {}) };
        });
      const groupVersion = parsed.group ? `${parsed.group}/v1` : "v1";
      // The core list carries no apiVersion, as the real /api/v1 answer does not.
      return { status: 200, body: { kind: "APIResourceList", ...(parsed.group ? { apiVersion: "v1" } : {}), groupVersion, resources } };
    }
  }
}

export function handleK8s(cluster: SimCluster, rest: string, req: SimRequest): SimResponse {
  const openapi = req.method === "GET" ? handleOpenApi(cluster, rest.replace(/\/$/, "")) : undefined;
  if (openapi) return openapi;
  const parsed = parsePath(rest);
  if (!parsed) return k8sStatus(404, "the server could not find the requested resource", { details: {} });
  if ("special" in parsed) return discovery(cluster, parsed);
  if (req.method !== "GET") return handleK8sWrite(cluster, parsed, req);
  const def = K8S_RESOURCES[parsed.resource];
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const all = cluster.objects[parsed.resource];
  if (parsed.name) {
    const ns = def.namespaced ? parsed.namespace : undefined;
    const obj = all.find((o) => (o.metadata as Json).name === parsed.name && (o.metadata as Json).namespace === ns);
    if (!obj) return k8sStatus(404, `${parsed.resource} "${parsed.name}" not found`, { details: { name: parsed.name, kind: parsed.resource } });
    return { status: 200, body: { kind: def.kind, apiVersion, ...obj } };
  }
  if (parsed.namespace && !cluster.objects.namespaces.some((n) => (n.metadata as Json).name === parsed.namespace)) {
    // Listing in a namespace that does not exist is an empty list, not an error.
  }
  let items = parsed.namespace ? all.filter((o) => (o.metadata as Json).namespace === parsed.namespace) : all;
  const ls = req.query.get("labelSelector");
  const fs = req.query.get("fieldSelector");
  const fields = fs ? parseFieldSelector(parsed.resource, fs) : [];
  if (typeof fields === "string") {
    return k8sStatus(400, `field label not supported: ${fields}`, { reason: "BadRequest" });
  }
  if (ls || fields.length) items = items.filter((o) => selectorMatches(o, ls, fields));

  let start = 0;
  const cont = req.query.get("continue");
  if (cont) {
    const tok = decodeContinue(cont);
    if (!tok) return k8sStatus(400, "continue key is not valid: invalid continue token", { reason: "BadRequest" });
    if (tok.rv !== cluster.resourceVersion) {
      return k8sStatus(
        410,
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        { reason: "Expired" },
      );
    }
    start = items.findIndex((o) => keyOf(o) >= tok.start);
    if (start < 0) start = items.length;
  }
  const limitRaw = Number(req.query.get("limit") ?? 0);
  const limit = Number.isInteger(limitRaw) && limitRaw > 0 ? limitRaw : 0;
  const page = limit ? items.slice(start, start + limit) : items.slice(start);
  const metadata: Json = { resourceVersion: cluster.resourceVersion };
  const nextIndex = start + page.length;
  if (limit && nextIndex < items.length) {
    metadata.continue = encodeContinue(cluster.resourceVersion, keyOf(items[nextIndex]));
    metadata.remainingItemCount = items.length - nextIndex;
  }
  // A `repeatContinue` fault: the same token again, so the list goes round the same page for ever.
  if (req.repeatContinue && limit) metadata.continue = cont ?? metadata.continue ?? encodeContinue(cluster.resourceVersion, keyOf(items[start] ?? {metadata: {name: ""}}));
  return { status: 200, body: { kind: `${def.kind}List`, apiVersion, metadata, items: page } };
}
