/**
 * Reads and validates an estate file (YAML or JSON). Every problem is reported with the file, the
 * line, the path inside the file and what is wrong, e.g.
 *   estate.yaml:41:9 projects[0].clusters[1].cluster.name: must be a cluster name
 *
 * Kubernetes objects are taken as `kubectl get -o yaml` and `helm template` print them: `kind: List`
 * (and `PodList`-style API lists) are unwrapped, null fields are dropped as the API server drops them,
 * the kinds the simulator serves are validated, and every other kind (Services, Ingresses, CRDs,
 * custom resources, …) is accepted and ignored — one `info` note per kind, kept on the loaded estate
 * and logged. Objects the simulator derives itself from a controller in the same estate (a dumped
 * Deployment's ReplicaSets and Pods, …) are dropped with a note, not served twice.
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import YAML, { LineCounter, isMap, isNode, isScalar, type Document } from "yaml";
import type { z } from "zod";
import { EstateSchema, ManifestSchema, type Estate, type EstateCluster, type EstateProject, type Manifest } from "./estate-schema";
import { dropDerivedObjects, type SkippedObject } from "./derived-objects";
import { log } from "../log";

export class EstateError extends Error {
  constructor(
    message: string,
    /** Every problem found, each already prefixed with file, line and path. */
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = "EstateError";
  }
}

/** A Kubernetes object of a kind the simulator does not serve: accepted, and ignored but for its namespace. */
export type IgnoredObject = {
  kind: string;
  apiVersion: string;
  /** Only when the object names one: a namespaced object tells that its namespace exists. */
  namespace?: string;
  name?: string;
};

/** An estate whose clusters' manifests have been read and validated. */
export type LoadedCluster = EstateCluster & {
  /** The objects the simulator serves and derives from, Lists unwrapped, derived duplicates dropped. */
  resolvedManifests: Manifest[];
  /** Objects of kinds the simulator does not serve (Services, Ingresses, CRDs, custom resources, …). */
  ignoredObjects: IgnoredObject[];
};
export type LoadedProject = Omit<EstateProject, "clusters"> & { clusters: LoadedCluster[] };
export type LoadedEstate = Omit<Estate, "projects"> & {
  /** Absolute path of the file it came from (or a label for in-memory estates). */
  source: string;
  projects: LoadedProject[];
  /** What loading accepted without serving: one line per ignored kind, one per kind of skipped derived object and cluster. */
  notes: string[];
};

type Located = {
  file: string;
  doc?: Document;
  lines?: LineCounter;
  /** Names the document inside a multi-document file ("document 3"), before the path in messages. */
  docLabel?: string;
};

function pathString(p: readonly PropertyKey[], docLabel?: string): string {
  let out = "";
  for (const seg of p) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  if (docLabel) return out ? `${docLabel} ${out}` : docLabel;
  return out || "(top level)";
}

function position(loc: Located, p: readonly PropertyKey[]): string {
  if (!loc.doc || !loc.lines) return loc.file;
  for (let n = p.length; n >= 0; n--) {
    const node = loc.doc.getIn(p.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) {
      const { line, col } = loc.lines.linePos(node.range[0]);
      return `${loc.file}:${line}:${col}`;
    }
  }
  return loc.file;
}

/** Position of the key `key` inside the mapping at path `p` (for unknown fields). */
function keyPosition(loc: Located, p: readonly PropertyKey[], key: string): string {
  if (!loc.doc || !loc.lines) return loc.file;
  const node = p.length ? loc.doc.getIn(p as unknown[], true) : loc.doc.contents;
  if (isMap(node)) {
    const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
    if (pair && isNode(pair.key) && pair.key.range) {
      const { line, col } = loc.lines.linePos(pair.key.range[0]);
      return `${loc.file}:${line}:${col}`;
    }
  }
  return position(loc, p);
}

