/**
 * Generates large estates from a handful of parameters, reproducibly from a seed, for the benchmark
 * and for trying wi-atlas at the scale of a big organisation. The output is an ordinary estate value
 * (what an estate file holds), validated by the same schema, so everything the simulator does with a
 * hand-written estate it does with a generated one.
 *
 * The shape follows what big estates look like:
 * - an organisation with folders, projects spread across them, a Compute Engine default account in
 *   every project (some still holding Google's automatic roles/editor grant);
 * - GSAs in every project, most never touching Kubernetes; user-managed keys concentrated on some of
 *   them (at most 10 each, as IAM allows), of every age, some unused;
 * - clusters of three kinds: born with Workload Identity (`wi`), mid-migration (a legacy
 *   GCE_METADATA pool with the default compute account beside a GKE_METADATA pool: `mid`), and never
 *   migrated (`legacy`, no workload pool);
 * - workloads that are migrated (annotated KSA, WI binding, GKE-metadata node), legacy (node
 *   identity, default KSA, JSON keys mounted from Secrets) or broken (annotation to a missing,
 *   disabled or unbound GSA, malformed annotation, binding without annotation, stale binding);
 * - one "common-batch" GSA (roles/editor, ten keys, copies of its keys in Secrets) that `hubKsas`
 *   KSAs across every cluster are annotated with — IAM allows 1,500 principals in a policy, so up to
 *   1,500 of them are bound and the rest are annotated but unbound, as happens when a policy fills.
 */
import { createHash } from "node:crypto";
import { validateEstate, type LoadedEstate } from "./load-estate";

export type EstateParams = {
  projects: number;
  folders: number;
  /** GSAs in all, the Compute Engine default account of every project included. */
  gsas: number;
  /** User-managed keys in all. */
  keys: number;
  clusters: number;
  /** Pods to aim for (DaemonSet pods included); the result is within a few percent. */
  pods: number;
  /** KSAs in all, the `default` KSA of every namespace included. */
  ksas: number;
  /** Secrets holding a JSON key, in all. */
  keySecrets: number;
  namespacesPerCluster: number;
  /** Nodes per pool per zone. */
  nodesPerPool: number;
  /** Shares of workloads in WI-capable clusters (`legacy` clusters are all legacy); normalised. */
  mix: { migrated: number; legacy: number; broken: number };
  /** KSAs annotated with the common-batch GSA. */
  hubKsas: number;
};

export const ESTATE_SIZES = {
  /** For tests: generated, scanned and analysed in a few seconds. */
  "org-s": {
    projects: 6, folders: 2, gsas: 60, keys: 80, clusters: 3, pods: 300, ksas: 150, keySecrets: 20,
    namespacesPerCluster: 8, nodesPerPool: 1, mix: { migrated: 0.55, legacy: 0.35, broken: 0.1 }, hubKsas: 30,
  },
  "org-m": {
    projects: 50, folders: 5, gsas: 2_000, keys: 3_000, clusters: 20, pods: 10_000, ksas: 2_000, keySecrets: 400,
    namespacesPerCluster: 20, nodesPerPool: 2, mix: { migrated: 0.55, legacy: 0.35, broken: 0.1 }, hubKsas: 400,
  },
  "org-l": {
    projects: 200, folders: 12, gsas: 10_000, keys: 15_000, clusters: 50, pods: 50_000, ksas: 10_000, keySecrets: 2_000,
    namespacesPerCluster: 30, nodesPerPool: 3, mix: { migrated: 0.55, legacy: 0.35, broken: 0.1 }, hubKsas: 2_000,
  },
  /**
   * The largest organisations: ten times org-l (clusters of the same shape, ten times as many).
   * More than one process scans and analyses in a 1 GiB budget: the size sharded scans are measured on.
   */
  "org-xl": {
    projects: 2_000, folders: 40, gsas: 100_000, keys: 150_000, clusters: 500, pods: 500_000, ksas: 100_000, keySecrets: 20_000,
    namespacesPerCluster: 30, nodesPerPool: 3, mix: { migrated: 0.55, legacy: 0.35, broken: 0.1 }, hubKsas: 20_000,
  },
} satisfies Record<string, EstateParams>;
export type EstateSizeName = keyof typeof ESTATE_SIZES;

