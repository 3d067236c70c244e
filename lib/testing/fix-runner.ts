/**
 * Runs the fixes wi-atlas prints, as a user would paste them, against the simulator: `gcloud`
 * commands with the real gcloud (its APIs overridden to the simulator, an access-token file), `kubectl`
 * commands and Kubernetes YAML with the real kubectl (the kubeconfig the simulator writes, contexts
 * named `gke_PROJECT_LOCATION_NAME` as the fixes use them), and Terraform turned into the calls the
 * Google provider makes for it (getIamPolicy + setIamPolicy through googleapis). Then it rescans
 * through the real collector and analyses again, so a test can say whether a finding is resolved.
 *
 * A fix the runner cannot run says why (a note, a check that needs a running container, an unfilled
 * placeholder, a CLI missing here): nothing is skipped silently.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { google } from "googleapis";
import { OAuth2Client } from "google-auth-library";
import { parse as parseHcl } from "@cdktf/hcl2json";
import type { Fix } from "../analysis/model";
import { UNPROVEN_MARK } from "../analysis/fixes";
import { createRequire } from "node:module";
import type { LoadedEstate } from "../simulator/load-estate";
import { startSimulator, type Simulator } from "../simulator/server";
import { writeKubeconfig } from "../simulator/kubeconfig";
import { simulatorClients } from "../sources/gcp/clients";
import { gkeEndpoint } from "../sources/k8s/clients";
import { Caller } from "../sources/http/caller";
import { collect } from "../scan/collect";
import { parseApiLimits } from "../config";
import { runAnalysis, type AnalysisResult } from "../analysis/run-analysis";

export const hasCommand = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** One thing to do, as the fix says it. */
export type Step =
  | { kind: "gcloud"; argv: string[]; line: string }
  | {
      kind: "kubectl";
      argv: string[];
      line: string;
      files?: Record<string, string>;
      /** For `kubectl edit`: the edit the fix describes, made by an editor standing in for the user's. */
      edit?: EditSpec;
    }
  /** `kubectl apply -f` of a manifest the fix prints, in the finding's cluster. */
  | { kind: "apply"; context: string; manifest: string; line: string }
  /** Terraform: the IAM member the provider would add (getIamPolicy, then setIamPolicy with the etag). */
  | { kind: "tf-iam-member"; resource: string; role: string; member: string; line: string };

/**
 * The edit a `kubectl edit` fix asks for, in its words: remove these variables, the volumes (and their
 * mounts) of these Secrets or ConfigMaps, and — in a ConfigMap — the entries holding a Google credential.
 */
export type EditSpec = { env: string[]; volumesOf: string[]; credentialData: boolean };

