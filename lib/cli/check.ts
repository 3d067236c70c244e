/**
 * `npm run check -- --manifests PATH… [--cluster PROJECT/LOCATION/NAME] [--namespace NS]
 * [--snapshot FILE] [--fail-on critical|high|medium] [--format text|json|sarif]` and
 * `npm run check -- --export-snapshot FILE`: the check a GitOps repository runs in CI before it
 * deploys (lib/check). Exit codes: 0 nothing at or above --fail-on would open, 1 something would,
 * 2 an error (database unreachable, no scan, unknown cluster), 78 unreadable input (bad YAML, a
 * missing path, a bad flag or snapshot file).
 */
import { parseArgs } from "node:util";
import { loadConfig, ConfigError } from "../config";
import { openDatabase } from "../store/open-database";
import { logToStderr } from "../log";
import { CheckInputError, readManifests } from "../check/read-manifests";
import { CheckRunError, loadBaseline, readSnapshot, writeSnapshot, type Baseline } from "../check/baseline";
import { FAIL_ON, parseClusterArg, runCheck, type FailOn } from "../check/run-check";
import { FORMATS, formatReport, type Format } from "../check/format-report";

const USAGE = `Usage: npm run check -- --manifests PATH... [options]
       npm run check -- --export-snapshot FILE

  --manifests PATH...     manifests to check: files, directories (*.yaml, *.yml, recursively) or -
                          for standard input; plain YAML, kubectl List, kustomize build or helm
                          template output
  --cluster P/L/N         place them into this cluster of the latest scan (PROJECT/LOCATION/NAME);
                          without it, into a GKE cluster of the check's own (Workload Identity on, one
                          GKE_METADATA node pool): no database, no scan needed
  --namespace NS          the namespace of objects that name none (default: default)
  --snapshot FILE         read the latest scan from FILE (written by --export-snapshot), not the database
  --fail-on LEVEL         critical | high | medium: exit 1 when a finding at or above it would open
                          (default: high)
  --format FORMAT         text | json | sarif (SARIF 2.1.0, for code scanning) (default: text)
  --export-snapshot FILE  write the latest scan's inventory and source statuses to FILE (no secret
                          values: the inventory holds none) and exit

Exit codes: 0 nothing at or above --fail-on would open; 1 something would; 2 an error (database
unreachable, no scan, unknown cluster); 78 unreadable input (bad YAML, missing path, bad flag or
snapshot file).`;

const EXIT = { ok: 0, wouldOpen: 1, error: 2, input: 78 } as const;

type Args = {
  manifests: string[];
  cluster?: string;
  namespace?: string;
  snapshot?: string;
  failOn: FailOn;
  format: Format;
  exportSnapshot?: string;
};

function parse(argv: string[]): Args | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        manifests: { type: "string", multiple: true },
        cluster: { type: "string" },
        namespace: { type: "string" },
        snapshot: { type: "string" },
        "fail-on": { type: "string" },
        format: { type: "string" },
        "export-snapshot": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new CheckInputError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  // `--manifests a.yaml b.yaml -`: the paths after the flag arrive as positionals.
  const manifests = [...(v.manifests ?? []), ...parsed.positionals];
  if (parsed.positionals.length && !v.manifests) throw new CheckInputError(`unexpected argument ${parsed.positionals[0]}: paths go after --manifests`);
  const failOn = (v["fail-on"] ?? "high") as FailOn;
  if (!FAIL_ON.includes(failOn)) throw new CheckInputError(`--fail-on ${v["fail-on"]}: expected one of ${FAIL_ON.join(", ")}`);
  const format = (v.format ?? "text") as Format;
  if (!FORMATS.includes(format)) throw new CheckInputError(`--format ${v.format}: expected one of ${FORMATS.join(", ")}`);
  if (v["export-snapshot"] !== undefined) {
    if (manifests.length || v.cluster || v.snapshot) throw new CheckInputError("--export-snapshot FILE is used alone: it writes the latest scan and checks nothing");
    if (!v["export-snapshot"]) throw new CheckInputError("--export-snapshot needs a file name");
    return { manifests: [], failOn, format, exportSnapshot: v["export-snapshot"] };
  }
  if (!manifests.length) throw new CheckInputError("--manifests PATH... is required (a file, a directory, or - for standard input)");
  if (v.snapshot !== undefined && !v.cluster) throw new CheckInputError("--snapshot FILE needs --cluster PROJECT/LOCATION/NAME: it names which of the scan's clusters to place the manifests into");
  if (v.cluster) parseClusterArg(v.cluster);
  if (v.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.namespace)) throw new CheckInputError(`--namespace ${v.namespace}: not a Kubernetes namespace name`);
  return { manifests, cluster: v.cluster, namespace: v.namespace, snapshot: v.snapshot, failOn, format };
}

/** The latest scan from the configured database (embedded when DATABASE_URL is unset). */
async function fromDatabase(): Promise<Baseline> {
  const config = loadConfig();
  let opened;
  try {
    opened = await openDatabase(config, { poolSize: 2 });
  } catch (err) {
    throw new CheckRunError(`The database cannot be reached: ${(err as Error).message}`);
  }
  try {
    return await loadBaseline(opened.db.pool);
  } catch (err) {
    if (err instanceof CheckRunError) throw err;
    throw new CheckRunError(`Reading the latest scan failed: ${(err as Error).message}`);
  } finally {
    await opened.close();
  }
}

async function main(argv: string[]): Promise<number> {
  logToStderr();
  const args = parse(argv);
  if (args === "help") {
    process.stdout.write(USAGE + "\n");
    return EXIT.ok;
  }
  if (args.exportSnapshot) {
    const b = await fromDatabase();
    const snap = writeSnapshot(args.exportSnapshot, b);
    process.stderr.write(`Wrote ${args.exportSnapshot}: scan #${snap.scan.id}, ${snap.records.length} inventory records, ${Object.keys(snap.sources).length} sources\n`);
    return EXIT.ok;
  }
  // Input first: a typo in a manifest is reported before any database is opened.
  const read = readManifests(args.manifests, { namespace: args.namespace });
  const cluster = args.cluster ? parseClusterArg(args.cluster) : undefined;
  const baseline = cluster
    ? args.snapshot
      ? { data: readSnapshot(args.snapshot), source: "snapshot" as const, cluster }
      : { data: await fromDatabase(), source: "database" as const, cluster }
    : undefined;
  const report = runCheck({ read, baseline, failOn: args.failOn });
  process.stdout.write(formatReport(report, args.format));
  return report.failed ? EXIT.wouldOpen : EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof CheckInputError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err instanceof CheckInputError && /^(Unknown option|Option '|unexpected argument)/.test(err.message) ? `\n${USAGE}\n` : ""}`);
      process.exit(EXIT.input);
    }
    if (err instanceof CheckRunError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT.error);
    }
    process.stderr.write(`The check failed: ${(err as Error).stack ?? err}\n`);
    process.exit(EXIT.error);
  },
);
