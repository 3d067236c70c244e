/**
 * The OpenAPI v3 documents kubectl reads before it writes (`/openapi/v3`, then one document per group
 * version). kubectl (1.27+) asks them two things: whether a kind's PATCH operation takes the
 * `fieldValidation` query parameter — then it leaves validation to the server (`--validate=strict`
 * sends `fieldValidation=Strict`) instead of downloading `/openapi/v2` to validate client-side — and
 * whether that PATCH accepts `application/strategic-merge-patch+json`, so `kubectl apply` computes a
 * strategic merge patch. Minimal but real: every operation the simulator serves, with its
 * `x-kubernetes-group-version-kind`, `x-kubernetes-action`, query parameters and request content types,
 * as the API server publishes them. The types' schemas are not published: kubectl then computes
 * strategic merge patches from its compiled-in types (the same patch metadata for these built-in kinds),
 * as it does when a server's OpenAPI lacks a kind. `kubectl explain` has nothing to explain here.
 */
import { K8S_RESOURCES, type K8sResource, type SimCluster } from "./world";
import { WRITABLE } from "./k8s-write-routes";
import { k8sStatus, type SimResponse } from "./http-types";
import { sha } from "./derive";

/** "api/v1", "apis/apps/v1", … — each group version's document key. */
function groupVersions(): string[] {
  return [...new Set(Object.values(K8S_RESOURCES).map((d) => (d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`)))];
}

const param = (name: string, description: string, extra: Record<string, unknown> = {}) => ({ name, in: "query", description, schema: { type: "string", uniqueItems: true }, ...extra });
const DRY_RUN = param("dryRun", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed");
const FIELD_MANAGER = param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.");
const FIELD_VALIDATION = param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.");
const FORCE = { name: "force", in: "query", description: "Force is going to \"force\" Apply requests.", schema: { type: "boolean", uniqueItems: true } };
const PRETTY = param("pretty", "If 'true', then the output is pretty printed.");
const PATH_NAME = { name: "name", in: "path", description: "name of the resource", required: true, schema: { type: "string", uniqueItems: true } };
const PATH_NS = { name: "namespace", in: "path", description: "object name and auth scope, such as for teams and projects", required: true, schema: { type: "string", uniqueItems: true } };

const PATCH_CONTENT = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

function document(gvKey: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [resource, d] of Object.entries(K8S_RESOURCES) as [K8sResource, (typeof K8S_RESOURCES)[K8sResource]][]) {
    const key = d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
    if (key !== gvKey) continue;
    const gvk = { group: d.group, version: d.version, kind: d.kind };
    const ref = { $ref: `#/components/schemas/${d.kind}` };
    const json = { "application/json": { schema: ref } };
    const op = (action: string, extra: Record<string, unknown> = {}) => ({
      operationId: `${action}${d.kind}`,
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": gvk,
      responses: { "200": { description: "OK", content: json }, "401": { description: "Unauthorized" } },
      ...extra,
    });
    const writable = WRITABLE.includes(resource);
    const base = `/${key}${d.namespaced ? "/namespaces/{namespace}" : ""}/${resource}`;
    const scope = d.namespaced ? [PATH_NS] : [];
    paths[base] = {
      parameters: [...scope, PRETTY],
      get: op("list"),
      ...(writable ? { post: op("post", { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: { content: { "*/*": { schema: ref } }, required: true } }) } : {}),
    };
    paths[`${base}/{name}`] = {
      parameters: [PATH_NAME, ...scope, PRETTY],
      get: op("get"),
      ...(writable
        ? {
            put: op("put", { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: { content: { "*/*": { schema: ref } }, required: true } }),
            patch: op("patch", {
              parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
              requestBody: { content: Object.fromEntries(PATCH_CONTENT.map((c) => [c, { schema: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" } }])), required: true },
            }),
            delete: op("delete", { parameters: [DRY_RUN, param("gracePeriodSeconds", "The duration in seconds before the object should be deleted."), param("propagationPolicy", "Whether and how garbage collection will be performed.")] }),
          }
        : {}),
    };
    if (!d.namespaced || !writable) continue;
    // The cluster-wide list of a namespaced resource.
    paths[`/${key}/${resource}`] = { parameters: [PRETTY], get: op("list") };
  }
  const schemas: Record<string, unknown> = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": { type: "object", description: "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body." },
  };
  // Each kind named, without its fields (see the header): kubectl's own types supply the patch metadata.
  for (const d of Object.values(K8S_RESOURCES)) {
    const key = d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
    if (key === gvKey) schemas[d.kind] = { type: "object", description: `${d.kind} (its fields are not published by the simulator)` };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version }, paths, components: { schemas } };
}

/** Answers `/openapi/v3` and `/openapi/v3/<group version>`; undefined for any other path. */
export function handleOpenApi(cluster: SimCluster, rest: string): SimResponse | undefined {
  if (!rest.startsWith("/openapi/")) return undefined;
  const version = `v${String(cluster.json.currentMasterVersion ?? "1.33.5").split("-")[0]}`;
  if (rest === "/openapi/v3") {
    const paths = Object.fromEntries(groupVersions().map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${sha(`openapi:${version}:${gv}`).slice(0, 128).toUpperCase()}` }]));
    return { status: 200, body: { paths } };
  }
  const m = /^\/openapi\/v3\/(.+)$/.exec(rest);
  if (m && groupVersions().includes(m[1])) return { status: 200, body: document(m[1], version) };
  // /openapi/v2 is protobuf-only in kubectl's client; kubectl falls back to its compiled-in types without it.
  return k8sStatus(404, "the server could not find the requested resource", { details: {} });
}
