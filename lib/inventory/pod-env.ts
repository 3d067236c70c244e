/**
 * A container's environment as the kubelet builds it, for one variable at a time (Kubernetes' own
 * rules, `makeEnvironmentVariables` in pkg/kubelet/kubelet_pods.go):
 *  - `envFrom` first, source by source: every key of the ConfigMap or Secret, with `prefix` in front;
 *    a later source overwrites an earlier one; a missing source marked `optional` is skipped (a
 *    missing one that is not optional keeps the container from starting);
 *  - then `env`, entry by entry: a later entry of the same name overwrites an earlier one (and
 *    `envFrom`); a `value` has its `$(VAR)` references expanded against what is defined so far —
 *    `envFrom` variables and earlier `env` entries —, `$$` escapes a `$`, an undefined reference stays
 *    as written; a `valueFrom` reference to a missing `optional` source or key is skipped, leaving
 *    the variable as it was.
 * Only the values of the identity variables (`ENV_VALUES_KEPT`) are known: any other variable that is
 * set has an unknown value, so a `$(VAR)` reference to it makes the result unknown — never a path
 * with the reference left as written, which is what the kubelet does only for an *undefined* one.
 * Docs: https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
 * and the EnvVar / EnvFromSource API reference.
 *
 * Sources are looked up through `EnvLookup`, which says what the scan knows of each ConfigMap and
 * Secret: missing, unreadable, or read (with the keys it holds and the values it kept). The same
 * code answers the scanner (which ConfigMaps to read) and the analysis (what the variable is).
 */

import { ENV_VALUES_KEPT, credentialsPathVariables, isEnvValueKept } from "./env-values";

export const GAC = "GOOGLE_APPLICATION_CREDENTIALS";

/** An `env` entry as the inventory keeps it (values of identity variables only: lib/inventory/env-values.ts). */
export type EnvEntry = { name: string; value?: string; valueFrom?: unknown; valueWithheld?: string };

const NOT_KEPT = `wi-atlas keeps the values of ${ENV_VALUES_KEPT.join(", ")} only`;

/** What the scan knows of one ConfigMap or Secret a container refers to. */
export type EnvSourceView =
  /** It does not exist (its source answered in full). */
  | { state: "missing" }
  /** It could not be read; `lacking` names the sources that failed. */
  | { state: "unreadable"; lacking: string[] }
  /**
   * It was read. `has` says whether a key exists (`unknown` when the scan did not look for it);
   * `value` is the key's value when the scan kept it (path-like values only).
   */
  | { state: "read"; has: (key: string) => boolean | "unknown"; value: (key: string) => string | undefined };

export type EnvLookup = {
  configMap: (name: string) => EnvSourceView;
  secret: (name: string) => EnvSourceView;
};

/** A variable's value, as far as the scan can tell. */
export type EnvValue =
  | { kind: "unset" }
  /** The value, and where it came from (e.g. `ConfigMap gcp-env key GOOGLE_APPLICATION_CREDENTIALS`). */
  | { kind: "value"; value: string; from: string }
  /**
   * Not known. `definite`: the variable is set, its value is unknown; otherwise it may not be set at
   * all (it could only come from a source that could not be read). `lacking` names failed sources.
   */
  | { kind: "unknown"; definite: boolean; reason: string; lacking: string[] };

type Obj = Record<string, unknown>;
type Ref = { kind: "configMap" | "secret"; name: string; key: string; optional: boolean };

const MAX_DEPTH = 8;

function ref(vf: unknown): Ref | "field" | undefined {
  if (!vf || typeof vf !== "object") return undefined;
  const o = vf as Obj;
  const cm = o.configMapKeyRef as { name?: string; key?: string; optional?: boolean } | undefined;
  if (cm?.name && cm.key) return { kind: "configMap", name: cm.name, key: cm.key, optional: cm.optional === true };
  const s = o.secretKeyRef as { name?: string; key?: string; optional?: boolean } | undefined;
  if (s?.name && s.key) return { kind: "secret", name: s.name, key: s.key, optional: s.optional === true };
  return "field";
}

