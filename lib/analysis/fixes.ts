/**
 * Fixes a user can paste, in the forms the article uses — KSA manifests, Deployment patches (with the
 * nodeSelector value quoted), Terraform (`google_service_account_iam_member`, or the article's module
 * call with a GSA id and a list of `ns/ksa`), gcloud and kubectl — filled in with the real names.
 */
import YAML from "yaml";
import type { Fix } from "./model";
import type { IamBinding, IamCondition } from "../inventory/model";

export const GKE_MD_LABEL = "iam.gke.io/gke-metadata-server-enabled";

/**
 * How a fix says it cannot be proven by wi-atlas's own tests, which run every other printed fix
 * against the simulator and rescan (lib/analysis/fixes-proven.test.ts): a check that needs a running
 * container, a choice only the user can make, a manifest only their repository holds.
 */
export const UNPROVEN_MARK = "Not proven by wi-atlas's tests:";

/** The sentence a fix carries when it cannot be proven here, as a comment line (`# …`) for commands and manifests. */
export function unproven(why: string, opts: { comment?: boolean } = {}): string {
  return `${opts.comment === false ? "" : "# "}${UNPROVEN_MARK} ${why}.`;
}

/** The kubectl context name `gcloud container clusters get-credentials` creates. */
export function kubeContext(clusterSubject: string): string {
  const [p, l, n] = clusterSubject.replace(/^cluster:/, "").split("/");
  return `gke_${p}_${l}_${n}`;
}

export function getCredentials(clusterSubject: string): string {
  const [p, l, n] = clusterSubject.replace(/^cluster:/, "").split("/");
  return `gcloud container clusters get-credentials ${n} --location ${l} --project ${p}`;
}

/** A Terraform identifier from any text. */
export function tfName(...parts: string[]): string {
  const s = parts.join("_").toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[a-z_]/.test(s) ? s : `r_${s}`;
}

/** A valid service account id (6–30 chars, [a-z][a-z0-9-]*[a-z0-9]) derived from a name. */
export function gsaIdFrom(name: string, taken: Pick<Set<string>, "has" | "add"> = new Set()): string {
  let base = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "");
  if (base.length < 6) base = `wl-${base || "workload"}`.replace(/-+$/, "");
  while (base.length < 6) base += "x";
  base = base.slice(0, 30).replace(/-+$/, "");
  let id = base;
  for (let i = 2; taken.has(id); i++) {
    const suffix = `-${i}`;
    id = base.slice(0, 30 - suffix.length).replace(/-+$/, "") + suffix;
  }
  taken.add(id);
  return id;
}

/**
 * YAML for a manifest or patch. The same document is asked for many times in one analysis (a KSA's
 * manifest appears in its workloads' plans and in its findings; workloads share patches), and the
 * YAML printer is the analysis's most expensive step on a large estate, so answers are remembered;
 * the memo is bounded and simply starts over when full.
 */
const yamlMemo = new Map<string, string>();
const YAML_MEMO_MAX = 50_000;
export function yamlDoc(v: unknown): string {
  const k = JSON.stringify(v);
  let out = yamlMemo.get(k);
  if (out === undefined) {
    out = plainYaml(v) ?? YAML.stringify(v, { lineWidth: 0 });
    if (yamlMemo.size >= YAML_MEMO_MAX) yamlMemo.clear();
    yamlMemo.set(k, out);
  }
  return out;
}

/**
 * A scalar the YAML printer writes as it is (no quotes): starts with a letter (so no number, indicator
 * or special float), has no space, colon or `#`, and is none of the core schema's words.
 */
const PLAIN = /^[A-Za-z][A-Za-z0-9._@/-]*$/;
const CORE_WORDS = new Set(["true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"]);
const plainScalar = (s: string) => PLAIN.test(s) && !CORE_WORDS.has(s);

/**
 * The YAML printer's output for the documents fixes print (nested maps of names, emails and nulls),
 * written directly: the printer builds a document tree for each, which on a large estate is seconds.
 * Undefined for anything else (a list, an empty map, a value that needs quotes): the printer does it.
 * fixes.test.ts holds it to the printer's output.
 */
