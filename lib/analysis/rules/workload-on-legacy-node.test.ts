import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "workload-on-legacy-node";
const PROD = "proj-a/asia-northeast1-a/prod";
const OLD = "proj-a/asia-northeast1-b/old";
const LEGACY_SA = "legacy-nodes@proj-a.iam.gserviceaccount.com";
const WI_SA = "wi-nodes@proj-a.iam.gserviceaccount.com";
const COMPUTE_SA = "100000000001-compute@developer.gserviceaccount.com";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";

function workload(kind: "Deployment" | "DaemonSet", ns: string, name: string, spec: Record<string, unknown>, replicas?: number) {
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: { name, namespace: ns },
    spec: { ...(replicas !== undefined ? { replicas } : {}), template: { metadata: { labels: { app: name } }, spec: { ...spec, containers: [{ name, image: `gcr.io/proj-a/${name}:1.0` }] } } },
  };
}
const ksa = (ns: string, name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } });

/**
 * `prod` (Workload Identity) has one legacy node and one GKE-metadata node:
 *  - shop/cart is pinned to the legacy pool (its own KSA);
 *  - shop/catalog has no selector and no KSA, so its two pods land one on each pool;
 *  - logging/fluent-bit is a hostNetwork DaemonSet on the GKE-metadata node, and so is
 *    monitoring/node-exporter, which names no KSA;
 *  - shop/checkout runs on the GKE-metadata pool as it should (the migrated case);
 *  - kube-system/kube-proxy-ish sits on the legacy node but is GKE's own.
 * `old` has no workload pool: batch/report acts as the node's account whatever pool it is on, and so
 * does logging/agent, a hostNetwork DaemonSet.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [
              { name: "legacy", initialNodeCount: 1, config: { serviceAccount: LEGACY_SA, workloadMetadataConfig: { mode: "GCE_METADATA" } } },
              { name: "wi", initialNodeCount: 1, config: { serviceAccount: WI_SA, workloadMetadataConfig: { mode: "GKE_METADATA" } } },
            ],
          },
          manifests: [
            ksa("shop", "cart"),
            ksa("shop", "checkout"),
            ksa("logging", "fluent-bit"),
            workload("Deployment", "shop", "cart", { serviceAccountName: "cart", nodeSelector: { "cloud.google.com/gke-nodepool": "legacy" } }, 2),
            workload("Deployment", "shop", "catalog", {}, 2),
            workload("DaemonSet", "logging", "fluent-bit", { serviceAccountName: "fluent-bit", hostNetwork: true, nodeSelector: { [GKE_MD]: "true" } }),
            workload("DaemonSet", "monitoring", "node-exporter", { hostNetwork: true, nodeSelector: { [GKE_MD]: "true" } }),
            workload("Deployment", "shop", "checkout", { serviceAccountName: "checkout", nodeSelector: { [GKE_MD]: "true" } }, 2),
            workload("DaemonSet", "kube-system", "node-agent", { nodeSelector: { "cloud.google.com/gke-nodepool": "legacy" } }),
          ],
        },
        {
          cluster: { name: "old", location: "asia-northeast1-b", nodePools: [{ name: "default-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GCE_METADATA" } } }] },
          manifests: [workload("Deployment", "batch", "report", {}, 1), workload("DaemonSet", "logging", "agent", { hostNetwork: true })],
        },
      ],
    },
  ],
});

describe("workload-on-legacy-node", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;
  /** The evidence the rule should give for a workload's pods that sit on `pool` (names come from the simulator). */
  const podsOn = (cluster: string, workloadSubject: string, pool: string, hostNetwork: boolean) =>
    r.context
      .podsOf(workloadSubject)
      .filter((p) => r.context.node(`cluster:${cluster}`, p.data.spec.nodeName!)?.data.pool === pool)
      .map((p) => ({ pod: p.data.name, node: p.data.spec.nodeName, pool, hostNetwork }));

  it("fires on workloads with pods on legacy nodes, with hostNetwork, or in a cluster without a workload pool; GKE-metadata pods and kube-system do not fire", () => {
    expect(findingLines(r, RULE)).toEqual([
      `workload-on-legacy-node workload:${PROD}/logging/DaemonSet/fluent-bit open`,
      `workload-on-legacy-node workload:${PROD}/monitoring/DaemonSet/node-exporter open`,
      `workload-on-legacy-node workload:${PROD}/shop/Deployment/cart open`,
      `workload-on-legacy-node workload:${PROD}/shop/Deployment/catalog open`,
      `workload-on-legacy-node workload:${OLD}/batch/Deployment/report open`,
      `workload-on-legacy-node workload:${OLD}/logging/DaemonSet/agent open`,
    ]);
  });

  it("names the legacy pool, the node account the pods act as, and a patch onto GKE-metadata nodes as the workload's KSA", () => {
    const w = `workload:${PROD}/shop/Deployment/cart`;
    const f = finding(w);
    expect(f.message).toBe(`2 of 2 pods run on legacy and act as ${LEGACY_SA}.`);
    expect(f.evidence).toEqual({ pods: podsOn(PROD, w, "legacy", false), nodeIdentities: [LEGACY_SA] });
    expect((f.evidence.pods as unknown[]).length).toBe(2);
    expect(f.gsa).toBe(LEGACY_SA);
    expect(f.fixes).toEqual([
      {
        kind: "kubernetes-yaml",
        // Its pods are pinned to the legacy pool: the selector alone would fit no node, so the pin is dropped.
        title: "Patch Deployment shop/cart: run as cart on GKE-metadata nodes (dropping its pin cloud.google.com/gke-nodepool: no GKE-metadata node fits it)",
        content:
          "# kubectl --context gke_proj-a_asia-northeast1-a_prod -n shop patch deployment cart --patch-file patch.yaml\n" +
          'spec:\n  template:\n    spec:\n      serviceAccountName: cart\n      nodeSelector:\n        cloud.google.com/gke-nodepool: null\n        "iam.gke.io/gke-metadata-server-enabled": "true"\n',
      },
      {
        kind: "kubectl",
        title: "Check: a pod running as shop/cart gets a token as the annotated GSA",
        content:
          "gcloud container clusters get-credentials prod --location asia-northeast1-a --project proj-a\n" +
          "kubectl --context gke_proj-a_asia-northeast1-a_prod -n shop run wi-check --rm -i --restart=Never \\\n" +
          `  --image=google/cloud-sdk:slim --overrides='{"apiVersion":"v1","spec":{"serviceAccountName":"cart","nodeSelector":{"${GKE_MD}":"true"}}}' \\\n` +
          `  -- sh -c 'curl -sS -H "Metadata-Flavor: Google" http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/email; echo; curl -sS -o /dev/null -w "token request: %{http_code}\\n" -H "Metadata-Flavor: Google" http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token'\n` +
          `# Expect the email the annotated GSA, then "token request: 200": a pod running as shop/cart got a token.\n` +
          "# Any other status means the link is broken (binding missing, GSA disabled or deleted). The email line alone proves\n" +
          "# nothing: the metadata server, and so gcloud auth list, shows the annotated email even when the binding is missing.\n" +
          "# Not proven by wi-atlas's tests: it needs a running container (a pod asking the GKE metadata server for a token).",
      },
    ]);
  });

  it("counts only the pods on the legacy pool when a workload is spread over both, and proposes its own KSA instead of default", () => {
    const w = `workload:${PROD}/shop/Deployment/catalog`;
    const f = finding(w);
    expect(f.message).toBe(`1 of 2 pods run on legacy and act as ${LEGACY_SA}.`);
    expect(f.evidence).toEqual({ pods: podsOn(PROD, w, "legacy", false), nodeIdentities: [LEGACY_SA] });
    expect((f.evidence.pods as unknown[]).length).toBe(1);
    expect(f.fixes.map((x) => x.title)).toEqual([
      "Patch Deployment shop/catalog: run as catalog on GKE-metadata nodes",
      "Check: a pod running as shop/catalog gets a token as the annotated GSA",
    ]);
  });

  it("a hostNetwork pod on a GKE-metadata node acts as the node's account, and the fix says to drop hostNetwork", () => {
    const w = `workload:${PROD}/logging/DaemonSet/fluent-bit`;
    const f = finding(w);
    expect(f.message).toBe(`1 of 1 pods use hostNetwork and act as ${WI_SA}.`);
    expect(f.evidence).toEqual({ pods: podsOn(PROD, w, "wi", true), nodeIdentities: [WI_SA] });
    expect(f.gsa).toBe(WI_SA);
    expect(f.fixes.map((x) => [x.kind, x.title])).toEqual([
      ["kubernetes-yaml", "Patch DaemonSet logging/fluent-bit: run as fluent-bit on GKE-metadata nodes — hostNetwork pods bypass the GKE metadata server: drop hostNetwork if the workload allows"],
      ["kubectl", "Check: a pod running as logging/fluent-bit gets a token as the annotated GSA"],
    ]);
    expect(f.fixes[0].content).toContain("kubectl --context gke_proj-a_asia-northeast1-a_prod -n logging patch daemonset fluent-bit --patch-file patch.yaml");
  });

  it("in a cluster without a workload pool the pods act as the node account and the fix is to enable Workload Identity first", () => {
    const w = `workload:${OLD}/batch/Deployment/report`;
    const f = finding(w);
    expect(f.message).toBe(`1 of 1 pods run on default-pool and act as ${COMPUTE_SA}.`);
    expect(f.evidence).toEqual({ pods: podsOn(OLD, w, "default-pool", false), nodeIdentities: [COMPUTE_SA] });
    expect(f.fixes).toEqual([{ kind: "note", title: "Enable Workload Identity on the cluster first", content: `See cluster-wi-disabled on cluster:${OLD}.` }]);
  });

  // Regression (fixed; workload-on-legacy-node.ts, the `hostNet ?` branch): for hostNetwork workloads the patch and
  // the check use `w.data.template.serviceAccountName` as is, so a workload on `default` is told to
  // "run as default" — the non-hostNetwork branch (and workload-default-ksa) propose the workload's
  // own KSA instead, because annotating `default` hands the GSA to the whole namespace.
  it("a hostNetwork workload on the default KSA is proposed its own KSA, not default", () => {
    const f = finding(`workload:${PROD}/monitoring/DaemonSet/node-exporter`);
    expect(f.message).toBe(`1 of 1 pods use hostNetwork and act as ${WI_SA}.`);
    expect(f.fixes.map((x) => x.title)).toEqual([
      "Patch DaemonSet monitoring/node-exporter: run as node-exporter on GKE-metadata nodes — hostNetwork pods bypass the GKE metadata server: drop hostNetwork if the workload allows",
      "Check: a pod running as monitoring/node-exporter gets a token as the annotated GSA",
    ]);
  });

  // Regression (fixed; workload-on-legacy-node.ts, the `hostNet ?` branch is tested before `cluster?.data.workloadPool`):
  // in a cluster without a workload pool a hostNetwork workload is given a patch adding the nodeSelector
  // iam.gke.io/gke-metadata-server-enabled: "true" — no node there carries that label, so applying it
  // leaves the pods Pending (what workload-pending-no-wi-node reports). It should get the same note as
  // any other workload in such a cluster: enable Workload Identity first.
  it("a hostNetwork workload in a cluster without a workload pool is told to enable Workload Identity first", () => {
    const f = finding(`workload:${OLD}/logging/DaemonSet/agent`);
    expect(f.message).toBe(`1 of 1 pods use hostNetwork and act as ${COMPUTE_SA}.`);
    expect(f.fixes).toEqual([{ kind: "note", title: "Enable Workload Identity on the cluster first", content: `See cluster-wi-disabled on cluster:${OLD}.` }]);
  });
});
