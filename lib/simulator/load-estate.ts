/**
 * Reads and validates an estate file (YAML or JSON). Every problem is reported with the file, the
 * line, the path inside the file and what is wrong, e.g.
 *   estate.yaml:41:9 projects[0].clusters[1].cluster.name: must be a cluster name
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import YAML, { LineCounter, isMap, isNode, isScalar, type Document } from "yaml";
import type { z } from "zod";
import { EstateSchema, ManifestSchema, type Estate, type EstateCluster, type EstateProject, type Manifest } from "./estate-schema";

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

/** An estate whose clusters' manifests have been read and validated. */
export type LoadedCluster = EstateCluster & { resolvedManifests: Manifest[] };
export type LoadedProject = Omit<EstateProject, "clusters"> & { clusters: LoadedCluster[] };
export type LoadedEstate = Omit<Estate, "projects"> & {
  /** Absolute path of the file it came from (or a label for in-memory estates). */
  source: string;
  projects: LoadedProject[];
};

type Located = { file: string; doc?: Document; lines?: LineCounter };

function pathString(p: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of p) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
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
    return `${where} ${pathString(full)}: ${msg}`;
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

const SUPPORTED_KINDS = ["Namespace", "ServiceAccount", "Secret", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"];

function validateManifest(raw: unknown, loc: Located, p: readonly PropertyKey[], problems: string[]): Manifest | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(`${position(loc, p)} ${pathString(p)}: a manifest must be a Kubernetes object`);
    return undefined;
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !SUPPORTED_KINDS.includes(kind)) {
    problems.push(
      `${position(loc, [...p, "kind"])} ${pathString([...p, "kind"])}: kind ${JSON.stringify(kind)} is not served by the simulator (one of ${SUPPORTED_KINDS.join(", ")})`,
    );
    return undefined;
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    problems.push(...issuesToProblems(loc, r.error.issues, p));
    return undefined;
  }
  return r.data;
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
  estate.projects.forEach((p, pi) => {
    p.clusters.forEach((c, ci) => {
      const resolved: Manifest[] = [];
      (c.manifests ?? []).forEach((raw, mi) => {
        const m = validateManifest(raw, loc, ["projects", pi, "clusters", ci, "manifests", mi], problems);
        if (m) resolved.push(m);
      });
      if (c.manifestsFile) {
        const mf = path.resolve(baseDir, c.manifestsFile);
        if (!existsSync(mf)) {
          problems.push(`${position(loc, ["projects", pi, "clusters", ci, "manifestsFile"])} projects[${pi}].clusters[${ci}].manifestsFile: no such file ${c.manifestsFile}`);
        } else {
          const lines = new LineCounter();
          const docs = YAML.parseAllDocuments(readFileSync(mf, "utf8"), { lineCounter: lines });
          const mloc: Located = { file: path.basename(mf), lines };
          (Array.isArray(docs) ? docs : []).forEach((doc, di) => {
            if (doc.errors.length) {
              problems.push(`${path.basename(mf)}: document ${di + 1}: ${doc.errors[0].message.split("\n")[0]}`);
              return;
            }
            const v = doc.toJS();
            if (v == null) return; // an empty document between separators
            const m = validateManifest(v, { ...mloc, doc }, [], problems);
            if (m) resolved.push(m);
          });
        }
      }
      c.resolvedManifests = resolved;
    });
  });
  if (problems.length === 0) checkConsistency(estate, loc, problems);
  if (problems.length > 0) throw new EstateError(`Invalid estate file:\n${problems.join("\n")}`, problems);
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