type FromSource = { kind: "configMap" | "secret"; name: string; prefix: string; optional: boolean };

function envFromSources(envFrom: unknown[]): FromSource[] {
  const out: FromSource[] = [];
  for (const raw of envFrom) {
    const o = (raw ?? {}) as Obj;
    const prefix = typeof o.prefix === "string" ? o.prefix : "";
    const cm = o.configMapRef as { name?: string; optional?: boolean } | undefined;
    const s = o.secretRef as { name?: string; optional?: boolean } | undefined;
    if (cm?.name) out.push({ kind: "configMap", name: cm.name, prefix, optional: cm.optional === true });
    else if (s?.name) out.push({ kind: "secret", name: s.name, prefix, optional: s.optional === true });
  }
  return out;
}

const label = (kind: "configMap" | "secret") => (kind === "configMap" ? "ConfigMap" : "Secret");

/** The `$(NAME)` references of a value, as the kubelet's expansion reads them (`$$` escapes). */
export function references(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== "$" || i + 1 >= value.length) continue;
    const next = value[i + 1];
    if (next === "$") {
      i++;
      continue;
    }
    if (next === "(") {
      const close = value.indexOf(")", i + 2);
      if (close >= 0) {
        out.push(value.slice(i + 2, close));
        i = close;
      }
    }
  }
  return out;
}

/** Expands `$(NAME)` references with `lookup` (undefined: the reference stays as written); `$$` is a `$`. */
export function expand(value: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c !== "$" || i + 1 >= value.length) {
      out += c;
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "(") {
      const close = value.indexOf(")", i + 2);
      if (close < 0) {
        out += "$(";
        i += 2;
      } else {
        const name = value.slice(i + 2, close);
        const v = lookup(name);
        out += v === undefined ? `$(${name})` : v;
        i = close + 1;
      }
    } else {
      out += "$" + next;
      i += 2;
    }
  }
  return out;
}

const pathVariablesOf = new WeakMap<readonly EnvEntry[], Set<string>>();

/**
 * Whether the scan keeps `name`'s value in this container: an identity variable, or a variable
 * GOOGLE_APPLICATION_CREDENTIALS's own value builds its path from (`$(GCP_CREDENTIALS_DIR)/key.json`).
 */
function kept(container: { env: EnvEntry[] }, name: string): boolean {
  if (isEnvValueKept(name)) return true;
  let vars = pathVariablesOf.get(container.env);
  if (!vars) pathVariablesOf.set(container.env, (vars = credentialsPathVariables(container.env)));
  return vars.has(name);
}

/**
 * The value of `name` in a container's environment. `before` limits `env` to the entries before that
 * index (how a `$(VAR)` in entry N sees the environment).
 */
export function resolveEnv(container: { env: EnvEntry[]; envFrom: unknown[] }, name: string, lookup: EnvLookup, before = container.env.length, depth = 0): EnvValue {
  const v = resolveAny(container, name, lookup, before, depth);
  // Older records (and a ConfigMap read at scan time) may still hold another variable's value: it is not used.
  if (v.kind === "value" && v.value !== "" && !kept(container, name)) return { kind: "unknown", definite: true, reason: `${name} is set (${v.from}), but its value is not kept: ${NOT_KEPT}`, lacking: [] };
  return v;
}

function resolveAny(container: { env: EnvEntry[]; envFrom: unknown[] }, name: string, lookup: EnvLookup, before: number, depth: number): EnvValue {
  if (depth > MAX_DEPTH) return { kind: "unknown", definite: false, reason: `${name} refers to itself through $(…) references`, lacking: [] };
  for (let i = Math.min(before, container.env.length) - 1; i >= 0; i--) {
    const e = container.env[i];
    if (e.name !== name) continue;
    const v = entryValue(container, i, lookup, depth);
    if (v !== "skip") return v;
  }
  return fromEnvFrom(container.envFrom, name, lookup);
}

