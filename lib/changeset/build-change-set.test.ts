/**
 * Change sets of the demo estate, scanned through the simulator into a real PostgreSQL: the files a
 * selection gets, that Kustomize (the real `kubectl kustomize`) applies them to the workloads'
 * manifests, that the Terraform parses with every reference declared, and that STEPS.md follows the
 * article's order with a placeholder-free summary and a what-if link on each destructive step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import YAML from "yaml";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { readTerraform, referencesIn, unresolved } from "../testing/terraform";
import { whatIfPath } from "../whatif/changes";
import { loadChangeSetInput } from "./load-change-set";
import { buildChangeSet, PathCollision, type ChangeSet } from "./build-change-set";
import { parsePathTemplate, type PathTemplate } from "./path-template";
import { changeKey } from "./steps";
import type { ChangeSetInput, CsWorkload } from "./model";
import { toPatch, toZip } from "./archive";
import { readFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";

const hasKubectl = spawnSync("sh", ["-c", "command -v kubectl"]).status === 0;
if (!hasKubectl) console.warn("build-change-set.test.ts: SKIPPING the kubectl kustomize tests: `kubectl` is not installed on this machine (command -v kubectl found nothing).");

const INVOICE = "workload:acme-prod/asia-northeast1/prod/billing/Deployment/invoice-worker";
const ETL_NS = "namespace:acme-data/asia-northeast1-a/etl/etl";
const COMMON = "gsa:common-batch@acme-prod.iam.gserviceaccount.com";
const LEGACY = "cluster:acme-legacy/asia-northeast1-b/legacy-batch";

function template(raw?: string): PathTemplate {
  const r = parsePathTemplate(raw);
  if (!r.ok) throw new Error(r.error);
  return r.template;
}

type Obj = Record<string, unknown>;

/** The workload's manifest as the scan read it (its pod template), for Kustomize to patch. */
function manifestOf(w: CsWorkload): Obj {
  const t = w.template;
  const podSpec: Obj = {
    serviceAccountName: t.serviceAccountName,
    ...(Object.keys(t.nodeSelector).length ? { nodeSelector: t.nodeSelector } : {}),
    containers: t.containers.map((c) => {
      const x = c as unknown as Obj;
      return { name: c.name, image: c.image, env: x.env, envFrom: x.envFrom, volumeMounts: x.volumeMounts };
    }),
    volumes: t.volumes,
  };
  const meta = { name: w.name, namespace: w.namespace };
  if (w.kind === "CronJob") return { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: podSpec } } } } };
  if (w.kind === "Pod") return { apiVersion: "v1", kind: "Pod", metadata: meta, spec: podSpec };
  return { apiVersion: "apps/v1", kind: w.kind, metadata: meta, spec: { selector: { matchLabels: { app: w.name } }, template: { metadata: { labels: { app: w.name } }, spec: podSpec } } };
}

/** Writes a change set into a fresh directory (as `git apply` would) and returns it. */
function writeOut(cs: ChangeSet): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wi-cs-"));
  for (const f of cs.files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content);
  }
  return dir;
}

/** `kubectl kustomize` of an overlay holding the workloads' manifests (and existing KSAs) plus the given components. */
function kustomize(repo: string, input: ChangeSetInput, components: string[], existingKsas: { ns: string; name: string }[] = []): Obj[] {
  const overlay = path.join(repo, "overlay");
  mkdirSync(overlay, { recursive: true });
  const docs = [...input.workloads.map(manifestOf), ...existingKsas.map((k) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: k.name, namespace: k.ns } }))];
  writeFileSync(path.join(overlay, "base.yaml"), docs.map((d) => YAML.stringify(d)).join("---\n"));
  writeFileSync(path.join(overlay, "kustomization.yaml"), YAML.stringify({ resources: ["base.yaml"], components: components.map((c) => path.relative(overlay, path.join(repo, c))) }));
  const r = spawnSync("kubectl", ["kustomize", overlay], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kubectl kustomize failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj);
}

const podSpecOf = (o: Obj): Obj => {
  const spec = o.spec as Obj;
  if (o.kind === "Pod") return spec;
  if (o.kind === "CronJob") return ((((spec.jobTemplate as Obj).spec as Obj).template as Obj).spec as Obj) ?? {};
  return (spec.template as Obj).spec as Obj;
};
const find = (docs: Obj[], kind: string, name: string) => docs.find((d) => d.kind === kind && (d.metadata as Obj).name === name)!;

