/**
 * What an object page shows of a record, field by field, per kind: the meaningful fields of the
 * inventory record (lib/inventory/model.ts) in the words of the APIs they come from. Never a value
 * a Secret holds, never an env value (the inventory keeps only names and identity paths; a
 * ConfigMap's kept path values are not shown either) — the raw record stays behind the Raw toggle.
 */
import type {
  ClusterData,
  ConfigMapData,
  FolderData,
  KeyData,
  KsaData,
  NamespaceData,
  NodeData,
  NodePoolData,
  OrganizationData,
  PodData,
  ProjectData,
  SecretData,
} from "../inventory/model";
import { subject as sub } from "../ids";

export type Field = {
  label: string;
  /** null: the record does not say (shown as "—"). A list shows one item a line. */
  value: string | number | boolean | string[] | null;
  /** How to show it: a time, a link to a subject's page, or plain text (default, monospace for ids). */
  as?: "time" | "subject" | "mono";
  /** A short explanation shown on hover. */
  help?: string;
};

const labels = (l: Record<string, string> | undefined) => Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).sort();
const parentSubject = (p: string | null) => (!p ? null : p.startsWith("organizations/") ? sub.organization(p) : p.startsWith("folders/") ? sub.folder(p) : null);
const NO_EXPIRY = "9999-12-31T23:59:59Z";

