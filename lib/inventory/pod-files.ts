/**
 * Which file a path inside a container is, as the kubelet lays volumes out: the longest `mountPath`
 * that holds the path, then `subPath`, then the volume — a Secret or ConfigMap (every key a file,
 * or only `items[].path`), a projected volume (its sources side by side), or another type the scanner
 * cannot look into (CSI, hostPath, emptyDir…). Used for GOOGLE_APPLICATION_CREDENTIALS and for ADC's
 * well-known file, by the scanner (which ConfigMaps to read) and by the analysis.
 */

/** ADC's well-known file under any HOME: `$HOME/.config/gcloud/application_default_credentials.json`. */
export const ADC_WELL_KNOWN = "/.config/gcloud/application_default_credentials.json";

export type MountLike = { name: string; mountPath: string; subPath?: string };

/** Where a file comes from. */
export type FileSource =
  | {
      kind: "secret" | "configMap";
      /** The Secret's or ConfigMap's name. */
      name: string;
      /** Its data key that is the file. */
      key: string;
      /** `optional: true` on the volume source: a missing Secret/ConfigMap leaves no file. */
      optional: boolean;
      volume: string;
    }
  /** A projected Kubernetes service account token (not a Google credential). */
  | { kind: "token"; volume: string }
  /** A volume type the scanner cannot look into. */
  | { kind: "other"; volume: string; volumeType: string }
  /** No volume provides the path. */
  | { kind: "none"; reason: string };

type Obj = Record<string, unknown>;
type Item = { key: string; path: string };
type ObjectSource = { kind: "secret" | "configMap"; name: string; items?: Item[]; optional: boolean };

/** Keys known to exist in a Secret or ConfigMap (undefined: not known). */
export type KeysOf = (kind: "secret" | "configMap", name: string) => string[] | undefined;

const trim = (p: string) => p.replace(/\/+$/, "");

function volumeType(volume: Obj): string {
  // Volumes read through the client list every volume type, unset ones as undefined: take the one that is set.
  return Object.keys(volume).find((k) => k !== "name" && volume[k] !== undefined && volume[k] !== null) ?? "unknown";
}

/** The Secret/ConfigMap sources of a volume (a plain one, or a projected volume's), and its token paths. */
function sourcesOf(volume: Obj): { objects: ObjectSource[]; tokens: string[]; other: string[] } | undefined {
  const objects: ObjectSource[] = [];
  const tokens: string[] = [];
  const other: string[] = [];
  const obj = (kind: "secret" | "configMap", o: Obj | undefined, nameField: string) => {
    const name = o?.[nameField];
    if (typeof name === "string" && name) objects.push({ kind, name, items: Array.isArray(o!.items) && o!.items.length ? (o!.items as Item[]) : undefined, optional: o!.optional === true });
  };
  if (volume.secret) obj("secret", volume.secret as Obj, "secretName");
  else if (volume.configMap) obj("configMap", volume.configMap as Obj, "name");
  else if (volume.projected) {
    for (const src of ((volume.projected as Obj).sources ?? []) as Obj[]) {
      if (src.secret) obj("secret", src.secret as Obj, "name");
      else if (src.configMap) obj("configMap", src.configMap as Obj, "name");
      else if (src.serviceAccountToken) tokens.push(String((src.serviceAccountToken as Obj).path ?? "token"));
      else if (src.downwardAPI) for (const it of (((src.downwardAPI as Obj).items ?? []) as Obj[])) other.push(String(it.path));
      else if (src.clusterTrustBundle) other.push(String((src.clusterTrustBundle as Obj).path ?? ""));
    }
  } else return undefined;
  return { objects, tokens, other };
}

/** The source key of an object source that is file `rel` (a path inside the volume), if any. */
function keyFor(s: ObjectSource, rel: string, keysOf: KeysOf): { key: string; known: boolean } | undefined {
  if (s.items) {
    const it = s.items.find((i) => i.path === rel);
    return it ? { key: it.key, known: true } : undefined;
  }
  if (!rel || rel.includes("/")) return undefined;
  const keys = keysOf(s.kind, s.name);
  if (keys) return keys.includes(rel) ? { key: rel, known: true } : undefined;
  return { key: rel, known: false };
}