function issuesToProblems(loc: Located, issues: z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((i) => {
    const full = [...prefix, ...i.path];
    let msg = i.message;
    if (i.code === "invalid_type" && /received undefined/.test(msg)) msg = "is required";
    if (i.code === "unrecognized_keys") msg = `unknown field(s): ${(i as { keys: string[] }).keys.join(", ")}`;
    // An unknown field is reported at the field itself, not at the object holding it.
    const where = i.code === "unrecognized_keys" ? keyPosition(loc, full, (i as { keys: string[] }).keys[0]) : position(loc, full);
    return `${where} ${pathString(full, loc.docLabel)}: ${msg}`;
  });
}

function parseText(file: string, text: string): { value: unknown; loc: Located } {
  const label = path.basename(file);
  if (file.endsWith(".json")) {
    try {
      return { value: JSON.parse(text), loc: { file: label } };
    } catch (err) {
      throw new EstateError(`${label}: not valid JSON: ${(err as Error).message}`);
    }
  }
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${label}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
    });
    throw new EstateError(`Invalid estate file:\n${problems.join("\n")}`, problems);
  }
  return { value: doc.toJS(), loc: { file: label, doc, lines } };
}

/** The kinds the simulator serves (and derives from), with the API groups they are served in. */
export const SERVED_KINDS: Record<string, string[]> = {
  Namespace: [""],
  ServiceAccount: [""],
  Secret: [""],
  ConfigMap: [""],
  Pod: [""],
  Deployment: ["apps", "extensions"],
  ReplicaSet: ["apps", "extensions"],
  StatefulSet: ["apps"],
  DaemonSet: ["apps", "extensions"],
  Job: ["batch"],
  CronJob: ["batch"],
};

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON null means "not set" to the API server; `kubectl get` prints e.g. `creationTimestamp: null` in templates. */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

/** Where one cluster's objects go while its documents are read. */
type Sink = { served: Manifest[]; ignored: IgnoredObject[] };

/**
 * Reads one Kubernetes object (or a List of them) at path `p`: served kinds are validated, other kinds
 * are recorded as ignored, Lists are unwrapped. Problems are added with file, line and path.
 */
