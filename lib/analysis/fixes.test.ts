/**
 * Fixes a user pastes: every fix of every finding of the demo estate must be valid in its own
 * language (Kubernetes YAML, Terraform HCL) and name real resources (no `undefined`, no `null`,
 * no project or cluster that does not exist). Plus the two naming helpers behind them.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { analyzeEstateFile } from "./testing";
import type { AnalysisResult } from "./run-analysis";
import type { Finding, Fix, FixKind } from "./model";
import { spawnSync } from "node:child_process";
import { conditionFlag, GKE_MD_LABEL, gsaIdFrom, kubectlCheckFix, plainYaml, tfName } from "./fixes";
import { isValidGsaEmail } from "./iam";

type Obj = Record<string, unknown>;

const DEMO = path.resolve(import.meta.dirname, "../simulator/estates/demo/estate.yaml");

let r: AnalysisResult;
let fixes: { finding: Finding; fix: Fix }[];
beforeAll(async () => {
  r = await analyzeEstateFile(DEMO);
  fixes = r.findings.flatMap((finding) => finding.fixes.map((fix) => ({ finding, fix })));
});

const ofKind = (kind: FixKind) => fixes.filter((x) => x.fix.kind === kind);
/** An account one of the finding's fixes creates first (a shared account's split: the workload's own new account). */
const createdByFinding = (x: { finding: Finding }, gsa: string) => (x.finding.fixes ?? []).some((f) => f.content.includes(`gcloud iam service-accounts create ${gsa.split("@")[0]} --project=${gsa.split("@")[1]?.split(".")[0]} `));
const where = (x: { finding: Finding; fix: Fix }) => `${x.finding.rule} ${x.finding.subject} — ${x.fix.title}`;

/** The YAML document of a kubernetes-yaml fix: its leading `#` comment lines (the kubectl command) stripped. */
function yamlBody(text: string): { comments: string[]; doc: Obj } {
  const lines = text.split("\n");
  const comments: string[] = [];
  while (lines.length && lines[0].startsWith("#")) comments.push(lines.shift()!);
  return { comments, doc: YAML.parse(lines.join("\n")) as Obj };
}

const SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const TF_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const WI_MEMBER = /^serviceAccount:([a-z0-9.-]+\.svc\.id\.goog)\[([^/\]]+)\/([^\]]+)\]$/;

/** Where the pod spec sits in a strategic-merge patch for each kind. */
function podSpecOfPatch(kind: string, doc: Obj): Obj | undefined {
  const get = (o: unknown, ...keys: string[]) => keys.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Obj)[k] : undefined), o) as Obj | undefined;
  if (kind === "CronJob") return get(doc, "spec", "jobTemplate", "spec", "template", "spec");
  if (kind === "Pod") return get(doc, "spec");
  return get(doc, "spec", "template", "spec");
}

