import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { parse } from "yaml";
import { loadEstateFile } from "./load-estate";
import { buildWorld, type Json, type SimCluster } from "./world";
import { gkeContextName } from "./kubeconfig";
import { DEMO_ESTATE } from "../config";

/*
 * Google's own CLIs against the simulator, as a user would point them at it: `gcloud` through
 * `api_endpoint_overrides/*` and an access-token file, `kubectl` through the kubeconfig that
 * `npm run simulator -- --kubeconfig FILE` writes (TLS, each cluster's CA verified; kubectl sends the
 * token only over TLS). Every answer is checked name for name against the demo estate.
 *
 * Neither CLI can be installed from the registries here: where one is missing its tests are skipped,
 * and a line saying so is printed in the test output.
 */

const hasCommand = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const hasGcloud = hasCommand("gcloud");
const hasKubectl = hasCommand("kubectl");
for (const [cmd, present] of [
  ["gcloud", hasGcloud],
  ["kubectl", hasKubectl],
] as const) {
  if (!present) console.warn(`real-clis.test.ts: SKIPPING every ${cmd} test: \`${cmd}\` is not installed on this machine (command -v ${cmd} found nothing).`);
}

const world = buildWorld(loadEstateFile(DEMO_ESTATE));
const TIMEOUT = 180_000;

let tmp: string;
let sim: ChildProcess | undefined;
let simUrl: string;
let kubeconfig: string;
let env: NodeJS.ProcessEnv;

