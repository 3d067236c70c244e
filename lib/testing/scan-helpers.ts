/** Helpers for integration tests: run a scan of an in-memory estate through the simulator into a test database. */
import { loadConfig, type Config } from "../config";
import { parseEstateText, type LoadedEstate } from "../simulator/load-estate";
import { startSimulator, type Simulator } from "../simulator/server";
import { runScan, type ScanResult } from "../scan/run-scan";
import type { Db } from "../store/db";
import { gkeEndpoint, type ClusterEndpoint } from "../sources/k8s/clients";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ WI_ATLAS_REQUEST_TIMEOUT_SECONDS: "5", ...overrides } as unknown as NodeJS.ProcessEnv);
}

export function estateFromYaml(text: string, label = "test.yaml"): LoadedEstate {
  return parseEstateText(text, label);
}

/** A simulator for `estate` plus a scan function bound to a database. */
export async function simulatorFor(estate: LoadedEstate): Promise<Simulator> {
  return startSimulator({ estate });
}

export async function scanWith(db: Db, sim: Simulator, config: Config = testConfig()): Promise<ScanResult> {
  return runScan({ db, config, trigger: "test", simulator: sim });
}

/** Current subjects of one kind, sorted. */
export async function currentSubjects(db: Db, kind: string): Promise<string[]> {
  const r = await db.pool.query<{ subject: string }>(`select subject from inventory_object where kind = $1 and valid_to is null order by subject`, [kind]);
  return r.rows.map((x) => x.subject);
}

/**
 * How a client reaches one simulated cluster (`PROJECT/LOCATION/NAME`): as on GKE, its HTTPS
 * endpoint, trusting only the CA it advertises.
 */
export function simulatorCluster(sim: Simulator, path: string): ClusterEndpoint {
  const c = sim.world().clusterByPath.get(path);
  if (!c) throw new Error(`no cluster ${path} in the simulator's estate`);
  return gkeEndpoint({ endpoint: c.json.endpoint as string }, c.json, sim.kubernetesPort);
}
