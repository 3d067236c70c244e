/**
 * Proves the printed fixes by running them (see fix-runner.ts): for every finding of an estate that
 * carries a runnable fix, the estate is reset, the fix's commands run, the estate rescanned, and the
 * outcome compared with the scan before — is the finding gone, did anything that worked break?
 *
 * Cost: each gcloud start takes a core for a second or more and each rescan seconds, so findings that
 * share one fix run once, and fixes whose targets are disjoint share a round (one reset, one rescan);
 * a round that breaks something is re-run one fix at a time, so a breakage is pinned on its fix.
 */
import type { AnalysisResult } from "../analysis/run-analysis";
import type { Finding, Severity } from "../analysis/model";
import { SEVERITY_ORDER } from "../analysis/model";
import { Lab, planFix, type FixPlan, type Step, type StepResult } from "./fix-runner";

/** What one fix group (findings sharing the same steps) came to. */
export type GroupOutcome = {
  /** `rule subject` of each finding the steps are meant to resolve. */
  findings: string[];
  steps: string[];
  /** `ran`: every step ran; `failed`: a step exited non-zero; `skipped`: a CLI it needs is missing. */
  run: "ran" | "failed" | "skipped";
  failures: string[];
  /** `rule subject` still there after the fix. */
  unresolved: string[];
  /** Workloads that worked (keyless) before and not after. */
  broke: string[];
  /** Findings at high or critical that were not there before. */
  opened: string[];
  /** The fix's text names a precondition (`Once …`, `When no workload uses them …`): breakage it warns of. */
  precondition: string | null;
  /** Whether it ran with others in one round (true) or alone. */
  batched: boolean;
  /** `rule subject` whose fixes end in a later step no command can take ("Then …"): not expected to be resolved yet. */
  awaitingLaterStep: string[];
};

export type SkippedFinding = { finding: string; reasons: string[] };

export type ProofReport = {
  estate: string;
  findings: number;
  withFixes: number;
  groups: GroupOutcome[];
  /** Findings with no runnable fix, and why. */
  notRunnable: SkippedFinding[];
  /** Findings left out by sampling (large estates), by rule. */
  sampledOut: Record<string, number>;
  rounds: number;
  seconds: number;
};

const HIGH: Severity[] = SEVERITY_ORDER.slice(0, SEVERITY_ORDER.indexOf("high") + 1);
const key = (f: Pick<Finding, "rule" | "subject">) => `${f.rule} ${f.subject}`;

/** Text that tells the user to do something else first: breakage in its absence is what it warns of. */
const PRECONDITION = /\b(Once [^:.]*|When no [^:.]*|when no [^:.]*|after a quiet period|Replace its users with Workload Identity, then|Then [^:.]*|first)\b/;

type Group = { steps: Step[]; findings: Finding[]; precondition: string | null; exclusive: Set<string>; shared: Set<string> };

function stepText(s: Step): string {
  if (s.kind === "gcloud") return `gcloud ${s.argv.join(" ")}`;
  if (s.kind === "kubectl") return `kubectl ${s.argv.join(" ")}${s.files ? ` (${Object.keys(s.files).join(", ")})` : ""}`;
  if (s.kind === "apply") return `kubectl --context ${s.context} apply -f - <<EOF\n${s.manifest}EOF`;
  return `terraform google_service_account_iam_member ${s.resource} ${s.role} ${s.member}`;
}

/**
 * What a group's steps touch: names a round must not share. Cluster-wide operations (node pools,
 * the cluster itself) take the whole cluster; everything else takes the objects it names.
 */