export function plainYaml(v: unknown): string | undefined {
  const lines: string[] = [];
  const walk = (o: Record<string, unknown>, indent: string): boolean => {
    const keys = Object.keys(o);
    if (!keys.length) return false;
    for (const k of keys) {
      if (!plainScalar(k)) return false;
      const x = o[k];
      if (x === null) lines.push(`${indent}${k}: null`);
      else if (typeof x === "string") {
        if (plainScalar(x)) lines.push(`${indent}${k}: ${x}`);
        else if (x === "true" || x === "false") lines.push(`${indent}${k}: "${x}"`);
        else return false;
      } else if (typeof x === "object" && !Array.isArray(x)) {
        lines.push(`${indent}${k}:`);
        if (!walk(x as Record<string, unknown>, `${indent}  `)) return false;
      } else return false;
    }
    return true;
  };
  if (v === null || typeof v !== "object" || Array.isArray(v) || !walk(v as Record<string, unknown>, "")) return undefined;
  return `${lines.join("\n")}\n`;
}

/** A KSA manifest annotated with `email`; with `null`, a KSA of its own and no GSA (for a workload that needs no Google identity). */
export function ksaManifestFix(ns: string, ksa: string, email: string | null, opts: { title?: string; unproven?: string } = {}): Fix {
  return {
    kind: "kubernetes-yaml",
    title: opts.title ?? (email ? `KSA ${ns}/${ksa} annotated with ${email}` : `KSA ${ns}/${ksa} of its own, with no GSA (it needs no Google identity)`),
    content: (opts.unproven ? `${unproven(opts.unproven)}\n` : "") + yamlDoc({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: ksa, namespace: ns, ...(email ? { annotations: { "iam.gke.io/gcp-service-account": email } } : {}) },
    }),
  };
}

/** A strategic-merge patch setting serviceAccountName and the quoted GKE-metadata nodeSelector. */
export function workloadPatchFix(
  clusterSubject: string,
  kind: string,
  ns: string,
  name: string,
  ksa: string,
  opts: { nodeSelector: boolean; /** nodeSelector keys that pin the pods away from every GKE-metadata node (dropped: `null` deletes a key in a strategic merge). */ unpin?: string[] },
): Fix {
  const podSpec: Record<string, unknown> = { serviceAccountName: ksa };
  // Keeping a pin to a legacy pool beside the new selector would fit no node: the rollout would stall Pending.
  if (opts.nodeSelector) podSpec.nodeSelector = { ...Object.fromEntries((opts.unpin ?? []).map((k) => [k, null])), [GKE_MD_LABEL]: "true" };
  if (kind === "Pod") {
    // A bare Pod's serviceAccountName and nodeSelector cannot change in place.
    const body = yamlDoc({ spec: podSpec }).replace(`${GKE_MD_LABEL}: "true"`, `"${GKE_MD_LABEL}": "true"`);
    return {
      kind: "kubernetes-yaml",
      title: `Recreate Pod ${ns}/${name}: run as ${ksa}${opts.nodeSelector ? " on GKE-metadata nodes" : ""}`,
      content: `# A Pod cannot change these in place: set them in its manifest, then
# kubectl --context ${kubeContext(clusterSubject)} -n ${ns} delete pod ${name} && kubectl apply -f pod.yaml
${unproven("only your repository holds the Pod's whole manifest")}
${body}`,
    };
  }
  const patch = kind === "CronJob" ? { spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } } : { spec: { template: { spec: podSpec } } };
  // YAML would print "true" unquoted when it can; the label value must be a string, so quote it explicitly.
  const body = yamlDoc(patch).replace(`${GKE_MD_LABEL}: "true"`, `"${GKE_MD_LABEL}": "true"`);
  return {
    kind: "kubernetes-yaml",
    title: `Patch ${kind} ${ns}/${name}: run as ${ksa}${opts.nodeSelector ? " on GKE-metadata nodes" : ""}${opts.nodeSelector && opts.unpin?.length ? ` (dropping its pin ${opts.unpin.join(", ")}: no GKE-metadata node fits it)` : ""}`,
    content: `# kubectl --context ${kubeContext(clusterSubject)} -n ${ns} patch ${kind.toLowerCase()} ${name} --patch-file patch.yaml\n${body}`,
  };
}

export function tfBindingFix(email: string, project: string, pool: string, ns: string, ksa: string): Fix {
  return {
    kind: "terraform",
    title: `Terraform: let ${ns}/${ksa} act as ${email}`,
    content: `resource "google_service_account_iam_member" "${tfName(email.split("@")[0], ns, ksa, "wi")}" {
  service_account_id = "projects/${project}/serviceAccounts/${email}"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${pool}[${ns}/${ksa}]"
}
`,
  };
}

