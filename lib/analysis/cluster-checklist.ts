/**
 * The article's eight steps as a checklist for ONE cluster, folded from the per-workload statuses the
 * analysis already decided (migration.ts's `workloadStatus`): a step is done for the cluster when no
 * counted workload has it to do. Nothing here decides a step again; it only counts, groups and names
 * what remains. Steps 1, 2 and 8 are about the cluster and its node pools, so they are read from the
 * cluster record and its pools (step 1 and 2 agree with every workload's own steps 1 and 2).
 *
 * Unknown stays unknown: a step whose sources failed in the last scan is never reported done.
 */
import { STEP_DEFS, type StepState } from "./model";

/** The part of a stored workload status (`WorkloadStatus`) the checklist reads. */
export type ChecklistWorkload = {
  /** `workload:P/L/N/NS/KIND/NAME`. */
  subject: string;
  namespace: string;
  /** Its KSA's name. */
  ksa: string;
  /** Node pools its pods run on. */
  nodePools: string[];
  steps: { n: number; state: StepState; evidence: string }[];
  /** Done: off every legacy path. */
  migrated: boolean;
  migration: string;
  /** In a GKE-managed namespace: shown, not counted (as in the progress roll-ups). */
  system: boolean;
};

export type ChecklistPool = {
  /** `nodepool:P/L/N/POOL`. */
  subject: string;
  name: string;
  servesGkeMetadata: boolean;
  /** Pods running on its nodes now (every namespace). */
  pods: number;
  serviceAccount: string | null;
  metadataMode: string | null;
};

/** One thing left under a step: a workload, a KSA, a node pool or the cluster itself. */
export type RemainingItem = {
  subject: string;
  /** `todo` or `unknown`. */
  state: "todo" | "unknown";
  /** Why, from the analysis (the workload's step evidence), or what runs there (step 8). */
  detail: string;
  /** Workloads behind a KSA item, or running on a pool (step 8). */
  workloads?: string[];
};

export type ChecklistStep = {
  n: number;
  title: string;
  /**
   * `done`: nothing left; `todo`: something left (listed); `unknown`: nothing known left, but some
   * could not be decided or a source it needs failed; `n/a`: does not apply (Autopilot).
   */
  state: "done" | "todo" | "unknown" | "n/a";
  /** Items left to do (workloads for 4, 6, 7; KSAs for 3 and 5; pools for 8; the cluster for 1 and 2). */
  todo: number;
  /** Items whose state could not be told. */
  unknown: number;
  /** The first `limit` remaining items (to-do first), with the total in `todo` + `unknown`. */
  remaining: RemainingItem[];
  /** Sources this step depends on that failed or answered in part in the last scan. */
  failedSources: string[];
};

export type ClusterFacts = {
  subject: string;
  workloadPool: string | null;
  autopilot: boolean;
};

/** Which Kubernetes / Google source families each step's answer depends on. */
const WORKLOAD_FAMILIES = ["k8s.deployments", "k8s.statefulsets", "k8s.daemonsets", "k8s.cronjobs", "k8s.jobs", "k8s.replicasets", "k8s.pods"];
export const STEP_SOURCES: Record<number, string[]> = {
  1: ["container.clusters"],
  2: ["container.clusters"],
  3: [...WORKLOAD_FAMILIES, "k8s.serviceaccounts"],
  4: [...WORKLOAD_FAMILIES, "k8s.nodes", "container.clusters"],
  5: [...WORKLOAD_FAMILIES, "k8s.serviceaccounts"],
  6: [...WORKLOAD_FAMILIES, "k8s.serviceaccounts", "k8s.nodes", "k8s.secrets"],
  7: [...WORKLOAD_FAMILIES, "k8s.secrets", "k8s.configmaps"],
  8: ["container.clusters", "k8s.pods", "k8s.nodes"],
};

const STEP8_TITLE = "Delete the legacy node pools once nothing runs there";

/**
 * The checklist. `failedFamilies`: families of this cluster's sources (and of its project's
 * `container.clusters`) that failed or answered in part in the last scan.
 */