function readObject(raw: unknown, loc: Located, p: readonly PropertyKey[], sink: Sink, problems: string[]) {
  const at = (q: readonly PropertyKey[], msg: string) => problems.push(`${position(loc, q)} ${pathString(q, loc.docLabel)}: ${msg}`);
  if (!isPlainObject(raw)) {
    at(p, `a Kubernetes object (a mapping with apiVersion, kind and metadata) is expected, not ${Array.isArray(raw) ? "a list" : JSON.stringify(raw)}`);
    return;
  }
  const kind = raw.kind;
  if (typeof kind !== "string" || kind === "") {
    at(kind === undefined ? p : [...p, "kind"], "a Kubernetes object needs a kind (e.g. kind: Deployment)");
    return;
  }
  const apiVersion = raw.apiVersion;
  if (typeof apiVersion !== "string" || apiVersion === "") {
    at(apiVersion === undefined ? p : [...p, "apiVersion"], `a Kubernetes object needs an apiVersion (e.g. apiVersion: ${SERVED_KINDS[kind]?.[0] ? `${SERVED_KINDS[kind][0]}/v1` : "v1"})`);
    return;
  }
  // `kubectl get -o yaml` of several objects prints `kind: List`; the API itself answers `PodList`, … whose
  // items carry no kind or apiVersion of their own.
  const isList = kind === "List" || (kind.endsWith("List") && Array.isArray(raw.items));
  if (isList) {
    if (!Array.isArray(raw.items)) {
      at([...p, "items"], "a List needs items: a list of Kubernetes objects");
      return;
    }
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    raw.items.forEach((item, i) => {
      const filled = itemKind && isPlainObject(item) ? { kind: itemKind, apiVersion, ...item } : item;
      readObject(filled, loc, [...p, "items", i], sink, problems);
    });
    return;
  }
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  if (!SERVED_KINDS[kind]?.includes(group)) {
    const md = isPlainObject(raw.metadata) ? raw.metadata : {};
    sink.ignored.push({
      kind,
      apiVersion,
      ...(typeof md.namespace === "string" && md.namespace ? { namespace: md.namespace } : {}),
      ...(typeof md.name === "string" ? { name: md.name } : {}),
    });
    return;
  }
  const r = ManifestSchema.safeParse(dropNulls(raw));
  if (!r.success) {
    problems.push(...issuesToProblems(loc, r.error.issues, p));
    return;
  }
  sink.served.push(r.data);
}
/** `kind (group/version)` for notes: the same kind name in two groups (Job, batch vs volcano) is two kinds. */
const kindLabel = (o: { kind: string; apiVersion: string }) => `${o.kind} (${o.apiVersion})`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function listSome(items: string[], max = 3): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** The load notes: one line per ignored kind across the estate, one per kind of skipped derived object and cluster. */
function buildNotes(label: string, perCluster: { cluster: string; ignored: IgnoredObject[]; skipped: SkippedObject[] }[]): string[] {
  const notes: string[] = [];
  const ignoredKinds = new Map<string, { count: number; clusters: string[] }>();
  for (const c of perCluster) {
    for (const o of c.ignored) {
      const k = kindLabel(o);
      const e = ignoredKinds.get(k) ?? { count: 0, clusters: [] };
      e.count++;
      if (!e.clusters.includes(c.cluster)) e.clusters.push(c.cluster);
      ignoredKinds.set(k, e);
    }
  }
  for (const [k, e] of ignoredKinds) {
    notes.push(`${label}: accepted and ignored ${e.count} ${k} object${e.count === 1 ? "" : "s"} in ${e.clusters.length === 1 ? "cluster" : "clusters"} ${listSome(e.clusters)} — the simulator does not serve this kind`);
  }
  for (const c of perCluster) {
    const byKind = new Map<string, SkippedObject[]>();
    for (const s of c.skipped) byKind.set(s.manifest.kind, [...(byKind.get(s.manifest.kind) ?? []), s]);
    for (const [kind, list] of byKind) {
      const examples = list.map((s) => `${s.manifest.metadata.namespace ?? "default"}/${s.manifest.metadata.name} (${s.because})`);
      notes.push(
        `${label}: skipped ${plural(list.length, kind)} in cluster ${c.cluster} that the simulator derives from their controller in this estate: ${listSome(examples, 2)}`,
      );
    }
  }
  return notes;
}