type Run = { code: number; stdout: string; stderr: string };
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
async function json<T = Json>(cmd: string, args: string[]): Promise<T> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
/** Runs `fn` over `items` two at a time (each CLI start costs a core for a second or two). */
async function each<T, R>(items: T[], fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

const sorted = (xs: string[]) => [...xs].sort();
const keyOf = (o: Json) => `${((o.metadata as Json).namespace as string | undefined) ?? ""}/${(o.metadata as Json).name as string}`;

beforeAll(async () => {
  if (!hasGcloud && !hasKubectl) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-clis-"));
  kubeconfig = path.join(tmp, "kubeconfig.yaml");
  // The simulator as a user starts it, in its own process, writing the kubeconfig.
  sim = spawn(process.execPath, ["--import", "tsx", "lib/cli/simulator.ts", "--estate", DEMO_ESTATE, "--port", "0", "--kubeconfig", kubeconfig, "--json"], {
    env: { ...process.env, WI_ATLAS_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let err = "";
    sim!.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    readline.createInterface({ input: sim!.stdout! }).once("line", resolve);
    sim!.once("exit", (code) => reject(new Error(`the simulator exited (${code}):\n${err}`)));
  });
  simUrl = (JSON.parse(line) as { url: string }).url;

  // A throw-away gcloud configuration: every API the simulator serves overridden, a token file.
  const gcloudConfig = path.join(tmp, "gcloud");
  mkdirSync(gcloudConfig);
  writeFileSync(path.join(tmp, "token"), "simulator-token\n");
  // Nothing of the caller's own gcloud or kubectl setup leaks in: a fresh HOME, only PATH kept.
  env = { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH, HOME: tmp, CLOUDSDK_CONFIG: gcloudConfig, KUBECONFIG: kubeconfig, CLOUDSDK_CORE_DISABLE_PROMPTS: "1" };
  if (hasGcloud) {
    const settings: [string, string][] = [
      ["auth/access_token_file", path.join(tmp, "token")],
      ["core/disable_usage_reporting", "true"],
      ["component_manager/disable_update_check", "true"],
      ...["iam", "container", "cloudresourcemanager", "cloudasset", "policyanalyzer"].map((api): [string, string] => [`api_endpoint_overrides/${api}`, `${simUrl}/`]),
    ];
    for (const [k, v] of settings) {
      const r = await run("gcloud", ["config", "set", k, v]);
      if (r.code !== 0) throw new Error(`gcloud config set ${k}: ${r.stderr}`);
    }
  }
}, TIMEOUT);

afterAll(() => {
  sim?.kill("SIGTERM");
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("gcloud against the simulator", () => {
  it.skipIf(!hasGcloud)(
    "lists every project's service accounts (email and uniqueId) with `gcloud iam service-accounts list`",
    async () => {
      const got = await each(world.projects, (p) => json<Json[]>("gcloud", ["iam", "service-accounts", "list", "--project", p.projectId, "--format=json"]));
      expect(got.map((accounts) => sorted(accounts.map((a) => `${a.email} ${a.uniqueId}`)))).toEqual(
        world.projects.map((p) => sorted(world.serviceAccounts.filter((s) => s.project === p).map((s) => `${s.estate.email} ${s.json.uniqueId}`))),
      );
    },
    TIMEOUT,
  );

  it.skipIf(!hasGcloud)(
    "lists an account's keys, all of them and `--managed-by=user`, with `gcloud iam service-accounts keys list`",
    async () => {
      const sa = world.saByEmail.get("common-batch@acme-prod.iam.gserviceaccount.com")!;
      const all = await json<Json[]>("gcloud", ["iam", "service-accounts", "keys", "list", "--iam-account", sa.estate.email, "--format=json"]);
      const user = await json<Json[]>("gcloud", ["iam", "service-accounts", "keys", "list", "--iam-account", sa.estate.email, "--managed-by=user", "--format=json"]);
      expect(sorted(all.map((k) => `${k.name} ${k.keyType}`))).toEqual(sorted(sa.keys.map((k) => `${k.name} ${k.keyType}`)));
      expect(sorted(user.map((k) => String(k.name)))).toEqual(sorted(sa.estate.keys.map((k) => `${sa.json.name}/keys/${k.keyId}`)));
      expect(user.length).toBe(3);
    },
    TIMEOUT,
  );

  it.skipIf(!hasGcloud)(
    "reads every project's IAM policy, conditions included, with `gcloud projects get-iam-policy`",
    async () => {
      const got = await each(world.projects, (p) => json("gcloud", ["projects", "get-iam-policy", p.projectId, "--format=json"]));
      expect(got.map((policy) => policy.bindings ?? [])).toEqual(world.projects.map((p) => p.iamPolicy?.bindings ?? []));
    },
    TIMEOUT,
  );

  it.skipIf(!hasGcloud)(
    "lists every project's clusters with their endpoint and CA with `gcloud container clusters list`",
    async () => {
      const got = await each(world.projects, (p) => json<Json[]>("gcloud", ["container", "clusters", "list", "--project", p.projectId, "--format=json"]));
      const line = (c: Json) => `${c.name} ${c.location} ${c.endpoint}`;
      expect(got.map((cs) => sorted(cs.map(line)))).toEqual(world.projects.map((p) => sorted(world.clusters.filter((c) => c.project === p).map((c) => line(c.json)))));
      expect(got.flat().map((c) => c.endpoint).every((e) => /^127\.100\.0\.\d+$/.test(String(e)))).toBe(true);
      // The CA each cluster advertises is the one its kubeconfig context trusts (both minted by the simulator process).
      const kc = parse(readFileSync(kubeconfig, "utf8")) as { clusters: { name: string; cluster: Json }[] };
      const caByContext = new Map(kc.clusters.map((c) => [c.name, c.cluster["certificate-authority-data"]]));
      for (const c of got.flat()) expect((c.masterAuth as Json).clusterCaCertificate).toBe(caByContext.get(`gke_${String(c.selfLink).split("/")[5]}_${c.location}_${c.name}`));
    },
    TIMEOUT,
  );

  it.skipIf(!hasGcloud)(
    "lists the node pools of each project's first cluster (regional and zonal), and describes one, with `gcloud container node-pools`",
    async () => {
      const pools = (c: SimCluster) => (c.json.nodePools as Json[]).map((p) => `${p.name} ${(p.config as Json).serviceAccount} ${JSON.stringify((p.config as Json).workloadMetadataConfig ?? null)}`);
      const clusters = world.projects.map((p) => world.clusters.find((c) => c.project === p)!).filter(Boolean);
      const got = await each(clusters, (c) =>
        json<Json[]>("gcloud", ["container", "node-pools", "list", "--project", c.project.projectId, "--location", c.location, "--cluster", c.name, "--format=json"]),
      );
      expect(got.map((ps) => ps.map((p) => `${p.name} ${(p.config as Json).serviceAccount} ${JSON.stringify((p.config as Json).workloadMetadataConfig ?? null)}`))).toEqual(
        clusters.map(pools),
      );
      const prod = world.clusterByPath.get("acme-prod/asia-northeast1/prod")!;
      const first = (prod.json.nodePools as Json[])[0];
      const described = await json("gcloud", ["container", "node-pools", "describe", String(first.name), "--project", "acme-prod", "--location", "asia-northeast1", "--cluster", "prod", "--format=json"]);
      expect(described).toEqual(first);
    },
    TIMEOUT,
  );
});

describe("kubectl against the simulator, through the kubeconfig it writes", () => {
  it.skipIf(!hasKubectl)(
    "has one context per cluster named as gcloud names them, each with its cluster's own CA",
    () => {
      const kc = parse(readFileSync(kubeconfig, "utf8")) as { contexts: { name: string }[]; clusters: { name: string; cluster: Json }[] };
      expect(kc.contexts.map((c) => c.name)).toEqual(world.clusters.map(gkeContextName));
      expect(kc.clusters.map((c) => c.cluster["certificate-authority-data"])).toEqual(world.clusters.map(() => expect.any(String)));
      expect(new Set(kc.clusters.map((c) => c.cluster["certificate-authority-data"])).size).toBe(world.clusters.length);
    },
    TIMEOUT,
  );

  it.skipIf(!hasKubectl)(
    "reports each cluster's version from /version (the dispatcher picks its kubectl from it)",
    async () => {
      const got = await each(world.clusters, (c) => json<{ serverVersion: Json }>("kubectl", ["--context", gkeContextName(c), "version", "-o", "json"]));
      expect(got.map((v) => v.serverVersion.gitVersion)).toEqual(world.clusters.map((c) => `v${c.json.currentMasterVersion}`));
    },
    TIMEOUT,
  );

  it.skipIf(!hasKubectl)(
    "lists pods, service accounts, ConfigMaps and Deployments in every namespace of every cluster with `kubectl get -A -o json`",
    async () => {
      const kinds = ["pods", "serviceaccounts", "configmaps", "deployments"] as const;
      const kindOf = { pods: "Pod", serviceaccounts: "ServiceAccount", configmaps: "ConfigMap", deployments: "Deployment" };
      const got = await each(world.clusters, (c) => json<{ items: Json[] }>("kubectl", ["--context", gkeContextName(c), "get", kinds.join(","), "-A", "-o", "json"]));
      expect(got.map((list) => kinds.map((k) => sorted(list.items.filter((o) => o.kind === kindOf[k]).map(keyOf))))).toEqual(
        world.clusters.map((c) => kinds.map((k) => sorted(c.objects[k].map(keyOf)))),
      );
      expect(got.reduce((n, l) => n + l.items.length, 0)).toBeGreaterThan(100);
    },
    TIMEOUT,
  );

  it.skipIf(!hasKubectl)(
    "lists Secrets where the scanner's role may, and shows the API's Forbidden where it may not (staging)",
    async () => {
      const got = await each(world.clusters, (c) => run("kubectl", ["--context", gkeContextName(c), "get", "secrets", "-A", "-o", "json"]));
      world.clusters.forEach((c, i) => {
        if (c.name === "staging") {
          expect(got[i].code).not.toBe(0);
          expect(got[i].stderr).toContain('Error from server (Forbidden): secrets is forbidden: User "wi-atlas-scanner" cannot list resource "secrets" in API group "" at the cluster scope');
        } else {
          expect([got[i].code, sorted((JSON.parse(got[i].stdout) as { items: Json[] }).items.map(keyOf))]).toEqual([0, sorted(c.objects.secrets.map(keyOf))]);
        }
      });
    },
    TIMEOUT,
  );

  it.skipIf(!hasKubectl)(
    "refuses a cluster whose kubeconfig trusts another cluster's CA: kubectl verifies the certificate",
    async () => {
      const kc = parse(readFileSync(kubeconfig, "utf8")) as { clusters: { cluster: Json }[] };
      kc.clusters[0].cluster["certificate-authority-data"] = kc.clusters[1].cluster["certificate-authority-data"];
      const wrong = path.join(tmp, "wrong-ca.yaml");
      writeFileSync(wrong, JSON.stringify(kc));
      const r = await run("kubectl", ["--kubeconfig", wrong, "--context", gkeContextName(world.clusters[0]), "get", "namespaces", "-o", "json"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("x509: certificate signed by unknown authority");
    },
    TIMEOUT,
  );
});
