/**
 * The published shapes of the APIs the simulator imitates, for the field-fidelity test: the
 * `Schema$…` interfaces of the googleapis package (generated from Google's discovery documents) and
 * the OpenAPI models of @kubernetes/client-node. `walk…` reports every field an answer carries that
 * the published type does not have, or whose JSON type differs — recursively through nested
 * objects, arrays and typed maps (a map of strings, like `labels`, is free-form).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";

export type FieldType =
  | { kind: "string" | "number" | "boolean" | "any" }
  | { kind: "ref"; name: string }
  | { kind: "array"; of: FieldType }
  | { kind: "map"; of: FieldType };

export type GoogleApiSchemas = {
  /** `apis/FILE` of the googleapis package, e.g. `iam/v1`. */
  file: string;
  /** Schema name (without `Schema$`) → field → type. */
  schemas: Map<string, Map<string, FieldType>>;
  /** googleapis method key (`Projects$Serviceaccounts$List`, the `Params$Resource$…` suffix) → response schema. */
  responses: Map<string, string>;
};

function parseType(text: string): FieldType {
  const t = text.trim().replace(/\s*\|\s*null$/, "").trim();
  const map = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/.exec(t);
  if (map) return { kind: "map", of: parseType(map[1]) };
  if (t.endsWith("[]")) return { kind: "array", of: parseType(t.slice(0, -2)) };
  const generic = /^Array<(.+)>$/.exec(t);
  if (generic) return { kind: "array", of: parseType(generic[1]) };
  if (t === "string" || t === "number" || t === "boolean") return { kind: t };
  if (t === "any" || t === "unknown") return { kind: "any" };
  const ref = /^Schema\$(\w+)$/.exec(t);
  if (ref) return { kind: "ref", name: ref[1] };
  throw new Error(`unrecognised googleapis field type: ${t}`);
}

/** Splits an interface body into `name?: type` members at top-level semicolons. */
function members(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "{") depth++;
    else if (ch === "}") depth--;
    else if (ch === ";" && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  return out.filter(Boolean);
}

const cache = new Map<string, GoogleApiSchemas>();

/** Reads `node_modules/googleapis/build/src/apis/FILE.d.ts` (e.g. `container/v1`). */
export function googleApiSchemas(file: string): GoogleApiSchemas {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(path.join(process.cwd(), "node_modules", "googleapis", "build", "src", "apis", `${file}.d.ts`), "utf8");
  const schemas = new Map<string, Map<string, FieldType>>();
  for (const m of text.matchAll(/export interface Schema\$(\w+) \{([\s\S]*?)\n {4}\}/g)) {
    const body = m[2].replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ");
    const fields = new Map<string, FieldType>();
    for (const member of members(body)) {
      const mm = /^("?)([^"?:]+)\1\??: ([\s\S]+)$/.exec(member);
      if (!mm) throw new Error(`unrecognised member of Schema$${m[1]}: ${member}`);
      fields.set(mm[2], parseType(mm[3]));
    }
    schemas.set(m[1], fields);
  }
  const responses = new Map<string, string>();
  for (const m of text.matchAll(/\w+\(params\?: Params\$Resource\$([\w$]+), options\?: MethodOptions\): Promise<GaxiosResponseWithHTTP2<Schema\$(\w+)>>;/g)) {
    responses.set(m[1], m[2]);
  }
  const out = { file, schemas, responses };
  cache.set(file, out);
  return out;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();

/**
 * The googleapis method a REST path belongs to, by Google's resource-oriented naming: collections at
 * even positions (`projects/P/serviceAccounts/E/keys` → `Projects$Serviceaccounts$Keys`), `list`
 * when the path ends in a collection, `get` when it ends in an id, the custom verb after `:`. Pass
 * the path still percent-encoded (a name inside one segment stays one segment).
 */