function targets(steps: Step[], findings: Finding[]): { exclusive: Set<string>; shared: Set<string> } {
  const exclusive = new Set<string>();
  const shared = new Set<string>();
  for (const f of findings) {
    exclusive.add(f.subject);
    const m = /^[a-z]+:([^/]+)\/([^/]+)\/([^/]+)/.exec(f.subject);
    if (m && !f.subject.startsWith("gsa:") && !f.subject.startsWith("key:")) shared.add(`cluster ${m[1]}/${m[2]}/${m[3]}`);
  }
  for (const s of steps) {
    const text = stepText(s);
    for (const e of text.match(/[a-z0-9][\w.-]*@[\w.-]+\.com/g) ?? []) exclusive.add(e.toLowerCase());
    if (s.kind === "gcloud") {
      const words = s.argv.filter((a) => !a.startsWith("-"));
      const flag = (n: string) => s.argv.find((a) => a.startsWith(`--${n}=`))?.split("=")[1];
      if (s.argv[0] === "container") {
        const cluster = s.argv[1] === "clusters" ? words[3] : flag("cluster");
        // Node pools and the cluster's own settings move pods: the whole cluster is this group's.
        exclusive.add(`cluster ${flag("project")}/${flag("location")}/${cluster}`);
      }
      if (s.argv[0] === "projects" || s.argv[0] === "resource-manager" || s.argv[0] === "organizations") exclusive.add(`policy ${words.at(-1)}`);
    } else if (s.kind === "kubectl" || s.kind === "apply") {
      const ctx = s.kind === "apply" ? s.context : s.argv[s.argv.indexOf("--context") + 1];
      const m = /^gke_(.+?)_([a-z0-9-]+)_([a-z0-9-]+)$/.exec(ctx);
      const [, p, l, c] = m ?? [];
      // gke_P_L_C: a project id may hold underscores in theory, never here; locations and names cannot.
      if (m) shared.add(`cluster ${p}/${l}/${c}`);
      if (s.kind === "apply") {
        const name = /^\s+name: (\S+)/m.exec(s.manifest)?.[1];
        const ns = /^\s+namespace: (\S+)/m.exec(s.manifest)?.[1];
        exclusive.add(`k8s ${ctx}/${ns}/${name}`);
      } else {
        const ns = s.argv[s.argv.indexOf("-n") + 1];
        for (const w of s.argv.filter((a, i) => !a.startsWith("-") && s.argv[i - 1] !== "--context" && s.argv[i - 1] !== "-n" && s.argv[i - 1] !== "-c")) exclusive.add(`k8s ${ctx}/${ns}/${w}`);
      }
    }
  }
  for (const x of exclusive) if (x.startsWith("cluster ")) shared.delete(x);
  return { exclusive, shared };
}

function conflicts(a: Pick<Group, "exclusive" | "shared">, b: Pick<Group, "exclusive" | "shared">): boolean {
  for (const x of a.exclusive) if (b.exclusive.has(x) || b.shared.has(x)) return true;
  for (const x of b.exclusive) if (a.shared.has(x)) return true;
  return false;
}

/** The fixes of one finding to run: alternatives (an `Or …` fix; Terraform vs gcloud for one binding) once. */
async function chooseSteps(f: Finding, preferTerraform: boolean): Promise<{ steps: Step[]; reasons: string[]; texts: string[] }> {
  const plans: FixPlan[] = [];
  for (const x of f.fixes) plans.push(await planFix(x, f.subject));
  const reasons = plans.filter((p) => "notRunnable" in p).map((p) => `${p.fix.kind} "${p.fix.title}": ${(p as { notRunnable: string }).notRunnable}`);
  let runnable = plans.filter((p): p is Extract<FixPlan, { steps: Step[] }> => "steps" in p);
  // "Or …" offers another way to the same end: taken only when the way before it cannot run.
  runnable = runnable.filter((p) => !p.fix.title.startsWith("Or ") || !plans.slice(0, plans.indexOf(p)).some((q) => "steps" in q));
  // The Terraform and the gcloud form of one binding: the test takes them in turn.
  const tf = runnable.filter((p) => p.steps.every((s) => s.kind === "tf-iam-member"));
  const gc = runnable.filter((p) => p.fix.kind === "gcloud" && /add-iam-policy-binding/.test(p.fix.content) && tf.some((t) => t.steps.some((s) => s.kind === "tf-iam-member" && p.fix.content.includes(s.member.replace(/^serviceAccount:/, "")))));
  if (tf.length && gc.length) runnable = runnable.filter((p) => !(preferTerraform ? gc : tf).includes(p));
  return { steps: runnable.flatMap((p) => p.steps), reasons, texts: runnable.map((p) => `${p.fix.title}\n${p.fix.content}`) };
}

function workedKeyless(r: AnalysisResult): Map<string, boolean> {
  return new Map(r.statuses.map((s) => [s.subject, s.migrated]));
}

export type ProveOptions = {
  /** Large estates: at most this many fix groups per rule (the rest are counted as sampled out). */
  perRule?: number;
  /** Groups per round. */
  roundSize?: number;
  log?: (line: string) => void;
};