/** The fields of a record of `kind`; an empty list for kinds with their own pages (GSA, workload) or unknown shapes. */
export function objectFields(kind: string, data: unknown): Field[] {
  if (!data || typeof data !== "object") return [];
  switch (kind) {
    case "organization": {
      const d = data as OrganizationData;
      return [
        { label: "Name", value: d.name, as: "mono" },
        { label: "Display name", value: d.displayName },
      ];
    }
    case "folder": {
      const d = data as FolderData;
      return [
        { label: "Name", value: d.name, as: "mono" },
        { label: "Display name", value: d.displayName },
        { label: "Parent", value: parentSubject(d.parent) ?? d.parent, as: parentSubject(d.parent) ? "subject" : "mono" },
      ];
    }
    case "project": {
      const d = data as ProjectData;
      return [
        { label: "Project id", value: d.projectId, as: "mono" },
        { label: "Project number", value: d.projectNumber, as: "mono" },
        { label: "Display name", value: d.displayName },
        { label: "Parent", value: parentSubject(d.parent) ?? d.parent, as: parentSubject(d.parent) ? "subject" : "mono" },
        { label: "State", value: d.state },
        { label: "Labels", value: labels(d.labels), as: "mono" },
      ];
    }
    case "key": {
      const d = data as KeyData;
      return [
        { label: "Key id", value: d.keyId, as: "mono", help: "Equals private_key_id in the JSON key file" },
        { label: "Service account", value: sub.gsa(d.email), as: "subject" },
        { label: "Project", value: sub.project(d.projectId), as: "subject" },
        { label: "Type", value: d.keyType },
        { label: "Origin", value: d.keyOrigin },
        { label: "Algorithm", value: d.keyAlgorithm },
        { label: "Created", value: d.validAfterTime, as: "time" },
        d.validBeforeTime === NO_EXPIRY ? { label: "Expires", value: "never (no expiry)" } : { label: "Expires", value: d.validBeforeTime, as: "time" },
        { label: "Disabled", value: d.disabled },
      ];
    }
    case "cluster": {
      const d = data as ClusterData;
      return [
        { label: "Project", value: sub.project(d.projectId), as: "subject" },
        { label: "Location", value: d.location },
        { label: "Zones", value: d.locations ?? null },
        { label: "Status", value: d.status },
        { label: "Version", value: d.currentMasterVersion },
        { label: "Autopilot", value: d.autopilot },
        { label: "Workload pool", value: d.workloadPool ?? "none (Workload Identity off)", as: "mono", help: "PROJECT_ID.svc.id.goog when Workload Identity is on" },
        { label: "Node pools", value: d.nodePools.length },
        { label: "Node auto-provisioning", value: d.nodeAutoprovisioning ?? null },
        { label: "Auto-provisioned pools run as", value: d.autoprovisioningServiceAccount ? sub.gsa(d.autoprovisioningServiceAccount) : null, as: "subject" },
        { label: "Endpoint", value: d.endpoint, as: "mono" },
      ];
    }
    case "nodepool": {
      const d = data as NodePoolData;
      const a = d.autoscaling;
      return [
        { label: "Cluster", value: sub.cluster({ project: d.projectId, location: d.location, name: d.cluster }), as: "subject" },
        { label: "Runs as", value: sub.gsa(d.serviceAccount), as: "subject", help: d.serviceAccountRaw && d.serviceAccountRaw !== d.serviceAccount ? `given as "${d.serviceAccountRaw}"` : undefined },
        { label: "Metadata mode", value: d.metadataMode ?? "unset" },
        { label: "Serves GKE metadata", value: d.servesGkeMetadata, help: "Workload Identity works on its nodes" },
        { label: "Nodes", value: d.nodeCount },
        { label: "Autoscaling", value: a ? (a.enabled ? `${a.minNodeCount ?? 0}–${a.maxNodeCount ?? "?"} nodes${a.autoprovisioned ? " (auto-provisioned)" : ""}` : "off") : null },
        { label: "Machine type", value: d.machineType ?? null },
        { label: "Image type", value: d.imageType ?? null },
        { label: "Spot / preemptible", value: d.spot || d.preemptible ? (d.spot ? "spot" : "preemptible") : d.spot === undefined && d.preemptible === undefined ? null : "no" },
        { label: "Accelerators", value: d.accelerators ?? null },
        { label: "Zones", value: d.locations ?? null },
        { label: "OAuth scopes", value: d.oauthScopes, as: "mono" },
        { label: "Labels", value: d.labels ? labels(d.labels) : null, as: "mono" },
        { label: "Taints", value: d.taints ? d.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`) : null, as: "mono" },
      ];
    }
    case "namespace": {
      const d = data as NamespaceData;
      return [
        { label: "Name", value: d.name, as: "mono" },
        { label: "Labels", value: labels(d.labels), as: "mono" },
      ];
    }
    case "ksa": {
      const d = data as KsaData;
      return [
        { label: "Name", value: `${d.namespace}/${d.name}`, as: "mono" },
        { label: "GSA annotation", value: d.gsaAnnotation === null ? "none" : JSON.stringify(d.gsaAnnotation), as: "mono", help: "iam.gke.io/gcp-service-account, verbatim (quotes show stray spaces)" },
        ...(d.gsaLabel ? [{ label: "GSA label (should be an annotation)", value: d.gsaLabel, as: "mono" as const }] : []),
        { label: "Automount token", value: d.automountServiceAccountToken ?? "not set (mounted)" },
        { label: "Created", value: d.creationTimestamp, as: "time" },
      ];
    }
    case "pod": {
      const d = data as PodData;
      const containers = [...d.spec.initContainers.map((c) => ({ ...c, init: true })), ...d.spec.containers.map((c) => ({ ...c, init: false }))];
      return [
        { label: "Name", value: `${d.namespace}/${d.name}`, as: "mono" },
        { label: "Phase", value: d.phase },
        { label: "Workload", value: d.workload, as: "subject", help: d.workloadInferred ? "inferred from names: its ReplicaSet or Job could not be read" : undefined },
        { label: "Service account", value: d.spec.serviceAccountName, as: "mono" },
        { label: "Node", value: d.spec.nodeName, as: "mono" },
        { label: "Host network", value: d.spec.hostNetwork },
        { label: "Node selector", value: labels(d.spec.nodeSelector), as: "mono" },
        // Names and images only: env values are never shown.
        { label: "Containers", value: containers.map((c) => `${c.init ? "init " : ""}${c.name}: ${c.image ?? "?"}`), as: "mono" },
        { label: "Env variables", value: [...new Set(containers.flatMap((c) => c.env.map((e) => e.name)))].sort(), as: "mono", help: "Names only" },
        { label: "Started", value: d.startTime, as: "time" },
      ];
    }
    case "secret": {
      const d = data as SecretData;
      return [
        { label: "Name", value: `${d.namespace}/${d.name}`, as: "mono" },
        { label: "Type", value: d.type, as: "mono" },
        { label: "Data keys", value: d.dataKeys, as: "mono", help: "Names only: values are never read into wi-atlas" },
        {
          label: "Credentials found",
          value: d.credentials.map((c) => [`${c.dataKey}${c.path ? ` (${c.path})` : ""}: ${c.type}`, c.clientEmail, c.keyId ? `key ${c.keyId}` : null, c.encoding !== "json" ? `stored ${c.encoding}` : null].filter(Boolean).join(" · ")),
          as: "mono",
        },
      ];
    }
    case "configmap": {
      const d = data as ConfigMapData;
      return [
        { label: "Name", value: `${d.namespace}/${d.name}`, as: "mono" },
        { label: "Exists", value: !d.absent, help: d.absent ? "The API answered 404: a pod refers to a ConfigMap that is not there" : undefined },
        { label: "Keys looked for", value: d.looked, as: "mono", help: "Only the keys a pod's credentials come from are read" },
        { label: "Keys present", value: d.present, as: "mono" },
        { label: "Credentials found", value: d.credentials.map((c) => [`${c.dataKey}: ${c.type}`, c.clientEmail, c.keyId ? `key ${c.keyId}` : null].filter(Boolean).join(" · ")), as: "mono" },
      ];
    }
    case "node": {
      const d = data as NodeData;
      return [
        { label: "Name", value: d.name, as: "mono" },
        { label: "Node pool", value: d.pool },
        { label: "Zone", value: d.zone },
        { label: "GKE metadata server label", value: d.gkeMetadataLabel, as: "mono", help: "iam.gke.io/gke-metadata-server-enabled" },
        { label: "Taints", value: d.taints ? d.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`) : null, as: "mono" },
      ];
    }
    default:
      return [];
  }
}