export function isEstateSize(s: string): s is EstateSizeName {
  return Object.hasOwn(ESTATE_SIZES, s);
}

export type GenerateOptions = {
  seed?: string | number;
  latencyMs?: number;
  /** The estate's `now`; fixed by default so that a seed always yields the same estate. */
  now?: string;
};

type Json = Record<string, unknown>;

/** mulberry32: small, fast, and good enough to pick names and shares reproducibly. */
function prng(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex40 = (s: string) => createHash("sha1").update(s).digest("hex");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const TEAMS = ["payments", "orders", "search", "ml", "data", "web", "billing", "identity", "catalog", "checkout", "ads", "media", "notify", "risk", "ledger", "maps", "growth", "support", "infra", "batch"];
const SERVICES = ["api", "worker", "sync", "exporter", "indexer", "gateway", "scheduler", "loader", "reporter", "crawler", "renderer", "ingest", "backup", "audit", "cache", "router"];
const ENVS = ["prod", "stg", "dev", "data", "batch", "edge"];
const REGIONS = ["asia-northeast1", "us-central1", "europe-west1", "us-east1", "asia-southeast1", "europe-west4"];
const KEY_FILE_ENV = { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/google/key.json" };
const WI_NODE = { "iam.gke.io/gke-metadata-server-enabled": "true" };
const LEGACY_NODE = { "cloud.google.com/gke-nodepool": "default-pool" };
const WI_ANNOTATION = "iam.gke.io/gcp-service-account";
/** IAM's limit on principals in one allow policy. */
const MAX_POLICY_PRINCIPALS = 1_500;

type Gsa = { email: string; project: number; sa: Json; bindings: Map<string, Set<string>>; keyIds: string[]; disabled?: boolean };
type ClusterKind = "wi" | "mid" | "legacy";

/** Returns the raw estate value (what an estate file would hold). */
export function generateEstateValue(params: EstateParams, opts: GenerateOptions = {}): Json {
  const p = params;
  const seed = String(opts.seed ?? 1);
  const rand = prng(`wi-atlas:${seed}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const chance = (x: number) => rand() < x;
  const now = Date.parse(opts.now ?? "2026-11-29T00:00:00Z");
  const daysAgo = (d: number) => iso(Math.floor((now - d * DAY) / DAY) * DAY + 7 * 3_600_000); // Policy Analyzer is day-granular
  const digits = (label: string, n: number) => {
    const h = BigInt("0x" + createHash("sha256").update(`${seed}:${label}`).digest("hex"));
    const s = (h % 10n ** BigInt(n)).toString().padStart(n, "0");
    return s[0] === "0" ? "1" + s.slice(1) : s;
  };

  const orgId = digits("org", 12);
  const org = `organizations/${orgId}`;
  const folders = Array.from({ length: p.folders }, (_, i) => ({
    name: `folders/${digits(`folder:${i}`, 12)}`,
    displayName: `${pick(TEAMS)}-${i}`,
    // Half the folders nest one level under an earlier one.
    parent: i >= 2 && i % 2 === 1 ? `folders/${digits(`folder:${i - 1}`, 12)}` : org,
  }));

  // ---- projects and GSAs -------------------------------------------------------------------
  const projects = Array.from({ length: p.projects }, (_, i) => {
    const env = ENVS[i % ENVS.length];
    const team = TEAMS[Math.floor(i / ENVS.length) % TEAMS.length];
    const id = `${team}-${env}-${String(i).padStart(3, "0")}`;
    return {
      projectId: id,
      projectNumber: digits(`project:${i}`, 12),
      displayName: `${team} ${env}`,
      parent: folders.length ? folders[i % folders.length].name : undefined,
      labels: { env, team },
      createTime: iso(now - (400 + Math.floor(rand() * 2500)) * DAY),
      bindings: new Map<string, Set<string>>([
        ["roles/owner", new Set([`group:${team}-admins@example.com`])],
        ["roles/viewer", new Set([`group:${team}@example.com`])],
      ]),
      gsas: [] as Gsa[],
      computeDefault: "",
    };
  });
  const gsas: Gsa[] = [];
  const grant = (bindings: Map<string, Set<string>>, role: string, member: string) => {
    let s = bindings.get(role);
    if (!s) bindings.set(role, (s = new Set()));
    s.add(member);
  };
  const policyOf = (bindings: Map<string, Set<string>>) =>
    bindings.size ? { version: 1, bindings: [...bindings].map(([role, members]) => ({ role, members: [...members] })) } : undefined;

  const newGsa = (pi: number, email: string, displayName: string): Gsa => {
    const sa: Json = { email, displayName };
    const g: Gsa = { email, project: pi, sa, bindings: new Map(), keyIds: [] };
    projects[pi].gsas.push(g);
    gsas.push(g);
    return g;
  };
  for (let pi = 0; pi < projects.length; pi++) {
    const pr = projects[pi];
    const g = newGsa(pi, `${pr.projectNumber}-compute@developer.gserviceaccount.com`, "Compute Engine default service account");
    pr.computeDefault = g.email;
    // Google's automatic editor grant, removed in the better-kept projects.
    if (pi % 3 !== 2) grant(pr.bindings, "roles/editor", `serviceAccount:${g.email}`);
  }
  const clusterKinds: ClusterKind[] = Array.from({ length: p.clusters }, (_, i) => (i === 0 ? "mid" : i % 5 === 2 ? "legacy" : i % 5 === 1 || i % 5 === 4 ? "wi" : "mid"));
  const clusterProjects = Array.from({ length: p.clusters }, (_, i) => Math.floor((i * projects.length) / Math.max(1, p.clusters)));
  // The node GSA of every project with a WI pool.
  clusterKinds.forEach((kind, ci) => {
    if (kind === "legacy") return;
    const pi = clusterProjects[ci];
    const pr = projects[pi];
    const email = `gke-nodes@${pr.projectId}.iam.gserviceaccount.com`;
    if (pr.gsas.some((g) => g.email === email)) return;
    newGsa(pi, email, "GKE nodes");
    for (const role of ["roles/logging.logWriter", "roles/monitoring.metricWriter"]) grant(pr.bindings, role, `serviceAccount:${email}`);
  });
  const hub = newGsa(0, `common-batch@${projects[0].projectId}.iam.gserviceaccount.com`, "common batch (shared)");
  hub.sa.description = "Shared by every batch job since 2016";
  grant(projects[0].bindings, "roles/editor", `serviceAccount:${hub.email}`);
  for (let n = 0; gsas.length < p.gsas; n++) {
    const pi = n % projects.length;
    const local = `${pick(SERVICES)}-${String(Math.floor(n / projects.length)).padStart(3, "0")}`;
    const g = newGsa(pi, `${local}@${projects[pi].projectId}.iam.gserviceaccount.com`, local);
    const role = pick(["roles/storage.objectViewer", "roles/pubsub.publisher", "roles/cloudsql.client", "roles/bigquery.dataViewer", "roles/logging.logWriter"]);
    grant(projects[pi].bindings, role, `serviceAccount:${g.email}`);
    if (chance(0.01)) grant(projects[pi].bindings, "roles/editor", `serviceAccount:${g.email}`);
  }
  // Policy Analyzer: most accounts authenticated lately, some long ago, some never in its window.
  for (const g of gsas) {
    const r = rand();
    if (r < 0.75) g.sa.lastAuthenticatedTime = daysAgo(1 + Math.floor(rand() * 6));
    else if (r < 0.9) g.sa.lastAuthenticatedTime = daysAgo(95 + Math.floor(rand() * 300));
  }
  for (const g of gsas) if (g !== hub && !g.email.includes("-compute@") && chance(0.005)) g.sa.disabled = g.disabled = true;

  // ---- keys: concentrated on some accounts, at most 10 each ----------------------------------
  const keyHolders = gsas.filter((g) => g !== hub && !g.email.includes("-compute@") && !g.disabled);
  for (let i = keyHolders.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keyHolders[i], keyHolders[j]] = [keyHolders[j], keyHolders[i]];
  }
  const keysOf = new Map<Gsa, Json[]>();
  const addKey = (g: Gsa, n: number) => {
    const keyId = hex40(`${seed}:key:${g.email}:${n}`);
    const ageDays = Math.floor(rand() * 3000);
    const created = now - ageDays * DAY - Math.floor(rand() * DAY);
    const tenYear = chance(0.4);
    const key: Json = {
      keyId,
      validAfterTime: iso(created),
      validBeforeTime: tenYear ? iso(created + 3652 * DAY) : "9999-12-31T23:59:59Z",
    };
    const used = rand();
    if (used < 0.5) key.lastAuthenticatedTime = daysAgo(1 + Math.floor(rand() * 20));
    else if (used < 0.8) key.lastAuthenticatedTime = daysAgo(100 + Math.floor(rand() * 200));
    if (chance(0.02)) key.disabled = true;
    let ks = keysOf.get(g);
    if (!ks) keysOf.set(g, (ks = []));
    ks.push(key);
    g.keyIds.push(keyId);
  };
  for (let n = 0; n < 10; n++) addKey(hub, n);
  let keyBudget = Math.max(0, p.keys - 10);
  const holders = keyHolders.slice(0, Math.min(keyHolders.length, Math.max(Math.ceil(keyBudget / 10), Math.ceil(keyHolders.length * 0.45))));
  for (const g of holders) if (keyBudget > 0) (addKey(g, 0), keyBudget--);
  while (keyBudget > 0 && holders.length) {
    const g = holders[Math.floor(rand() * holders.length)];
    if (g.keyIds.length >= 10) {
      if (holders.every((h) => h.keyIds.length >= 10)) break;
      continue;
    }
    addKey(g, g.keyIds.length);
    keyBudget--;
  }

  // ---- clusters ---------------------------------------------------------------------------
  const clusters: { pi: number; kind: ClusterKind; cluster: Json; manifests: Json[]; nodes: number; pool: string }[] = [];
  const nameCount = new Map<string, number>();
  for (let ci = 0; ci < p.clusters; ci++) {
    const pi = clusterProjects[ci];
    const pr = projects[pi];
    const kind = clusterKinds[ci];
    const region = REGIONS[ci % REGIONS.length];
    const zonal = ci % 10 >= 3;
    const location = zonal ? `${region}-${"abc"[ci % 3]}` : region;
    const base = ENVS[ci % ENVS.length];
    const nth = (nameCount.get(base) ?? 0) + 1;
    nameCount.set(base, nth);
    const name = `${base}-${String(nth).padStart(2, "0")}`;
    const zones = zonal ? 1 : 3;
    const legacyPool = { name: "default-pool", initialNodeCount: p.nodesPerPool, config: { serviceAccount: "default", workloadMetadataConfig: { mode: "GCE_METADATA" } } };
    const wiPool = {
      name: "wi-pool",
      initialNodeCount: p.nodesPerPool,
      config: { serviceAccount: `gke-nodes@${pr.projectId}.iam.gserviceaccount.com`, workloadMetadataConfig: { mode: "GKE_METADATA" } },
    };
    const nodePools = kind === "wi" ? [wiPool] : kind === "mid" ? [legacyPool, wiPool] : [legacyPool];
    const cluster: Json = { name, location, nodePools };
    if (kind !== "legacy") cluster.workloadIdentityConfig = { workloadPool: `${pr.projectId}.svc.id.goog` };
    clusters.push({ pi, kind, cluster, manifests: [], nodes: nodePools.length * p.nodesPerPool * zones, pool: `${pr.projectId}.svc.id.goog` });
  }
  // ---- Kubernetes objects per cluster -------------------------------------------------------
  const workloadGsasOf = (pi: number) =>
    projects[pi].gsas.filter((g) => g !== hub && !g.email.includes("-compute@") && !g.email.startsWith("gke-nodes@") && !g.disabled);
  const disabledOf = (pi: number) => projects[pi].gsas.filter((g) => g.disabled);
  const bind = (g: Gsa, pool: string, ns: string, ksa: string) => {
    const member = `serviceAccount:${pool}[${ns}/${ksa}]`;
    const s = g.bindings.get("roles/iam.workloadIdentityUser");
    if (g === hub && (s?.size ?? 0) >= MAX_POLICY_PRINCIPALS) return false;
    grant(g.bindings, "roles/iam.workloadIdentityUser", member);
    return true;
  };
  const declaredKsaBudget = Math.max(0, p.ksas - p.clusters * (p.namespacesPerCluster + 4));
  const hubPerCluster = Math.floor(p.hubKsas / Math.max(1, p.clusters));
  let hubRemainder = p.hubKsas - hubPerCluster * p.clusters;
  const mixTotal = p.mix.migrated + p.mix.legacy + p.mix.broken || 1;

  clusters.forEach((c, ci) => {
    const pr = projects[c.pi];
    const M = c.manifests;
    const wiCapable = c.kind !== "legacy";
    const podTarget = Math.round(p.pods / p.clusters) + (ci < p.pods % p.clusters ? 1 : 0);
    const ksaTarget = Math.floor(declaredKsaBudget / p.clusters) + (ci < declaredKsaBudget % p.clusters ? 1 : 0);
    const nsNames: string[] = [];
    for (let i = 0; i < p.namespacesPerCluster; i++) {
      const t = TEAMS[(i + ci) % TEAMS.length];
      nsNames.push(i < TEAMS.length ? t : `${t}-${Math.floor(i / TEAMS.length)}`);
    }
    for (const ns of nsNames) M.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: ns.split("-")[0] } } });

    // Secrets with JSON keys (the legacy way), spread over the namespaces.
    const secretsHere = Math.floor(p.keySecrets / p.clusters) + (ci < p.keySecrets % p.clusters ? 1 : 0);
    const projectKeyed = pr.gsas.filter((g) => g.keyIds.length > 0);
    const secretsByNs = new Map<string, string[]>();
    for (let s = 0; s < secretsHere; s++) {
      const ns = nsNames[s % nsNames.length];
      // A third are copies of common-batch's keys; one in ten names a key already deleted in IAM.
      const g = s % 3 === 0 || projectKeyed.length === 0 ? hub : projectKeyed[Math.floor(rand() * projectKeyed.length)];
      const dead = s % 10 === 5;
      const keyId = dead ? hex40(`${seed}:deleted:${ci}:${s}`) : g.keyIds[Math.floor(rand() * g.keyIds.length)];
      const name = `${g.email.split("@")[0].replace(/^(\d+)-compute$/, "compute")}-key-${s}`;
      const credential = JSON.stringify({
        type: "service_account",
        project_id: projects[g.project].projectId,
        private_key_id: keyId,
        private_key: "-----BEGIN PRIVATE KEY-----\nGENERATED-FAKE-KEY\n-----END PRIVATE KEY-----\n",
        client_email: g.email,
        client_id: digits(`client:${g.email}`, 21),
      });
      M.push({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "Opaque", stringData: { "key.json": credential } });
      const list = secretsByNs.get(ns) ?? [];
      list.push(name);
      secretsByNs.set(ns, list);
    }

    // KSAs: hub KSAs, then per-namespace ones; each kind of workload draws on its own pool.
    type Ksa = { ns: string; name: string };
    const migratedKsas: Ksa[] = [];
    const brokenKsas: Ksa[] = [];
    const plainKsas: Ksa[] = [];
    const hubHere = hubPerCluster + (hubRemainder-- > 0 ? 1 : 0);
    const projGsas = workloadGsasOf(c.pi);
    const foreign = workloadGsasOf((c.pi + 1) % projects.length);
    const disabled = disabledOf(c.pi);
    let declared = 0;
    const ksa = (ns: string, name: string, annotation?: string, labels?: Record<string, string>) => {
      const metadata: Json = { name, namespace: ns };
      if (annotation !== undefined) metadata.annotations = { [WI_ANNOTATION]: annotation };
      if (labels) metadata.labels = labels;
      M.push({ apiVersion: "v1", kind: "ServiceAccount", metadata });
      declared++;
    };
    for (let h = 0; h < hubHere && declared < ksaTarget; h++) {
      const ns = nsNames[h % nsNames.length];
      const name = `batch-${h}`;
      ksa(ns, name, hub.email);
      if (wiCapable) bind(hub, c.pool, ns, name);
      migratedKsas.push({ ns, name });
    }
    let k = 0;
    while (declared < ksaTarget) {
      const ns = nsNames[k % nsNames.length];
      const svc = SERVICES[Math.floor(k / nsNames.length) % SERVICES.length];
      const name = `${svc}-${Math.floor(k / (nsNames.length * SERVICES.length))}`;
      k++;
      const r = rand();
      if (!wiCapable || r < 0.12) {
        ksa(ns, name);
        plainKsas.push({ ns, name });
      } else if (r < 0.22) {
        // Broken, each in its own way.
        const how = brokenKsas.length % 5;
        const g = projGsas.length ? projGsas[Math.floor(rand() * projGsas.length)] : hub;
        if (how === 0) ksa(ns, name, `${name}-gone@${pr.projectId}.iam.gserviceaccount.com`); // GSA missing
        else if (how === 1) ksa(ns, name, g.email); // annotated, never bound
        else if (how === 2) (ksa(ns, name, ` ${g.email} `), bind(g, c.pool, ns, name)); // malformed (spaces)
        else if (how === 3 && disabled.length) {
          const d = disabled[Math.floor(rand() * disabled.length)];
          ksa(ns, name, d.email);
          bind(d, c.pool, ns, name);
        } else (ksa(ns, name), bind(g, c.pool, ns, name)); // bound, never annotated
        brokenKsas.push({ ns, name });
      } else {
        // Migrated; one in twenty uses a GSA of another project.
        const from = chance(0.05) && foreign.length ? foreign : projGsas;
        const g = from.length ? from[(k * 7 + ci) % from.length] : hub;
        ksa(ns, name, g.email);
        bind(g, c.pool, ns, name);
        migratedKsas.push({ ns, name });
      }
    }
    // Stale bindings: principals for KSAs that do not exist.
    if (wiCapable && projGsas.length) for (let s = 0; s < 2; s++) bind(projGsas[(ci + s) % projGsas.length], c.pool, nsNames[s % nsNames.length], `removed-${s}`);

    // Workloads until the pod target is met.
    let pods = 0;
    // A logging agent on every node, in kube-system on the default KSA (node identity).
    M.push({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "log-agent", namespace: "kube-system", labels: { app: "log-agent" } },
      spec: { template: { metadata: { labels: { app: "log-agent" } }, spec: { hostNetwork: true, containers: [{ name: "agent", image: "gcr.io/example/log-agent:3.1" }] } } },
    });
    pods += c.nodes;
    let w = 0;
    let brokenUsed = 0;
    while (pods < podTarget) {
      const r = rand() * mixTotal;
      const mode = !wiCapable ? "legacy" : r < p.mix.migrated ? "migrated" : r < p.mix.migrated + p.mix.legacy ? "legacy" : "broken";
      const kr = rand();
      const kindName = kr < 0.7 ? "Deployment" : kr < 0.75 ? "StatefulSet" : kr < 0.95 ? "CronJob" : "Job";
      const replicas = kindName === "Deployment" ? pick([1, 2, 2, 3, 3, 4, 6]) : kindName === "StatefulSet" ? pick([1, 3]) : 1;
      const podsOf = Math.min(replicas, Math.max(1, podTarget - pods));
      let ns: string;
      let saName: string | undefined;
      let nodeSelector: Record<string, string> | undefined;
      let keySecret: string | undefined;
      if (mode === "migrated" && migratedKsas.length) {
        const x = migratedKsas[Math.floor(rand() * migratedKsas.length)];
        ns = x.ns;
        saName = x.name;
        // On mid clusters workloads pick the WI pool, except a few that were forgotten.
        if (c.kind === "mid") nodeSelector = chance(0.95) ? WI_NODE : undefined;
      } else if (mode === "broken" && brokenKsas.length) {
        const x = brokenKsas[brokenUsed++ % brokenKsas.length];
        ns = x.ns;
        saName = x.name;
        if (c.kind === "mid") nodeSelector = WI_NODE;
      } else {
        ns = nsNames[Math.floor(rand() * nsNames.length)];
        const secrets = secretsByNs.get(ns);
        if (secrets?.length && chance(0.5)) keySecret = secrets[Math.floor(rand() * secrets.length)];
        if (plainKsas.length && chance(0.4)) {
          const x = plainKsas[Math.floor(rand() * plainKsas.length)];
          ns = x.ns;
          saName = x.name;
          const s2 = secretsByNs.get(ns);
          keySecret = s2?.length && chance(0.5) ? s2[Math.floor(rand() * s2.length)] : undefined;
        }
        if (c.kind === "mid") nodeSelector = LEGACY_NODE;
      }
      // Now and then a workload asks for WI nodes in a cluster without them: it stays Pending.
      if (c.kind === "legacy" && chance(0.003)) nodeSelector = WI_NODE;
      const name = `${ns.split("-")[0]}-${SERVICES[w % SERVICES.length]}-${w}`;
      w++;
      const container: Json = { name: "app", image: `gcr.io/${pr.projectId}/${name.replace(/-\d+$/, "")}:1.${w % 40}` };
      const spec: Json = { containers: [container] };
      if (saName) spec.serviceAccountName = saName;
      if (nodeSelector) spec.nodeSelector = nodeSelector;
      if (keySecret) {
        container.env = [KEY_FILE_ENV];
        container.volumeMounts = [{ name: "google-key", mountPath: "/var/secrets/google", readOnly: true }];
        spec.volumes = [{ name: "google-key", secret: { secretName: keySecret } }];
      }
      const labels = { app: name, team: ns.split("-")[0] };
      const template = { metadata: { labels: { app: name } }, spec };
      const metadata = { name, namespace: ns, labels };
      if (kindName === "Deployment" || kindName === "StatefulSet") {
        M.push({ apiVersion: "apps/v1", kind: kindName, metadata, spec: { replicas: podsOf, selector: { matchLabels: { app: name } }, template } });
      } else if (kindName === "CronJob") {
        spec.restartPolicy = "OnFailure";
        M.push({ apiVersion: "batch/v1", kind: "CronJob", metadata, spec: { schedule: `${w % 60} ${w % 24} * * *`, successfulJobsHistoryLimit: 1, jobTemplate: { spec: { template } } } });
      } else {
        spec.restartPolicy = "Never";
        M.push({ apiVersion: "batch/v1", kind: "Job", metadata, spec: { template } });
      }
      pods += podsOf;
    }
  });

  // ---- assemble ------------------------------------------------------------------------------
  return {
    description: `Generated estate (seed ${seed}): ${p.projects} projects, ${gsas.length} GSAs, ${p.keys} keys, ${p.clusters} clusters, about ${p.pods} pods.`,
    now: iso(now),
    latencyMs: opts.latencyMs ?? 0,
    organization: {
      name: org,
      displayName: "example.com (generated)",
      iamPolicy: {
        version: 1,
        bindings: [
          { role: "roles/resourcemanager.organizationAdmin", members: ["group:platform-admins@example.com"] },
          { role: "roles/iam.securityReviewer", members: ["group:security@example.com"] },
        ],
      },
    },
    folders: folders.map((f) => ({ ...f, iamPolicy: { version: 1, bindings: [{ role: "roles/resourcemanager.folderViewer", members: ["group:auditors@example.com"] }] } })),
    projects: projects.map((pr, pi) => ({
      projectId: pr.projectId,
      projectNumber: pr.projectNumber,
      displayName: pr.displayName,
      parent: pr.parent,
      labels: pr.labels,
      createTime: pr.createTime,
      iamPolicy: policyOf(pr.bindings),
      serviceAccounts: pr.gsas.map((g) => {
        const out: Json = { ...g.sa };
        const pol = policyOf(g.bindings);
        if (pol) out.iamPolicy = pol;
        const ks = keysOf.get(g);
        if (ks) out.keys = ks;
        return out;
      }),
      clusters: clusters.filter((c) => c.pi === pi).map((c) => ({ cluster: c.cluster, manifests: c.manifests })),
    })),
  };
}

/** Generates and validates an estate, ready for the simulator. */
export function generateEstate(params: EstateParams | EstateSizeName, opts: GenerateOptions = {}): LoadedEstate {
  const ps = typeof params === "string" ? ESTATE_SIZES[params] : params;
  const label = typeof params === "string" ? `generated:${params}:seed=${opts.seed ?? 1}` : `generated:seed=${opts.seed ?? 1}`;
  return validateEstate(generateEstateValue(ps, opts), label, process.cwd());
}
