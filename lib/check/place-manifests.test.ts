import { describe, expect, it } from "vitest";
import { analyzeLoadedEstate, findingLines } from "../analysis/testing";
import { runAnalysis, type AnalysisResult } from "../analysis/run-analysis";
import { loadEstateFile, type LoadedEstate } from "../simulator/load-estate";
import { readManifests } from "./read-manifests";
import { placeManifests } from "./place-manifests";

const DEMO = "lib/simulator/estates/demo/estate.yaml";
const FIXTURES = ["lib/check/fixtures/demo-prod/frontend-moved.yaml", "lib/check/fixtures/demo-prod/payments-to-legacy-pool.yaml"];
const PROD = { project: "acme-prod", location: "asia-northeast1", name: "prod" };

/** What a scan and its analysis say of workloads, pods aside (pod names are the controllers' to choose). */
function picture(r: AnalysisResult) {
  return {
    findings: findingLines(r).filter((l) => !l.split(" ")[1].startsWith("pod:")),
    statuses: r.statuses.map((s) => [s.subject, s.ksa, s.identity.label, s.identity.source, s.migration, s.pods, s.pendingPods, s.nodePools.join(",")].join(" ")).sort(),
  };
}

describe("placing manifests into a scanned cluster", () => {
  it("gives the analysis a scan of the cluster with the manifests applied would give", async () => {
    // Two changes to the demo's workloads, and new ones: a key file in a Secret, a helm chart, a kustomize build, a List.
    const read = readManifests([...FIXTURES, "lib/check/fixtures/key-file.yaml", "lib/check/fixtures/helm", "lib/check/fixtures/kustomize", "lib/check/fixtures/list.yaml"]);
    // The scan as it is, and the check's view of the manifests applied to it.
    const before = await analyzeLoadedEstate(loadEstateFile(DEMO));
    const placed = placeManifests({ objects: read.objects, ignored: read.ignored, now: before.context.now, base: { records: before.context.input.records, sources: before.context.input.sources, cluster: PROD } });
    const checked = runAnalysis({ now: before.context.now, records: placed.records, sources: placed.sources });
    // The same estate with the manifests really applied (objects of the same kind and name replaced), scanned.
    const applied = structuredClone(loadEstateFile(DEMO)) as LoadedEstate;
    const cluster = applied.projects.find((p) => p.projectId === "acme-prod")!.clusters.find((c) => c.cluster.name === "prod")!;
    const id = (m: { kind: string; metadata: { name: string; namespace?: string } }) => `${m.kind}/${m.metadata.namespace ?? "default"}/${m.metadata.name}`;
    const incoming = new Map(read.objects.map((o) => [id(o.manifest), o.manifest]));
    cluster.resolvedManifests = [...cluster.resolvedManifests.filter((m) => !incoming.has(id(m))), ...incoming.values()];
    const scanned = await analyzeLoadedEstate(applied);

    expect(picture(checked)).toEqual(picture(scanned));
    // And the manifests changed something the comparison can see.
    expect(picture(checked).findings).not.toEqual(picture(before).findings);
  }, 120_000);

  it("replaces a workload's pods with the manifests' rollout and leaves other clusters' records alone", async () => {
    const before = await analyzeLoadedEstate(loadEstateFile(DEMO));
    const read = readManifests([FIXTURES[1]]);
    const placed = placeManifests({ objects: read.objects, ignored: read.ignored, now: before.context.now, base: { records: before.context.input.records, sources: before.context.input.sources, cluster: PROD } });
    const W = "workload:acme-prod/asia-northeast1/prod/payments/Deployment/payments-api";
    const pods = placed.records.filter((r) => r.kind === "pod" && (r.data as { workload: string }).workload === W);
    expect(pods).toHaveLength(3);
    // Every pod on a node the scan holds, of the pool the nodeSelector names.
    const nodes = new Map(before.context.input.records.filter((r) => r.kind === "node").map((r) => [(r.data as { name: string }).name, (r.data as { pool: string }).pool]));
    expect(pods.map((p) => nodes.get((p.data as { spec: { nodeName: string } }).spec.nodeName))).toEqual(["default-pool", "default-pool", "default-pool"]);
    const elsewhere = (rs: { cluster?: string | null; subject: string }[]) => rs.filter((r) => r.cluster !== "cluster:acme-prod/asia-northeast1/prod").map((r) => r.subject).sort();
    expect(elsewhere(placed.records)).toEqual(elsewhere(before.context.input.records));
    expect([...placed.workloads.keys()]).toEqual([W]);
  }, 120_000);
});

describe("placing manifests into the check's own cluster", () => {
  it("makes a GKE cluster with Workload Identity and one GKE-metadata pool, every list read in full", () => {
    const read = readManifests(["lib/check/fixtures/list.yaml"]);
    const placed = placeManifests({ objects: read.objects, ignored: read.ignored, now: new Date("2026-11-29T00:00:00Z") });
    const cluster = placed.records.find((r) => r.kind === "cluster")!.data as { workloadPool: string };
    const pools = placed.records.filter((r) => r.kind === "nodepool").map((r) => [(r.data as { name: string }).name, (r.data as { servesGkeMetadata: boolean }).servesGkeMetadata]);
    expect([cluster.workloadPool, pools]).toEqual(["wi-atlas-check.svc.id.goog", [["wi-pool", true]]]);
    expect([...placed.sources.entries()].filter(([, s]) => s !== "ok")).toEqual([]);
    expect([...placed.sources.keys()].filter((k) => k.startsWith("k8s.")).length).toBe(12);
    const r = runAnalysis({ now: new Date("2026-11-29T00:00:00Z"), records: placed.records, sources: placed.sources });
    const s = r.statuses.find((x) => x.subject === "workload:wi-atlas-check/us-central1-a/check/tools/Deployment/linter")!;
    expect([s.identity.source, s.migration, s.pods, s.nodePools]).toEqual(["federated", "no-google-identity-needed", 1, ["wi-pool"]]);
  });
});
