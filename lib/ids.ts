/**
 * Stable subject identifiers. They appear in URLs (as one percent-encoded path segment), in every
 * CSV's `subject` column and in the API, so their shape is part of the product's interface:
 *
 *   project:ID  gsa:EMAIL  key:EMAIL/KEY_ID  cluster:PROJECT/LOCATION/NAME
 *   nodepool:PROJECT/LOCATION/CLUSTER/POOL  namespace:PROJECT/LOCATION/CLUSTER/NAMESPACE
 *   ksa:PROJECT/LOCATION/CLUSTER/NAMESPACE/NAME  workload:PROJECT/LOCATION/CLUSTER/NAMESPACE/KIND/NAME
 *   pod:PROJECT/LOCATION/CLUSTER/NAMESPACE/NAME  secret:PROJECT/LOCATION/CLUSTER/NAMESPACE/NAME
 *   configmap:PROJECT/LOCATION/CLUSTER/NAMESPACE/NAME (only ConfigMaps a pod's credentials come from)
 *
 * Emails are lower-cased. A subject splits on its first `:` only.
 */

export const SUBJECT_KINDS = [
  "organization",
  "folder",
  "project",
  "gsa",
  "key",
  "cluster",
  "nodepool",
  "namespace",
  "ksa",
  "workload",
  "pod",
  "secret",
  "node",
  "configmap",
] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** A cluster's coordinates, the prefix of every in-cluster subject. */
export type ClusterRef = { project: string; location: string; name: string };

export const subject = {
  organization: (id: string) => `organization:${id.replace(/^organizations\//, "")}`,
  folder: (id: string) => `folder:${id.replace(/^folders\//, "")}`,
  project: (projectId: string) => `project:${projectId}`,
  gsa: (email: string) => `gsa:${email.trim().toLowerCase()}`,
  key: (email: string, keyId: string) => `key:${email.trim().toLowerCase()}/${keyId}`,
  cluster: (c: ClusterRef) => `cluster:${c.project}/${c.location}/${c.name}`,
  nodepool: (c: ClusterRef, pool: string) => `nodepool:${c.project}/${c.location}/${c.name}/${pool}`,
  namespace: (c: ClusterRef, ns: string) => `namespace:${c.project}/${c.location}/${c.name}/${ns}`,
  ksa: (c: ClusterRef, ns: string, name: string) => `ksa:${c.project}/${c.location}/${c.name}/${ns}/${name}`,
  workload: (c: ClusterRef, ns: string, kind: string, name: string) =>
    `workload:${c.project}/${c.location}/${c.name}/${ns}/${kind}/${name}`,
  pod: (c: ClusterRef, ns: string, name: string) => `pod:${c.project}/${c.location}/${c.name}/${ns}/${name}`,
  secret: (c: ClusterRef, ns: string, name: string) => `secret:${c.project}/${c.location}/${c.name}/${ns}/${name}`,
  node: (c: ClusterRef, name: string) => `node:${c.project}/${c.location}/${c.name}/${name}`,
  configmap: (c: ClusterRef, ns: string, name: string) => `configmap:${c.project}/${c.location}/${c.name}/${ns}/${name}`,
};

/** The id part of a cluster subject (`PROJECT/LOCATION/NAME`), used as a scope and a filter value. */
export function clusterKey(c: ClusterRef): string {
  return `${c.project}/${c.location}/${c.name}`;
}

export function parseClusterKey(key: string): ClusterRef | null {
  const parts = key.split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) return null;
  return { project: parts[0], location: parts[1], name: parts[2] };
}

/** Splits a subject on its first `:`; returns null for anything that is not a known kind. */
export function parseSubject(value: string): { kind: SubjectKind; id: string } | null {
  const i = value.indexOf(":");
  if (i <= 0) return null;
  const kind = value.slice(0, i) as SubjectKind;
  const id = value.slice(i + 1);
  if (!SUBJECT_KINDS.includes(kind) || id === "") return null;
  return { kind, id };
}

/** The cluster subject a namespaced subject (ksa, workload, pod, secret, namespace, nodepool, node) lives in. */
export function clusterOfSubject(value: string): string | null {
  const parsed = parseSubject(value);
  if (!parsed) return null;
  if (parsed.kind === "cluster") return value;
  if (!["nodepool", "namespace", "ksa", "workload", "pod", "secret", "node", "configmap"].includes(parsed.kind)) return null;
  const parts = parsed.id.split("/");
  return parts.length >= 4 ? `cluster:${parts[0]}/${parts[1]}/${parts[2]}` : null;
}

/** Path segment for a subject in a page URL. */
export function subjectPath(value: string): string {
  return encodeURIComponent(value);
}

/** The project id a GSA email belongs to, for the address forms Google uses. */
export function projectOfGsaEmail(email: string): string | null {
  const m = /^[^@]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email.toLowerCase());
  if (m) return m[1];
  const app = /^([a-z0-9-]+)@appspot\.gserviceaccount\.com$/.exec(email.toLowerCase());
  if (app) return app[1];
  return null;
}
