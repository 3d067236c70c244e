/**
 * Kubernetes' env rules, one at a time, as the kubelet applies them (makeEnvironmentVariables):
 * https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
 */
import { describe, expect, it } from "vitest";
import { GAC, envSourcesFor, expand, references, resolveEnv, type EnvLookup, type EnvSourceView } from "./pod-env";

const read = (data: Record<string, string>, pathLike = true): EnvSourceView => ({
  state: "read",
  has: (k) => k in data,
  value: (k) => (pathLike && k in data ? data[k] : undefined),
});

/** ConfigMaps and Secrets by name; absent = missing; `"403"` = unreadable. */
function lookup(cms: Record<string, EnvSourceView | "403">, secrets: Record<string, EnvSourceView | "403"> = {}): EnvLookup {
  const view = (m: Record<string, EnvSourceView | "403">, kind: string) => (name: string): EnvSourceView => {
    const v = m[name];
    if (v === "403") return { state: "unreadable", lacking: [`k8s.${kind}:p/l/c`] };
    return v ?? { state: "missing" };
  };
  return { configMap: view(cms, "configmaps"), secret: view(secrets, "secrets") };
}

const container = (env: { name: string; value?: string; valueFrom?: unknown; valueWithheld?: string }[], envFrom: unknown[] = []) => ({ env, envFrom });

describe("resolveEnv: envFrom", () => {
  it("reads GOOGLE_APPLICATION_CREDENTIALS from an envFrom ConfigMap", () => {
    const c = container([], [{ configMapRef: { name: "app-env" } }]);
    expect(resolveEnv(c, GAC, lookup({ "app-env": read({ [GAC]: "/etc/gcp/key.json" }) }))).toEqual({ kind: "value", value: "/etc/gcp/key.json", from: `ConfigMap app-env key ${GAC}` });
  });

  it("puts the prefix in front of every key: GCP_ prefix + CREDENTIALS is not GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_ + APPLICATION_CREDENTIALS is", () => {
    const lk = lookup({ a: read({ APPLICATION_CREDENTIALS: "/a.json", [GAC]: "/wrong.json" }) });
    expect(resolveEnv(container([], [{ prefix: "GOOGLE_", configMapRef: { name: "a" } }]), GAC, lk)).toEqual({ kind: "value", value: "/a.json", from: "ConfigMap a (prefix GOOGLE_) key APPLICATION_CREDENTIALS" });
    expect(resolveEnv(container([], [{ prefix: "GCP_", configMapRef: { name: "a" } }]), GAC, lk)).toEqual({ kind: "unset" });
  });

  it("a later envFrom source beats an earlier one, whatever its kind", () => {
    const c = container([], [{ configMapRef: { name: "defaults" } }, { secretRef: { name: "overrides" } }]);
    const lk = lookup({ defaults: read({ [GAC]: "/defaults.json" }) }, { overrides: read({ [GAC]: "/override.json" }) });
    expect(resolveEnv(c, GAC, lk)).toEqual({ kind: "value", value: "/override.json", from: `Secret overrides key ${GAC}` });
    // A later source without the key leaves the earlier value.
    const lk2 = lookup({ defaults: read({ [GAC]: "/defaults.json" }) }, { overrides: read({ OTHER: "x" }) });
    expect(resolveEnv(c, GAC, lk2)).toMatchObject({ kind: "value", value: "/defaults.json" });
  });

  it("env beats envFrom, and the last env entry of a name wins", () => {
    const c = container(
      [
        { name: GAC, value: "/first.json" },
        { name: GAC, value: "/second.json" },
      ],
      [{ configMapRef: { name: "app-env" } }],
    );
    expect(resolveEnv(c, GAC, lookup({ "app-env": read({ [GAC]: "/from-cm.json" }) }))).toEqual({ kind: "value", value: "/second.json", from: `env ${GAC}` });
  });

  it("a missing optional source is skipped: the variable is unset", () => {
    const c = container([], [{ configMapRef: { name: "gone", optional: true } }]);
    expect(resolveEnv(c, GAC, lookup({}))).toEqual({ kind: "unset" });
  });

  it("an unreadable source makes the variable possibly set (never 'not set'), naming the source", () => {
    const c = container([], [{ secretRef: { name: "app-secrets" } }]);
    expect(resolveEnv(c, GAC, lookup({}, { "app-secrets": "403" }))).toEqual({
      kind: "unknown",
      definite: false,
      reason: `${GAC} may come from Secret app-secrets, which could not be read`,
      lacking: ["k8s.secrets:p/l/c"],
    });
  });

  it("an unreadable later source over an earlier one that sets it: set for sure, value unknown", () => {
    const c = container([], [{ configMapRef: { name: "base" } }, { configMapRef: { name: "locked" } }]);
    const v = resolveEnv(c, GAC, lookup({ base: read({ [GAC]: "/base.json" }), locked: "403" }));
    expect(v).toMatchObject({ kind: "unknown", definite: true, lacking: ["k8s.configmaps:p/l/c"] });
  });

  it("an env entry beats an unreadable envFrom source: the value is known", () => {
    const c = container([{ name: GAC, value: "/etc/gcp/key.json" }], [{ secretRef: { name: "app-secrets" } }]);
    expect(resolveEnv(c, GAC, lookup({}, { "app-secrets": "403" }))).toMatchObject({ kind: "value", value: "/etc/gcp/key.json" });
  });
});

