/**
 * `npm run check` end to end: the real CLI as a child process, against the check's own cluster (no
 * database) and against the demo estate scanned through the simulator into a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import { loadEstateFile } from "../simulator/load-estate";
import type { Simulator } from "../simulator/server";
import type { CheckReport } from "./run-check";
import { RULES } from "../analysis/rules";

const CLI = path.resolve("lib/cli/check.ts");
const FIX = "lib/check/fixtures";
const PROD = "acme-prod/asia-northeast1/prod";
/** A database URL nothing listens on: a run that needs no database must not notice it. */
const NO_DB = "postgresql://wi:wi@127.0.0.1:9/nothing";

type Run = { code: number; stdout: string; stderr: string };

function check(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", CLI, ...args],
      { env: { ...process.env, DATABASE_URL: NO_DB, WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS: "3", INIT_CWD: "", npm_package_json: "", ...opts.env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.stdin ?? "");
  });
}

const json = (r: Run) => JSON.parse(r.stdout) as CheckReport;

// Each test starts the CLI as a child process (a few seconds each, more on a loaded machine).
describe("npm run check without a database (the check's own GKE-metadata cluster)", { timeout: 180_000 }, () => {
  it("exits 0 and names each workload's identity when nothing at or above --fail-on would open", async () => {
    const r = await check(["--manifests", `${FIX}/workload-identity.yaml`, "--format", "json"]);
    expect(r.code).toBe(0);
    const rep = json(r);
    expect(rep.clusterMode).toBe("own");
    expect(rep.workloads.map((w) => [w.subject, w.ksa, w.identitySource, w.identity, w.pods, w.nodePools])).toEqual([
      ["workload:wi-atlas-check/us-central1-a/check/shop/Deployment/cart", "shop/cart", "workload-identity", "cart-api@shop-prod.iam.gserviceaccount.com (unknown)", 2, ["wi-pool"]],
    ]);
    expect(rep.opened).toEqual([]);
    // The GSA's project is not known without a scan: undecided, never "fine".
    expect(rep.undecided.map((f) => [f.rule, f.state, f.subject])).toEqual([["ksa-annotation-gsa-missing", "unverified", "ksa:wi-atlas-check/us-central1-a/check/shop/cart"]]);
  });

  it("exits 1 when a key file in a Secret would open findings at or above high, each at its object's line", async () => {
    const r = await check(["--manifests", `${FIX}/key-file.yaml`, "--format", "json"]);
    expect(r.code).toBe(1);
    const rep = json(r);
    expect(rep.failed).toBe(true);
    expect(rep.opened.map((f) => [f.rule, f.severity, f.location.file, f.location.line])).toEqual([
      ["key-in-secret", "critical", `${FIX}/key-file.yaml`, 3],
      ["workload-uses-key-file", "high", `${FIX}/key-file.yaml`, 12],
      ["workload-default-ksa", "medium", `${FIX}/key-file.yaml`, 12],
    ]);
    expect(rep.workloads.map((w) => [w.name, w.identitySource, w.identity])).toEqual([["nightly-export", "key-file", "exporter@shop-prod.iam.gserviceaccount.com"]]);
  });

  it("exits 0 with --fail-on critical only when nothing critical would open", async () => {
    expect((await check(["--manifests", `${FIX}/key-file.yaml`, "--fail-on", "critical"])).code).toBe(1);
    expect((await check(["--manifests", `${FIX}/list.yaml`, "--fail-on", "medium"])).code).toBe(0);
  });

  it("reads helm template output from standard input and points at the template each object came from", async () => {
    const r = await check(["--manifests", "-", "--namespace", "mail", "--format", "json"], { stdin: readFileSync(`${FIX}/helm/template-output.yaml`, "utf8") });
    expect(r.code).toBe(1);
    const rep = json(r);
    expect(rep.objects.map((o) => [o.kind, o.namespace, o.name, o.file, o.line, o.helmSource])).toEqual([
      ["ServiceAccount", "mail", "release-mailer", "-", 3, "mailer/templates/serviceaccount.yaml"],
      ["Secret", "mail", "release-mailer-gcp", "-", 12, "mailer/templates/secret.yaml"],
      ["Deployment", "mail", "release-mailer", "-", 26, "mailer/templates/deployment.yaml"],
    ]);
    expect(rep.opened.map((f) => [f.rule, f.subject])).toEqual([
      ["key-in-secret", "secret:wi-atlas-check/us-central1-a/check/mail/release-mailer-gcp"],
      ["workload-uses-key-file", "workload:wi-atlas-check/us-central1-a/check/mail/Deployment/release-mailer"],
    ]);
  });

  it("reads a kustomize build output directory, ignoring kinds no identity depends on", async () => {
    const r = await check(["--manifests", `${FIX}/kustomize`, "--format", "json"]);
    expect(r.code).toBe(0);
    const rep = json(r);
    expect(rep.ignored.map((i) => [i.kind, i.name, i.line])).toEqual([["Service", "prod-search", 23]]);
    // envFrom of the ConfigMap holds no GOOGLE_APPLICATION_CREDENTIALS: the KSA's annotation decides.
    expect(rep.workloads.map((w) => [w.name, w.identitySource, w.identity, w.pods])).toEqual([["prod-search", "workload-identity", "prod-search@shop-prod.iam.gserviceaccount.com (unknown)", 3]]);
  });

  it("writes SARIF 2.1.0 whose results name rules of its rule table, with a level and a file line", async () => {
    const r = await check(["--manifests", `${FIX}/key-file.yaml`, "--format", "sarif"]);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe("2.1.0");
    expect(typeof log.$schema).toBe("string");
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe("wi-atlas check");
    const ids = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toEqual(RULES.map((x) => x.id));
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(["error", "warning", "note"]).toContain(rule.defaultConfiguration.level);
      expect(Number(rule.properties["security-severity"])).toBeGreaterThan(0);
    }
    expect(run.results.map((x: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }) => [x.ruleId, x.level, x.locations[0].physicalLocation.artifactLocation.uri, x.locations[0].physicalLocation.region.startLine])).toEqual([
      ["key-in-secret", "error", `${FIX}/key-file.yaml`, 3],
      ["workload-uses-key-file", "error", `${FIX}/key-file.yaml`, 12],
      ["workload-default-ksa", "warning", `${FIX}/key-file.yaml`, 12],
    ]);
    for (const x of run.results) {
      expect(ids[x.ruleIndex]).toBe(x.ruleId);
      expect(x.message.text.length).toBeGreaterThan(0);
    }
  });

  it("writes SARIF paths relative to the directory the command was started from, as npm --prefix reports it", async () => {
    // `npm --prefix .wi-atlas run check` runs the script in .wi-atlas; npm says in INIT_CWD where it was
    // started (the repository root in CI), and code scanning reads the paths from there.
    const root = path.resolve(FIX, "..");
    const uris = async (env: Record<string, string>) => {
      const r = await check(["--manifests", path.resolve(FIX, "key-file.yaml"), "--format", "sarif"], { env });
      expect(r.code).toBe(1);
      return new Set(JSON.parse(r.stdout).runs[0].results.map((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0].physicalLocation.artifactLocation.uri));
    };
    // As npm runs this package's script: npm_package_json is in the working directory.
    expect(await uris({ INIT_CWD: root, npm_package_json: path.resolve("package.json") })).toEqual(new Set(["fixtures/key-file.yaml"]));
    // A node started by some other package's npm script inherits its INIT_CWD: not this command's start.
    expect(await uris({ INIT_CWD: root, npm_package_json: path.join(tmpdir(), "other", "package.json") })).toEqual(new Set([`${FIX}/key-file.yaml`]));
  });

  it("exits 78 naming the file and line of YAML it cannot parse", async () => {
    const r = await check(["--manifests", `${FIX}/not-yaml.yaml`]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${FIX}/not-yaml.yaml:6:1: not valid YAML`);
  });

  it("exits 78 on a missing path, an unknown flag, a bad --fail-on and a bad snapshot file", async () => {
    const missing = await check(["--manifests", `${FIX}/no-such.yaml`]);
    expect([missing.code, missing.stderr]).toEqual([78, `Cannot read the manifests:\n${FIX}/no-such.yaml: no such file or directory\n`]);
    const flag = await check(["--manifests", `${FIX}/list.yaml`, "--colour"]);
    expect(flag.code).toBe(78);
    expect(flag.stderr).toContain("Unknown option '--colour'");
    const failOn = await check(["--manifests", `${FIX}/list.yaml`, "--fail-on", "low"]);
    expect([failOn.code, failOn.stderr]).toEqual([78, "--fail-on low: expected one of critical, high, medium\n"]);
    const dir = mkdtempSync(path.join(tmpdir(), "check-"));
    writeFileSync(path.join(dir, "snap.json"), JSON.stringify({ format: "something-else" }));
    const snap = await check(["--manifests", `${FIX}/list.yaml`, "--cluster", PROD, "--snapshot", path.join(dir, "snap.json")]);
    expect(snap.code).toBe(78);
    expect(snap.stderr).toContain(`--snapshot ${path.join(dir, "snap.json")}: format:`);
  });

  it("exits 2 when --cluster needs a database that cannot be reached", async () => {
    const r = await check(["--manifests", `${FIX}/list.yaml`, "--cluster", PROD]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^The database cannot be reached: /);
  });
});

describe("npm run check --cluster against the scanned demo estate", { timeout: 300_000 }, () => {
  let t: TestDatabase;
  let sim: Simulator;
  let empty: TestDatabase;
  const dir = mkdtempSync(path.join(tmpdir(), "check-snap-"));

  beforeAll(async () => {
    t = await createTestDatabase();
    empty = await createTestDatabase();
    sim = await simulatorFor(loadEstateFile("lib/simulator/estates/demo/estate.yaml"));
    const res = await scanWith(t.db, sim, testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }));
    // The demo's staging Secrets answer 403 on purpose: the scan is partial.
    expect(res.status).toBe("partial");
  }, 180_000);
  afterAll(async () => {
    await sim?.close();
    await t?.drop();
    await empty?.drop();
  });

  it("reports what a fix resolves, the identity it changes, and exits 0", async () => {
    const r = await check(["--manifests", `${FIX}/demo-prod/frontend-moved.yaml`, "--cluster", PROD, "--format", "json"], { env: { DATABASE_URL: t.url } });
    expect(r.code).toBe(0);
    const rep = json(r);
    expect([rep.clusterMode, rep.baseline.source]).toEqual(["scanned", "database"]);
    const w = rep.workloads.map((x) => [x.subject, x.ksa, x.identitySource, x.before]);
    expect(w).toEqual([["workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend", "web/frontend", "federated", { identity: "483920175264-compute@developer.gserviceaccount.com", identitySource: "node" }]]);
    expect(rep.opened).toEqual([]);
    expect(rep.resolved.map((f) => [f.rule, f.subject])).toEqual([
      ["workload-on-legacy-node", "workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend"],
      ["workload-default-ksa", "workload:acme-prod/asia-northeast1/prod/web/Deployment/frontend"],
    ]);
  });

  it("exits 1 when a migrated workload is pinned back to the legacy pool, and does not blame it for the estate's other findings", async () => {
    const r = await check(["--manifests", `${FIX}/demo-prod/payments-to-legacy-pool.yaml`, "--cluster", PROD, "--format", "json"], { env: { DATABASE_URL: t.url } });
    expect(r.code).toBe(1);
    const rep = json(r);
    expect(rep.workloads.map((x) => [x.identitySource, x.before?.identitySource, x.nodePools])).toEqual([["node", "workload-identity", ["default-pool"]]]);
    expect(rep.opened.map((f) => [f.rule, f.severity, f.subject, f.location.line])).toEqual([
      ["workload-on-legacy-node", "high", "workload:acme-prod/asia-northeast1/prod/payments/Deployment/payments-api", 3],
    ]);
    // The estate has dozens of open findings; none of them is reported as this change's.
    expect(rep.alreadyOpen).toEqual([]);
  });

  it("gives the same answer from an exported snapshot with no database as from the database", async () => {
    const snap = path.join(dir, "snapshot.json");
    const exp = await check(["--export-snapshot", snap], { env: { DATABASE_URL: t.url } });
    expect([exp.code, exp.stderr]).toEqual([0, expect.stringMatching(/^Wrote .*snapshot\.json: scan #1, \d+ inventory records, \d+ sources\n$/)]);
    const text = readFileSync(snap, "utf8");
    // The demo's Secrets hold fake private keys; the snapshot holds their key ids only.
    expect(text).not.toMatch(/PRIVATE KEY|"private_key"|FAKE-KEY-FOR-DEMO/);
    for (const f of [`${FIX}/demo-prod/payments-to-legacy-pool.yaml`, `${FIX}/demo-prod/frontend-moved.yaml`]) {
      const fromDb = await check(["--manifests", f, "--cluster", PROD, "--format", "json"], { env: { DATABASE_URL: t.url } });
      const fromSnap = await check(["--manifests", f, "--cluster", PROD, "--snapshot", snap, "--format", "json"]);
      expect(fromSnap.code).toBe(fromDb.code);
      expect({ ...json(fromSnap), baseline: null }).toEqual({ ...json(fromDb), baseline: null });
      expect(json(fromSnap).baseline).toEqual({ ...json(fromDb).baseline, source: "snapshot" });
    }
  });

  it("exits 2 for a cluster the scan does not hold, and for a database with no scan", async () => {
    const unknown = await check(["--manifests", `${FIX}/list.yaml`, "--cluster", "acme-prod/europe-west1/nope"], { env: { DATABASE_URL: t.url } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      "No cluster acme-prod/europe-west1/nope in scan #1; it has acme-data/asia-northeast1-a/etl, acme-data/asia-northeast1/analytics, acme-legacy/asia-northeast1-b/legacy-batch, acme-prod/asia-northeast1/prod, acme-prod/asia-northeast2-a/prod-osaka, acme-staging/asia-northeast1-a/staging\n",
    );
    const none = await check(["--manifests", `${FIX}/list.yaml`, "--cluster", PROD], { env: { DATABASE_URL: empty.url } });
    expect([none.code, none.stderr]).toEqual([2, "No scan in the database yet: run `npm run scan` first (or check without --cluster)\n"]);
  });
});
