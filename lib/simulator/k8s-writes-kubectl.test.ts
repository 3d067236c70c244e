import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSimulator, type Simulator } from "./server";
import { gkeContextName, writeKubeconfig } from "./kubeconfig";
import { estateFromYaml } from "../testing/scan-helpers";
import { CLUSTER, ESTATE, GKE_LABEL } from "../testing/k8s-write-estate";
import { kubectlCheckFix, ksaManifestFix, workloadPatchFix } from "../analysis/fixes";
import type { Json } from "./world";

/*
 * The real `kubectl` writing to the simulator, in the command shapes the printed fixes use (grep
 * `kubectl` in lib/analysis/fixes.ts and rules/*.ts): `apply -f` of the KSA manifests, `patch
 * --patch-file` of the workload patch, `patch --type strategic -p`, `annotate`, `set env VAR-`,
 * `delete secret`, `edit` (through KUBE_EDITOR), `run --overrides`, `delete pod` + `apply -f pod.yaml`,
 * `apply --server-side` and `--dry-run=server` — each checked against the objects the simulator then
 * serves. kubectl validates on the server (`fieldValidation=Strict`) after reading /openapi/v3, so
 * nothing here turns validation off.
 *
 * kubectl cannot be installed from the registries here: where it is missing every test is skipped and
 * a line saying so is printed.
 */

const hasKubectl = spawnSync("sh", ["-c", "command -v kubectl"]).status === 0;
if (!hasKubectl) console.warn("k8s-writes-kubectl.test.ts: SKIPPING every kubectl write test: `kubectl` is not installed on this machine (command -v kubectl found nothing).");

const TIMEOUT = 120_000;
let sim: Simulator;
let tmp: string;
type Env = Record<string, string | undefined>;
let env: Env;
let context: string;