/** Cross-object checks the schema cannot express: duplicates and references. */
function checkConsistency(estate: LoadedEstate, loc: Located, problems: string[]) {
  const add = (p: PropertyKey[], msg: string) => problems.push(`${position(loc, p)} ${pathString(p)}: ${msg}`);
  const projectIds = new Set<string>();
  const numbers = new Set<string>();
  const emails = new Set<string>();
  const keyIds = new Set<string>();
  const folderNames = new Set(estate.folders.map((f) => f.name));
  estate.folders.forEach((f, i) => {
    if (f.parent?.startsWith("folders/") && !folderNames.has(f.parent)) add(["folders", i, "parent"], `parent ${f.parent} is not a folder of this estate`);
    if (f.parent?.startsWith("organizations/") && estate.organization && f.parent !== estate.organization.name)
      add(["folders", i, "parent"], `parent ${f.parent} is not this estate's organization ${estate.organization.name}`);
  });
  checkRolesAndDenyPolicies(estate, add);
  estate.projects.forEach((p, pi) => {
    if (projectIds.has(p.projectId)) add(["projects", pi, "projectId"], `duplicate project id ${p.projectId}`);
    projectIds.add(p.projectId);
    if (numbers.has(p.projectNumber)) add(["projects", pi, "projectNumber"], `duplicate project number ${p.projectNumber}`);
    numbers.add(p.projectNumber);
    if (p.parent?.startsWith("folders/") && !folderNames.has(p.parent)) add(["projects", pi, "parent"], `parent ${p.parent} is not a folder of this estate`);
    p.serviceAccounts.forEach((sa, si) => {
      if (emails.has(sa.email)) add(["projects", pi, "serviceAccounts", si, "email"], `duplicate service account ${sa.email}`);
      emails.add(sa.email);
      const m = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(sa.email);
      if (m && m[1] !== p.projectId) add(["projects", pi, "serviceAccounts", si, "email"], `${sa.email} belongs to project ${m[1]}, not ${p.projectId}`);
      const c = /^(\d+)-compute@/.exec(sa.email);
      if (c && c[1] !== p.projectNumber) add(["projects", pi, "serviceAccounts", si, "email"], `${sa.email} is the default account of project number ${c[1]}, not ${p.projectNumber}`);
      sa.keys.forEach((k, ki) => {
        if (keyIds.has(k.keyId)) add(["projects", pi, "serviceAccounts", si, "keys", ki, "keyId"], `duplicate key id ${k.keyId}`);
        keyIds.add(k.keyId);
        if (Date.parse(k.validBeforeTime) <= Date.parse(k.validAfterTime))
          add(["projects", pi, "serviceAccounts", si, "keys", ki, "validBeforeTime"], "must be after validAfterTime");
      });
    });
    const memberships = new Set<string>();
    p.memberships.forEach((m, mi) => {
      const [, project, , location, , id] = m.name.split("/");
      if (project !== p.projectId && project !== p.projectNumber) add(["projects", pi, "memberships", mi, "name"], `${m.name} belongs to project ${project}, not ${p.projectId}`);
      if (memberships.has(`${location}/${id}`)) add(["projects", pi, "memberships", mi, "name"], `duplicate membership ${id} in ${location}`);
      memberships.add(`${location}/${id}`);
    });
    const resources = new Set<string>();
    p.resourcePolicies.forEach((r, ri) => {
      if (resources.has(r.resource)) add(["projects", pi, "resourcePolicies", ri, "resource"], `duplicate resource ${r.resource}`);
      resources.add(r.resource);
    });
    const clusterNames = new Set<string>();
    p.clusters.forEach((c, ci) => {
      const key = `${c.cluster.location}/${c.cluster.name}`;
      if (clusterNames.has(key)) add(["projects", pi, "clusters", ci, "cluster", "name"], `duplicate cluster ${key}`);
      clusterNames.add(key);
      const pool = c.cluster.workloadIdentityConfig?.workloadPool;
      if (pool !== undefined && !/^[a-z][a-z0-9-]{4,28}[a-z0-9]\.svc\.id\.goog$/.test(pool))
        add(["projects", pi, "clusters", ci, "cluster", "workloadIdentityConfig", "workloadPool"], `"${pool}" is not PROJECT_ID.svc.id.goog`);
      const poolNames = new Set<string>();
      c.cluster.nodePools.forEach((np, ni) => {
        if (poolNames.has(np.name)) add(["projects", pi, "clusters", ci, "cluster", "nodePools", ni, "name"], `duplicate node pool ${np.name}`);
        poolNames.add(np.name);
      });
      const seen = new Set<string>();
      c.resolvedManifests.forEach((m, mi) => {
        const ns = m.kind === "Namespace" ? "" : (m.metadata.namespace ?? "default");
        const id = `${m.kind}/${ns}/${m.metadata.name}`;
        if (seen.has(id)) add(["projects", pi, "clusters", ci, "manifests", mi], `duplicate ${m.kind} ${ns ? ns + "/" : ""}${m.metadata.name}`);
        seen.add(id);
      });
    });
  });
}

