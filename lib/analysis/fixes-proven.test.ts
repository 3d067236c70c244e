import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { hasCommand, Lab } from "../testing/fix-runner";
import { proveFixes, summarize, type ProofReport } from "../testing/prove-fixes";
import { loadEstateFile } from "../simulator/load-estate";
import { generateEstate } from "../simulator/generate-estate";
import { DEMO_ESTATE } from "../config";
import { FIX_PROOF } from "./rules/fix-proof";

/*
 * Every finding of the demo estate and of org-s that carries a fix: reset the simulator, run the fix
 * as printed (real gcloud and kubectl against the simulator, Terraform as the provider's IAM calls),
 * rescan (inventory path `direct`: Cloud Asset Inventory lags by design), and check the finding is gone
 * and nothing that worked (keyless) broke, no high or critical finding opened. Counts — run, resolved,
 * skipped and why — are printed and written to .wi-atlas/fixes-proven.json.
 */

const TIMEOUT = 1_200_000;
const reports: ProofReport[] = [];

/**
 * Fixes that ran and left their finding open, pinned so a change shows: each is a bug to fix (the
 * reason says whose). Remove an entry once its fix resolves the finding.
 */
const KNOWN_UNRESOLVED: { finding: RegExp; why: string }[] = [
  // Not a fault: a CronJob's patched template takes effect at its next run; the pods of its last Job
  // (what the analysis reads) still run as before until then.
  { finding: /^(workload-on-legacy-node|workload-uses-key-file) workload:[^ ]*\/CronJob\//, why: "a CronJob's patch takes effect at its next run; its last Job's pods are unchanged until then" },
  // Bugs to fix (issue 12 closing note):
  { finding: /^workload-on-legacy-node workload:[^ ]*\/DaemonSet\//, why: "a DaemonSet patched onto GKE-metadata nodes: still open after the rescan (not yet understood)" },
  { finding: /^workload-uses-key-file workload:acme-legacy\/[^ ]*\/(Deployment\/report-mailer|CronJob\/common-batch-sync)$/, why: "GOOGLE_APPLICATION_CREDENTIALS comes from an envFrom ConfigMap: the printed steps cannot remove it with a patch" },
  { finding: /^gsa-shared /, why: "the split's first steps bind new KSAs that the later steps create, so binding-stale shows in between (a multi-step plan, marked not proven)" },
];
const known = (f: string) => KNOWN_UNRESOLVED.find((k) => k.finding.test(f));

afterAll(() => {
  if (!reports.length) return;
  mkdirSync(".wi-atlas", { recursive: true });
  const out = reports.map((r) => ({ estate: r.estate, findings: r.findings, withFixes: r.withFixes, rounds: r.rounds, seconds: r.seconds, byRule: summarize(r), sampledOut: r.sampledOut, notRunnable: r.notRunnable, groups: r.groups }));
  writeFileSync(".wi-atlas/fixes-proven.json", JSON.stringify(out, null, 2));
});

function problems(r: ProofReport): string[] {
  const out: string[] = [];
  for (const g of r.groups) {
    if (g.run === "skipped") continue;
    if (g.run === "failed") out.push(`${g.findings[0]}: a step failed: ${g.failures.join("; ")}`);
    for (const f of g.unresolved) {
      const rule = f.split(" ")[0];
      if (known(f)) console.warn(`fixes-proven: ${f} still open after its fix — known: ${known(f)!.why}`);
      else if (FIX_PROOF[rule]?.proven && !g.awaitingLaterStep.includes(f) && g.run === "ran") out.push(`${f}: still open after its fix`);
    }
    if (g.run === "ran" && !g.precondition && (g.broke.length || g.opened.length) && known(g.findings[0])) console.warn(`fixes-proven: ${g.findings[0]} opened ${g.opened.join(", ")} — known: ${known(g.findings[0])!.why}`);
    else if (g.run === "ran" && !g.precondition && (g.broke.length || g.opened.length)) out.push(`${g.findings[0]}: broke ${g.broke.join(", ") || "nothing"}; opened ${g.opened.join(", ") || "nothing"}`);
  }
  return out;
}

describe("the printed fixes, run against the simulator", () => {
  for (const [label, load, perRule] of [
    ["demo", () => loadEstateFile(DEMO_ESTATE), undefined],
    ["org-s", () => generateEstate("org-s"), 1],
  ] as const) {
    it(
      `resolve their findings in ${label} without breaking a workload that worked or opening a high finding${perRule ? ` (${perRule} fix per rule)` : ""}`,
      async () => {
        const lab = await Lab.start(load());
        try {
          if (!lab.hasGcloud) console.warn("fixes-proven.test.ts: SKIPPING every gcloud step: `gcloud` is not installed on this machine (command -v gcloud found nothing).");
          if (!lab.hasKubectl) console.warn("fixes-proven.test.ts: SKIPPING every kubectl step: `kubectl` is not installed on this machine (command -v kubectl found nothing).");
          const r = await proveFixes(label, lab, { perRule, log: (l) => console.log(l) });
          reports.push(r);
          console.log(`${label}: ${r.findings} findings, ${r.withFixes} with fixes, ${r.groups.length} fix groups in ${r.rounds} rounds, ${r.seconds} s`);
          console.table(summarize(r));
          expect(problems(r)).toEqual([]);
          expect(r.groups.filter((g) => g.run === "ran").length).toBeGreaterThan(0);
        } finally {
          await lab.close();
        }
      },
      TIMEOUT,
    );
  }

  it.skipIf(!hasCommand("gcloud") || !hasCommand("kubectl"))("prove every rule the README marks `yes` somewhere, and no rule marked `no`", () => {
    expect(reports.length).toBe(2);
    const resolved = new Set(reports.flatMap((r) => r.groups.filter((g) => g.run === "ran").flatMap((g) => g.findings.filter((f) => !g.unresolved.includes(f)).map((f) => f.split(" ")[0]))));
    const seen = new Set(reports.flatMap((r) => [...r.groups.flatMap((g) => g.findings), ...r.notRunnable.map((s) => s.finding)].map((f) => f.split(" ")[0])));
    const yes = Object.entries(FIX_PROOF).filter(([, p]) => p.proven).map(([rule]) => rule);
    expect(yes.filter((rule) => seen.has(rule) && !resolved.has(rule))).toEqual([]);
    // A rule marked `no` whose fix resolved its finding would be a `yes` (known cases aside).
    expect(Object.entries(FIX_PROOF).filter(([rule, p]) => !p.proven && resolved.has(rule)).map(([rule]) => rule)).toEqual([]);
  });
});