type Run = { code: number; stdout: string; stderr: string };
function kubectl(args: string[], extraEnv: Env = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile("kubectl", ["--context", context, ...args], { env: { ...env, ...extraEnv } as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
async function ok(args: string[], extraEnv: Env = {}): Promise<string> {
  const r = await kubectl(args, extraEnv);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}
function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const cluster = () => sim.world().clusterByPath.get(CLUSTER)!;
const find = (r: keyof ReturnType<typeof cluster>["objects"], name: string) => cluster().objects[r].find((o) => (o.metadata as Json).name === name && (o.metadata as Json).namespace === "web");
const pool = (nodeName: unknown) => {
  const n = cluster().objects.nodes.find((x) => (x.metadata as Json).name === nodeName);
  return n ? ((n.metadata as Json).labels as Record<string, string>)["cloud.google.com/gke-nodepool"] : undefined;
};
const appPods = (app: string) => cluster().objects.pods.filter((p) => ((p.metadata as Json).labels as Json | undefined)?.app === app);
const placement = (app: string) => appPods(app).map((p) => `${pool((p.spec as Json).nodeName) ?? "-"} ${String((p.spec as Json).serviceAccountName)} ${String((p.status as Json).phase)}`);

beforeAll(async () => {
  if (!hasKubectl) return;
  sim = await startSimulator({ estate: estateFromYaml(ESTATE) });
  tmp = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-kubectl-writes-"));
  const kubeconfig = path.join(tmp, "kubeconfig.yaml");
  writeKubeconfig(kubeconfig, sim.world(), sim.kubernetesPort!);
  context = gkeContextName(cluster());
  // Nothing of the caller's own kubectl setup leaks in: a fresh HOME, only PATH kept.
  env = { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: kubeconfig };
}, TIMEOUT);

afterAll(async () => {
  await sim?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  if (!hasKubectl) return;
  expect((await fetch(`${sim.url}/_simulator/reset`, { method: "POST" })).status).toBe(200);
});

describe.skipIf(!hasKubectl)("kubectl runs the printed fixes against the simulator", () => {
  it(
    "applies the KSA manifest fix with `kubectl apply -f`: an existing KSA gets the annotation, a missing one is created",
    async () => {
      const existing = file("ksa.yaml", ksaManifestFix("web", "app", "app@wprj-1.iam.gserviceaccount.com").content);
      expect(await ok(["apply", "-f", existing])).toBe("serviceaccount/app configured\n");
      expect(((find("serviceaccounts", "app")!.metadata as Json).annotations as Json)["iam.gke.io/gcp-service-account"]).toBe("app@wprj-1.iam.gserviceaccount.com");
      const created = file("new.yaml", ksaManifestFix("web", "api-ksa", "api@wprj-1.iam.gserviceaccount.com").content);
      expect(await ok(["apply", "-f", created])).toBe("serviceaccount/api-ksa created\n");
      const sa = find("serviceaccounts", "api-ksa")!;
      expect(((sa.metadata as Json).annotations as Json)["iam.gke.io/gcp-service-account"]).toBe("api@wprj-1.iam.gserviceaccount.com");
      // kubectl keeps its last-applied configuration, so the next apply is a three-way patch.
      expect(((sa.metadata as Json).annotations as Json)["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"name":"api-ksa"');
      expect(await ok(["apply", "-f", created])).toBe("serviceaccount/api-ksa unchanged\n");
    },
    TIMEOUT,
  );

  it(
    "annotates a KSA with `kubectl annotate` (a merge patch) and removes it with KEY-",
    async () => {
      expect(await ok(["-n", "web", "annotate", "serviceaccount", "app", "iam.gke.io/gcp-service-account=app@wprj-1.iam.gserviceaccount.com"])).toBe("serviceaccount/app annotated\n");
      expect((find("serviceaccounts", "app")!.metadata as Json).annotations).toEqual({ "iam.gke.io/gcp-service-account": "app@wprj-1.iam.gserviceaccount.com" });
      await ok(["-n", "web", "annotate", "serviceaccount", "app", "iam.gke.io/gcp-service-account-"]);
      expect((find("serviceaccounts", "app")!.metadata as Json).annotations).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    "patches the Deployment with the workload patch fix (`kubectl patch --patch-file`): its pods roll onto the GKE-metadata pool as the KSA, once the pool pin is dropped",
    async () => {
      expect(placement("api")).toEqual(["legacy default Running", "legacy default Running"]);
      const fix = workloadPatchFix(`cluster:${CLUSTER}`, "Deployment", "web", "api", "app", { nodeSelector: true });
      // The printed command, run as printed (the file holds the fix's text, comment line included).
      const command = fix.content.split("\n")[0].replace(/^# /, "");
      expect(command).toBe(`kubectl --context ${context} -n web patch deployment api --patch-file patch.yaml`);
      const patchFile = file("patch.yaml", fix.content);
      const args = command.split(" ").slice(3).map((a) => (a === "patch.yaml" ? patchFile : a));
      expect(await ok(args)).toBe("deployment.apps/api patched\n");
      // The estate pins api to the legacy pool: the merged nodeSelector fits no node, so the rollout stalls.
      expect(placement("api").sort()).toEqual(["- app Pending", "legacy default Running", "legacy default Running"]);
      await ok(["-n", "web", "patch", "deployment", "api", "--type", "strategic", "-p", JSON.stringify({ spec: { template: { spec: { nodeSelector: { "cloud.google.com/gke-nodepool": null } } } } })]);
      expect(placement("api")).toEqual(["wi app Running", "wi app Running"]);
      const dep = JSON.parse(await ok(["-n", "web", "get", "deployment", "api", "-o", "json"])) as Json;
      expect([(dep.metadata as Json).generation, ((dep.spec as Json).template as Json).spec]).toEqual([
        3,
        expect.objectContaining({ serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true" } }),
      ]);
      const rs = JSON.parse(await ok(["-n", "web", "get", "replicasets", "-o", "json"])) as { items: Json[] };
      expect(rs.items.filter((r) => ((r.metadata as Json).name as string).startsWith("api-")).map((r) => (r.spec as Json).replicas).sort()).toEqual([0, 0, 2]);
    },
    TIMEOUT,
  );

  it(
    "removes a key variable with `kubectl set env deployment/api -c api VAR-` and deletes the key Secret with `kubectl delete secret`",
    async () => {
      expect(await ok(["-n", "web", "set", "env", "deployment/api", "-c", "api", "GOOGLE_APPLICATION_CREDENTIALS-"])).toBe("deployment.apps/api env updated\n");
      const c = (((find("deployments", "api")!.spec as Json).template as Json).spec as Json).containers as Json[];
      expect(c.map((x) => x.env)).toEqual([[{ name: "MODE", value: "prod" }]]);
      expect(await ok(["-n", "web", "delete", "secret", "gsa-key"])).toBe('secret "gsa-key" deleted\n');
      expect(find("secrets", "gsa-key")).toBeUndefined();
      const again = await kubectl(["-n", "web", "delete", "secret", "gsa-key"]);
      expect([again.code, again.stderr.trim()]).toEqual([1, 'Error from server (NotFound): secrets "gsa-key" not found']);
    },
    TIMEOUT,
  );

  it(
    "edits a ConfigMap with `kubectl edit` (the editor a script), which sends the change as a patch",
    async () => {
      const editor = file("editor.sh", `#!/bin/sh\nsed -i 's/mode: prod/mode: keyless/' "$1"\n`);
      spawnSync("chmod", ["+x", editor]);
      expect(await ok(["-n", "web", "edit", "configmap", "settings"], { KUBE_EDITOR: editor })).toBe("configmap/settings edited\n");
      expect(find("configmaps", "settings")!.data).toEqual({ mode: "keyless" });
    },
    TIMEOUT,
  );

  it(
    "creates the check pod of the printed `kubectl run --overrides` on the GKE-metadata pool as the KSA (without `--rm -i`: the simulator runs no container to attach to)",
    async () => {
      const fix = kubectlCheckFix(`cluster:${CLUSTER}`, "web", "app", "app@wprj-1.iam.gserviceaccount.com");
      const overrides = /--overrides='([^']+)'/.exec(fix.content)![1];
      expect(await ok(["-n", "web", "run", "wi-check", "--restart=Never", "--image=google/cloud-sdk:slim", `--overrides=${overrides}`, "--", "sh", "-c", "true"])).toBe("pod/wi-check created\n");
      const pod = find("pods", "wi-check")!;
      expect([pool((pod.spec as Json).nodeName), (pod.spec as Json).serviceAccountName, (pod.spec as Json).nodeSelector]).toEqual(["wi", "app", { [GKE_LABEL]: "true" }]);
      expect(await ok(["-n", "web", "delete", "pod", "wi-check"])).toBe('pod "wi-check" deleted\n');
      expect(find("pods", "wi-check")).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    "recreates a bare Pod as the Pod fix says: `kubectl delete pod` then `kubectl apply -f pod.yaml`",
    async () => {
      const manifest = { apiVersion: "v1", kind: "Pod", metadata: { name: "oneoff", namespace: "web" }, spec: { serviceAccountName: "app", nodeSelector: { [GKE_LABEL]: "true" }, containers: [{ name: "c", image: "x:1" }] } };
      await ok(["apply", "-f", file("pod0.json", JSON.stringify({ ...manifest, spec: { containers: [{ name: "c", image: "x:1" }] } }))]);
      expect((find("pods", "oneoff")!.spec as Json).serviceAccountName).toBe("default");
      await ok(["-n", "web", "delete", "pod", "oneoff"]);
      expect(await ok(["apply", "-f", file("pod.json", JSON.stringify(manifest))])).toBe("pod/oneoff created\n");
      const pod = find("pods", "oneoff")!;
      expect([pool((pod.spec as Json).nodeName), (pod.spec as Json).serviceAccountName]).toEqual(["wi", "app"]);
    },
    TIMEOUT,
  );

  it(
    "server-side applies a Deployment change with `kubectl apply --server-side`, and changes nothing with `--dry-run=server`",
    async () => {
      const manifest = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "free", namespace: "web" },
        spec: { selector: { matchLabels: { app: "free" } }, template: { metadata: { labels: { app: "free" } }, spec: { serviceAccountName: "app", containers: [{ name: "free", image: "gcr.io/wp/free:2" }] } } },
      };
      const f = file("free.json", JSON.stringify(manifest));
      const before = JSON.stringify(cluster().objects);
      expect(await ok(["apply", "--server-side", "--dry-run=server", "-f", f])).toBe("deployment.apps/free serverside-applied (server dry run)\n");
      expect(JSON.stringify(cluster().objects)).toBe(before);
      expect(await ok(["apply", "--server-side", "-f", f])).toBe("deployment.apps/free serverside-applied\n");
      expect(placement("free")).toEqual(["legacy app Running"]);
      const dep = find("deployments", "free")!;
      expect(((dep.metadata as Json).managedFields as Json[]).map((m) => `${String(m.manager)} ${String(m.operation)}`)).toContain("kubectl Apply");
    },
    TIMEOUT,
  );

  it(
    "answers kubectl's create of an existing object with AlreadyExists and a stale replace with Conflict",
    async () => {
      const sa = file("sa.json", JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app", namespace: "web" } }));
      const created = await kubectl(["create", "-f", sa]);
      expect([created.code, created.stderr.trim()]).toEqual([1, 'Error from server (AlreadyExists): error when creating "' + sa + '": serviceaccounts "app" already exists']);
      const stale = file("stale.json", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "web", resourceVersion: "1" }, data: { mode: "x" } }));
      const replaced = await kubectl(["replace", "-f", stale]);
      expect(replaced.code).toBe(1);
      expect(replaced.stderr).toContain('Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again');
    },
    TIMEOUT,
  );
});