describe("resolveEnv: valueFrom", () => {
  it("reads configMapKeyRef and secretKeyRef", () => {
    const lk = lookup({ cfg: read({ "credentials-path": "/etc/gcp/sa.json" }) }, { s: read({ path: "/var/run/key.json" }) });
    expect(resolveEnv(container([{ name: GAC, valueFrom: { configMapKeyRef: { name: "cfg", key: "credentials-path" } } }]), GAC, lk)).toEqual({
      kind: "value",
      value: "/etc/gcp/sa.json",
      from: "ConfigMap cfg key credentials-path",
    });
    expect(resolveEnv(container([{ name: GAC, valueFrom: { secretKeyRef: { name: "s", key: "path" } } }]), GAC, lk)).toMatchObject({ kind: "value", value: "/var/run/key.json" });
  });

  it("an optional reference to a missing key or source leaves the variable as it was (an earlier entry, envFrom, or unset)", () => {
    const c = container([{ name: GAC, valueFrom: { configMapKeyRef: { name: "cfg", key: "nope", optional: true } } }], [{ configMapRef: { name: "base" } }]);
    expect(resolveEnv(c, GAC, lookup({ cfg: read({}), base: read({ [GAC]: "/base.json" }) }))).toMatchObject({ kind: "value", value: "/base.json" });
    const c2 = container([{ name: GAC, valueFrom: { secretKeyRef: { name: "gone", key: "k", optional: true } } }]);
    expect(resolveEnv(c2, GAC, lookup({}))).toEqual({ kind: "unset" });
  });

  it("a required reference to an unreadable source: set, value unknown", () => {
    const c = container([{ name: GAC, valueFrom: { secretKeyRef: { name: "gcp", key: "path" } } }]);
    expect(resolveEnv(c, GAC, lookup({}, { gcp: "403" }))).toEqual({ kind: "unknown", definite: true, reason: `${GAC} comes from Secret gcp key path, which could not be read`, lacking: ["k8s.secrets:p/l/c"] });
  });

  it("a field reference cannot be evaluated: set, value unknown", () => {
    const c = container([{ name: GAC, valueFrom: { fieldRef: { fieldPath: "metadata.annotations['gcp/creds']" } } }]);
    expect(resolveEnv(c, GAC, lookup({}))).toMatchObject({ kind: "unknown", definite: true });
  });
});

