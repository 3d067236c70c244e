/**
 * `npm run simulator`: the API simulator on its own, for trying the real clients against an estate by
 * hand — `gcloud` through its endpoint overrides, `kubectl` through the kubeconfig `--kubeconfig`
 * writes — or serving a generated estate of any size (what `npm run bench` does in a child process).
 */
import path from "node:path";
import { writeFileSync } from "node:fs";
import { startSimulator } from "../simulator/server";
import { loadEstateFile, EstateError } from "../simulator/load-estate";
import { ESTATE_SIZES, generateEstate, generateEstateValue, isEstateSize } from "../simulator/generate-estate";
import { DEMO_ESTATE } from "../config";
import { gkeContextName, writeKubeconfig } from "../simulator/kubeconfig";
import type { World } from "../simulator/world";
import { EXIT, parseCliArgs } from "./args";
import { logToStderr } from "../log";

const USAGE = `Usage: npm run simulator -- [options]
  --estate FILE     serve this estate file (default: WI_ATLAS_ESTATE, else the demo); reloaded on change
  --generate SIZE   serve a generated estate instead: ${Object.keys(ESTATE_SIZES).join(", ")}
  --seed N          seed for --generate (default 1): the same seed gives the same estate
  --write FILE      with --generate: also write the estate to FILE (JSON) and exit
  --latency MS      answer every request after MS milliseconds (default: the estate's latencyMs)
  --port N          port to listen on (default 8089; 0 picks a free one); the clusters' HTTPS
                    endpoints (one loopback address each) use the same port when it is free there
  --kubeconfig FILE write a kubeconfig with one context per cluster (gke_PROJECT_LOCATION_NAME, TLS
                    with the cluster's CA, a token user), rewritten when the estate's clusters change
  --json            print one JSON line {"url": …} once listening (for scripts)`;

const args = parseCliArgs(
  {
    estate: { type: "string" },
    generate: { type: "string" },
    seed: { type: "string" },
    write: { type: "string" },
    latency: { type: "string" },
    port: { type: "string" },
    kubeconfig: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
  USAGE,
);
if (args.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
// With --json, stdout carries one JSON line; the estate's load notes (ignored kinds, …) go to stderr.
if (args.json) logToStderr();

function wholeNumber(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    process.stderr.write(`--${name} must be a whole number from 0 to ${max}, got "${v}"\n\n${USAGE}\n`);
    process.exit(EXIT.usage);
  }
  return n;
}

const latencyMs = wholeNumber("latency", args.latency, 60_000);
const port = wholeNumber("port", args.port, 65_535) ?? 8089;
if (args.generate !== undefined && !isEstateSize(args.generate)) {
  process.stderr.write(`--generate: unknown size "${args.generate}"; one of ${Object.keys(ESTATE_SIZES).join(", ")}\n`);
  process.exit(EXIT.usage);
}
if (args.generate && args.estate) {
  process.stderr.write("--generate and --estate cannot be combined: serve a file or a generated estate\n");
  process.exit(EXIT.usage);
}
const seed = args.seed ?? "1";

if (args.write) {
  if (!args.generate) {
    process.stderr.write("--write needs --generate SIZE\n");
    process.exit(EXIT.usage);
  }
  const value = generateEstateValue(ESTATE_SIZES[args.generate as keyof typeof ESTATE_SIZES], { seed, latencyMs });
  writeFileSync(args.write, JSON.stringify(value));
  process.stdout.write(`Wrote ${args.generate} (seed ${seed}) to ${args.write}; serve it with WI_ATLAS_ESTATE=${args.write}\n`);
  process.exit(0);
}

let sim;
let label: string;
try {
  if (args.generate) {
    const started = Date.now();
    const estate = generateEstate(args.generate as keyof typeof ESTATE_SIZES, { seed, latencyMs });
    label = `generated ${args.generate} (seed ${seed})`;
    sim = await startSimulator({ estate, port, latencyMs });
    if (!args.json) process.stderr.write(`Generated and materialised ${args.generate} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } else {
    const estatePath = path.resolve(args.estate ?? process.env.WI_ATLAS_ESTATE ?? DEMO_ESTATE);
    // Loaded once here (failing early with the estate's own message, logging its notes once), then watched.
    const estate = loadEstateFile(estatePath);
    label = estatePath;
    sim = await startSimulator({ estate, estatePath, port, latencyMs });
  }
} catch (err) {
  if (err instanceof EstateError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT.config);
  }
  throw err;
}
const w = sim.world();
const kubeconfig = args.kubeconfig ? path.resolve(args.kubeconfig) : undefined;
if (kubeconfig) {
  try {
    writeKubeconfig(kubeconfig, w, sim.kubernetesPort);
  } catch (err) {
    process.stderr.write(`--kubeconfig: ${(err as Error).message}\n`);
    await sim.close();
    process.exit(EXIT.usage);
  }
  // An edited estate can add, remove or rename clusters: keep the contexts in step.
  const contexts = (world: World) => world.clusters.map((c) => `${gkeContextName(c)} ${c.json.endpoint}`).join();
  let written = contexts(w);
  setInterval(async () => {
    // The simulator reloads an edited estate when asked something; its health check asks.
    await fetch(`${sim.url}/_sim/health`).catch(() => undefined);
    const world = sim.world();
    if (contexts(world) === written) return;
    written = contexts(world);
    try {
      writeKubeconfig(kubeconfig, world, sim.kubernetesPort);
    } catch (err) {
      process.stderr.write(`--kubeconfig: ${(err as Error).message}\n`);
    }
  }, 1000).unref();
}
if (args.json) {
  process.stdout.write(
    JSON.stringify({ url: sim.url, kubernetesPort: sim.kubernetesPort, kubeconfig, estate: label, projects: w.projects.length, serviceAccounts: w.serviceAccounts.length, clusters: w.clusters.length }) + "\n",
  );
} else {
  process.stdout.write(
    [
      `Simulator serving ${label} at ${sim.url}`,
      `  ${w.projects.length} projects, ${w.serviceAccounts.length} service accounts, ${w.clusters.length} clusters`,
      `  Google APIs: e.g. curl -H 'Authorization: Bearer x' ${sim.url}/v1/projects/${w.projects[0]?.projectId ?? "P"}/serviceAccounts`,
      ...w.clusters.slice(0, 10).map((c) => `  Kubernetes: https://${c.json.endpoint}:${sim.kubernetesPort} ${gkeContextName(c)} (plain HTTP: ${sim.url}/clusters/${c.project.projectId}/${c.location}/${c.name})`),
      ...(w.clusters.length > 10 ? [`  … and ${w.clusters.length - 10} more clusters`] : []),
      ...(kubeconfig
        ? [`  kubectl: KUBECONFIG=${kubeconfig} kubectl --context ${w.clusters[0] ? gkeContextName(w.clusters[0]) : "CONTEXT"} get pods -A`]
        : ["  kubectl: add --kubeconfig FILE for a kubeconfig with one context per cluster"]),
      `  Stats: ${sim.url}/_sim/stats   ${args.generate ? "" : "(edit the estate file and the simulator reloads it)"}`,
      "Ctrl-C to stop.",
    ].join("\n") + "\n",
  );
}
const stop = () => void sim.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