/** The article's module call: one GSA id and the list of `ns/ksa` that may use it. */
export function tfModuleFix(email: string, project: string, ksaList: string[]): Fix {
  const list = ksaList.map((k) => `    "${k}",`).join("\n");
  return {
    kind: "terraform",
    title: `Terraform (the article's module): every ns/ksa that may use ${email}`,
    content: `module "${tfName("wi", email.split("@")[0])}" {
  source   = "./modules/workload-identity"
  gsa_id   = "projects/${project}/serviceAccounts/${email}"
  ksa_list = [
${list}
  ]
}
`,
  };
}

/**
 * What a fix knows of the IAM policy it edits: its bindings as the scan read them, or `"unread"`
 * when the scan could not read it. A policy that does not exist yet (a GSA the fix creates) is
 * `{ bindings: [] }`.
 */
export type PolicyView = { bindings: IamBinding[] } | "unread";

/** Single-quotes a value for a POSIX shell. */
function shellQuote(v: string): string {
  return `'${v.replaceAll("'", `'\\''`)}'`;
}

/**
 * The condition flag that makes `gcloud … add/remove-iam-policy-binding` run without a prompt.
 * gcloud refuses, in a script, to add or remove a binding without `--condition` on a policy that holds
 * conditional bindings ("prohibited in non-interactive mode"); `--condition=None` names the
 * unconditional binding, and a conditional one is named by its exact expression, title and
 * description (gcloud matches all three). The values go through gcloud's `^DELIM^` escaping, since CEL
 * expressions hold commas. A condition without a title cannot be named on the command line: `--all`
 * then removes it, when no other binding gives the member that role.
 */
export function conditionFlag(policy: PolicyView, opts: { condition?: IamCondition | null; member?: string; role?: string } = {}): string {
  const c = opts.condition;
  if (c) {
    if (!c.title) {
      const siblings = policy === "unread" ? 2 : policy.bindings.filter((b) => b.role === opts.role && opts.member !== undefined && b.members.includes(opts.member)).length;
      return siblings <= 1 ? "--all" : "--condition-from-file=CONDITION.yaml  # this condition has no title, which gcloud needs: edit the policy with get-iam-policy / set-iam-policy instead";
    }
    const parts: [string, string][] = [
      ["expression", c.expression],
      ["title", c.title],
    ];
    if (c.description) parts.push(["description", c.description]);
    const delim = ["|", "~", "#", "@", ";", "%", "!"].find((d) => parts.every(([, v]) => !v.includes(d))) ?? "\u241f";
    return `--condition=${shellQuote(`^${delim}^${parts.map(([k, v]) => `${k}=${v}`).join(delim)}`)}`;
  }
  // Unread: passing None costs nothing on a policy without conditions and keeps the command scriptable.
  if (policy === "unread" || policy.bindings.some((b) => b.condition)) return "--condition=None";
  return "";
}

/** `gcloud iam service-accounts add/remove-iam-policy-binding`, runnable without a prompt on `policy`. */
export function saPolicyBindingCommand(verb: "add" | "remove", email: string, member: string, role: string, opts: { project?: string; policy: PolicyView; condition?: IamCondition | null }): string {
  const flag = conditionFlag(opts.policy, { condition: opts.condition, member, role });
  return [`gcloud iam service-accounts ${verb}-iam-policy-binding ${email}`, ...(opts.project ? [`--project=${opts.project}`] : []), `--role=${role}`, `--member="${member}"`, ...(flag ? [flag] : [])].join(
    " \\\n  ",
  );
}

export function gcloudBindingFix(b: {
  email: string;
  project: string;
  pool: string;
  ns: string;
  ksa: string;
  verb?: "add" | "remove";
  /** The GSA's policy as read (conditional bindings there need an explicit condition flag). */
  policy: PolicyView;
  /** For a remove: the condition of the binding removed. */
  condition?: IamCondition | null;
}): Fix {
  const verb = b.verb ?? "add";
  return {
    kind: "gcloud",
    title: `${verb === "add" ? "Grant" : "Remove"} roles/iam.workloadIdentityUser ${verb === "add" ? "to" : "from"} ${b.pool}[${b.ns}/${b.ksa}]${b.condition ? ` (the binding conditional on ${b.condition.title ?? b.condition.expression})` : ""}`,
    content: saPolicyBindingCommand(verb, b.email, `serviceAccount:${b.pool}[${b.ns}/${b.ksa}]`, "roles/iam.workloadIdentityUser", { project: b.project, policy: b.policy, condition: b.condition }),
  };
}

const METADATA_SA = "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default";

/**
 * Step 6, proven: a throw-away pod running as the KSA on a GKE-metadata node asks the metadata server
 * for a token. A token comes back only when the whole link works (annotation, binding, GSA enabled).
 * The email alone proves nothing: the GKE metadata server — and so `gcloud auth list` — shows the
 * annotated email even when the binding is missing. `kubectl run --serviceaccount` was removed in
 * kubectl 1.24, hence `--overrides`. On Autopilot every node serves GKE metadata: no nodeSelector.
 */
export function kubectlCheckFix(clusterSubject: string, ns: string, ksa: string, expect: string, opts: { autopilot?: boolean } = {}): Fix {
  const spec: Record<string, unknown> = { serviceAccountName: ksa };
  if (!opts.autopilot) spec.nodeSelector = { [GKE_MD_LABEL]: "true" };
  const overrides = JSON.stringify({ apiVersion: "v1", spec });
  const curl = (what: string, extra: string) => `curl -sS ${extra}-H "Metadata-Flavor: Google" ${METADATA_SA}/${what}`;
  return {
    kind: "kubectl",
    title: `Check: a pod running as ${ns}/${ksa} gets a token as ${expect}`,
    content: `${getCredentials(clusterSubject)}
kubectl --context ${kubeContext(clusterSubject)} -n ${ns} run wi-check --rm -i --restart=Never \\
  --image=google/cloud-sdk:slim --overrides='${overrides}' \\
  -- sh -c '${curl("email", "")}; echo; ${curl("token", '-o /dev/null -w "token request: %{http_code}\\n" ')}'
# Expect the email ${expect}, then "token request: 200": a pod running as ${ns}/${ksa} got a token.
# Any other status means the link is broken (binding missing, GSA disabled or deleted). The email line alone proves
# nothing: the metadata server, and so gcloud auth list, shows the annotated email even when the binding is missing.
${unproven("it needs a running container (a pod asking the GKE metadata server for a token)")}`,
  };
}

/**
 * The `--service-account` of a new node pool: the account the cluster's nodes run as today (the
 * pool being replaced first, else a pool already serving GKE metadata, else any), so the new pool is a
 * like-for-like replacement whose node-level grants still hold. A printed placeholder could not be
 * pasted; a narrower node account is nodepool-default-compute-sa's fix.
 */
export function newPoolAccount(pools: { data: { name: string; serviceAccount: string; servesGkeMetadata: boolean } }[], replacing?: string): string | null {
  const ordered = [...pools.filter((p) => p.data.name === replacing), ...pools.filter((p) => p.data.servesGkeMetadata), ...pools];
  return ordered.map((p) => p.data.serviceAccount).find((sa) => /@/.test(sa)) ?? null;
}

/** `--service-account=EMAIL` for newPoolAccount, or nothing (GKE then uses the Compute Engine default account). */
export function newPoolAccountFlag(pools: Parameters<typeof newPoolAccount>[0], replacing?: string): string {
  const sa = newPoolAccount(pools, replacing);
  return sa ? ` --service-account=${sa}` : "";
}

export function note(title: string, content: string): Fix {
  return { kind: "note", title, content };
}

export function gcloud(title: string, content: string): Fix {
  return { kind: "gcloud", title, content };
}

export function kubectl(title: string, content: string): Fix {
  return { kind: "kubectl", title, content };
}

export function terraform(title: string, content: string): Fix {
  return { kind: "terraform", title, content };
}

/**
 * `gcloud … add/remove-iam-policy-binding` for a project, folder or organization subject. With the
 * policy it edits (and, for a conditional binding, its condition) it carries the condition flag that
 * lets it run without a prompt; without, it is printed as before.
 */
export function policyBindingCommand(verb: "add" | "remove", resource: string, member: string, role: string, opts?: { policy: PolicyView; condition?: IamCondition | null }): string {
  const id = resource.slice(resource.indexOf(":") + 1);
  const group = resource.startsWith("project:") ? "projects" : resource.startsWith("folder:") ? "resource-manager folders" : "organizations";
  const flag = opts ? conditionFlag(opts.policy, { condition: opts.condition, member, role }) : "";
  return `gcloud ${group} ${verb}-iam-policy-binding ${id} \\\n  --role=${role} --member="${member}"${flag ? ` ${flag}` : ""}`;
}

/** Where role recommendations for a resource live. */
export function recommenderCommand(resource: string): string {
  const id = resource.slice(resource.indexOf(":") + 1);
  const flag = resource.startsWith("project:") ? "--project" : resource.startsWith("folder:") ? "--folder" : "--organization";
  return `gcloud recommender recommendations list ${flag}=${id} --location=global --recommender=google.iam.policy.Recommender`;
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
