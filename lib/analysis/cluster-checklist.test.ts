import { describe, expect, it } from "vitest";
import { clusterChecklist, progressOf, type ChecklistWorkload } from "./cluster-checklist";

const C = "cluster:p-one/europe-west1/c1";
const steps = (states: string[]) => states.map((state, i) => ({ n: i + 1, state: state as ChecklistWorkload["steps"][number]["state"], evidence: `evidence ${i + 1}` }));
const wl = (name: string, states: string[], extra: Partial<ChecklistWorkload> = {}): ChecklistWorkload => ({
  subject: `workload:p-one/europe-west1/c1/apps/Deployment/${name}`,
  namespace: "apps",
  ksa: name,
  nodePools: ["pool-a"],
  steps: steps(states),
  migrated: states.every((s) => s === "done" || s === "n/a"),
  migration: states.every((s) => s === "done" || s === "n/a") ? "migrated" : "to-migrate",
  system: false,
  ...extra,
});
const ALL_DONE = ["done", "done", "done", "done", "done", "done", "done"];

describe("the cluster checklist", () => {
  it("calls a step done only when no counted workload has it to do, and ignores GKE-managed namespaces", () => {
    const out = clusterChecklist({
      cluster: { subject: C, workloadPool: "p-one.svc.id.goog", autopilot: false },
      workloads: [wl("a", ALL_DONE), wl("sys", ["done", "done", "todo", "todo", "todo", "todo", "todo"], { system: true, namespace: "kube-system" })],
      pools: [{ subject: "nodepool:p-one/europe-west1/c1/pool-a", name: "pool-a", servesGkeMetadata: true, pods: 3, serviceAccount: null, metadataMode: "GKE_METADATA" }],
      failedFamilies: [],
    });
    expect(out.map((s) => [s.n, s.state])).toEqual([[1, "done"], [2, "done"], [3, "done"], [4, "done"], [5, "done"], [6, "done"], [7, "done"], [8, "done"]]);
  });

  it("never calls a step done when a source it needs failed: unknown instead", () => {
    const out = clusterChecklist({
      cluster: { subject: C, workloadPool: "p-one.svc.id.goog", autopilot: false },
      workloads: [wl("a", ALL_DONE)],
      pools: [{ subject: "nodepool:p-one/europe-west1/c1/pool-a", name: "pool-a", servesGkeMetadata: true, pods: 3, serviceAccount: null, metadataMode: "GKE_METADATA" }],
      failedFamilies: ["k8s.secrets"],
    });
    expect(out.find((s) => s.n === 7)).toMatchObject({ state: "unknown", todo: 0, failedSources: ["k8s.secrets"] });
    expect(out.find((s) => s.n === 3)).toMatchObject({ state: "done", failedSources: [] });
  });

  it("lists a KSA once under step 3 with every workload running as it, to-do items before unknown ones", () => {
    const out = clusterChecklist({
      cluster: { subject: C, workloadPool: "p-one.svc.id.goog", autopilot: false },
      workloads: [
        wl("a", ["done", "done", "todo", "done", "todo", "todo", "done"], { ksa: "default" }),
        wl("b", ["done", "done", "todo", "done", "todo", "todo", "done"], { ksa: "default" }),
        wl("c", ["done", "done", "unknown", "done", "unknown", "unknown", "done"], { ksa: "aaa" }),
      ],
      pools: [],
      failedFamilies: [],
    });
    const s3 = out.find((s) => s.n === 3)!;
    expect(s3).toMatchObject({ state: "todo", todo: 1, unknown: 1 });
    expect(s3.remaining.map((r) => [r.subject, r.state, r.workloads])).toEqual([
      ["ksa:p-one/europe-west1/c1/apps/default", "todo", ["workload:p-one/europe-west1/c1/apps/Deployment/a", "workload:p-one/europe-west1/c1/apps/Deployment/b"]],
      ["ksa:p-one/europe-west1/c1/apps/aaa", "unknown", ["workload:p-one/europe-west1/c1/apps/Deployment/c"]],
    ]);
  });

  it("marks steps 2 and 4 n/a on Autopilot, and step 1 to do on a cluster without a workload pool", () => {
    const auto = clusterChecklist({ cluster: { subject: C, workloadPool: "p-one.svc.id.goog", autopilot: true }, workloads: [], pools: [], failedFamilies: [] });
    expect(auto.map((s) => s.state)).toEqual(["done", "n/a", "done", "n/a", "done", "done", "done", "done"]);
    const noPool = clusterChecklist({ cluster: { subject: C, workloadPool: null, autopilot: false }, workloads: [], pools: [], failedFamilies: [] });
    expect(noPool[0]).toMatchObject({ state: "todo", remaining: [{ subject: C, state: "todo" }] });
    expect(noPool[1]).toMatchObject({ state: "todo" });
  });

  it("counts progress as the roll-ups do: GKE-managed workloads apart", () => {
    expect(progressOf([wl("a", ALL_DONE), wl("b", ["done", "done", "todo", "done", "done", "done", "done"]), wl("s", ALL_DONE, { system: true })])).toEqual({ workloads: 2, migrated: 1, toMigrate: 1, unknown: 0, share: 0.5 });
    expect(progressOf([])).toEqual({ workloads: 0, migrated: 0, toMigrate: 0, unknown: 0, share: null });
  });
});