describe("resolveEnv: $(VAR) expansion", () => {
  it("expands references to earlier env entries and to envFrom variables (identity variables, whose values are kept)", () => {
    const c = container(
      [
        { name: "HOME", value: "/var/secrets" },
        { name: GAC, value: "$(HOME)/$(CLOUDSDK_CONFIG)" },
      ],
      [{ configMapRef: { name: "app-env" } }],
    );
    expect(resolveEnv(c, GAC, lookup({ "app-env": read({ CLOUDSDK_CONFIG: "google/key.json" }) }))).toEqual({
      kind: "value",
      value: "/var/secrets/google/key.json",
      from: `env ${GAC} ("$(HOME)/$(CLOUDSDK_CONFIG)" expanded)`,
    });
  });

  it("a variable GOOGLE_APPLICATION_CREDENTIALS builds its path from is kept, from env or from a ConfigMap", () => {
    // `$(CREDS_DIR)/key.json` is a common chart pattern: CREDS_DIR decides identity, so its value is kept.
    const literal = container([{ name: "CREDS_DIR", value: "/var/secrets" }, { name: GAC, value: "$(CREDS_DIR)/key.json" }]);
    expect(resolveEnv(literal, GAC, lookup({}))).toMatchObject({ kind: "value", value: "/var/secrets/key.json" });
    const fromCm = container([{ name: GAC, value: "$(CREDS_DIR)/key.json" }], [{ configMapRef: { name: "app-env" } }]);
    expect(resolveEnv(fromCm, GAC, lookup({ "app-env": read({ CREDS_DIR: "/var/secrets" }) }))).toMatchObject({ kind: "value", value: "/var/secrets/key.json" });
  });

  it("a reference to a set variable whose value is not kept makes the result unknown, not a path with the reference left in", () => {
    // CREDS_DIR's value was dropped at the edge (it held JSON, not a path).
    const dropped = container([{ name: "CREDS_DIR", valueWithheld: "not-a-path" }, { name: GAC, value: "$(CREDS_DIR)/key.json" }]);
    expect(resolveEnv(dropped, GAC, lookup({}))).toEqual({
      kind: "unknown",
      definite: true,
      reason: `${GAC} is "$(CREDS_DIR)/key.json", and $(CREDS_DIR) is unknown: CREDS_DIR has a value that is not kept (it is not a path (JSON, several lines, or too long))`,
      lacking: [],
    });
    // HOME is kept, but a variable HOME refers to is not GOOGLE_APPLICATION_CREDENTIALS's path: not used.
    const viaHome = container([{ name: "BASE", value: "/home/app" }, { name: "HOME", value: "$(BASE)" }]);
    expect(resolveEnv(viaHome, "HOME", lookup({}))).toMatchObject({ kind: "unknown", definite: true });
    // A credential pasted into the variable itself: set, value unknown.
    expect(resolveEnv(container([{ name: GAC, valueWithheld: "credential" }]), GAC, lookup({}))).toEqual({
      kind: "unknown",
      definite: true,
      reason: `${GAC} has a value that is not kept (it holds a credential, which is never kept)`,
      lacking: [],
    });
  });

  it("a reference to a variable from an unreadable source: set, value unknown", () => {
    const c = container([{ name: GAC, value: "$(HOME)/key.json" }], [{ secretRef: { name: "s" } }]);
    expect(resolveEnv(c, GAC, lookup({}, { s: "403" }))).toMatchObject({ kind: "unknown", definite: true, lacking: ["k8s.secrets:p/l/c"] });
    // A variable whose value is never kept is not looked up at all: no source is lacking.
    const d = container([{ name: "BASE", value: "/home/app" }, { name: "HOME", value: "$(BASE)" }], [{ secretRef: { name: "s" } }]);
    expect(resolveEnv(d, "HOME", lookup({}, { s: "403" }))).toMatchObject({ kind: "unknown", definite: true, lacking: [] });
  });

  it("expand and references follow the kubelet's syntax", () => {
    expect(references("$(A)/$$(B)/$(C")).toEqual(["A"]);
    expect(expand("$(A)-$$-$x-$(", (n) => (n === "A" ? "a" : undefined))).toBe("a-$-$x-$(");
  });
});

describe("envSourcesFor: what the scanner must read", () => {
  it("names the envFrom sources a prefix lets through, and the sources of the $(VAR)s the deciding env entry uses", () => {
    const c = container(
      [{ name: GAC, value: "$(HOME)/key.json" }],
      [{ configMapRef: { name: "a" } }, { prefix: "GCP_", configMapRef: { name: "b" } }, { secretRef: { name: "s" } }],
    );
    expect(envSourcesFor(c, GAC)).toEqual([
      { kind: "configMap", name: "a", key: "HOME" },
      { kind: "secret", name: "s", key: "HOME" },
    ]);
  });

  it("does not send the scanner for the sources of a variable whose value is not kept", () => {
    expect(envSourcesFor(container([{ name: "HOME", value: "$(BASE)" }], [{ configMapRef: { name: "a" } }]), "HOME")).toEqual([]);
    // …but does for one GOOGLE_APPLICATION_CREDENTIALS builds its path from.
    expect(envSourcesFor(container([{ name: GAC, value: "$(DIR)/key.json" }], [{ configMapRef: { name: "a" } }]), GAC)).toEqual([{ kind: "configMap", name: "a", key: "DIR" }]);
  });

  it("stops at a literal env value; goes on past an optional reference", () => {
    expect(envSourcesFor(container([{ name: GAC, value: "/k.json" }], [{ configMapRef: { name: "a" } }]), GAC)).toEqual([]);
    expect(envSourcesFor(container([{ name: GAC, valueFrom: { configMapKeyRef: { name: "c", key: "k", optional: true } } }], [{ configMapRef: { name: "a" } }]), GAC)).toEqual([
      { kind: "configMap", name: "c", key: "k" },
      { kind: "configMap", name: "a", key: GAC },
    ]);
  });
});
