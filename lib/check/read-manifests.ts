/**
 * Reads the manifests `npm run check` is given: plain YAML (multi-document, `kind: List` and
 * `…List` API lists), `kustomize build` output and `helm template` output (whose `# Source:`
 * comments name the template each object came from). A path may be a file, a directory (its
 * `*.yaml` / `*.yml` files, recursively, in name order) or `-` for standard input.
 *
 * Every object keeps the file and line it was read from, so a report (SARIF included) can point at
 * it. Kinds the simulator serves are validated with the estate loader's schema (lib/simulator/
 * estate-schema.ts); any other kind (Services, Ingresses, CRDs, Kustomizations…) is accepted and
 * ignored, as the estate loader does. Objects a controller in the same input derives (a dumped
 * Deployment's ReplicaSets and Pods) are dropped the same way (derived-objects.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import YAML, { LineCounter, isNode, type Document } from "yaml";
import { ManifestSchema, type Manifest } from "../simulator/estate-schema";
import { dropDerivedObjects } from "../simulator/derived-objects";
import { SERVED_KINDS, dropNulls, isPlainObject } from "../simulator/load-estate";

/** Unreadable input: a missing path, bad YAML, an object the API server would refuse. Exit 78. */
export class CheckInputError extends Error {
  constructor(
    message: string,
    /** Every problem, each naming the file (and line) it is about. */
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = "CheckInputError";
  }
}

/** One object of the input, where it was read. */
export type LocatedManifest = {
  /** The object as the API server would take it (nulls dropped, namespace filled in). */
  manifest: Manifest;
  /** The file as given on the command line (relative paths stay relative), or `-` for standard input. */
  file: string;
  /** 1-based line where the object starts. */
  line: number;
  /** The template a `helm template` document came from (its `# Source:` comment), if any. */
  helmSource: string | null;
};

/** An object of a kind the check does not model (a Service, an Ingress, a custom resource…). */
export type IgnoredManifest = { kind: string; apiVersion: string; name: string | null; namespace: string | null; file: string; line: number };

export type ReadManifests = {
  objects: LocatedManifest[];
  ignored: IgnoredManifest[];
  /** What was accepted without being modelled, or skipped, one line each. */
  notes: string[];
};

type Source = { file: string; text: string; /** From a directory walk: documents that are not Kubernetes objects are skipped, not refused. */ lenient: boolean };

function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // Hidden entries (.git, .github) are not manifests.
    if (e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listYamlFiles(p));
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
  }
  return out;
}

