/**
 * What the scanner keeps of a container's environment, decided at the transform edge: every
 * variable's *name*, its `valueFrom` / `envFrom` references, and the *value* of only the few
 * variables that decide which Google identity a container has (`ENV_VALUES_KEPT`). Every other value
 * is dropped here — a database URL, a token, a password never reach the store, the API, a CSV or an
 * object page.
 *
 * Every value, kept or not, is first searched for a credential (lib/inventory/find-credentials.ts: a
 * Google credential file — as is, base64, nested — or a PEM private key, as `GOOGLE_CREDENTIALS=…`
 * holds for Terraform and CI tools). One that holds one is dropped whatever its name, and the entry
 * keeps a summary (`inlineCredential`: type, key id, account, project — never the value) for the
 * `workload-inline-credential` rule.
 */
import type { EnvEntryData, SecretCredential } from "./model";
import { credentialTypes, findCredentials } from "./find-credentials";

/** The variables whose values decide identity: ADC's file, its well-known file's directory (HOME, CLOUDSDK_CONFIG), the metadata server's address. */
export const ENV_VALUES_KEPT: readonly string[] = ["GOOGLE_APPLICATION_CREDENTIALS", "HOME", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "GCE_METADATA_IP"];
const KEPT = new Set(ENV_VALUES_KEPT);

/** Longest value kept (a path or a host name; anything longer is not one). */
export const MAX_KEPT_ENV_VALUE = 1024;

export function isEnvValueKept(name: string): boolean {
  return KEPT.has(name);
}

/**
 * Whether an allow-listed variable's value may be kept: one line, no control characters, at most
 * MAX_KEPT_ENV_VALUE characters; GOOGLE_APPLICATION_CREDENTIALS must moreover be a path, not JSON (a
 * key pasted into the variable, which the libraries would try to open as a file name).
 */
function keepable(name: string, value: string): boolean {
  if (value.length > MAX_KEPT_ENV_VALUE || /[\u0000-\u001f\u007f]/.test(value)) return false;
  if (name === "GOOGLE_APPLICATION_CREDENTIALS" && /^\s*[{[]/.test(value)) return false;
  return true;
}

type RawEnv = { name?: unknown; value?: unknown; valueFrom?: unknown };

/**
 * The variables a container's `GOOGLE_APPLICATION_CREDENTIALS` value builds its path from through
 * `$(VAR)` (and, in turn, the variables those refer to): `$(GCP_CREDENTIALS_DIR)/key.json` is a
 * common chart pattern, and without `GCP_CREDENTIALS_DIR`'s value the key file cannot be found. They
 * decide identity as much as the variable itself, so their values are kept — under the same bounds
 * (a path, one line, no credential).
 */
export function credentialsPathVariables(env: readonly RawEnv[]): Set<string> {
  const value = new Map<string, string>();
  for (const e of env) if (typeof e.name === "string" && typeof e.value === "string") value.set(e.name, e.value);
  const out = new Set<string>();
  const todo = [value.get("GOOGLE_APPLICATION_CREDENTIALS") ?? ""];
  while (todo.length) {
    const v = todo.pop()!;
    // `$$(X)` is an escaped literal, not a reference (the kubelet's rule).
    for (const m of v.matchAll(/(\$*)\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g)) {
      if (m[1].length % 2 === 1 || out.has(m[2]) || KEPT.has(m[2])) continue;
      out.add(m[2]);
      todo.push(value.get(m[2]) ?? "");
    }
  }
  return out;
}

/**
 * An `env` entry as the inventory keeps it (see `EnvEntryData`). `pathVariables`: the container's
 * `credentialsPathVariables`, whose values are kept like the identity variables'.
 */
export function keepEnvEntry(raw: RawEnv, pathVariables: ReadonlySet<string> = new Set()): EnvEntryData {
  const out: EnvEntryData = { name: String(raw.name ?? "") };
  if (typeof raw.value === "string") {
    const found = raw.value.length >= 64 ? findCredentials(out.name, raw.value) : undefined;
    if (found && (found.credentials.length || found.hasPrivateKey || found.otherPkcs12)) {
      out.valueWithheld = "credential";
      out.inlineCredential = {
        credentials: found.credentials.map((c): SecretCredential => ({ ...c, dataKey: out.name })),
        credentialTypes: credentialTypes([found]),
      };
    } else if (raw.value === "" || ((KEPT.has(out.name) || pathVariables.has(out.name)) && keepable(KEPT.has(out.name) ? out.name : "GOOGLE_APPLICATION_CREDENTIALS", raw.value))) {
      // An empty value says nothing, and "" is not "unset" for the kubelet's rules.
      out.value = raw.value;
    } else {
      out.valueWithheld = KEPT.has(out.name) || pathVariables.has(out.name) ? "not-a-path" : "not-kept";
    }
  }
  if (raw.valueFrom) out.valueFrom = raw.valueFrom;
  return out;
}
