/**
 * The regression corpus: estates that reproduce patterns of real organisations (real manifests as
 * `kubectl get -o yaml` and `helm template` print them, real IAM shapes), each beside the exact
 * findings and workload answers it must produce. One folder per pattern under
 * lib/simulator/estates/corpus/: `estate.yaml` (plus any manifests files it names), `README.md`
 * (the pattern, where it is seen, what used to go wrong), `expected-findings.txt` (rule subject
 * state) and, optionally, `expected-workloads.txt` (subject | identity | source | migration) and
 * `expected-fixes.txt` (every fix of every finding: `rule subject | kind | title`, then its content
 * indented by four spaces — for patterns where what wi-atlas tells you to run is the point), and
 * `scan.json` — what to scan, as WI_ATLAS_PROJECTS / WI_ATLAS_FOLDERS / WI_ATLAS_CLUSTERS would say
 * it (`{"projects": [...], "folders": [...], "clusters": [...]}`); without it, the estate's organization.
 *
 * WI_ATLAS_UPDATE_CORPUS=1 rewrites the expected files from what the analysis now says: review the
 * diff line by line before committing it — it is the claim the product makes about that estate.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { analyzeEstateFile, findingLines, fixLines, workloadLines } from "./testing";

const CORPUS = "lib/simulator/estates/corpus";
const UPDATE = process.env.WI_ATLAS_UPDATE_CORPUS === "1";

function readLines(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"));
}

function writeLines(file: string, header: string, lines: string[]) {
  writeFileSync(file, `# ${header}\n# Written by WI_ATLAS_UPDATE_CORPUS=1 and reviewed by hand: see lib/analysis/corpus.test.ts.\n${lines.join("\n")}\n`);
}

const ScanJson = z.strictObject({
  projects: z.array(z.string()).optional(),
  folders: z.array(z.string()).optional(),
  clusters: z.array(z.string()).optional(),
});

const cases = existsSync(CORPUS)
  ? readdirSync(CORPUS, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(CORPUS, d.name, "estate.yaml")))
      .map((d) => d.name)
      .sort()
  : [];

describe("the regression corpus", () => {
  it("has a README for every pattern", () => {
    expect(cases.filter((c) => !existsSync(path.join(CORPUS, c, "README.md")))).toEqual([]);
  });

  for (const name of cases) {
    it(`${name}: produces exactly the expected findings and workload answers`, async () => {
      const dir = path.join(CORPUS, name);
      const scanFile = path.join(dir, "scan.json");
      const scan = existsSync(scanFile) ? ScanJson.parse(JSON.parse(readFileSync(scanFile, "utf8"))) : undefined;
      const r = await analyzeEstateFile(path.join(dir, "estate.yaml"), { scan });
      const findings = findingLines(r);
      const workloads = workloadLines(r);
      const ef = path.join(dir, "expected-findings.txt");
      const ew = path.join(dir, "expected-workloads.txt");
      const ex = path.join(dir, "expected-fixes.txt");
      if (UPDATE) {
        writeLines(ef, `${name}: every finding, as "rule subject state"`, findings);
        if (existsSync(ew)) writeLines(ew, `${name}: every workload, as "subject | identity | source | migration"`, workloads);
        if (existsSync(ex)) writeLines(ex, `${name}: every fix, as "rule subject | kind | title" and its content indented`, fixLines(r));
      }
      expect(findings).toEqual(readLines(ef) ?? []);
      const expectedWorkloads = readLines(ew);
      if (expectedWorkloads) expect(workloads).toEqual(expectedWorkloads);
      const expectedFixes = readLines(ex);
      if (expectedFixes) expect(fixLines(r).filter((l) => l.trim())).toEqual(expectedFixes);
    });
  }
});