export function clusterChecklist(opts: {
  cluster: ClusterFacts;
  workloads: ChecklistWorkload[];
  pools: ChecklistPool[];
  failedFamilies: string[];
  limit?: number;
}): ChecklistStep[] {
  const limit = opts.limit ?? 10;
  const counted = opts.workloads.filter((w) => !w.system);
  const failedFor = (n: number) => STEP_SOURCES[n].filter((f) => opts.failedFamilies.includes(f));
  const finish = (n: number, title: string, items: RemainingItem[], na = false): ChecklistStep => {
    const failed = failedFor(n);
    const todo = items.filter((i) => i.state === "todo").length;
    const unknown = items.length - todo;
    const ordered = [...items.sort((a, b) => (a.state === b.state ? (a.subject < b.subject ? -1 : 1) : a.state === "todo" ? -1 : 1))];
    const state = todo ? "todo" : unknown || failed.length ? "unknown" : na ? "n/a" : "done";
    return { n, title, state, todo, unknown, remaining: ordered.slice(0, limit), failedSources: failed };
  };
  const steps: ChecklistStep[] = [];
  const c = opts.cluster;

  // 1. The workload pool: the cluster's own fact.
  steps.push(finish(1, STEP_DEFS[0].title, c.workloadPool ? [] : [{ subject: c.subject, state: "todo", detail: "no workload pool (Workload Identity is not enabled on the cluster)" }]));

  // 2. A pool serving the GKE metadata server (Autopilot always does).
  const gkePools = opts.pools.filter((p) => p.servesGkeMetadata);
  const step2: RemainingItem[] = c.autopilot || gkePools.length ? [] : opts.pools.length || !failedFor(2).length ? [{ subject: c.subject, state: "todo", detail: "no node pool serves the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA)" }] : [];
  steps.push(finish(2, STEP_DEFS[1].title, step2, c.autopilot));

  // 3 and 5 are about KSAs: one item per KSA, naming the workloads that run as it.
  for (const n of [3, 5]) {
    const byKsa = new Map<string, RemainingItem>();
    for (const w of counted) {
      const s = w.steps.find((x) => x.n === n);
      if (!s || (s.state !== "todo" && s.state !== "unknown")) continue;
      const ksa = `ksa:${w.subject.slice("workload:".length).split("/").slice(0, 4).join("/")}/${w.ksa}`;
      const item = byKsa.get(ksa) ?? { subject: ksa, state: s.state, detail: s.evidence, workloads: [] };
      // A KSA is to do when any of its workloads has the step to do.
      if (s.state === "todo") item.state = "todo";
      item.workloads!.push(w.subject);
      byKsa.set(ksa, item);
    }
    steps.push(finish(n, STEP_DEFS[n - 1].title, [...byKsa.values()]));
  }
  steps.sort((a, b) => a.n - b.n);

  // 4, 6 and 7 are about workloads.
  for (const n of [4, 6, 7]) {
    const items: RemainingItem[] = [];
    for (const w of counted) {
      const s = w.steps.find((x) => x.n === n);
      if (s && (s.state === "todo" || s.state === "unknown")) items.push({ subject: w.subject, state: s.state, detail: s.evidence });
    }
    steps.push(finish(n, STEP_DEFS[n - 1].title, items, c.autopilot && n === 4));
  }
  steps.sort((a, b) => a.n - b.n);

  // 8. Legacy pools: each is left until it is deleted; the workloads on it say what must move first.
  const legacy = opts.pools.filter((p) => !p.servesGkeMetadata);
  steps.push(
    finish(
      8,
      STEP8_TITLE,
      legacy.map((p) => {
        const on = opts.workloads.filter((w) => w.nodePools.includes(p.name));
        const moving = on.filter((w) => !w.system);
        return {
          subject: p.subject,
          state: "todo" as const,
          detail:
            p.pods === 0
              ? "empty: nothing runs there, delete it"
              : `${p.pods} pod${p.pods === 1 ? "" : "s"} still run${p.pods === 1 ? "s" : ""} here${moving.length ? `: ${moving.length} workload${moving.length === 1 ? "" : "s"} to move first` : ""}${on.length > moving.length ? ` (and ${on.length - moving.length} GKE-managed)` : ""}`,
          workloads: moving.map((w) => w.subject).sort(),
        };
      }),
    ),
  );
  return steps;
}

/** Migration progress of a group of workloads (a node pool's, a namespace's), counted as the roll-ups count. */
export function progressOf(workloads: ChecklistWorkload[]): { workloads: number; migrated: number; toMigrate: number; unknown: number; share: number | null } {
  const counted = workloads.filter((w) => !w.system);
  const migrated = counted.filter((w) => w.migrated).length;
  return {
    workloads: counted.length,
    migrated,
    toMigrate: counted.filter((w) => w.migration === "to-migrate").length,
    unknown: counted.filter((w) => w.migration === "unknown").length,
    share: counted.length ? migrated / counted.length : null,
  };
}