export function googleMethodKey(encodedPath: string): string {
  const rest = encodedPath.replace(/^\/v\d\w*\//, "");
  const segments = rest.split("/");
  const last = segments[segments.length - 1];
  let verb: string | undefined;
  if (last.includes(":")) {
    const i = last.indexOf(":");
    verb = last.slice(i + 1);
    segments[segments.length - 1] = last.slice(0, i);
  }
  const collections = segments.filter((_, i) => i % 2 === 0).map(cap);
  const method = verb ?? (segments.length % 2 === 1 ? "list" : "get");
  return [...collections, cap(method)].join("$");
}

export type Infidelity = string;

function jsonKind(v: unknown): string {
  return Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
}

/** Every field of `value` (an answer typed `schema`) that `Schema$…` declarations do not allow. */
export function walkGoogle(api: GoogleApiSchemas, value: unknown, type: FieldType, where: string, out: Infidelity[]): void {
  switch (type.kind) {
    case "any":
      return;
    case "string":
    case "number":
    case "boolean":
      if (typeof value !== type.kind) out.push(`${where}: ${jsonKind(value)} where ${api.file} declares ${type.kind}`);
      return;
    case "array":
      if (!Array.isArray(value)) return void out.push(`${where}: ${jsonKind(value)} where ${api.file} declares an array`);
      value.forEach((v, i) => walkGoogle(api, v, type.of, `${where}[${i}]`, out));
      return;
    case "map":
      if (jsonKind(value) !== "object") return void out.push(`${where}: ${jsonKind(value)} where ${api.file} declares a map`);
      for (const [k, v] of Object.entries(value as object)) walkGoogle(api, v, type.of, `${where}[${JSON.stringify(k)}]`, out);
      return;
    case "ref": {
      const fields = api.schemas.get(type.name);
      if (!fields) return void out.push(`${where}: ${api.file} has no Schema$${type.name}`);
      if (jsonKind(value) !== "object") return void out.push(`${where}: ${jsonKind(value)} where ${api.file} declares Schema$${type.name}`);
      for (const [k, v] of Object.entries(value as object)) {
        const ft = fields.get(k);
        if (!ft) out.push(`${where}.${k}: not a field of ${api.file} Schema$${type.name}`);
        else walkGoogle(api, v, ft, `${where}.${k}`, out);
      }
    }
  }
}

// ---- Kubernetes -------------------------------------------------------------------------------

type K8sAttribute = { name: string; baseName: string; type: string };
type K8sModel = { getAttributeTypeMap(): K8sAttribute[] };

function k8sModel(name: string): K8sModel | undefined {
  const m = (k8s as unknown as Record<string, unknown>)[name] as K8sModel | undefined;
  return m && typeof m.getAttributeTypeMap === "function" ? m : undefined;
}

/** Every field of `value` (typed `type`, a client-node model name or type expression) its OpenAPI model lacks. */
export function walkK8s(value: unknown, type: string, where: string, out: Infidelity[]): void {
  const t = type.trim();
  if (t === "any") return;
  const arr = /^Array<(.+)>$/.exec(t);
  if (arr) {
    if (!Array.isArray(value)) return void out.push(`${where}: ${jsonKind(value)} where the model declares ${t}`);
    value.forEach((v, i) => walkK8s(v, arr[1], `${where}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) {
    if (jsonKind(value) !== "object") return void out.push(`${where}: ${jsonKind(value)} where the model declares ${t}`);
    for (const [k, v] of Object.entries(value as object)) walkK8s(v, map[1], `${where}[${JSON.stringify(k)}]`, out);
    return;
  }
  if (t === "string" || t === "number" || t === "boolean") {
    if (typeof value !== t) out.push(`${where}: ${jsonKind(value)} where the model declares ${t}`);
    return;
  }
  if (t === "Date") {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) out.push(`${where}: ${JSON.stringify(value)} where the model declares a date-time`);
    return;
  }
  if (t === "IntOrString") {
    if (typeof value !== "string" && typeof value !== "number") out.push(`${where}: ${jsonKind(value)} where the model declares IntOrString`);
    return;
  }
  const model = k8sModel(t);
  if (!model) return void out.push(`${where}: client-node has no model ${t}`);
  if (jsonKind(value) !== "object") return void out.push(`${where}: ${jsonKind(value)} where the model declares ${t}`);
  const attrs = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value as object)) {
    const at = attrs.get(k);
    if (!at) out.push(`${where}.${k}: not a field of ${t}`);
    else walkK8s(v, at, `${where}.${k}`, out);
  }
}
