import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadEstateFile } from "./load-estate";
import { startSimulator, type Simulator } from "./server";
import type { Json, SimCluster } from "./world";
import { DEMO_ESTATE } from "../config";

/*
 * The real `gcloud` running the write commands wi-atlas's fixes print, against the simulator serving
 * the demo estate (pointed at it as real-clis.test.ts does: api_endpoint_overrides and an access-token
 * file) — and the world changed as Google's would. gcloud cannot be installed from the registries
 * here: where it is missing every test is skipped, and a line saying so is printed.
 */

const hasGcloud = spawnSync("sh", ["-c", "command -v gcloud"]).status === 0;
if (!hasGcloud) console.warn("google-writes-gcloud.test.ts: SKIPPING every gcloud write test: `gcloud` is not installed on this machine (command -v gcloud found nothing).");

const TIMEOUT = 120_000;
let tmp: string;
let sim: Simulator;
let env: NodeJS.ProcessEnv;

type Run = { code: number; stdout: string; stderr: string };
function gcloud(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("gcloud", [...args, "--quiet"], { env, timeout: 100_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
async function ok(...args: string[]): Promise<string> {
  const r = await gcloud(...args);
  if (r.code !== 0) throw new Error(`gcloud ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  if (!hasGcloud) return;
  sim = await startSimulator({ estate: loadEstateFile(DEMO_ESTATE), latencyMs: 0 });
  tmp = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-gcloud-writes-"));
  const config = path.join(tmp, "gcloud");
  mkdirSync(config);
  writeFileSync(path.join(tmp, "token"), "simulator-token\n");
  env = { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH, HOME: tmp, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: "1" };
  for (const [k, v] of [
    ["auth/access_token_file", path.join(tmp, "token")],
    ["core/disable_usage_reporting", "true"],
    ["component_manager/disable_update_check", "true"],
    ...["iam", "container", "cloudresourcemanager", "cloudasset", "policyanalyzer"].map((api) => [`api_endpoint_overrides/${api}`, `${sim.url}/`]),
  ]) {
    await ok("config", "set", k, v);
  }
}, TIMEOUT);

afterAll(async () => {
  await sim?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const w = () => sim.world();
const projectPolicy = (id: string) => w().projects.find((p) => p.projectId === id)!.iamPolicy!;
const membersOf = (policy: { bindings: { role: string; members: string[] }[] } | undefined, role: string) => policy?.bindings.find((b) => b.role === role)?.members ?? [];
const clusterAt = (key: string): SimCluster => w().clusterByPath.get(key)!;
const labelsOf = (o: Json) => ((o.metadata as Json).labels ?? {}) as Record<string, string>;

const ORDERS = "orders@acme-prod.iam.gserviceaccount.com";
const COMMON = "common-batch@acme-prod.iam.gserviceaccount.com";
const KEY = "74177534f46dd1d1fc13635d83481cb1ea6b429c";
const KSA = "serviceAccount:acme-prod.svc.id.goog[orders/orders-api]";

describe.skipIf(!hasGcloud)("gcloud's IAM writes against the simulator", () => {
  it(
    "`gcloud iam service-accounts add-iam-policy-binding` then `remove-iam-policy-binding` change the account's policy",
    async () => {
      await ok("iam", "service-accounts", "add-iam-policy-binding", ORDERS, "--project=acme-prod", "--role=roles/iam.workloadIdentityUser", `--member=${KSA}`);
      expect(membersOf(w().saByEmail.get(ORDERS)!.policy, "roles/iam.workloadIdentityUser")).toContain(KSA);
      await ok("iam", "service-accounts", "remove-iam-policy-binding", ORDERS, "--project=acme-prod", "--role=roles/iam.workloadIdentityUser", `--member=${KSA}`);
      expect(membersOf(w().saByEmail.get(ORDERS)!.policy, "roles/iam.workloadIdentityUser")).not.toContain(KSA);
    },
    TIMEOUT,
  );

  it(
    "`gcloud projects add-iam-policy-binding` and `gcloud resource-manager folders add-iam-policy-binding` change those policies",
    async () => {
      await ok("projects", "add-iam-policy-binding", "acme-prod", "--role=roles/viewer", "--member=user:new-dev@acme.example", "--condition=None");
      expect(membersOf(projectPolicy("acme-prod"), "roles/viewer")).toContain("user:new-dev@acme.example");
      const folder = w().estate.folders[0];
      await ok("resource-manager", "folders", "add-iam-policy-binding", folder.name.split("/")[1], "--role=roles/browser", "--member=group:auditors@acme.example", "--condition=None");
      expect(membersOf(w().estate.folders[0].iamPolicy, "roles/browser")).toEqual(["group:auditors@acme.example"]);
    },
    TIMEOUT,
  );

  it(
    "`gcloud iam service-accounts keys disable|enable|delete` as the fixes print them (--iam-account, --project)",
    async () => {
      const key = () => w().saByEmail.get(COMMON)!.keys.find((k) => (k.name as string).endsWith(KEY));
      await ok("iam", "service-accounts", "keys", "disable", KEY, `--iam-account=${COMMON}`, "--project=acme-prod");
      expect(key()!.disabled).toBe(true);
      await ok("iam", "service-accounts", "keys", "enable", KEY, `--iam-account=${COMMON}`, "--project=acme-prod");
      expect(key()!.disabled).toBeUndefined();
      await ok("iam", "service-accounts", "keys", "delete", KEY, `--iam-account=${COMMON}`, "--project=acme-prod");
      expect(key()).toBeUndefined();
      const again = await gcloud("iam", "service-accounts", "keys", "delete", KEY, `--iam-account=${COMMON}`, "--project=acme-prod");
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(`NOT_FOUND: Service account key ${KEY} does not exist.`);
    },
    TIMEOUT,
  );

  it(
    "`gcloud iam service-accounts disable|enable|delete|create`: the account follows, and a deleted one shows as deleted: in the project policy",
    async () => {
      await ok("iam", "service-accounts", "disable", COMMON, "--project=acme-prod");
      expect(w().saByEmail.get(COMMON)!.json.disabled).toBe(true);
      await ok("iam", "service-accounts", "enable", COMMON, "--project=acme-prod");
      expect(w().saByEmail.get(COMMON)!.json.disabled).toBeUndefined();
      const uid = w().saByEmail.get(COMMON)!.json.uniqueId as string;
      await ok("iam", "service-accounts", "delete", COMMON, "--project=acme-prod");
      expect(w().saByEmail.has(COMMON)).toBe(false);
      expect(membersOf(projectPolicy("acme-prod"), "roles/editor")).toContain(`deleted:serviceAccount:${COMMON}?uid=${uid}`);
      await ok("iam", "service-accounts", "create", "wl-orders", "--project=acme-prod", "--display-name=orders workload");
      expect(w().saByEmail.get("wl-orders@acme-prod.iam.gserviceaccount.com")!.json.displayName).toBe("orders workload");
      const listed = JSON.parse(await ok("iam", "service-accounts", "list", "--project=acme-prod", "--format=json")) as { email: string }[];
      expect(listed.map((a) => a.email)).toContain("wl-orders@acme-prod.iam.gserviceaccount.com");
      expect(listed.map((a) => a.email)).not.toContain(COMMON);
    },
    TIMEOUT,
  );
});

describe.skipIf(!hasGcloud)("gcloud's container writes against the simulator (each polls its Operation to DONE)", () => {
  it(
    "`gcloud container clusters update --workload-pool` sets the cluster's pool",
    async () => {
      await ok("container", "clusters", "update", "legacy-batch", "--location=asia-northeast1-b", "--project=acme-legacy", "--workload-pool=acme-legacy.svc.id.goog");
      expect(clusterAt("acme-legacy/asia-northeast1-b/legacy-batch").json.workloadIdentityConfig).toEqual({ workloadPool: "acme-legacy.svc.id.goog" });
    },
    TIMEOUT,
  );

  it(
    "`gcloud container node-pools update --workload-metadata=GKE_METADATA` labels the pool's nodes for the GKE metadata server",
    async () => {
      const key = "acme-data/asia-northeast1-a/etl";
      const rv = Number(clusterAt(key).resourceVersion);
      expect(clusterAt(key).objects.nodes.some((n) => labelsOf(n)["iam.gke.io/gke-metadata-server-enabled"])).toBe(false);
      await ok("container", "node-pools", "update", "default-pool", "--cluster=etl", "--location=asia-northeast1-a", "--project=acme-data", "--workload-metadata=GKE_METADATA");
      const c = clusterAt(key);
      expect(((c.json.nodePools as Json[])[0].config as Json).workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
      expect(c.objects.nodes.map((n) => labelsOf(n)["iam.gke.io/gke-metadata-server-enabled"])).toEqual(c.objects.nodes.map(() => "true"));
      expect(Number(c.resourceVersion)).toBeGreaterThan(rv);
    },
    TIMEOUT,
  );

  it(
    "`gcloud container node-pools create` then `delete` of the old pool: the nodes are replaced and the pods move to the new pool",
    async () => {
      const key = "acme-legacy/asia-northeast1-b/legacy-batch";
      await ok("container", "node-pools", "create", "wi-pool", "--cluster=legacy-batch", "--location=asia-northeast1-b", "--project=acme-legacy", "--workload-metadata=GKE_METADATA", "--num-nodes=2");
      await ok("container", "node-pools", "delete", "default-pool", "--cluster=legacy-batch", "--location=asia-northeast1-b", "--project=acme-legacy");
      const c = clusterAt(key);
      expect((c.json.nodePools as Json[]).map((p) => p.name)).toEqual(["wi-pool"]);
      expect(c.objects.nodes.map((n) => [labelsOf(n)["cloud.google.com/gke-nodepool"], labelsOf(n)["iam.gke.io/gke-metadata-server-enabled"]])).toEqual([
        ["wi-pool", "true"],
        ["wi-pool", "true"],
      ]);
      const nodes = new Set(c.objects.nodes.map((n) => (n.metadata as Json).name as string));
      const running = c.objects.pods.filter((p) => (p.status as Json).phase === "Running");
      expect(running.length).toBeGreaterThan(0);
      expect(running.every((p) => nodes.has((p.spec as Json).nodeName as string))).toBe(true);
    },
    TIMEOUT,
  );
});