/** The edit a fix's `# delete: …` line (or a ConfigMap fix's title) describes. */
export function editSpecOf(fix: Fix): EditSpec | null {
  const del = /^# delete: (.*)$/m.exec(fix.content)?.[1];
  if (del) {
    const env = [...del.matchAll(/env ([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
    const volumesOf = (/volumes for (.*)$/.exec(del)?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    return { env, volumesOf, credentialData: false };
  }
  if (/ edit configmap /.test(fix.content) && /delete the key from the ConfigMap/.test(fix.title)) return { env: [], volumesOf: [], credentialData: true };
  return null;
}

/** Why a fix (or one line of it) is not run. */
export type NotRun = { reason: string };

export type FixPlan = { fix: Fix; steps: Step[]; skipped: { line: string; reason: string }[] } | { fix: Fix; notRunnable: string };

/**
 * Words that look like placeholders but are real values the fixes print (flag values, variable
 * names). Any other ALL_CAPS word in a command is an unfilled placeholder: the fix cannot be pasted.
 */
const NOT_PLACEHOLDERS = new Set(["GKE_METADATA", "GCE_METADATA", "GKE_METADATA_SERVER", "GOOGLE_APPLICATION_CREDENTIALS", "USER_MANAGED", "SYSTEM_MANAGED", "TO", "NARROW"]);

/** ALL_CAPS words (placeholders such as `GSA_EMAIL`, `SERVICE_ACCOUNT_EMAIL`, `ETAG`) in a command line. */
export function placeholdersIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![A-Za-z0-9_.\-/])[A-Z][A-Z0-9_]{2,}(?:\.yaml|\.json)?(?![A-Za-z0-9_=-])/g)) {
    if (!NOT_PLACEHOLDERS.has(m[0])) out.add(m[0]);
  }
  return [...out];
}

/**
 * Splits shell text into commands as sh would: `\`-newline continues a line, `#` starts a comment
 * (at a word's start), `'…'` is literal, `"…"` keeps `\"` `\\` `\$`, `&&` and `;` separate commands.
 * Anything this does not handle (`$…` expansion, pipes, redirections other than a here-document)
 * is reported, not guessed.
 */
export function shellCommands(text: string): { commands: { argv: string[]; line: string }[]; problems: string[] } {
  const src = text.replace(/\\\n[ \t]*/g, "");
  const commands: { argv: string[]; line: string }[] = [];
  const problems: string[] = [];
  for (const rawLine of src.split("\n")) {
    let argv: string[] = [];
    let word: string | null = null;
    let i = 0;
    const line = rawLine;
    const flush = () => {
      if (word !== null) argv.push(word);
      word = null;
    };
    const end = () => {
      flush();
      if (argv.length) commands.push({ argv, line: line.trim() });
      argv = [];
    };
    while (i < line.length) {
      const ch = line[i];
      if (ch === " " || ch === "\t") {
        flush();
        i++;
      } else if (ch === "#" && word === null) {
        break;
      } else if (ch === "'") {
        const j = line.indexOf("'", i + 1);
        if (j < 0) {
          problems.push(`unclosed ' in: ${line}`);
          break;
        }
        word = (word ?? "") + line.slice(i + 1, j);
        i = j + 1;
      } else if (ch === '"') {
        let j = i + 1;
        let s = "";
        while (j < line.length && line[j] !== '"') {
          if (line[j] === "\\" && ['"', "\\", "$", "`"].includes(line[j + 1])) {
            s += line[j + 1];
            j += 2;
          } else if (line[j] === "$" || line[j] === "`") {
            problems.push(`shell expansion in: ${line}`);
            s += line[j++];
          } else s += line[j++];
        }
        if (j >= line.length) problems.push(`unclosed " in: ${line}`);
        word = (word ?? "") + s;
        i = j + 1;
      } else if (ch === "&" && line[i + 1] === "&") {
        end();
        i += 2;
      } else if (ch === ";") {
        end();
        i++;
      } else if (ch === "|" || ch === ">" || ch === "<" || ch === "$" || ch === "`") {
        problems.push(`unsupported shell syntax '${ch}' in: ${line}`);
        word = (word ?? "") + ch;
        i++;
      } else {
        word = (word ?? "") + ch;
        i++;
      }
    }
    end();
  }
  return { commands, problems };
}

/** The kubectl context of a finding's cluster (`ksa:P/L/C/…`, `workload:P/L/C/…`, …), if it has one. */
export function contextOf(subject: string): string | null {
  const i = subject.indexOf(":");
  const kind = subject.slice(0, i);
  if (!["cluster", "nodepool", "namespace", "ksa", "workload", "pod", "secret", "configmap", "node"].includes(kind)) return null;
  const [p, l, c] = subject.slice(i + 1).split("/");
  return `gke_${p}_${l}_${c}`;
}

/**
 * Commands a fix prints that read only, or that the simulator's own setup stands in for: run they
 * change nothing, so the runner passes over them, saying why.
 */
function passOver(argv: string[]): string | null {
  const cmd = argv.join(" ");
  if (/^gcloud container clusters get-credentials /.test(cmd)) return "the simulator's kubeconfig stands in for get-credentials (it would write a user running gke-gcloud-auth-plugin)";
  if (/^gcloud recommender /.test(cmd)) return "a read of role recommendations: the simulator serves no Recommender API";
  return null;
}

/** The steps of one fix, or why it cannot be run here. */
export async function planFix(fix: Fix, subject: string): Promise<FixPlan> {
  if (fix.kind === "note") return { fix, notRunnable: "a note: nothing to run" };
  const mark = fix.content.indexOf(UNPROVEN_MARK);
  if (mark >= 0) return { fix, notRunnable: fix.content.slice(mark + UNPROVEN_MARK.length).split("\n")[0].trim().replace(/\.$/, "") };
  if (fix.title.startsWith("Check:")) return { fix, notRunnable: "a check that needs a running container (a pod asking the GKE metadata server for a token)" };
  const steps: Step[] = [];
  const skipped: { line: string; reason: string }[] = [];
  const fromShell = (text: string, files?: Record<string, string>): string | null => {
    const { commands, problems } = shellCommands(text);
    if (problems.length) return problems.join("; ");
    for (const c of commands) {
      const ph = placeholdersIn(c.argv.join(" "));
      if (ph.length) return `unfilled placeholder ${ph.join(", ")} in: ${c.line}`;
      const over = passOver(c.argv);
      if (over) {
        skipped.push({ line: c.line, reason: over });
        continue;
      }
      if (c.argv[0] === "gcloud") steps.push({ kind: "gcloud", argv: c.argv.slice(1), line: c.line });
      else if (c.argv[0] === "kubectl") {
        let edit: EditSpec | undefined;
        if (c.argv.includes("edit")) {
          edit = editSpecOf(fix) ?? undefined;
          if (!edit) return `an interactive edit (kubectl edit) whose change the fix does not spell out: ${c.line}`;
        }
        steps.push({ kind: "kubectl", argv: c.argv.slice(1), line: c.line, files, ...(edit ? { edit } : {}) });
      } else return `not a gcloud or kubectl command: ${c.line}`;
    }
    return null;
  };
  if (fix.kind === "gcloud" || fix.kind === "kubectl") {
    const why = fromShell(fix.content);
    if (why) return { fix, notRunnable: why };
  } else if (fix.kind === "kubernetes-yaml") {
    // A patch carries the command that applies it in its first comment lines; a manifest is applied.
    const lines = fix.content.split("\n");
    const head = lines.filter((l) => l.startsWith("#")).map((l) => l.replace(/^#\s?/, ""));
    const body = lines.filter((l) => !l.startsWith("#")).join("\n");
    const command = head.find((l) => l.startsWith("kubectl "));
    if (command) {
      if (/ apply -f pod\.yaml/.test(command)) return { fix, notRunnable: "recreating a bare Pod needs its whole manifest, which only the user's repository holds (the fix prints the fields to set)" };
      const why = fromShell(command, { "patch.yaml": body });
      if (why) return { fix, notRunnable: why };
    } else {
      const ph = placeholdersIn(body.replace(/^\s*(apiVersion|kind):.*$/gm, ""));
      if (ph.length) return { fix, notRunnable: `unfilled placeholder ${ph.join(", ")} in the manifest` };
      const context = contextOf(subject);
      if (!context) return { fix, notRunnable: `a manifest for a finding outside any cluster (${subject})` };
      steps.push({ kind: "apply", context, manifest: body, line: `kubectl --context ${context} apply -f - (the manifest)` });
    }
  } else if (fix.kind === "terraform") {
    let json: Record<string, Record<string, Record<string, Record<string, unknown>[]>>>;
    try {
      json = (await parseHcl("fix.tf", fix.content)) as typeof json;
    } catch (err) {
      return { fix, notRunnable: `Terraform that does not parse: ${(err as Error).message}` };
    }
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, [block]] of Object.entries(byName)) {
        if (type !== "google_service_account_iam_member") return { fix, notRunnable: `Terraform resource ${type} (only google_service_account_iam_member and the article's module have an equivalent here)` };
        const { service_account_id: sa, role, member } = block as Record<string, string>;
        if ([sa, role, member].some((v) => typeof v !== "string" || v.includes("${"))) return { fix, notRunnable: `${type}.${name}: an argument is not a literal` };
        steps.push({ kind: "tf-iam-member", resource: sa, role, member, line: `${type}.${name}` });
      }
    }
    for (const [name, [block]] of Object.entries((json.module ?? {}) as unknown as Record<string, Record<string, unknown>[]>)) {
      if (block.source !== "./modules/workload-identity") return { fix, notRunnable: `module ${name} from ${String(block.source)}` };
      const gsa = String(block.gsa_id);
      const project = /^projects\/([^/]+)\/serviceAccounts\//.exec(gsa)?.[1];
      if (!project) return { fix, notRunnable: `module ${name}: gsa_id ${gsa} is not projects/P/serviceAccounts/EMAIL` };
      // The article's module binds each ns/ksa of the GSA's project's workload pool.
      for (const k of block.ksa_list as string[]) {
        steps.push({ kind: "tf-iam-member", resource: gsa, role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${project}.svc.id.goog[${k}]`, line: `module.${name} ksa_list ${k}` });
      }
    }
    if (!steps.length) return { fix, notRunnable: "Terraform with no resource or module this runner knows" };
  } else return { fix, notRunnable: `fix kind ${fix.kind as string}` };
  if (!steps.length) return { fix, notRunnable: skipped.map((s) => s.reason).join("; ") || "nothing to run" };
  return { fix, steps, skipped };
}

export type StepResult = { step: Step; ok: boolean; output: string; skipped?: string };

/** A simulator with the CLIs pointed at it: gcloud's configuration, a kubeconfig, a scratch folder. */
export class Lab {
  readonly hasGcloud = hasCommand("gcloud");
  readonly hasKubectl = hasCommand("kubectl");
  private constructor(
    readonly sim: Simulator,
    readonly estate: LoadedEstate,
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(estate: LoadedEstate): Promise<Lab> {
    const sim = await startSimulator({ estate });
    const dir = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-fixes-"));
    const kubeconfig = path.join(dir, "kubeconfig.yaml");
    writeKubeconfig(kubeconfig, sim.world(), sim.kubernetesPort);
    const gcloudConfig = path.join(dir, "gcloud");
    mkdirSync(gcloudConfig);
    writeFileSync(path.join(dir, "token"), "simulator-token\n");
    // Nothing of the caller's own gcloud or kubectl setup leaks in: a fresh HOME, only PATH kept.
    const env = { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH, HOME: dir, CLOUDSDK_CONFIG: gcloudConfig, KUBECONFIG: kubeconfig, CLOUDSDK_CORE_DISABLE_PROMPTS: "1" };
    const lab = new Lab(sim, estate, dir, env);
    if (lab.hasGcloud) {
      // One `gcloud config set` start per setting costs seconds; the properties file is what they write.
      const overrides = ["iam", "container", "cloudresourcemanager", "cloudasset", "policyanalyzer", "gkehub"].map((api) => `${api} = ${sim.url}/`).join("\n");
      writeFileSync(
        path.join(gcloudConfig, "properties"),
        `[core]\ndisable_usage_reporting = true\n[auth]\naccess_token_file = ${path.join(dir, "token")}\n[component_manager]\ndisable_update_check = true\n[api_endpoint_overrides]\n${overrides}\n`,
      );
    }
    return lab;
  }

  async close(): Promise<void> {
    await this.sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every write undone: the estate as it was given (`POST /_simulator/reset`). */
  async reset(): Promise<void> {
    const r = await fetch(`${this.sim.url}/_simulator/reset`, { method: "POST" });
    if (!r.ok) throw new Error(`reset: ${r.status} ${await r.text()}`);
  }

  /** What the simulator logged as written since the last reset. */
  async writes(): Promise<{ method: string; path: string; summary: string }[]> {
    const r = await fetch(`${this.sim.url}/_simulator/writes`);
    return ((await r.json()) as { writes: { method: string; path: string; summary: string }[] }).writes;
  }

  private exec(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      const child = execFile(cmd, args, { env: { ...this.env, ...opts.env }, cwd: opts.cwd ?? this.dir, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: `${stdout}${stderr}`.trim() }),
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  async run(step: Step): Promise<StepResult> {
    if (step.kind === "gcloud") {
      if (!this.hasGcloud) return { step, ok: false, output: "", skipped: "gcloud is not installed" };
      let r = await this.exec("gcloud", [...step.argv, "--quiet"]);
      // Google answers a read-modify-write that raced another write with 409 and asks for the whole
      // read-modify-write again; a user (or a script) does just that.
      for (let i = 0; i < 3 && r.code !== 0 && /concurrent policy changes/.test(r.out); i++) r = await this.exec("gcloud", [...step.argv, "--quiet"]);
      return { step, ok: r.code === 0, output: r.out };
    }
    if (step.kind === "kubectl" || step.kind === "apply") {
      if (!this.hasKubectl) return { step, ok: false, output: "", skipped: "kubectl is not installed" };
      if (step.kind === "apply") {
        const r = await this.exec("kubectl", ["--context", step.context, "apply", "-f", "-"], { input: step.manifest });
        return { step, ok: r.code === 0, output: r.out };
      }
      const cwd = mkdtempSync(path.join(this.dir, "step-"));
      for (const [f, text] of Object.entries(step.files ?? {})) writeFileSync(path.join(cwd, f), text);
      // `kubectl edit` opens $KUBE_EDITOR on the object's YAML: an editor that makes the fix's edit stands in for the user.
      const env = step.edit ? { KUBE_EDITOR: `${process.execPath} ${this.editor()}`, WI_ATLAS_EDIT: JSON.stringify(step.edit) } : undefined;
      const r = await this.exec("kubectl", step.argv, { cwd, env });
      return { step, ok: r.code === 0, output: r.out };
    }
    return this.tfIamMember(step);
  }

  /** The stand-in editor's script (written once): applies WI_ATLAS_EDIT to the file kubectl hands it. */
  private editor(): string {
    const file = path.join(this.dir, "editor.cjs");
    const yaml = createRequire(import.meta.url).resolve("yaml");
    writeFileSync(
      file,
      `const fs = require("fs");
const YAML = require(${JSON.stringify(yaml)});
const spec = JSON.parse(process.env.WI_ATLAS_EDIT);
const file = process.argv[process.argv.length - 1];
const text = fs.readFileSync(file, "utf8");
const docs = YAML.parseAllDocuments(text).map((d) => d.toJS());
const edit = (o) => {
  if (!o || typeof o !== "object") return;
  if (o.kind === "List") return (o.items || []).forEach(edit);
  if (spec.credentialData && o.data) for (const [k, v] of Object.entries(o.data)) {
    try { const j = JSON.parse(v); if (j && (j.private_key || j.type === "service_account" || j.type === "external_account" || j.type === "authorized_user")) delete o.data[k]; } catch {}
  }
  const podSpecs = [];
  const walk = (x) => { if (!x || typeof x !== "object") return; if (Array.isArray(x.containers)) podSpecs.push(x); for (const v of Object.values(x)) walk(v); };
  walk(o.spec);
  for (const ps of podSpecs) {
    const gone = new Set((ps.volumes || []).filter((v) => spec.volumesOf.includes(v.secret?.secretName) || spec.volumesOf.includes(v.configMap?.name)).map((v) => v.name));
    if (ps.volumes) ps.volumes = ps.volumes.filter((v) => !gone.has(v.name));
    for (const c of [...(ps.initContainers || []), ...ps.containers]) {
      if (c.env) c.env = c.env.filter((e) => !spec.env.includes(e.name));
      if (c.volumeMounts) c.volumeMounts = c.volumeMounts.filter((m) => !gone.has(m.name));
    }
  }
};
docs.forEach(edit);
fs.writeFileSync(file, docs.map((d) => YAML.stringify(d)).join("---\\n"));
`,
    );
    return file;
  }

  /**
   * What the Google provider does for `google_service_account_iam_member`: read the account's policy,
   * add the member to the role's unconditional binding, write it back with the etag it read.
   */
  private async tfIamMember(step: Extract<Step, { kind: "tf-iam-member" }>): Promise<StepResult> {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: "simulator-token" });
    const iam = google.iam({ version: "v1", rootUrl: `${this.sim.url}/`, auth });
    try {
      const got = await iam.projects.serviceAccounts.getIamPolicy({ resource: step.resource, "options.requestedPolicyVersion": 3 });
      const policy = got.data;
      const bindings = policy.bindings ?? [];
      let b = bindings.find((x) => x.role === step.role && !x.condition);
      if (!b) bindings.push((b = { role: step.role, members: [] }));
      if (!b.members!.includes(step.member)) b.members!.push(step.member);
      await iam.projects.serviceAccounts.setIamPolicy({ resource: step.resource, requestBody: { policy: { ...policy, bindings, version: policy.version ?? 1 } } });
      return { step, ok: true, output: `set ${step.role} ${step.member} on ${step.resource}` };
    } catch (err) {
      return { step, ok: false, output: (err as Error).message };
    }
  }

  /**
   * A rescan: the real collector over HTTP (inventory path pinned `direct`: Cloud Asset Inventory lags
   * by design), then the analysis — what a scan stores and analyses, without the database.
   */
  async scan(): Promise<AnalysisResult> {
    const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: 10_000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    const organization = this.estate.organization?.name.replace("organizations/", "");
    const outcomes = await collect(
      { organization, folders: [], projects: [], clusters: [], readSecrets: true, inventoryPath: "direct" },
      { google: simulatorClients(this.sim.url), caller, endpointFor: (c, raw) => gkeEndpoint(c, raw, this.sim.kubernetesPort) },
    );
    const records = outcomes.filter((o) => o.status === "ok" || o.status === "partial").flatMap((o) => o.records);
    const sources = new Map(outcomes.map((o) => [o.source, o.status] as const));
    return runAnalysis({ now: this.estate.now ? new Date(this.estate.now) : new Date(), records, sources });
  }
}