/** Every `##` heading of STEPS.md, in order. */
const headings = (md: string) => md.split("\n").filter((l) => l.startsWith("## ")).map((l) => l.slice(3));
/** The summary lines of destructive steps (the bullet before each what-if line). */
const summaries = (md: string) => {
  const lines = md.split("\n");
  return lines.filter((l, i) => l.startsWith("  - ") && lines[i + 1]?.startsWith("  - What breaks if you do it:"));
};

describe("change sets of the demo estate", () => {
  let t: TestDatabase;
  let sim: Simulator;
  const dirs: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") });
    await scanWith(t.db, sim, testConfig());
    // A scan of the demo takes ~10 s alone, several times that on a machine the whole suite shares.
  }, 240_000);
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await sim.close();
    await t.drop();
  });
  const build = async (subject: string, opts: { template?: string; publicUrl?: string; answers?: Map<string, string> } = {}) => {
    const input = await loadChangeSetInput(t.db, subject);
    return { input, cs: buildChangeSet(input, { template: template(opts.template), publicUrl: opts.publicUrl, answers: opts.answers }) };
  };

  it("gives a workload that still mounts its key (already on Workload Identity) only the key removal, under the path template", async () => {
    const { cs } = await build(INVOICE);
    expect(cs.name).toBe("invoice-worker");
    expect(cs.files.map((f) => f.path)).toEqual([
      "clusters/prod/billing/STEPS.md",
      "clusters/prod/billing/remove-key/kustomization.yaml",
      "clusters/prod/billing/remove-key/patch-deployment-invoice-worker.yaml",
    ]);
    const patch = YAML.parse(cs.files[2].content);
    expect(patch).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "invoice-worker", namespace: "billing" },
      spec: {
        template: {
          spec: {
            volumes: [{ name: "gcp-key", $patch: "delete" }],
            containers: [{ name: "worker", env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", $patch: "delete" }], volumeMounts: [{ mountPath: "/var/secrets/google", $patch: "delete" }] }],
          },
        },
      },
    });
    expect(YAML.parse(cs.files[1].content)).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1alpha1",
      kind: "Component",
      patches: [{ path: "patch-deployment-invoice-worker.yaml", target: { kind: "Deployment", name: "invoice-worker", namespace: "billing" } }],
    });
  });

  it("writes STEPS.md in the article's order, each destructive step with a placeholder-free summary and its what-if link", async () => {
    const { cs } = await build(INVOICE);
    const md = cs.files.find((f) => f.path.endsWith("STEPS.md"))!.content;
    expect(headings(md)).toEqual([
      "1. Enable Workload Identity on the cluster",
      "2. Create a node pool with the GKE metadata server",
      "3. Create each workload's own KSA and annotate it with its GSA",
      "4. Move the workloads onto the new node pool and set serviceAccountName",
      "5. Bind each KSA on its GSA (roles/iam.workloadIdentityUser)",
      "6. Verify: a pod running as the KSA gets a token as the GSA",
      "7. Remove the key: its mount, GOOGLE_APPLICATION_CREDENTIALS, the Secret, the key itself",
      "8. Delete the old node pool once nothing runs there",
      "Files",
    ]);
    const key = "key:billing@acme-prod.iam.gserviceaccount.com/4ddb89a282f2db3844767a0db05225ef8a45b6ae";
    const secret = "secret:acme-prod/asia-northeast1/prod/billing/billing-gcp-key";
    expect(summaries(md)).toEqual([
      "  - Deletes Secret billing/billing-gcp-key, which holds a Google key. The last scan saw 1 workload (billing/Deployment/invoice-worker) using it, all of them moved by this change set.",
      "  - Disables key 4ddb89a282f2db3844767a0db05225ef8a45b6ae of billing@acme-prod.iam.gserviceaccount.com (enable undoes it). The last scan saw 1 workload (billing/Deployment/invoice-worker) using it, all of them moved by this change set.",
      "  - Deletes key 4ddb89a282f2db3844767a0db05225ef8a45b6ae of billing@acme-prod.iam.gserviceaccount.com, which cannot be undone. The last scan saw 1 workload (billing/Deployment/invoice-worker) using it, all of them moved by this change set.",
    ]);
    expect(cs.questions).toEqual([
      { type: "delete-secret", subject: secret },
      { type: "disable-key", subject: key },
      { type: "delete-key", subject: key },
    ]);
    for (const s of summaries(md)) expect(s).not.toMatch(/\b(PROJECT|EMAIL|KEY_ID|NAME|SERVICE_ACCOUNT_EMAIL|POOL|CLUSTER)\b/);
    expect(md).toContain(`[ask the what-if page](${whatIfPath([{ type: "delete-secret", subject: secret }])})`);
    expect(md).toContain(`[ask the what-if page](${whatIfPath([{ type: "disable-key", subject: key }])})`);
    expect(md).toContain(`[ask the what-if page](${whatIfPath([{ type: "delete-key", subject: key }])})`);
    // The safe path for a key: disable, watch, delete, with the rollback.
    expect(md.indexOf("keys disable 4ddb89a2")).toBeLessThan(md.indexOf("query-activity --activity-type=serviceAccountKeyLastAuthentication"));
    expect(md.indexOf("keys enable 4ddb89a2")).toBeLessThan(md.indexOf("keys delete 4ddb89a2"));
  });

  it("puts a what-if answer in place of the question when one is given, and makes links absolute under WI_ATLAS_PUBLIC_URL", async () => {
    const key = "key:billing@acme-prod.iam.gserviceaccount.com/4ddb89a282f2db3844767a0db05225ef8a45b6ae";
    const answers = new Map([[changeKey({ type: "delete-key", subject: key }), "nothing breaks: no workload authenticates with it after this change set"]]);
    const { cs } = await build(INVOICE, { publicUrl: "https://wi-atlas.example.com", answers });
    const md = cs.files.find((f) => f.path.endsWith("STEPS.md"))!.content;
    expect(md).toContain(`  - What breaks if you do it: nothing breaks: no workload authenticates with it after this change set ([details](https://wi-atlas.example.com${whatIfPath([{ type: "delete-key", subject: key }])}))`);
    expect(md).toContain(`  - What breaks if you do it: [ask the what-if page](https://wi-atlas.example.com${whatIfPath([{ type: "disable-key", subject: key }])})\n`);
  });

  it("proves with kubectl kustomize that the key-removal patch takes the key out of the workload's manifest and keeps the rest", async () => {
    if (!hasKubectl) return;
    const { input, cs } = await build(INVOICE);
    const repo = writeOut(cs);
    dirs.push(repo);
    const [dep] = kustomize(repo, input, ["clusters/prod/billing/remove-key"]);
    const spec = podSpecOf(dep);
    // Kustomize leaves the emptied lists behind: nothing of the key is left.
    expect(spec.volumes ?? []).toEqual([]);
    expect(spec.containers).toEqual([{ name: "worker", image: "gcr.io/acme-prod/invoice-worker:7.2.0", env: [], envFrom: [], volumeMounts: [] }]);
    expect(spec.serviceAccountName).toBe("invoice-worker");
    expect(spec.nodeSelector).toEqual({ "iam.gke.io/gke-metadata-server-enabled": "true" });
  });

  it("gives a namespace whose workloads share a KSA one KSA each, created annotated, with the quoted nodeSelector, and kustomize builds it", async () => {
    const { input, cs } = await build(ETL_NS);
    expect(cs.files.map((f) => f.path)).toEqual([
      "clusters/etl/etl/STEPS.md",
      "clusters/etl/etl/kustomization.yaml",
      "clusters/etl/etl/patch-cronjob-hourly-load.yaml",
      "clusters/etl/etl/patch-deployment-dedupe-worker.yaml",
      "clusters/etl/etl/patch-deployment-stream-ingest.yaml",
      "clusters/etl/etl/serviceaccount-dedupe-worker.yaml",
      "clusters/etl/etl/serviceaccount-hourly-load.yaml",
      "clusters/etl/etl/workload-identity-module.tf.example",
      "clusters/etl/etl/workload-identity.tf",
    ]);
    const patch = cs.files.find((f) => f.path.endsWith("patch-cronjob-hourly-load.yaml"))!.content;
    // The label value is the string "true", quoted in the file itself.
    expect(patch).toContain(`nodeSelector:\n            "iam.gke.io/gke-metadata-server-enabled": "true"\n`);
    const md = cs.files[0].content;
    expect(md).toContain("- etl/hourly-load: its plan annotates KSA loader, which 1 other workload(s) of this change set are planned on with another GSA; a KSA carries one annotation, so it gets KSA hourly-load of its own.");
    if (!hasKubectl) return;
    const repo = writeOut(cs);
    dirs.push(repo);
    const docs = kustomize(repo, input, ["clusters/etl/etl"]);
    expect(docs.map((d) => `${d.kind}/${(d.metadata as Obj).name}`).sort()).toEqual(["CronJob/hourly-load", "Deployment/dedupe-worker", "Deployment/stream-ingest", "ServiceAccount/dedupe-worker", "ServiceAccount/hourly-load"]);
    expect((find(docs, "ServiceAccount", "hourly-load").metadata as Obj).annotations).toEqual({ "iam.gke.io/gcp-service-account": "hourly-load@acme-data.iam.gserviceaccount.com" });
    for (const [kind, name, ksa] of [
      ["CronJob", "hourly-load", "hourly-load"],
      ["Deployment", "dedupe-worker", "dedupe-worker"],
      ["Deployment", "stream-ingest", "stream-ingest"],
    ]) {
      const spec = podSpecOf(find(docs, kind, name));
      expect([spec.serviceAccountName, spec.nodeSelector]).toEqual([ksa, { "iam.gke.io/gke-metadata-server-enabled": "true" }]);
    }
  });

  it("writes Terraform that parses, declares every reference, and binds exactly the KSAs the patches use", async () => {
    const { cs } = await build(ETL_NS);
    const repo = writeOut(cs);
    dirs.push(repo);
    const cfg = await readTerraform(path.join(repo, "clusters/etl/etl"));
    // stream-ingest's KSA is annotated and bound already: its plan has no binding, nor does the change set.
    expect([...cfg.resources.keys()].sort()).toEqual([
      "google_service_account.dedupe_worker",
      "google_service_account.hourly_load",
      "google_service_account_iam_member.dedupe_worker_etl_dedupe_worker_wi",
      "google_service_account_iam_member.hourly_load_etl_hourly_load_wi",
    ]);
    for (const [name, block] of cfg.resources) for (const ref of await referencesIn(block)) expect(unresolved(cfg, ref, { hasEach: false, hasCount: false }), `${name}: ${ref}`).toBeNull();
    expect(cfg.resources.get("google_service_account_iam_member.hourly_load_etl_hourly_load_wi")).toEqual({
      service_account_id: "${google_service_account.hourly_load.name}",
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:acme-data.svc.id.goog[etl/hourly-load]",
    });
    expect(cfg.resources.get("google_service_account.dedupe_worker")).toEqual({ project: "acme-data", account_id: "dedupe-worker", display_name: "dedupe-worker" });
    // The article's module form: one call per GSA with its ns/ksa list.
    const moduleDir = mkdtempSync(path.join(tmpdir(), "wi-cs-mod-"));
    dirs.push(moduleDir);
    writeFileSync(path.join(moduleDir, "module.tf"), cs.files.find((f) => f.path.endsWith(".tf.example"))!.content);
    const mod = await readTerraform(moduleDir);
    expect([...mod.modules.entries()].map(([k, m]) => [k, m.gsa_id, m.ksa_list])).toEqual([
      ["wi_dedupe_worker", "projects/acme-data/serviceAccounts/dedupe-worker@acme-data.iam.gserviceaccount.com", ["etl/dedupe-worker"]],
      ["wi_hourly_load", "projects/acme-data/serviceAccounts/hourly-load@acme-data.iam.gserviceaccount.com", ["etl/hourly-load"]],
    ]);
  });

  it("follows the gsa-shared split for a shared GSA: a new account per workload with its roles marked to narrow, and the shared one disabled last", async () => {
    const { input, cs } = await build(COMMON);
    expect(cs.name).toBe("common-batch");
    expect(input.workloads.map((w) => w.subject)).toEqual([
      "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
      "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
      "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
    ]);
    const md = cs.files.find((f) => f.path === "clusters/STEPS.md")!.content;
    expect(md).toContain("| reporting/CronJob/monthly-report (acme-prod/asia-northeast1/prod) | report-runner | monthly-report@acme-prod.iam.gserviceaccount.com (new) — split from common-batch@acme-prod.iam.gserviceaccount.com | yes | yes |");
    expect(headings(md).slice(-2)).toEqual(["After the split: disable the shared account", "Files"]);
    expect(md).toContain(`[ask the what-if page](${whatIfPath([{ type: "disable-gsa", subject: COMMON }])})`);
    const repo = writeOut(cs);
    dirs.push(repo);
    const cfg = await readTerraform(path.join(repo, "clusters/prod/reporting"));
    expect(cfg.resources.get("google_project_iam_member.monthly_report_editor")).toEqual({
      project: "acme-prod",
      role: "roles/editor",
      member: "serviceAccount:${google_service_account.monthly_report.email}",
    });
    for (const [name, block] of cfg.resources) for (const ref of await referencesIn(block)) expect(unresolved(cfg, ref, { hasEach: false, hasCount: false }), `${name}: ${ref}`).toBeNull();
    // The existing KSA report-runner gets its annotation changed by a patch (not a second manifest).
    expect(YAML.parse(cs.files.find((f) => f.path === "clusters/prod/reporting/patch-serviceaccount-report-runner.yaml")!.content)).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "report-runner", namespace: "reporting", annotations: { "iam.gke.io/gcp-service-account": "monthly-report@acme-prod.iam.gserviceaccount.com" } },
    });
    if (!hasKubectl) return;
    const prod = { ...input, workloads: input.workloads.filter((w) => w.subject.includes("/prod/reporting/")) };
    const docs = kustomize(repo, prod, ["clusters/prod/reporting", "clusters/prod/reporting/remove-key"], [{ ns: "reporting", name: "report-runner" }]);
    expect((find(docs, "ServiceAccount", "report-runner").metadata as Obj).annotations).toEqual({ "iam.gke.io/gcp-service-account": "monthly-report@acme-prod.iam.gserviceaccount.com" });
    const spec = podSpecOf(find(docs, "CronJob", "monthly-report"));
    expect(spec.serviceAccountName).toBe("report-runner");
    expect(JSON.stringify(spec)).not.toContain("GOOGLE_APPLICATION_CREDENTIALS");
  });

  it("gives a cluster without Workload Identity steps 1 and 2, every workload's changes and the old pool's deletion with its what-if link", async () => {
    const { cs } = await build(LEGACY);
    expect(cs.name).toBe("legacy-batch");
    const md = cs.files.find((f) => f.path === "clusters/legacy-batch/STEPS.md")!.content;
    expect(md).toContain("gcloud container clusters update legacy-batch --location=asia-northeast1-b --project=acme-legacy --workload-pool=acme-legacy.svc.id.goog");
    expect(md).toContain("gcloud container node-pools create wi-pool --cluster=legacy-batch --location=asia-northeast1-b --project=acme-legacy");
    expect(md).toContain("gcloud container node-pools delete default-pool --cluster=legacy-batch --location=asia-northeast1-b --project=acme-legacy");
    expect(md).toContain(`[ask the what-if page](${whatIfPath([{ type: "delete-nodepool", subject: "nodepool:acme-legacy/asia-northeast1-b/legacy-batch/default-pool" }])})`);
    expect(summaries(md).filter((s) => s.includes("node pool"))).toEqual([
      "  - Deletes node pool default-pool of acme-legacy/asia-northeast1-b/legacy-batch: the last scan saw 5 workloads with pods there, 5 of them moved by this change set.",
    ]);
    expect(cs.files.filter((f) => f.path.endsWith("kustomization.yaml")).map((f) => f.path)).toEqual([
      "clusters/legacy-batch/batch/kustomization.yaml",
      "clusters/legacy-batch/batch/remove-key/kustomization.yaml",
      "clusters/legacy-batch/reporting/kustomization.yaml",
      "clusters/legacy-batch/reporting/remove-key/kustomization.yaml",
    ]);
    // report-mailer reads GOOGLE_APPLICATION_CREDENTIALS through envFrom: a patch cannot remove it there.
    expect(md).toContain("- reporting/report-mailer: container report-mailer reads its variables from ConfigMap report-mailer-env; remove GOOGLE_APPLICATION_CREDENTIALS there if it sets it.");
  });

  it("refuses a path template that puts two clusters' differing objects at one path, naming them", async () => {
    const input = await loadChangeSetInput(t.db, ETL_NS);
    // The same namespace and workload in a second cluster of the project, planned onto another GSA.
    const other = "cluster:acme-data/asia-northeast1-a/etl-2";
    const w = input.workloads.find((x) => x.name === "hourly-load")!;
    const twin: CsWorkload = JSON.parse(JSON.stringify({ ...w, subject: w.subject.replace("/etl/etl/", "/etl-2/etl/"), cluster: other }).replaceAll("hourly-load@acme-data", "hourly-load-2@acme-data"));
    const twinInput = { ...input, workloads: [w, twin], ksas: new Set([...input.ksas, "ksa:acme-data/asia-northeast1-a/etl-2/etl/loader"]), clusters: new Map([...input.clusters, [other, { ...input.clusters.get(w.cluster)!, subject: other, name: "etl-2" }]]) };
    expect(() => buildChangeSet(twinInput, { template: template("wi/{namespace}/") })).toThrow(PathCollision);
    expect(() => buildChangeSet(twinInput, { template: template("wi/{namespace}/") })).toThrow(
      "the path template puts KSA acme-data/asia-northeast1-a/etl-2/etl/loader and KSA acme-data/asia-northeast1-a/etl/etl/loader at the same path wi/etl/patch-serviceaccount-loader.yaml; add {cluster} to it",
    );
    // With {cluster} each gets its own directory.
    expect(buildChangeSet(twinInput, { template: template("wi/{cluster}/{namespace}/") }).files.filter((f) => f.path.endsWith("serviceaccount-loader.yaml")).map((f) => f.path)).toEqual([
      "wi/etl-2/etl/patch-serviceaccount-loader.yaml",
      "wi/etl/etl/patch-serviceaccount-loader.yaml",
    ]);
  });

  it("downloads a shared GSA's change set as a zip and as a patch the real git apply takes, both holding the same files", async () => {
    const { cs } = await build(COMMON, { template: "gitops/{project}/{cluster}/{namespace}/wi-{gsa}/" });
    const unzipped = unzipSync(toZip(cs.files));
    expect(Object.fromEntries(Object.entries(unzipped).map(([k, v]) => [k, strFromU8(v)]))).toEqual(Object.fromEntries(cs.files.map((f) => [f.path, f.content])));
    expect(cs.files.map((f) => f.path)).toContain("gitops/acme-prod/prod/reporting/wi-monthly-report/kustomization.yaml");
    expect(cs.files.map((f) => f.path)).toContain("gitops/STEPS.md");
    if (spawnSync("sh", ["-c", "command -v git"]).status !== 0) return console.warn("build-change-set.test.ts: SKIPPING git apply: `git` is not installed");
    const repo = mkdtempSync(path.join(tmpdir(), "wi-cs-apply-"));
    dirs.push(repo);
    expect(spawnSync("git", ["init", "-q"], { cwd: repo }).status).toBe(0);
    writeFileSync(path.join(repo, "changes.patch"), toPatch(cs.files));
    const check = spawnSync("git", ["apply", "--check", "changes.patch"], { cwd: repo, encoding: "utf8" });
    expect([check.status, check.stderr]).toEqual([0, ""]);
    expect(spawnSync("git", ["apply", "changes.patch"], { cwd: repo }).status).toBe(0);
    for (const f of cs.files) expect(readFileSync(path.join(repo, f.path), "utf8")).toBe(f.content);
  });

  it("answers 404 for a subject the inventory does not hold, and 400 for one that is not a selection", async () => {
    await expect(loadChangeSetInput(t.db, "workload:acme-prod/asia-northeast1/prod/billing/Deployment/nope")).rejects.toMatchObject({ status: 404, message: "No workload workload:acme-prod/asia-northeast1/prod/billing/Deployment/nope in the current inventory" });
    await expect(loadChangeSetInput(t.db, "ksa:acme-prod/asia-northeast1/prod/billing/x")).rejects.toMatchObject({ status: 400 });
    await expect(loadChangeSetInput(t.db, "cluster:acme-prod/prod")).rejects.toMatchObject({ status: 400, message: 'Query parameter "subject" ("cluster:acme-prod/prod") is not a cluster subject (cluster:PROJECT/LOCATION/CLUSTER)' });
  });
});
