/**
 * The check's report as text (for people), JSON (the CheckReport itself, documented in the README) or
 * SARIF 2.1.0 (for code-scanning UIs such as GitHub's): one run, the rule table as
 * `tool.driver.rules` (ids = the product's rule ids), one result per finding that would open, with
 * its level from the severity and its location the manifest file and line of the object.
 */
import path from "node:path";
import { RULES } from "../analysis/rules";
import type { Severity } from "../analysis/model";
import type { CheckFinding, CheckReport } from "./run-check";
import { atOrAbove } from "./run-check";

export const FORMATS = ["text", "json", "sarif"] as const;
export type Format = (typeof FORMATS)[number];

const where = (f: { location: { file: string; line: number; helmSource: string | null } }) =>
  `${f.location.file === "-" ? "stdin" : f.location.file}:${f.location.line}${f.location.helmSource ? ` (${f.location.helmSource})` : ""}`;

export function formatText(r: CheckReport): string {
  const out: string[] = [];
  const base = r.baseline.source === "none" ? "the check's own cluster (no scan)" : `scan #${r.baseline.scan} (${r.baseline.source})`;
  out.push(`Check of ${r.objects.length} object${r.objects.length === 1 ? "" : "s"} placed into ${r.cluster}, against ${base}`);
  out.push("");
  out.push(`Identities (${r.workloads.length} workload${r.workloads.length === 1 ? "" : "s"}):`);
  if (r.workloads.length === 0) out.push("  none: the manifests hold no workload");
  for (const w of r.workloads) {
    const was = w.before && w.before.identity !== w.identity ? ` (was ${w.before.identity})` : "";
    out.push(`  ${w.namespace}/${w.kind}/${w.name} as ${w.ksa}: ${w.identity} [${w.identitySource}]${was}`);
    out.push(`      ${w.migration}: ${w.migrationReason}${w.pendingPods ? ` — ${w.pendingPods} of ${w.pods} pods would not schedule` : ""}`);
  }
  const list = (title: string, fs: CheckFinding[], mark: (f: CheckFinding) => string = () => " ") => {
    out.push("");
    out.push(`${title} (${fs.length}):`);
    if (fs.length === 0) out.push("  none");
    for (const f of fs) {
      out.push(`${mark(f)} ${f.severity.toUpperCase().padEnd(8)} ${f.rule}  ${f.subject}`);
      out.push(`      ${f.message}`);
      out.push(`      at ${where(f)}${f.lacking?.length ? `; not read: ${f.lacking.join(", ")}` : ""}`);
    }
  };
  list(`Findings that would open (--fail-on ${r.failOn}: marked ✗)`, r.opened, (f) => (atOrAbove(f.severity, r.failOn) ? "✗" : " "));
  if (r.undecided.length) list("Findings that cannot be decided (a source they need was not read; not counted by --fail-on)", r.undecided);
  if (r.alreadyOpen.length) list("Already open in the scan (not these manifests' doing)", r.alreadyOpen);
  if (r.resolved.length) list("Would be resolved", r.resolved);
  if (r.notes.length) {
    out.push("");
    out.push("Notes:");
    for (const n of r.notes) out.push(`  ${n}`);
  }
  out.push("");
  const failing = r.opened.filter((f) => atOrAbove(f.severity, r.failOn)).length;
  out.push(r.failed ? `FAIL: ${failing} finding${failing === 1 ? "" : "s"} at or above ${r.failOn} would open` : `OK: nothing at or above ${r.failOn} would open`);
  return out.join("\n") + "\n";
}

export function formatJson(r: CheckReport): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/** SARIF's levels: error for critical and high, warning for medium, note below. */
export function sarifLevel(s: Severity): "error" | "warning" | "note" {
  return s === "critical" || s === "high" ? "error" : s === "medium" ? "warning" : "note";
}

/** GitHub's `security-severity` scores: critical above 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "0.5" };

/**
 * The directory SARIF's paths are relative to: the one the command was started from (the repository
 * root in CI). Under `npm --prefix DIR run check` npm runs the script in DIR and says where it was
 * started in INIT_CWD (and the package it runs in npm_package_json); relative to DIR, a manifest in
 * the repository came out as `../rendered.yaml`, a path code scanning cannot place on its files.
 */
function startDir(): string {
  const init = process.env.INIT_CWD;
  // npm sets INIT_CWD for everything below it; it is this command's start only when this process is
  // the package's own npm script (run in the package's directory), not a node started by another one.
  const pkg = process.env.npm_package_json;
  const ownScript = !!pkg && path.resolve(path.dirname(pkg)) === path.resolve(process.cwd());
  return ownScript && init && path.isAbsolute(init) ? init : process.cwd();
}

/** A path as SARIF wants it: relative to the directory the command was started from, forward slashes. */
function uriOf(file: string, helmSource: string | null): string {
  // From standard input, the template a `helm template` document came from is the best file there is.
  if (file === "-") return helmSource ?? "stdin";
  // A relative name was opened from this process's working directory.
  const rel = path.relative(startDir(), path.resolve(file));
  return rel.split(path.sep).join("/").replace(/^\.\//, "");
}

export function formatSarif(r: CheckReport, version = "0.1.0"): string {
  const results = r.opened.map((f) => ({
    ruleId: f.rule,
    ruleIndex: RULES.findIndex((x) => x.id === f.rule),
    level: sarifLevel(f.severity),
    message: { text: `${f.message} (${f.location.object} in ${r.cluster})` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uriOf(f.location.file, f.location.helmSource) },
          region: { startLine: f.location.file === "-" && f.location.helmSource ? 1 : f.location.line },
        },
      },
    ],
    // Stable across runs for the same rule, subject and file: code scanning matches alerts by it.
    partialFingerprints: { "wiAtlasFinding/v1": `${f.rule}|${f.subject}|${uriOf(f.location.file, f.location.helmSource)}` },
    properties: { severity: f.severity, subject: f.subject, cluster: r.cluster },
  }));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "wi-atlas check",
            version,
            rules: RULES.map((x) => ({
              id: x.id,
              name: x.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
              shortDescription: { text: x.title },
              fullDescription: { text: x.why },
              help: { text: `${x.title}. ${x.why}` },
              defaultConfiguration: { level: sarifLevel(x.severity) },
              properties: { tags: ["security", "workload-identity"], "security-severity": SECURITY_SEVERITY[x.severity], severity: x.severity },
            })),
          },
        },
        results,
        properties: { cluster: r.cluster, failOn: r.failOn, failed: r.failed },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

export function formatReport(r: CheckReport, format: Format): string {
  return format === "json" ? formatJson(r) : format === "sarif" ? formatSarif(r) : formatText(r);
}