/** The file at `path` in a container, as the container's mounts and the pod's volumes lay it out. */
export function fileSource(volumes: unknown[], mounts: MountLike[], path: string, keysOf: KeysOf = () => undefined): FileSource {
  const sorted = [...mounts].sort((a, b) => trim(b.mountPath).length - trim(a.mountPath).length);
  const mount = sorted.find((m) => path === m.mountPath || path === trim(m.mountPath) || path.startsWith(trim(m.mountPath) + "/"));
  if (!mount) return { kind: "none", reason: `${path} is not on any mounted volume` };
  const base = trim(mount.mountPath);
  const rest = path === mount.mountPath || path === base ? "" : path.slice(base.length + 1);
  const rel = mount.subPath ? (rest ? `${trim(mount.subPath)}/${rest}` : mount.subPath) : rest;
  const volume = (volumes as Obj[]).find((v) => v.name === mount.name);
  if (!volume) return { kind: "none", reason: `volume ${mount.name} is not defined` };
  const src = sourcesOf(volume);
  if (!src) return { kind: "other", volume: mount.name, volumeType: volumeType(volume) };
  if (src.tokens.includes(rel)) return { kind: "token", volume: mount.name };
  // Several sources may be candidates when keys are unknown; one whose key is known to exist wins.
  let guess: FileSource | undefined;
  for (const s of src.objects) {
    const k = keyFor(s, rel, keysOf);
    if (!k) continue;
    const found: FileSource = { kind: s.kind, name: s.name, key: k.key, optional: s.optional, volume: mount.name };
    if (k.known) return found;
    guess ??= found;
  }
  if (guess) return guess;
  if (src.other.includes(rel)) return { kind: "other", volume: mount.name, volumeType: "downwardAPI" };
  return { kind: "none", reason: `volume ${mount.name} has no file ${rel || "(it is a directory)"}` };
}

/**
 * Files the container's Secret, ConfigMap and projected volumes put at paths ending in `suffix`
 * (e.g. `/.config/gcloud/application_default_credentials.json`, ADC's well-known file under any
 * HOME). Secret and ConfigMap keys come from `items`, else from `keysOf`; where the keys are not
 * known, a mount whose path ends in the suffix's directory is taken to hold the suffix's file name.
 */
export function filesEndingWith(volumes: unknown[], mounts: MountLike[], suffix: string, keysOf: KeysOf = () => undefined): { path: string; source: Extract<FileSource, { kind: "secret" | "configMap" }> }[] {
  const out: { path: string; source: Extract<FileSource, { kind: "secret" | "configMap" }> }[] = [];
  const fileName = suffix.slice(suffix.lastIndexOf("/") + 1);
  const dir = suffix.slice(0, suffix.lastIndexOf("/"));
  for (const m of mounts) {
    const volume = (volumes as Obj[]).find((v) => v.name === m.name);
    const src = volume && sourcesOf(volume);
    if (!src) continue;
    const base = trim(m.mountPath);
    for (const s of src.objects) {
      // The volume's files (paths inside the volume), where they can be known.
      let files: string[] | undefined = s.items?.map((i) => i.path);
      if (!files) files = keysOf(s.kind, s.name);
      const candidates: string[] = [];
      if (files) {
        for (const f of files) {
          if (!m.subPath) candidates.push(`${base}/${f}`);
          else if (f === m.subPath) candidates.push(base);
          else if (f.startsWith(trim(m.subPath) + "/")) candidates.push(`${base}/${f.slice(trim(m.subPath).length + 1)}`);
        }
      } else if (!m.subPath && base.endsWith(dir)) candidates.push(`${base}/${fileName}`);
      else if (m.subPath && base.endsWith(suffix)) candidates.push(base);
      for (const p of candidates) {
        if (!p.endsWith(suffix) || out.some((o) => o.path === p)) continue;
        // A longer mount may hide the file: ask where the path really leads.
        const fs = fileSource(volumes, mounts, p, keysOf);
        if (fs.kind === "secret" || fs.kind === "configMap") out.push({ path: p, source: fs });
      }
    }
  }
  return out;
}