export async function proveFixes(label: string, lab: Lab, opts: ProveOptions = {}): Promise<ProofReport> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  await lab.reset();
  const before = await lab.scan();
  const beforeKeys = new Set(before.findings.map(key));
  const beforeWorked = workedKeyless(before);
  const notRunnable: SkippedFinding[] = [];
  const byKey = new Map<string, Group>();
  const perRule = new Map<string, number>();
  const sampledOut: Record<string, number> = {};
  let n = 0;
  const sorted = [...before.findings].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  for (const f of sorted) {
    if (!f.fixes.length) continue;
    const { steps, reasons, texts } = await chooseSteps(f, n++ % 2 === 1);
    if (!steps.length) {
      notRunnable.push({ finding: key(f), reasons });
      continue;
    }
    const k = JSON.stringify(steps.map(stepText));
    const g = byKey.get(k);
    if (g) {
      g.findings.push(f);
      continue;
    }
    if (opts.perRule !== undefined) {
      const c = perRule.get(f.rule) ?? 0;
      if (c >= opts.perRule) {
        sampledOut[f.rule] = (sampledOut[f.rule] ?? 0) + 1;
        continue;
      }
      perRule.set(f.rule, c + 1);
    }
    const pre = texts.map((t) => PRECONDITION.exec(t)?.[0]).find(Boolean) ?? null;
    byKey.set(k, { steps, findings: [f], precondition: pre, ...targets(steps, [f]) });
  }
  const groups = [...byKey.values()];
  for (const g of groups) Object.assign(g, targets(g.steps, g.findings));

  // Rounds of groups with disjoint targets.
  const rounds: Group[][] = [];
  const size = opts.roundSize ?? 8;
  for (const g of groups) {
    const r = rounds.find((x) => x.length < size && x.every((y) => !conflicts(g, y)));
    if (r) r.push(g);
    else rounds.push([g]);
  }

  const outcomes = new Map<Group, GroupOutcome>();
  const runRound = async (round: Group[], batched: boolean) => {
    await lab.reset();
    const results = new Map<Group, StepResult[]>();
    // One group at a time: gcloud's read-modify-write of one policy races another group's write to it
    // (409 ABORTED, as on Google), and an account's deletion rewrites every policy that names it.
    let next = 0;
    await Promise.all(
      [0].map(async () => {
        while (next < round.length) {
          const g = round[next++];
          const rs: StepResult[] = [];
          for (const s of g.steps) {
            const r = await lab.run(s);
            rs.push(r);
            if (!r.ok) break;
          }
          results.set(g, rs);
        }
      }),
    );
    const after = await lab.scan();
    const afterKeys = new Set(after.findings.map(key));
    const afterWorked = workedKeyless(after);
    const broke = [...beforeWorked].filter(([w, ok]) => ok && afterWorked.get(w) !== true).map(([w]) => w);
    const opened = after.findings.filter((f) => HIGH.includes(f.severity) && !beforeKeys.has(key(f))).map(key);
    for (const g of round) {
      const rs = results.get(g)!;
      const skipped = rs.find((r) => r.skipped);
      const failed = rs.filter((r) => !r.ok && !r.skipped);
      outcomes.set(g, {
        findings: g.findings.map(key),
        steps: g.steps.map(stepText),
        run: skipped ? "skipped" : failed.length ? "failed" : "ran",
        failures: skipped ? [skipped.skipped!] : failed.map((r) => `${stepText(r.step).split("\n")[0]}: ${r.output.split("\n").slice(-3).join(" ")}`),
        unresolved: g.findings.map(key).filter((k) => afterKeys.has(k)),
        broke,
        opened,
        precondition: g.precondition,
        batched,
        awaitingLaterStep: g.findings.filter((f) => f.fixes.some((x) => x.kind === "note" && /^Then /.test(x.title))).map(key),
      });
    }
    log(`${label}: round of ${round.length}: ${round.map((g) => outcomes.get(g)!.run).join(",")}; broke ${broke.length}, opened ${opened.length}`);
  };
  for (const round of rounds) {
    await runRound(round, round.length > 1);
    // Breakage in a round of several is pinned on its fix: each that ran is run again alone.
    const bad = round.filter((g) => outcomes.get(g)!.run === "ran" && (outcomes.get(g)!.broke.length || outcomes.get(g)!.opened.length));
    if (round.length > 1 && bad.length) for (const g of bad) await runRound([g], false);
  }
  await lab.reset();
  return {
    estate: label,
    findings: before.findings.length,
    withFixes: before.findings.filter((f) => f.fixes.length).length,
    groups: groups.map((g) => outcomes.get(g)!),
    notRunnable,
    sampledOut,
    rounds: rounds.length,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Per rule: findings whose fix ran and resolved them, ran and did not, could not run, and why. */
export function summarize(report: ProofReport): { rule: string; ran: number; resolved: number; unresolved: number; failed: number; skipped: number; notRunnable: number; sampledOut: number }[] {
  const rows = new Map<string, { rule: string; ran: number; resolved: number; unresolved: number; failed: number; skipped: number; notRunnable: number; sampledOut: number }>();
  const row = (rule: string) => rows.get(rule) ?? rows.set(rule, { rule, ran: 0, resolved: 0, unresolved: 0, failed: 0, skipped: 0, notRunnable: 0, sampledOut: 0 }).get(rule)!;
  for (const g of report.groups) {
    for (const f of g.findings) {
      const r = row(f.split(" ")[0]);
      if (g.run === "skipped") r.skipped++;
      else if (g.run === "failed") r.failed++;
      else {
        r.ran++;
        if (g.unresolved.includes(f)) r.unresolved++;
        else r.resolved++;
      }
    }
  }
  for (const s of report.notRunnable) row(s.finding.split(" ")[0]).notRunnable++;
  for (const [rule, n] of Object.entries(report.sampledOut)) row(rule).sampledOut += n;
  return [...rows.values()].sort((a, b) => (a.rule < b.rule ? -1 : 1));
}