/** One `env` entry's value, or `skip` when an optional reference leaves the variable as it was. */
function entryValue(container: { env: EnvEntry[]; envFrom: unknown[] }, i: number, lookup: EnvLookup, depth: number): EnvValue | "skip" {
  const e = container.env[i];
  if (e.valueWithheld && e.value === undefined) {
    const why = e.valueWithheld === "credential" ? "it holds a credential, which is never kept" : e.valueWithheld === "not-a-path" ? "it is not a path (JSON, several lines, or too long)" : NOT_KEPT;
    return { kind: "unknown", definite: true, reason: `${e.name} has a value that is not kept (${why})`, lacking: [] };
  }
  // The kubelet reads `value` when it is non-empty, else `valueFrom`; an empty value with no source sets "".
  if (e.value !== undefined && e.value !== "") {
    const refs = references(e.value);
    if (!refs.length) return { kind: "value", value: expand(e.value, () => undefined), from: `env ${e.name}` };
    const known = new Map<string, string | undefined>();
    const unknowns: { name: string; v: Extract<EnvValue, { kind: "unknown" }> }[] = [];
    for (const r of new Set(refs)) {
      if (!kept(container, r)) {
        // Its value is never kept: an undefined variable stays as written (as the kubelet does); one
        // that is, or may be, defined makes the result unknown — its sources are not even read.
        if (mayBeDefined(container, r, i)) unknowns.push({ name: r, v: { kind: "unknown", definite: true, reason: `its value is not kept (${NOT_KEPT})`, lacking: [] } });
        else known.set(r, undefined);
        continue;
      }
      const v = resolveEnv(container, r, lookup, i, depth + 1);
      if (v.kind === "value") known.set(r, v.value);
      else if (v.kind === "unset") known.set(r, undefined);
      else unknowns.push({ name: r, v });
    }
    if (unknowns.length) {
      // The variable is set by this entry; only its value is in doubt.
      return {
        kind: "unknown",
        definite: true,
        reason: `${e.name} is ${JSON.stringify(e.value)}, and ${unknowns.map((u) => `$(${u.name}) is unknown: ${u.v.reason}`).join("; ")}`,
        lacking: [...new Set(unknowns.flatMap((u) => u.v.lacking))],
      };
    }
    return { kind: "value", value: expand(e.value, (n) => known.get(n)), from: `env ${e.name} (${JSON.stringify(e.value)} expanded)` };
  }
  if (e.valueFrom === undefined) return { kind: "value", value: "", from: `env ${e.name}` };
  const r = ref(e.valueFrom);
  if (r === "field" || r === undefined) {
    return { kind: "unknown", definite: true, reason: `${e.name} comes from a field or resource reference the scanner cannot evaluate`, lacking: [] };
  }
  const src = r.kind === "configMap" ? lookup.configMap(r.name) : lookup.secret(r.name);
  const what = `${label(r.kind)} ${r.name} key ${r.key}`;
  if (src.state === "missing") {
    if (r.optional) return "skip";
    return { kind: "unknown", definite: true, reason: `${e.name} comes from ${label(r.kind)} ${r.name}, which does not exist (the container cannot start without it)`, lacking: [] };
  }
  if (src.state === "unreadable") {
    // An optional reference to a source that could not be read may be skipped: then the variable is
    // what it was before, and it may be unset.
    return { kind: "unknown", definite: !r.optional, reason: `${e.name} comes from ${what}, which could not be read`, lacking: src.lacking };
  }
  const has = src.has(r.key);
  if (has === false) {
    if (r.optional) return "skip";
    return { kind: "unknown", definite: true, reason: `${e.name} comes from ${what}, which does not exist (the container cannot start without it)`, lacking: [] };
  }
  const value = src.value(r.key);
  if (value !== undefined) return { kind: "value", value, from: what };
  const why = has === "unknown" ? "which the scan did not look at" : r.kind === "secret" ? "whose value is not kept (wi-atlas never stores a Secret's values)" : "whose value is not a file path";
  return { kind: "unknown", definite: has === true || !r.optional, reason: `${e.name} comes from ${what}, ${why}`, lacking: [] };
}

