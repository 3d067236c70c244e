/**
 * How a pod template reaches a Secret or a ConfigMap by name: a volume (plain or projected), an
 * `env` entry's `valueFrom`, or `envFrom`. The object pages list a Secret's users by these paths
 * ("Mounted by", "Read by"), so a key read through an env var is as visible as a mounted one.
 */
import type { ContainerEssentials, PodSpecEssentials } from "../inventory/model";

type Obj = Record<string, unknown>;

export type RefKind = "secret" | "configmap";

/**
 * The ways `spec` refers to the named object: `volume NAME`, `projected volume NAME`,
 * `env CONTAINER/VAR`, `envFrom CONTAINER`. Empty when it does not refer to it.
 */
export function referencesTo(spec: Pick<PodSpecEssentials, "volumes" | "containers" | "initContainers"> & { ephemeralContainers?: ContainerEssentials[] }, kind: RefKind, name: string): string[] {
  const out: string[] = [];
  for (const v of (spec.volumes ?? []) as Obj[]) {
    const direct = kind === "secret" ? (v.secret as { secretName?: string } | undefined)?.secretName : (v.configMap as { name?: string } | undefined)?.name;
    if (direct === name) out.push(`volume ${String(v.name ?? "")}`.trim());
    for (const src of (((v.projected as Obj | undefined)?.sources ?? []) as Obj[])) {
      const ref = (kind === "secret" ? src.secret : src.configMap) as { name?: string } | undefined;
      if (ref?.name === name) out.push(`projected volume ${String(v.name ?? "")}`.trim());
    }
  }
  const keyRef = kind === "secret" ? "secretKeyRef" : "configMapKeyRef";
  const fromRef = kind === "secret" ? "secretRef" : "configMapRef";
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      const ref = (e.valueFrom as Obj | undefined)?.[keyRef] as { name?: string } | undefined;
      if (ref?.name === name) out.push(`env ${c.name}/${e.name}`);
    }
    for (const f of (c.envFrom ?? []) as Obj[]) {
      const ref = f[fromRef] as { name?: string } | undefined;
      if (ref?.name === name) out.push(`envFrom ${c.name}`);
    }
  }
  return [...new Set(out)];
}

/** Every Secret (or ConfigMap) name the spec refers to, with how. */
export function referencedNames(spec: Pick<PodSpecEssentials, "volumes" | "containers" | "initContainers"> & { ephemeralContainers?: ContainerEssentials[] }, kind: RefKind): Map<string, string[]> {
  const names = new Set<string>();
  for (const v of (spec.volumes ?? []) as Obj[]) {
    const direct = kind === "secret" ? (v.secret as { secretName?: string } | undefined)?.secretName : (v.configMap as { name?: string } | undefined)?.name;
    if (direct) names.add(direct);
    for (const src of (((v.projected as Obj | undefined)?.sources ?? []) as Obj[])) {
      const ref = (kind === "secret" ? src.secret : src.configMap) as { name?: string } | undefined;
      if (ref?.name) names.add(ref.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      const ref = (e.valueFrom as Obj | undefined)?.[kind === "secret" ? "secretKeyRef" : "configMapKeyRef"] as { name?: string } | undefined;
      if (ref?.name) names.add(ref.name);
    }
    for (const f of (c.envFrom ?? []) as Obj[]) {
      const ref = f[kind === "secret" ? "secretRef" : "configMapRef"] as { name?: string } | undefined;
      if (ref?.name) names.add(ref.name);
    }
  }
  return new Map([...names].sort().map((n) => [n, referencesTo(spec, kind, n)]));
}