/** Every value of `key` anywhere in a parsed document. */
function findAll(v: unknown, key: string): unknown[] {
  if (!v || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap((x) => findAll(x, key));
  return Object.entries(v as Obj).flatMap(([k, x]) => (k === key ? [x] : findAll(x, key)));
}

function clusterBySubject(subject: string) {
  const c = r.context.clusters.get(subject);
  if (!c) throw new Error(`no cluster ${subject}`);
  return c.data;
}
const contextOf = (clusterSubject: string) => {
  const [p, l, n] = clusterSubject.slice(8).split("/");
  return `gke_${p}_${l}_${n}`;
};

describe("the demo estate's fixes", () => {
  it("come in every kind, so the checks below are not vacuous", () => {
    const kinds = new Map<string, number>();
    for (const x of fixes) kinds.set(x.fix.kind, (kinds.get(x.fix.kind) ?? 0) + 1);
    expect([...kinds.keys()].sort()).toEqual(["gcloud", "kubectl", "kubernetes-yaml", "note", "terraform"]);
    for (const n of kinds.values()) expect(n).toBeGreaterThan(0);
  });

  it("never print undefined, null, NaN or [object Object], in any kind", () => {
    // `/dev/null` is a path the link check writes the token to, not a missing value; in a strategic-merge
    // patch a nodeSelector key set to null is deleted (a pin to a legacy pool dropped).
    const text = (x: (typeof fixes)[number]) => (x.fix.title + "\n" + x.fix.content).replaceAll("/dev/null", "").replace(x.fix.kind === "kubernetes-yaml" ? /^ +\S+: null$/gm : /$^/, "");
    const bad = fixes.filter((x) => /\bundefined\b|\bnull\b|\bNaN\b|\[object Object\]/.test(text(x))).map(where);
    expect(bad).toEqual([]);
  });
});

describe("kubernetes-yaml fixes", () => {
  it("parse as YAML into a ServiceAccount manifest or a strategic-merge patch of the finding's workload", () => {
    const problems: string[] = [];
    const kyaml = ofKind("kubernetes-yaml");
    expect(kyaml.length).toBeGreaterThan(10);
    for (const x of kyaml) {
      const { comments, doc } = yamlBody(x.fix.content);
      const ksa =
        /^KSA ([^/ ]+)\/([^ ]+) annotated with (\S+)$/.exec(x.fix.title) ??
        // The alternative that leaves the account to the user: its manifest holds the placeholder.
        (/^Or point ([^/ ]+)\/([^ ]+) at an existing GSA$/.exec(x.fix.title) ? ([...x.fix.title.match(/^Or point ([^/ ]+)\/([^ ]+) at/)!, "EXISTING_GSA_EMAIL"].slice(0, 4) as RegExpExecArray) : null);
      const plainKsa = /^KSA ([^/ ]+)\/([^ ]+) of its own, with no GSA \(it needs no Google identity\)$/.exec(x.fix.title);
      const patch = /^Patch (\w+) ([^/ ]+)\/([^:]+): run as (\S+)/.exec(x.fix.title);
      const recreate = /^Recreate Pod ([^/ ]+)\/([^:]+): run as (\S+)( on GKE-metadata nodes)?$/.exec(x.fix.title);
      if (ksa) {
        const [, ns, name, gsa] = ksa;
        expect(doc, where(x)).toEqual({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": gsa } } });
        if (x.finding.namespace) expect(ns, where(x)).toBe(x.finding.namespace);
      } else if (plainKsa) {
        const [, ns, name] = plainKsa;
        expect(doc, where(x)).toEqual({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } });
      } else if (patch) {
        const [, kind, ns, name, ksaName] = patch;
        expect(x.finding.subject, where(x)).toBe(`workload:${x.finding.cluster!.slice(8)}/${ns}/${kind}/${name}`);
        // The kubectl line names the real context, namespace, kind and name.
        expect(comments, where(x)).toEqual([`# kubectl --context ${contextOf(x.finding.cluster!)} -n ${ns} patch ${kind.toLowerCase()} ${name} --patch-file patch.yaml`]);
        expect(kind, where(x)).not.toBe("Pod");
        const spec = podSpecOfPatch(kind, doc);
        expect(spec?.serviceAccountName, where(x)).toBe(ksaName);
      } else if (recreate) {
        // A bare Pod's serviceAccountName and nodeSelector cannot be patched: the Pod's own spec, to recreate it with.
        const [, ns, name, ksaName, onGke] = recreate;
        expect(x.finding.subject, where(x)).toBe(`workload:${x.finding.cluster!.slice(8)}/${ns}/Pod/${name}`);
        expect(comments, where(x)).toEqual([
          "# A Pod cannot change these in place: set them in its manifest, then",
          `# kubectl --context ${contextOf(x.finding.cluster!)} -n ${ns} delete pod ${name} && kubectl apply -f pod.yaml`,
          "# Not proven by wi-atlas's tests: only your repository holds the Pod's whole manifest.",
        ]);
        expect(doc, where(x)).toEqual({ spec: { serviceAccountName: ksaName, ...(onGke ? { nodeSelector: { [GKE_MD_LABEL]: "true" } } : {}) } });
      } else {
        problems.push(`unexpected title: ${where(x)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("set nodeSelector iam.gke.io/gke-metadata-server-enabled to the STRING \"true\", quoted in the text", () => {
    const withSelector = ofKind("kubernetes-yaml").filter((x) => x.fix.content.includes(GKE_MD_LABEL));
    expect(withSelector.length).toBeGreaterThan(5);
    for (const x of withSelector) {
      const selectors = findAll(yamlBody(x.fix.content).doc, "nodeSelector") as Obj[];
      expect(selectors, where(x)).toHaveLength(1);
      const value = selectors[0][GKE_MD_LABEL];
      expect(typeof value, where(x)).toBe("string");
      expect(value, where(x)).toBe("true");
      expect(x.fix.content, where(x)).toMatch(/"?iam\.gke\.io\/gke-metadata-server-enabled"?: "true"\n/);
      expect(x.fix.content, where(x)).not.toMatch(/gke-metadata-server-enabled"?: true\b/);
    }
  });

  it("annotate KSAs with existing GSAs, except deliberate placeholders for the user to fill in, each saying no test can prove it", () => {
    const annotations = ofKind("kubernetes-yaml")
      .filter((x) => x.fix.title.startsWith("KSA ") || x.fix.title.startsWith("Or point "))
      .map((x) => ({ x, gsa: ((((yamlBody(x.fix.content).doc.metadata as Obj).annotations as Obj) ?? {})["iam.gke.io/gcp-service-account"] as string) }));
    const placeholders = annotations.filter((a) => !isValidGsaEmail(a.gsa)).map((a) => `${a.x.finding.rule} ${a.x.finding.subject} ${a.gsa}`);
    expect(placeholders).toEqual([
      "ksa-annotation-gsa-missing ksa:acme-data/asia-northeast1/analytics/ml/feature-store EXISTING_GSA_EMAIL",
      "workload-default-ksa workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/Pod/debug-shell GSA_EMAIL",
      "workload-default-ksa workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend GSA_EMAIL",
    ]);
    for (const a of annotations.filter((a) => isValidGsaEmail(a.gsa))) expect(r.context.gsas.has(a.gsa) || createdByFinding(a.x, a.gsa), where(a.x)).toBe(true);
    for (const a of annotations.filter((a) => !isValidGsaEmail(a.gsa))) expect(a.x.fix.content, where(a.x)).toContain("# Not proven by wi-atlas's tests: ");
  });

  // A bare Pod has no `spec.template`, and its serviceAccountName and nodeSelector are immutable: its fix
  // edits the Pod's own `spec` and tells the user to recreate it (the demo's legacy-batch batch/Pod/debug-shell).
  it("a patch for a bare Pod targets the Pod's own spec", () => {
    const pods = ofKind("kubernetes-yaml").filter((x) => x.fix.title.startsWith("Recreate Pod "));
    // legacy-batch has no GKE-metadata node, so no nodeSelector is proposed there.
    expect(pods.map(where)).toEqual([
      "workload-default-ksa workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/Pod/debug-shell — Recreate Pod batch/debug-shell: run as debug-shell",
    ]);
    for (const x of pods) {
      const { doc } = yamlBody(x.fix.content);
      expect((doc.spec as Obj).template, where(x)).toBeUndefined();
      expect((doc.spec as Obj).serviceAccountName, where(x)).toBe("debug-shell");
    }
  });

  // A nodeSelector iam.gke.io/gke-metadata-server-enabled: "true" in a cluster with no node carrying that
  // label leaves every pod Pending (the "moved too early" case of workload-pending-no-wi-node): the demo's
  // acme-legacy/legacy-batch (no workload pool) and acme-data/etl (only a GCE_METADATA pool) get none.
  it("a nodeSelector patch is offered only for clusters that have GKE-metadata nodes to land on", () => {
    const offenders = ofKind("kubernetes-yaml")
      .filter((x) => x.fix.content.includes(GKE_MD_LABEL) && x.finding.cluster)
      .filter((x) => !(r.context.nodesByCluster.get(x.finding.cluster!) ?? []).some((n) => n.data.gkeMetadataLabel === "true"))
      .map(where);
    expect(offenders).toEqual([]);
  });
});

describe("the YAML of fixes written directly", () => {
  const docs = (value: string) => [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: value, namespace: "payments", annotations: { "iam.gke.io/gcp-service-account": value } } },
    { spec: { template: { spec: { serviceAccountName: value, nodeSelector: { "cloud.google.com/gke-nodepool": null, [GKE_MD_LABEL]: "true" } } } } },
    { spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: value } } } } } },
  ];
  it("is the YAML printer's output, byte for byte, wherever it writes one", () => {
    const plain = ["orders-api", "batch-12", "a.b", "ns/name", "x-", "yes", "Orders", "app@acme-prod.iam.gserviceaccount.com", "e5", "nan", "Infinity", "true", "false"];
    for (const v of plain) for (const d of docs(v)) expect(plainYaml(d), v).toBe(YAML.stringify(d, { lineWidth: 0 }));
  });
  it("leaves to the printer every value that needs quotes or is not a plain map of strings", () => {
    const quoted = ["123", "null", "NULL", "True", "~", " x", "x: y", "#x", "-x", "x #y", "", "@x", "1.0", ".5", "-", "x:", "0o7", ".inf", "+1", "x y", "é", "x#y", "1_000x", "TRUE", "Null"];
    for (const v of quoted) for (const d of docs(v).slice(0, 1)) expect(plainYaml(d), v).toBeUndefined();
    for (const d of [{ a: [] }, { a: {} }, {}, { a: 1 }, { a: true }, { a: undefined }, [], "x", null]) expect(plainYaml(d)).toBeUndefined();
  });
});

describe("terraform fixes", () => {
  it("parse as HCL into the google_service_account_iam_member, module or google_container_cluster they announce, with real emails and members", async () => {
    const tf = ofKind("terraform");
    expect(tf.length).toBeGreaterThan(5);
    const seen = new Set<string>();
    for (const x of tf) {
      const json = (await parseHcl("fix.tf", x.fix.content)) as { resource?: Record<string, Record<string, Obj[]>>; module?: Record<string, Obj[]> };
      if (x.fix.title.startsWith("Terraform: let ")) {
        seen.add("iam_member");
        const [, ns, ksa, gsa] = /^Terraform: let ([^/]+)\/(\S+) act as (\S+)$/.exec(x.fix.title)!;
        const resources = json.resource?.google_service_account_iam_member ?? {};
        expect(Object.keys(resources), where(x)).toEqual([tfName(gsa.split("@")[0], ns, ksa, "wi")]);
        expect(Object.keys(resources)[0]).toMatch(TF_IDENTIFIER);
        const [body] = Object.values(resources)[0];
        const account = r.context.gsas.get(gsa);
        expect(account || createdByFinding(x, gsa), `${where(x)}: ${gsa} exists (or the finding's split creates it first)`).toBeTruthy();
        const cluster = clusterBySubject(x.finding.cluster!);
        expect(body, where(x)).toEqual({
          service_account_id: `projects/${account?.data.projectId ?? gsa.split("@")[1].split(".")[0]}/serviceAccounts/${gsa}`,
          role: "roles/iam.workloadIdentityUser",
          member: `serviceAccount:${cluster.workloadPool}[${ns}/${ksa}]`,
        });
        expect(ns).toBe(x.finding.namespace);
      } else if (x.fix.title.startsWith("Terraform (the article's module)")) {
        seen.add("module");
        const gsa = /may use (\S+)$/.exec(x.fix.title)![1];
        const modules = json.module ?? {};
        expect(Object.keys(modules), where(x)).toEqual([tfName("wi", gsa.split("@")[0])]);
        const [body] = Object.values(modules)[0];
        const [id, domain] = gsa.split("@");
        expect(id, where(x)).toMatch(SERVICE_ACCOUNT_ID);
        expect(isValidGsaEmail(gsa), where(x)).toBe(true);
        // A split proposes new accounts: their ids must not collide with existing ones.
        expect(r.context.gsas.has(gsa), `${where(x)}: ${gsa} is new`).toBe(false);
        const project = domain.replace(/\.iam\.gserviceaccount\.com$/, "");
        expect(r.context.projects.has(project), where(x)).toBe(true);
        expect(body.source).toBe("./modules/workload-identity");
        expect(body.gsa_id).toBe(`projects/${project}/serviceAccounts/${gsa}`);
        expect((body.ksa_list as string[]).length, where(x)).toBeGreaterThan(0);
        for (const k of body.ksa_list as string[]) expect(k, where(x)).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
      } else if (x.fix.title.startsWith("Terraform: in the google_container_cluster")) {
        seen.add("cluster");
        const cluster = clusterBySubject(x.finding.subject);
        const resources = json.resource?.google_container_cluster ?? {};
        expect(Object.keys(resources), where(x)).toEqual([tfName(cluster.name)]);
        const [body] = Object.values(resources)[0];
        expect(body.workload_identity_config, where(x)).toEqual([{ workload_pool: `${cluster.projectId}.svc.id.goog` }]);
      } else {
        throw new Error(`unexpected terraform fix: ${where(x)}`);
      }
    }
    expect([...seen].sort()).toEqual(["cluster", "iam_member", "module"]);
  });

  // A KSA carries one annotation and the pool identifies a KSA by namespace and name only, so workloads
  // that end up on the same pool + ns/ksa share one new GSA (a fleet's copies of one app are one user:
  // payments-api@acme-prod, used only by payments/payments-api in prod and prod-osaka, is not split).
  it("a gsa-shared split gives each namespace/KSA to exactly one new GSA", async () => {
    for (const f of r.findings.filter((f) => f.rule === "gsa-shared")) {
      const owners = new Map<string, string[]>();
      for (const fix of f.fixes.filter((x) => x.kind === "terraform")) {
        const json = (await parseHcl("fix.tf", fix.content)) as { module: Record<string, Obj[]> };
        const [body] = Object.values(json.module)[0];
        for (const k of body.ksa_list as string[]) owners.set(k, [...(owners.get(k) ?? []), body.gsa_id as string]);
      }
      const shared = [...owners].filter(([, gsas]) => gsas.length > 1).map(([k, gsas]) => `${f.subject}: ${k} → ${gsas.join(", ")}`);
      expect(shared).toEqual([]);
    }
  });
});

describe("gcloud and kubectl fixes", () => {
  const commands = () => [...ofKind("gcloud"), ...ofKind("kubectl")];
  const all = (re: RegExp, text: string) => [...text.matchAll(re)].map((m) => m.slice(1));

  it("name only projects, clusters, locations, contexts, accounts and keys that exist", () => {
    const problems: string[] = [];
    const ctx = r.context;
    const clusters = [...ctx.clusters.values()].map((c) => c.data);
    const isPool = (p: string) => clusters.some((c) => c.workloadPool === p);
    for (const x of commands()) {
      const t = x.fix.content;
      const flag = (name: string) => all(new RegExp(`--${name}[= ]"?([^\\s"\\\\]+)`, "g"), t).map((m) => m[0]);
      for (const p of flag("project")) if (!ctx.projects.has(p)) problems.push(`${where(x)}: --project ${p}`);
      for (const [p] of all(/gcloud projects (?:add|remove)-iam-policy-binding (\S+)/g, t)) if (!ctx.projects.has(p)) problems.push(`${where(x)}: project ${p}`);
      for (const name of flag("cluster")) {
        const loc = flag("location")[0];
        if (!clusters.some((c) => c.name === name && c.location === loc)) problems.push(`${where(x)}: --cluster ${name} --location ${loc}`);
      }
      for (const [name, loc, p] of all(/get-credentials (\S+) --location (\S+) --project (\S+)/g, t)) {
        if (!clusters.some((c) => c.name === name && c.location === loc && c.projectId === p)) problems.push(`${where(x)}: get-credentials ${name}`);
      }
      for (const [context] of all(/--context (\S+)/g, t)) if (!clusters.some((c) => `gke_${c.projectId}_${c.location}_${c.name}` === context)) problems.push(`${where(x)}: --context ${context}`);
      for (const [gsa] of all(/gcloud iam service-accounts (?:add-iam-policy-binding|remove-iam-policy-binding|enable|disable|delete) (\S+)/g, t)) {
        // An account the same fix creates first exists by then.
        if (!ctx.gsas.has(gsa) && !t.includes(`gcloud iam service-accounts create ${gsa.split("@")[0]} `) && !createdByFinding(x, gsa)) problems.push(`${where(x)}: account ${gsa}`);
      }
      for (const gsa of flag("iam-account")) if (!ctx.gsas.has(gsa)) problems.push(`${where(x)}: --iam-account ${gsa}`);
      for (const [keyId] of all(/keys (?:disable|delete) (\S+)/g, t)) if (!ctx.keysById.has(keyId)) problems.push(`${where(x)}: key ${keyId}`);
      for (const [member] of all(/--member="([^"]+)"/g, t)) {
        const m = WI_MEMBER.exec(member);
        if (m && !isPool(m[1])) problems.push(`${where(x)}: pool ${m[1]}`);
        if (!m && !/^(serviceAccount:[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com|principalSet:\/\/\S+|principal:\/\/\S+)$/.test(member)) problems.push(`${where(x)}: member ${member}`);
      }
      for (const [id] of all(/gcloud iam service-accounts create (\S+)/g, t)) if (!SERVICE_ACCOUNT_ID.test(id)) problems.push(`${where(x)}: account id ${id}`);
      // The namespace a kubectl command works in is the finding's.
      if (x.fix.kind === "kubectl" && x.finding.namespace) for (const [ns] of all(/ -n (\S+)/g, t)) if (ns !== x.finding.namespace) problems.push(`${where(x)}: -n ${ns}`);
    }
    expect(problems).toEqual([]);
  });

  it("leave no upper-case placeholder in a command: a new node pool runs as the account the cluster's nodes run as today", () => {
    // Words of the commands and their comments, not placeholders.
    // GOOGLE_CREDENTIALS: the demo's variable that workload-inline-credential's `kubectl set env … NAME-` removes.
    const known = new Set(["ROLE", "GKE_METADATA", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CREDENTIALS", "TO", "NARROW", "KSA", "GSA", "GKE"]);
    const placeholders = new Set<string>();
    for (const x of commands()) for (const [w] of all(/\b([A-Z][A-Z0-9_]{1,}[A-Z0-9])\b/g, x.fix.content)) if (!known.has(w)) placeholders.add(w);
    expect([...placeholders]).toEqual([]);
  });

  // Even when a cluster's Secrets cannot be read (acme-staging batch/CronJob/settlement-test), the Secret a
  // workload mounts is named from its template's volumes.
  it("the kubectl fix that removes a key names the Secret(s) to unmount", () => {
    const removals = ofKind("kubectl").filter((x) => x.finding.rule === "workload-uses-key-file");
    expect(removals.length).toBeGreaterThan(5);
    const empty = removals.filter((x) => /volumeMounts\/volumes for\s*$/.test(x.fix.content)).map(where);
    expect(empty).toEqual([]);
  });
});

describe("kubectlCheckFix: the link check", () => {
  const CLUSTER = "cluster:proj-a/asia-northeast1-a/prod";
  const cmdLine = (content: string) => content.split("\n").filter((l) => !l.startsWith("#")).join("\n");
  const overridesOf = (content: string) => JSON.parse(/--overrides='([^']+)'/.exec(content)![1]) as { apiVersion: string; spec: Obj };

  // `gcloud auth list` (and the metadata server's email) shows the annotated email even when the
  // binding is missing: only a token request proves the link. `kubectl run --serviceaccount` is gone
  // since kubectl 1.24: the KSA goes in through --overrides.
  it("runs a pod as the KSA on a GKE-metadata node that requests a token from the metadata server", () => {
    const fix = kubectlCheckFix(CLUSTER, "shop", "cart", "cart@proj-a.iam.gserviceaccount.com");
    expect(fix.kind).toBe("kubectl");
    expect(fix.title).toBe("Check: a pod running as shop/cart gets a token as cart@proj-a.iam.gserviceaccount.com");
    expect(overridesOf(fix.content)).toEqual({ apiVersion: "v1", spec: { serviceAccountName: "cart", nodeSelector: { [GKE_MD_LABEL]: "true" } } });
    const cmd = cmdLine(fix.content);
    expect(cmd).toContain("kubectl --context gke_proj-a_asia-northeast1-a_prod -n shop run wi-check --rm -i --restart=Never");
    expect(cmd).toContain('curl -sS -o /dev/null -w "token request: %{http_code}\\n" -H "Metadata-Flavor: Google" http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token');
    expect(cmd).not.toContain("--serviceaccount");
    expect(cmd).not.toContain("gcloud auth list");
    expect(fix.content).toContain("shows the annotated email even when the binding is missing");
  });

  it("puts no nodeSelector in the pod on Autopilot, where every node serves GKE metadata", () => {
    const fix = kubectlCheckFix("cluster:proj-a/asia-northeast1/auto", "shop", "cart", "cart@proj-a.iam.gserviceaccount.com", { autopilot: true });
    expect(overridesOf(fix.content)).toEqual({ apiVersion: "v1", spec: { serviceAccountName: "cart" } });
  });

  it("is valid shell, as pasted", () => {
    const fix = kubectlCheckFix(CLUSTER, "shop", "cart", "the annotated GSA");
    const sh = spawnSync("sh", ["-n"], { input: fix.content, encoding: "utf8" });
    expect([sh.status, sh.stderr]).toEqual([0, ""]);
  });

  it("every link check the demo's findings give is this one (no in-pod `gcloud auth list` left)", () => {
    const checks = ofKind("kubectl").filter((x) => x.fix.title.startsWith("Check: "));
    expect(checks.length).toBeGreaterThan(3);
    for (const x of checks) {
      expect(x.fix.title, where(x)).toMatch(/^Check: a pod running as \S+ gets a token as /);
      expect(cmdLine(x.fix.content), where(x)).not.toContain("gcloud auth list");
      expect(spawnSync("sh", ["-n"], { input: x.fix.content }).status, where(x)).toBe(0);
    }
  });
});

describe("gsaIdFrom", () => {
  const VALID = SERVICE_ACCOUNT_ID;

  it("keeps a name that is already a valid id", () => {
    expect(gsaIdFrom("payments-api")).toBe("payments-api");
    expect(gsaIdFrom("abcdef")).toBe("abcdef");
  });

  it("lower-cases, turns other characters into single dashes, and drops leading non-letters and trailing dashes", () => {
    expect(gsaIdFrom("My_Service.V2")).toBe("my-service-v2");
    expect(gsaIdFrom("9-lives-worker")).toBe("lives-worker");
    expect(gsaIdFrom("report--export__")).toBe("report-export");
  });

  it("pads names shorter than 6 characters to a valid id", () => {
    expect(gsaIdFrom("api")).toBe("wl-api");
    expect(gsaIdFrom("a")).toBe("wl-axx");
    expect(gsaIdFrom("")).toBe("wl-workload");
    expect(gsaIdFrom("1234")).toBe("wl-workload");
    for (const n of ["api", "a", "", "1234", "ab", "x-1"]) expect(gsaIdFrom(n)).toMatch(VALID);
  });

  it("cuts names longer than 30 characters, without a trailing dash", () => {
    expect(gsaIdFrom("nightly-settlement-reconciliation-job")).toBe("nightly-settlement-reconciliat");
    expect(gsaIdFrom("abcdefghijklmnopqrstuvwxyzabc-defg")).toBe("abcdefghijklmnopqrstuvwxyzabc");
    expect(gsaIdFrom("nightly-settlement-reconciliation-job")).toHaveLength(30);
  });

  it("is unique against a taken set, which it extends", () => {
    const taken = new Set(["payments-api"]);
    expect(gsaIdFrom("payments-api", taken)).toBe("payments-api-2");
    expect(gsaIdFrom("payments-api", taken)).toBe("payments-api-3");
    expect([...taken]).toEqual(["payments-api", "payments-api-2", "payments-api-3"]);
  });

  it("stays valid and unique for many long names sharing a 30-character prefix", () => {
    const taken = new Set<string>();
    const ids = Array.from({ length: 120 }, (_, i) => gsaIdFrom(`nightly-settlement-reconciliation-${i % 3 === 0 ? "job" : `x${i}`}`, taken));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(VALID);
    expect(ids.slice(0, 3)).toEqual(["nightly-settlement-reconciliat", "nightly-settlement-reconcili-2", "nightly-settlement-reconcili-3"]);
    expect(ids[100]).toBe("nightly-settlement-reconci-101");
  });

  it("stays valid and unique for many short and odd names", () => {
    const taken = new Set<string>();
    const names = ["", "a", "ab", "api", "API", "_api_", "9", "x-1", "worker", "Worker", "wl-api"];
    const ids = Array.from({ length: 60 }, (_, i) => gsaIdFrom(names[i % names.length], taken));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(VALID);
  });
});

describe("tfName", () => {
  it("joins parts with underscores, lower-cased, any other character an underscore", () => {
    expect(tfName("orders", "orders", "orders-api", "wi")).toBe("orders_orders_orders_api_wi");
    expect(tfName("Prod-Cluster")).toBe("prod_cluster");
    expect(tfName("wi", "common-batch-sync")).toBe("wi_common_batch_sync");
    expect(tfName("a..b//c")).toBe("a_b_c");
  });

  it("trims underscores at the ends and prefixes r_ when the result would not start with a letter or underscore", () => {
    expect(tfName("--legacy-batch--")).toBe("legacy_batch");
    expect(tfName("483920175264-compute")).toBe("r_483920175264_compute");
    expect(tfName("")).toBe("r_");
    for (const n of ["--legacy-batch--", "483920175264-compute", "", "Prod-Cluster", "a..b//c"]) expect(tfName(n)).toMatch(TF_IDENTIFIER);
  });
});

describe("conditionFlag", () => {
  const plain = { role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:p.svc.id.goog[ns/a]"], condition: null };
  const cond = { title: "office hours", expression: "request.time.getHours('Asia/Tokyo') < 18", description: null };

  it("adds nothing on a policy without conditions, and --condition=None on one that holds any (or that was not read)", () => {
    expect(conditionFlag({ bindings: [plain] })).toBe("");
    expect(conditionFlag({ bindings: [plain, { ...plain, role: "roles/viewer", condition: cond }] })).toBe("--condition=None");
    expect(conditionFlag("unread")).toBe("--condition=None");
  });

  it("names a conditional binding by its exact expression, title and description, escaped for gcloud and the shell", () => {
    expect(conditionFlag({ bindings: [] }, { condition: { ...cond, description: "Tokyo, weekdays" } })).toBe(
      `--condition='^|^expression=request.time.getHours('\\''Asia/Tokyo'\\'') < 18|title=office hours|description=Tokyo, weekdays'`,
    );
    // A delimiter that occurs in no value is chosen.
    expect(conditionFlag({ bindings: [] }, { condition: { title: "a|b", expression: "x", description: null } })).toBe(`--condition='^~^expression=x~title=a|b'`);
  });

  it("removes an untitled conditional binding with --all only when no other binding gives that member the role", () => {
    const untitled = { title: null, expression: "resource.name.startsWith('x')", description: null };
    const m = "serviceAccount:p.svc.id.goog[ns/a]";
    expect(conditionFlag({ bindings: [{ ...plain, condition: untitled }] }, { condition: untitled, member: m, role: plain.role })).toBe("--all");
    expect(conditionFlag({ bindings: [{ ...plain, condition: untitled }, plain] }, { condition: untitled, member: m, role: plain.role })).toMatch(/^--condition-from-file=/);
  });
});