/** Custom roles belong to the project or organization that holds them; ids are unique where they live. */
function checkRolesAndDenyPolicies(estate: LoadedEstate, add: (p: PropertyKey[], msg: string) => void) {
  const roles = (list: { name: string }[], parent: string, at: PropertyKey[]) => {
    const seen = new Set<string>();
    list.forEach((r, i) => {
      if (!r.name.startsWith(`${parent}/roles/`)) add([...at, i, "name"], `${r.name} is not a role of ${parent}`);
      if (seen.has(r.name)) add([...at, i, "name"], `duplicate custom role ${r.name}`);
      seen.add(r.name);
    });
  };
  const policies = (list: { policyId: string }[], at: PropertyKey[]) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.policyId)) add([...at, i, "policyId"], `duplicate deny policy ${d.policyId} on this resource`);
      seen.add(d.policyId);
    });
  };
  if (estate.organization) {
    roles(estate.organization.customRoles ?? [], estate.organization.name, ["organization", "customRoles"]);
    policies(estate.organization.denyPolicies ?? [], ["organization", "denyPolicies"]);
  }
  estate.folders.forEach((f, fi) => policies(f.denyPolicies ?? [], ["folders", fi, "denyPolicies"]));
  estate.projects.forEach((p, pi) => {
    roles(p.customRoles ?? [], `projects/${p.projectId}`, ["projects", pi, "customRoles"]);
    policies(p.denyPolicies ?? [], ["projects", pi, "denyPolicies"]);
  });
}

/** Validates an already-parsed estate value (e.g. a generated one); `file` labels its messages. */
export function validateEstate(value: unknown, file: string, baseDir: string, loc: Located = { file }): LoadedEstate {
  const r = EstateSchema.safeParse(value);
  if (!r.success) {
    const problems = issuesToProblems(loc, r.error.issues);
    throw new EstateError(`Invalid estate file:\n${problems.join("\n")}`, problems);
  }
  const problems: string[] = [];
  const estate = r.data as unknown as LoadedEstate;
  estate.source = file;
  const perCluster: { cluster: string; ignored: IgnoredObject[]; skipped: SkippedObject[] }[] = [];
  estate.projects.forEach((p, pi) => {
    p.clusters.forEach((c, ci) => {
      const sink: Sink = { served: [], ignored: [] };
      (c.manifests ?? []).forEach((raw, mi) => readObject(raw, loc, ["projects", pi, "clusters", ci, "manifests", mi], sink, problems));
      if (c.manifestsFile) {
        const mf = path.resolve(baseDir, c.manifestsFile);
        if (!existsSync(mf)) {
          problems.push(`${position(loc, ["projects", pi, "clusters", ci, "manifestsFile"])} projects[${pi}].clusters[${ci}].manifestsFile: no such file ${c.manifestsFile}`);
        } else {
          const lines = new LineCounter();
          const docs = YAML.parseAllDocuments(readFileSync(mf, "utf8"), { lineCounter: lines });
          (Array.isArray(docs) ? docs : []).forEach((doc, di) => {
            if (doc.errors.length) {
              const pos = doc.errors[0].linePos?.[0];
              problems.push(`${path.basename(mf)}${pos ? `:${pos.line}:${pos.col}` : ""} document ${di + 1}: ${doc.errors[0].message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
              return;
            }
            const v = doc.toJS();
            // An empty document: between separators, after a trailing `---`, or a Helm template that
            // rendered to nothing but its `# Source:` comment.
            if (v == null) return;
            readObject(v, { file: path.basename(mf), lines, doc, docLabel: `document ${di + 1}` }, [], sink, problems);
          });
        }
      }
      const { kept, skipped } = dropDerivedObjects(sink.served);
      c.resolvedManifests = kept;
      c.ignoredObjects = sink.ignored;
      perCluster.push({ cluster: `${p.projectId}/${c.cluster.location}/${c.cluster.name}`, ignored: sink.ignored, skipped });
    });
  });
  if (problems.length === 0) checkConsistency(estate, loc, problems);
  if (problems.length > 0) throw new EstateError(`Invalid estate file:\n${problems.join("\n")}`, problems);
  estate.notes = buildNotes(path.basename(file), perCluster);
  for (const n of estate.notes) log.info(n);
  return estate;
}

export function parseEstateText(text: string, file: string, baseDir = process.cwd()): LoadedEstate {
  const { value, loc } = parseText(file, text);
  return validateEstate(value, file, baseDir, loc);
}

export function loadEstateFile(file: string): LoadedEstate {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new EstateError(`Estate file not found: ${abs}`);
  const estate = parseEstateText(readFileSync(abs, "utf8"), abs, path.dirname(abs));
  estate.source = abs;
  return estate;
}