/** Whether an `env` entry before `before`, or an `envFrom` source (by its prefix), could define `name`. */
function mayBeDefined(container: { env: EnvEntry[]; envFrom: unknown[] }, name: string, before: number): boolean {
  if (container.env.slice(0, before).some((e) => e.name === name)) return true;
  return envFromSources(container.envFrom).some((s) => name.startsWith(s.prefix) && name.length > s.prefix.length);
}

/** `name` as `envFrom` sets it: the last source that has it wins. */
function fromEnvFrom(envFrom: unknown[], name: string, lookup: EnvLookup): EnvValue {
  const sources = envFromSources(envFrom);
  // Sources that could set it but could not be read: the answer is "maybe", unless an earlier
  // (lower-priority) source sets it for sure — then it is set, value unknown.
  const doubts: { reason: string; lacking: string[] }[] = [];
  for (let i = sources.length - 1; i >= 0; i--) {
    const s = sources[i];
    if (!name.startsWith(s.prefix) || name.length === s.prefix.length) continue;
    const key = name.slice(s.prefix.length);
    const view = s.kind === "configMap" ? lookup.configMap(s.name) : lookup.secret(s.name);
    const what = `${label(s.kind)} ${s.name}${s.prefix ? ` (prefix ${s.prefix})` : ""}`;
    let found: EnvValue | undefined;
    if (view.state === "missing") {
      // A running container's source that is gone now was deleted after it started: what it held is not known.
      if (!s.optional) doubts.push({ reason: `${name} may come from ${what}, which does not exist (the container cannot start without it)`, lacking: [] });
    } else if (view.state === "unreadable") {
      doubts.push({ reason: `${name} may come from ${what}, which could not be read`, lacking: view.lacking });
    } else {
      const has = view.has(key);
      if (has === "unknown") doubts.push({ reason: `${name} may come from ${what}, whose key ${key} the scan did not look at`, lacking: [] });
      else if (has) {
        const value = view.value(key);
        found = value !== undefined ? { kind: "value", value, from: `${what} key ${key}` } : { kind: "unknown", definite: true, reason: `${name} comes from ${what} key ${key}, whose value ${s.kind === "secret" ? "is not kept (wi-atlas never stores a Secret's values)" : "is not a file path"}`, lacking: [] };
      }
    }
    if (found) {
      if (!doubts.length) return found;
      return { kind: "unknown", definite: found.kind !== "unknown" || found.definite, reason: doubts.map((d) => d.reason).join("; "), lacking: [...new Set(doubts.flatMap((d) => d.lacking))] };
    }
  }
  if (doubts.length) return { kind: "unknown", definite: false, reason: doubts.map((d) => d.reason).join("; "), lacking: [...new Set(doubts.flatMap((d) => d.lacking))] };
  return { kind: "unset" };
}

/**
 * The ConfigMap and Secret keys that could decide `name` (directly, or through the `$(VAR)`
 * references of the `env` entry that sets it): what the scanner must look up, and nothing more.
 */
export function envSourcesFor(container: { env: EnvEntry[]; envFrom: unknown[] }, name: string, before = container.env.length, depth = 0): { kind: "configMap" | "secret"; name: string; key: string }[] {
  if (depth > MAX_DEPTH) return [];
  const out: { kind: "configMap" | "secret"; name: string; key: string }[] = [];
  for (let i = Math.min(before, container.env.length) - 1; i >= 0; i--) {
    const e = container.env[i];
    if (e.name !== name) continue;
    if (e.value !== undefined && e.value !== "") {
      // Only identity variables' values are kept, so only their sources are worth reading.
      for (const r of new Set(references(e.value))) if (kept(container, r)) out.push(...envSourcesFor(container, r, i, depth + 1));
      return out;
    }
    const r = ref(e.valueFrom);
    if (r && r !== "field") {
      out.push({ kind: r.kind, name: r.name, key: r.key });
      // Only an optional reference can be skipped, falling back to what came before.
      if (r.optional) continue;
    }
    return out;
  }
  for (const s of envFromSources(container.envFrom)) {
    if (name.startsWith(s.prefix) && name.length > s.prefix.length) out.push({ kind: s.kind, name: s.name, key: name.slice(s.prefix.length) });
  }
  return out;
}
