/**
 * For analysis tests: run an estate through the simulator and the real collector (real clients over
 * HTTP), and analyse what it collected — the same records a scan stores, without the database.
 */
import { loadEstateFile, parseEstateText, type LoadedEstate } from "../simulator/load-estate";
import { startSimulator } from "../simulator/server";
import { simulatorClients } from "../sources/gcp/clients";
import { gkeEndpoint } from "../sources/k8s/clients";
import { Caller } from "../sources/http/caller";
import { collect } from "../scan/collect";
import { parseApiLimits } from "../config";
import { runAnalysis, type AnalysisResult } from "./run-analysis";
import type { AnalysisInput } from "./context";
import { RULES } from "./rules";

/**
 * What to scan, as the environment would say it: WI_ATLAS_PROJECTS, WI_ATLAS_FOLDERS (ids, with or
 * without `folders/`), WI_ATLAS_CLUSTERS. With no projects and no folders, the estate's organization.
 */
export type ScanOptions = { projects?: string[]; folders?: string[]; clusters?: string[] };

type AnalyzeOptions = {
  firstSeen?: Map<string, Date>;
  scan?: ScanOptions;
  /** Per request (default 5 s); a test that pins the whole output gives a loaded machine more, so no source times out. */
  timeoutMs?: number;
};

export async function analyzeEstate(yaml: string, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return analyzeLoadedEstate(parseEstateText(yaml, "test.yaml"), opts);
}

export async function analyzeEstateFile(file: string, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return analyzeLoadedEstate(loadEstateFile(file), opts);
}

export async function analyzeLoadedEstate(estate: LoadedEstate, opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(await collectLoadedEstate(estate, opts));
}

/** What analyzeLoadedEstate analyses: the estate's records as collected, and each source's outcome. */
export async function collectLoadedEstate(estate: LoadedEstate, opts: AnalyzeOptions = {}): Promise<AnalysisInput> {
  const sim = await startSimulator({ estate });
  try {
    const caller = new Caller({ limits: parseApiLimits(undefined, 8), timeoutMs: opts.timeoutMs ?? 5000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    const projects = opts.scan?.projects ?? [];
    const folders = (opts.scan?.folders ?? []).map((f) => f.replace(/^folders\//, ""));
    const organization = projects.length || folders.length ? undefined : estate.organization?.name.replace("organizations/", "");
    const outcomes = await collect(
      { organization, folders, projects, clusters: opts.scan?.clusters ?? [], readSecrets: true },
      { google: simulatorClients(sim.url), caller, endpointFor: (c, raw) => gkeEndpoint(c, raw, sim.kubernetesPort) },
    );
    const records = outcomes.filter((o) => o.status === "ok" || o.status === "partial").flatMap((o) => o.records);
    const sources = new Map(outcomes.map((o) => [o.source, o.status] as const));
    return { now: estate.now ? new Date(estate.now) : new Date(), records, sources, firstSeen: opts.firstSeen };
  } finally {
    await sim.close();
  }
}

const RULE_SEVERITY = new Map(RULES.map((x) => [x.id, x.severity]));

/**
 * `rule subject state` lines, sorted: a compact, exact picture of what fired. A finding whose own
 * severity differs from its rule's (a graded rule, e.g. workload-default-ksa at low) ends in `(SEVERITY)`.
 */
export function findingLines(r: AnalysisResult, rule?: string): string[] {
  return r.findings
    .filter((f) => !rule || f.rule === rule)
    .map((f) => `${f.rule} ${f.subject} ${f.state}${f.severity !== RULE_SEVERITY.get(f.rule) ? ` (${f.severity})` : ""}`)
    .sort();
}

/**
 * `subject | identity | source | migration` lines for every workload, sorted: what the workload pages
 * and CSVs say about who each workload is to Google and where it stands — its migration status
 * (`migrated`, `federated`, `no-google-identity-needed`, `to-migrate`, `unknown`).
 */
export function workloadLines(r: AnalysisResult): string[] {
  return r.statuses.map((s) => `${s.subject} | ${s.identity.label} | ${s.identity.source} | ${s.migration}${s.system ? " (system)" : ""}`).sort();
}

/**
 * Every fix of every finding, in finding order: `rule subject | kind | title`, then the fix's content
 * indented by four spaces — what wi-atlas tells the user to paste, word for word.
 */
export function fixLines(r: AnalysisResult): string[] {
  const out: string[] = [];
  for (const f of [...r.findings].sort((a, b) => (`${a.rule} ${a.subject}` < `${b.rule} ${b.subject}` ? -1 : 1))) {
    for (const x of f.fixes) {
      out.push(`${f.rule} ${f.subject} | ${x.kind} | ${x.title}`);
      for (const l of x.content.replace(/\n+$/, "").split("\n")) out.push(`    ${l}`);
    }
  }
  return out;
}