/** The files behind the given paths; `readStdin` is called once for `-`. */
function sourcesOf(paths: string[], readStdin: () => string): Source[] {
  const out: Source[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push({ file: "-", text: readStdin(), lenient: false });
      continue;
    }
    if (!existsSync(p)) {
      problems.push(`${p}: no such file or directory`);
      continue;
    }
    try {
      if (statSync(p).isDirectory()) {
        const files = listYamlFiles(p);
        if (files.length === 0) problems.push(`${p}: a directory with no *.yaml or *.yml file`);
        for (const f of files) out.push({ file: f, text: readFileSync(f, "utf8"), lenient: true });
      } else {
        out.push({ file: p, text: readFileSync(p, "utf8"), lenient: false });
      }
    } catch (err) {
      problems.push(`${p}: cannot be read: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new CheckInputError(`Cannot read the manifests:\n${problems.join("\n")}`, problems);
  return out;
}

/** `helm template` writes `# Source: CHART/templates/FILE.yaml` at the head of each document. */
function helmSourceOf(doc: Document): string | null {
  const comments = [doc.commentBefore, isNode(doc.contents) ? doc.contents.commentBefore : null].filter((c): c is string => typeof c === "string");
  for (const c of comments) {
    const m = /^\s*Source:\s*(\S.*?)\s*$/m.exec(c);
    if (m) return m[1];
  }
  return null;
}

/**
 * Reads every object of the given paths. Throws CheckInputError naming each unreadable file, line
 * and field; `namespace` is given to namespaced objects that name none (as `kubectl apply -n` does).
 */
export function readManifests(paths: string[], opts: { namespace?: string; readStdin?: () => string } = {}): ReadManifests {
  if (paths.length === 0) throw new CheckInputError("--manifests needs at least one path (a file, a directory, or - for standard input)");
  const readStdin = opts.readStdin ?? (() => readFileSync(0, "utf8"));
  const objects: LocatedManifest[] = [];
  const ignored: IgnoredManifest[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  const defaultNs = opts.namespace ?? "default";

  for (const src of sourcesOf(paths, readStdin)) {
    const lines = new LineCounter();
    const docs = YAML.parseAllDocuments(src.text, { lineCounter: lines, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [];
    list.forEach((doc, di) => {
      const label = `${src.file} document ${di + 1}`;
      if (doc.errors.length) {
        const pos = doc.errors[0].linePos?.[0];
        problems.push(`${src.file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML: ${doc.errors[0].message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        return;
      }
      const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
      // An empty document: between separators, after a trailing `---`, or a Helm template that
      // rendered to nothing but its `# Source:` comment.
      if (value == null) return;
      const helmSource = helmSourceOf(doc);
      const lineAt = (p: (string | number)[]): number => {
        const node = p.length ? doc.getIn(p, true) : doc.contents;
        if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
        return 1;
      };
      const read = (raw: unknown, p: (string | number)[]) => {
        const at = `${src.file}:${lineAt(p)}`;
        if (!isPlainObject(raw)) {
          if (src.lenient && p.length === 0) return notes.push(`${label}: skipped, not a Kubernetes object`);
          return problems.push(`${at} ${label}: a Kubernetes object (a mapping with apiVersion, kind and metadata) is expected`);
        }
        const kind = raw.kind;
        const apiVersion = raw.apiVersion;
        if (typeof kind !== "string" || kind === "" || typeof apiVersion !== "string" || apiVersion === "") {
          // A directory may hold values.yaml, Chart.yaml and the like next to manifests.
          if (src.lenient && p.length === 0) return notes.push(`${label}: skipped, not a Kubernetes object (no kind and apiVersion)`);
          return problems.push(`${at} ${label}: a Kubernetes object needs a kind and an apiVersion`);
        }
        const isList = kind === "List" || (kind.endsWith("List") && Array.isArray(raw.items));
        if (isList) {
          if (!Array.isArray(raw.items)) return problems.push(`${at} ${label}: a List needs items: a list of Kubernetes objects`);
          const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
          raw.items.forEach((item, i) => read(itemKind && isPlainObject(item) ? { kind: itemKind, apiVersion, ...item } : item, [...p, "items", i]));
          return;
        }
        const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
        const md = isPlainObject(raw.metadata) ? raw.metadata : {};
        if (!SERVED_KINDS[kind]?.includes(group)) {
          ignored.push({
            kind,
            apiVersion,
            name: typeof md.name === "string" ? md.name : null,
            namespace: typeof md.namespace === "string" && md.namespace ? md.namespace : null,
            file: src.file,
            line: lineAt(p),
          });
          return;
        }
        const r = ManifestSchema.safeParse(dropNulls(raw));
        if (!r.success) {
          for (const i of r.error.issues) {
            const where = [...p, ...(i.path as (string | number)[])];
            problems.push(`${src.file}:${lineAt(where)} ${label} ${kind} ${typeof md.name === "string" ? md.name : ""} ${i.path.join(".")}: ${i.message}`.replace(/ {2,}/g, " "));
          }
          return;
        }
        const m = r.data;
        if (m.kind !== "Namespace" && !m.metadata.namespace) m.metadata.namespace = defaultNs;
        objects.push({ manifest: m, file: src.file, line: lineAt(p), helmSource });
      };
      read(value, []);
    });
  }

  // The same object twice: kubectl would apply the second over the first; a check cannot tell which is meant.
  const seen = new Map<string, LocatedManifest>();
  for (const o of objects) {
    const id = `${o.manifest.kind}/${o.manifest.metadata.namespace ?? ""}/${o.manifest.metadata.name}`;
    const first = seen.get(id);
    if (first) problems.push(`${o.file}:${o.line}: ${o.manifest.kind} ${o.manifest.metadata.namespace ? o.manifest.metadata.namespace + "/" : ""}${o.manifest.metadata.name} is also at ${first.file}:${first.line}`);
    else seen.set(id, o);
  }
  if (problems.length) throw new CheckInputError(`Cannot read the manifests:\n${problems.join("\n")}`, problems);

  const { kept, skipped } = dropDerivedObjects(objects.map((o) => o.manifest));
  const keptSet = new Set(kept);
  for (const s of skipped) notes.push(`skipped ${s.manifest.kind} ${s.manifest.metadata.namespace}/${s.manifest.metadata.name}: ${s.because}`);
  const byKind = new Map<string, number>();
  for (const i of ignored) byKind.set(`${i.kind} (${i.apiVersion})`, (byKind.get(`${i.kind} (${i.apiVersion})`) ?? 0) + 1);
  for (const [k, n] of byKind) notes.push(`accepted and ignored ${n} ${k} object${n === 1 ? "" : "s"}: no identity depends on this kind`);
  return { objects: objects.filter((o) => keptSet.has(o.manifest)), ignored, notes };
}
