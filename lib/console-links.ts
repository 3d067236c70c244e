/**
 * Where an object lives outside wi-atlas: its Google Cloud Console page, and the `kubectl` command
 * that shows a Kubernetes object in its cluster. Pure functions of a subject (lib/ids.ts), so every
 * page (and a test) derives the same address.
 *
 * Console URL shapes, as Google's console and tools built on it write them (checked 2026-11 with
 * the search tool; the console has no published URL reference, so these are the shapes in use):
 * - Service account details: `https://console.cloud.google.com/iam-admin/serviceaccounts/details/ID?project=P`,
 *   ID the numeric unique id or the email; its keys tab appends `/keys`
 *   (IAM_SERVICE_ACCOUNTS / IAM_SERVICE_ACCOUNT_KEYS constants of a compliance tool's GCP connector;
 *   docs "List and get service account keys" https://cloud.google.com/iam/docs/keys-list-get: service
 *   account page → Keys tab).
 * - GKE cluster details: `https://console.cloud.google.com/kubernetes/clusters/details/LOCATION/NAME/details?project=P`
 *   (same connector's CLUSTER constant).
 * - Node pool details: `https://console.cloud.google.com/kubernetes/nodepool/LOCATION/CLUSTER/POOL?project=P`
 *   (same connector's NODEPOOLS constant; a course's "User Pool config" link and a node-pool clone
 *   script take the same shape).
 * - A project's IAM page: `https://console.cloud.google.com/iam-admin/iam?project=P` (many runbooks).
 *
 * kubectl: `gcloud container clusters get-credentials NAME --location=L --project=P` writes a
 * kubeconfig context named `gke_PROJECT_LOCATION_NAME` (gcloud reference for get-credentials; the
 * context names real gcloud wrote in lib/simulator/real-clis.test.ts have that shape), so one command
 * reaches an object in any of forty clusters without switching the current context.
 */
import { parseSubject, projectOfGsaEmail } from "./ids";

const CONSOLE = "https://console.cloud.google.com";

const q = (project: string) => `?project=${encodeURIComponent(project)}`;
const seg = (s: string) => encodeURIComponent(s);

/** A service account's details page. `uniqueId` (numeric) is the console's own id; the email works too. */
export function gsaConsoleUrl(email: string, opts: { project?: string | null; uniqueId?: string | null } = {}): string | null {
  const project = opts.project ?? projectOfGsaEmail(email);
  if (!project) return null;
  return `${CONSOLE}/iam-admin/serviceaccounts/details/${seg(opts.uniqueId || email.toLowerCase())}${q(project)}`;
}

/** The keys tab of a key's service account (the console has no page of one key). */
export function keyConsoleUrl(email: string, opts: { project?: string | null; uniqueId?: string | null } = {}): string | null {
  const base = gsaConsoleUrl(email, opts);
  if (!base) return null;
  const [path, query] = base.split("?");
  return `${path}/keys?${query}`;
}

export function clusterConsoleUrl(project: string, location: string, name: string): string {
  return `${CONSOLE}/kubernetes/clusters/details/${seg(location)}/${seg(name)}/details${q(project)}`;
}

export function nodePoolConsoleUrl(project: string, location: string, cluster: string, pool: string): string {
  return `${CONSOLE}/kubernetes/nodepool/${seg(location)}/${seg(cluster)}/${seg(pool)}${q(project)}`;
}

export function projectIamConsoleUrl(project: string): string {
  return `${CONSOLE}/iam-admin/iam${q(project)}`;
}

/** The Console page of a subject, where it has one (GSA, key, cluster, node pool, project); else null. */
export function consoleUrl(subject: string, opts: { uniqueId?: string | null } = {}): string | null {
  const p = parseSubject(subject);
  if (!p) return null;
  const parts = p.id.split("/");
  switch (p.kind) {
    case "gsa":
      return gsaConsoleUrl(p.id, opts);
    case "key": {
      const email = p.id.slice(0, p.id.lastIndexOf("/"));
      return email ? keyConsoleUrl(email, opts) : null;
    }
    case "cluster":
      return parts.length === 3 ? clusterConsoleUrl(parts[0], parts[1], parts[2]) : null;
    case "nodepool":
      return parts.length === 4 ? nodePoolConsoleUrl(parts[0], parts[1], parts[2], parts[3]) : null;
    case "project":
      return projectIamConsoleUrl(p.id);
    default:
      return null;
  }
}

/** kubectl's resource name for a workload kind (`Deployment` → `deployment`; custom kinds by their kind too). */
function resourceOf(kind: string): string {
  return kind.toLowerCase();
}

/** A shell word: quoted only when it needs to be (names with characters a shell would read). */
function word(s: string): string {
  return /^[A-Za-z0-9._\-/:@=]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export type KubectlCommands = {
  /** The kubeconfig context `get-credentials` writes for the cluster. */
  context: string;
  /** Writes that context (once per cluster and workstation). */
  getCredentials: string;
  /** Shows the object. */
  show: string;
};

/**
 * The commands that show a Kubernetes object (namespace, KSA, workload, pod, Secret, ConfigMap, node)
 * in its cluster; null for any other subject. A Secret is `describe`d, not `get -o yaml`: describe
 * lists its data keys and sizes only, and a command wi-atlas hands out never prints a key file.
 */
export function kubectlCommands(subject: string): KubectlCommands | null {
  const p = parseSubject(subject);
  if (!p) return null;
  const parts = p.id.split("/");
  if (parts.length < 4 || parts.slice(0, 3).some((x) => x === "")) return null;
  const [project, location, cluster] = parts;
  const context = `gke_${project}_${location}_${cluster}`;
  const getCredentials = `gcloud container clusters get-credentials ${word(cluster)} --location=${word(location)} --project=${word(project)}`;
  const k = `kubectl --context ${word(context)}`;
  let show: string | null = null;
  switch (p.kind) {
    case "namespace":
      if (parts.length === 4) show = `${k} get namespace ${word(parts[3])} -o yaml`;
      break;
    case "node":
      if (parts.length === 4) show = `${k} get node ${word(parts[3])} -o yaml`;
      break;
    case "ksa":
      if (parts.length === 5) show = `${k} -n ${word(parts[3])} get serviceaccount ${word(parts[4])} -o yaml`;
      break;
    case "pod":
      if (parts.length === 5) show = `${k} -n ${word(parts[3])} get pod ${word(parts[4])} -o yaml`;
      break;
    case "configmap":
      if (parts.length === 5) show = `${k} -n ${word(parts[3])} get configmap ${word(parts[4])} -o yaml`;
      break;
    case "secret":
      if (parts.length === 5) show = `${k} -n ${word(parts[3])} describe secret ${word(parts[4])}`;
      break;
    case "workload":
      if (parts.length === 6) show = `${k} -n ${word(parts[3])} get ${word(resourceOf(parts[4]))} ${word(parts[5])} -o yaml`;
      break;
    default:
      break;
  }
  return show ? { context, getCredentials, show } : null;
}
