/**
 * `npm run simulator [-- --estate FILE] [-- --port N]`: the API simulator on its own, for trying the
 * real clients (gcloud-like REST calls, kubectl against /clusters/P/L/N) against an estate by hand.
 */
import path from "node:path";
import { startSimulator } from "../simulator/server";
import { DEMO_ESTATE } from "../config";
import { parseCliArgs } from "./args";

const USAGE = `Usage: npm run simulator [-- --estate FILE] [-- --port N]`;
const args = parseCliArgs({ estate: { type: "string" }, port: { type: "string" }, help: { type: "boolean", short: "h" } }, USAGE);
if (args.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
const estatePath = path.resolve(args.estate ?? process.env.WI_ATLAS_ESTATE ?? DEMO_ESTATE);
const sim = await startSimulator({ estatePath, port: args.port ? Number(args.port) : 8089 });
const w = sim.world();
process.stdout.write(
  [
    `Simulator serving ${estatePath} at ${sim.url}`,
    `  ${w.projects.length} projects, ${w.serviceAccounts.length} service accounts, ${w.clusters.length} clusters`,
    `  Google APIs: e.g. curl -H 'Authorization: Bearer x' ${sim.url}/v1/projects/${w.projects[0]?.projectId ?? "P"}/serviceAccounts`,
    ...w.clusters.map((c) => `  Kubernetes: ${sim.url}/clusters/${c.project.projectId}/${c.location}/${c.name}`),
    `  Stats: ${sim.url}/_sim/stats   (edit the estate file and the simulator reloads it)`,
    "Ctrl-C to stop.",
  ].join("\n") + "\n",
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
