import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EstateError, loadEstateFile, parseEstateText } from "./load-estate";

/** The problems an estate text is rejected with (fails the test if it loads). */
function problemsOf(text: string, baseDir = "/nonexistent-base"): string[] {
  try {
    parseEstateText(text, "test.yaml", baseDir);
  } catch (err) {
    expect(err).toBeInstanceOf(EstateError);
    const e = err as EstateError;
    expect(e.message).toBe(`Invalid estate file:\n${e.problems.join("\n")}`);
    return e.problems;
  }
  throw new Error("the estate loaded");
}

describe("estate errors name the file, line, column and path", () => {
  it("reports a key id that is not 40 lower-case hex characters at the keyId's line", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    serviceAccounts:", // 4
      "      - email: app@acme-prod.iam.gserviceaccount.com", // 5
      "        keys:", // 6
      '          - validAfterTime: "2020-01-01T00:00:00Z"', // 7
      '            validBeforeTime: "2030-01-01T00:00:00Z"', // 8
      "            keyId: ABCDEF0123", // 9
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:9:20 projects[0].serviceAccounts[0].keys[0].keyId: must be 40 lower-case hex characters, as Google's key ids are",
    ]);
  });

  it("reports every problem, each at its own line", () => {
    const text = [
      "projects:", // 1
      "  - projectId: Acme", // 2
      "    projectNumber: 12", // 3
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:2:16 projects[0].projectId: must be a project id (6-30 lower-case letters, digits, dashes)",
      "test.yaml:3:20 projects[0].projectNumber: Invalid input: expected string, received number",
    ]);
  });

  it("points a missing required field at the object that lacks it", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual(["test.yaml:2:5 projects[0].projectNumber: is required"]);
  });

  it("reports an object without a kind at the object, and one without apiVersion at its kind", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    clusters:", // 4
      "      - cluster: {name: prod, location: asia-northeast1}", // 5
      "        manifests:", // 6
      "          - apiVersion: v1", // 7
      "            metadata: {name: web}", // 8
      "          - kind: Service", // 9
      "            metadata: {name: web}", // 10
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:7:13 projects[0].clusters[0].manifests[0]: a Kubernetes object needs a kind (e.g. kind: Deployment)",
      "test.yaml:9:13 projects[0].clusters[0].manifests[1]: a Kubernetes object needs an apiVersion (e.g. apiVersion: v1)",
    ]);
  });

  it("reports a manifest that breaks its kind's schema at the offending field", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    clusters:", // 4
      "      - cluster: {name: prod, location: asia-northeast1}", // 5
      "        manifests:", // 6
      "          - apiVersion: apps/v1", // 7
      "            kind: Deployment", // 8
      "            metadata: {name: web, namespace: web}", // 9
      "            spec:", // 10
      "              template:", // 11
      "                spec: {containers: []}", // 12
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:12:36 projects[0].clusters[0].manifests[0].spec.template.spec.containers: a pod needs at least one container",
    ]);
  });

  it("reports a YAML syntax error with the file, line and column", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012', // 3: the quote is never closed
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual(['test.yaml:4:1: Missing closing "quote']);
  });

  it("reports a key given twice as a YAML error", () => {
    expect(problemsOf("projects: []\nprojects: []\n")).toEqual(["test.yaml:2:1: Map keys must be unique"]);
  });

  it("rejects a service account declared twice, at the second one", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    serviceAccounts:", // 4
      "      - email: app@acme-prod.iam.gserviceaccount.com", // 5
      "      - email: app@acme-prod.iam.gserviceaccount.com", // 6
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:6:16 projects[0].serviceAccounts[1].email: duplicate service account app@acme-prod.iam.gserviceaccount.com",
    ]);
  });

  it("rejects a service account whose email belongs to another project", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    serviceAccounts:", // 4
      "      - email: app@acme-dev.iam.gserviceaccount.com", // 5
      "      - email: 999999999999-compute@developer.gserviceaccount.com", // 6
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      "test.yaml:5:16 projects[0].serviceAccounts[0].email: app@acme-dev.iam.gserviceaccount.com belongs to project acme-dev, not acme-prod",
      "test.yaml:6:16 projects[0].serviceAccounts[1].email: 999999999999-compute@developer.gserviceaccount.com is the default account of project number 999999999999, not 123456789012",
    ]);
  });

  it("rejects an unknown top-level field, naming it", () => {
    expect(problemsOf("now: 2026-11-29T00:00:00Z\nprojets: []\n")).toEqual(["test.yaml:2:1 (top level): unknown field(s): projets"]);
  });

  it("rejects an unknown field in a project, at the field", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    serviceAcounts: []", // 4
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual(["test.yaml:4:5 projects[0]: unknown field(s): serviceAcounts"]);
  });

  it("rejects a manifestsFile that does not exist, naming it", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    clusters:", // 4
      "      - cluster: {name: prod, location: asia-northeast1}", // 5
      "        manifestsFile: prod-manifests.yaml", // 6
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual(["test.yaml:6:24 projects[0].clusters[0].manifestsFile: no such file prod-manifests.yaml"]);
  });

  it("says which estate file is missing", () => {
    expect(() => loadEstateFile("/nonexistent/estate.yaml")).toThrow(new EstateError("Estate file not found: /nonexistent/estate.yaml"));
  });
});

describe("manifestsFile", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "estate-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const estate = (manifestsFile: string) =>
    [
      "projects:",
      "  - projectId: acme-prod",
      '    projectNumber: "123456789012"',
      "    clusters:",
      "      - cluster: {name: prod, location: asia-northeast1}",
      `        manifestsFile: ${manifestsFile}`,
      "",
    ].join("\n");

  it("reads the multi-document manifests file beside the estate, skipping empty documents", () => {
    writeFileSync(
      path.join(dir, "ok.yaml"),
      ["---", "apiVersion: v1", "kind: Namespace", "metadata: {name: web}", "---", "---", "apiVersion: v1", "kind: ServiceAccount", "metadata: {name: app, namespace: web}", ""].join("\n"),
    );
    writeFileSync(path.join(dir, "estate.yaml"), estate("ok.yaml"));
    const e = loadEstateFile(path.join(dir, "estate.yaml"));
    expect(e.source).toBe(path.join(dir, "estate.yaml"));
    expect(e.projects[0].clusters[0].resolvedManifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(["Namespace/web", "ServiceAccount/app"]);
  });

  it("reports a bad document in it with that file's name, line and document number", () => {
    writeFileSync(
      path.join(dir, "bad.yaml"),
      [
        "apiVersion: v1", // 1
        "kind: Namespace", // 2
        "metadata: {name: web}", // 3
        "---", // 4
        "# Source: web/templates/configmap.yaml", // 5
        "apiVersion: v1", // 6
        "metadata: {name: settings, namespace: web}", // 7
        "---", // 8
        "apiVersion: v1", // 9
        "kind: List", // 10
        "items:", // 11
        "  - just a string", // 12
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "estate2.yaml"), estate("bad.yaml"));
    let problems: string[] = [];
    try {
      loadEstateFile(path.join(dir, "estate2.yaml"));
    } catch (e) {
      problems = (e as EstateError).problems;
    }
    expect(problems).toEqual([
      "bad.yaml:6:1 document 2: a Kubernetes object needs a kind (e.g. kind: Deployment)",
      'bad.yaml:12:5 document 3 items[0]: a Kubernetes object (a mapping with apiVersion, kind and metadata) is expected, not "just a string"',
    ]);
  });
});

describe("a valid estate", () => {
  it("loads the small test estate with its defaults filled in", () => {
    const e = loadEstateFile("lib/simulator/estates/test/small.yaml");
    expect(e.source).toBe(path.resolve("lib/simulator/estates/test/small.yaml"));
    expect(e.now).toBe("2026-11-29T00:00:00Z");
    expect(e.organization).toEqual({ name: "organizations/111111111111", displayName: "small.example" });
    expect(e.folders).toEqual([]);
    expect(e.faults).toEqual([]);
    expect(e.latencyMs).toBe(0);
    expect(e.projects.map((p) => [p.projectId, p.projectNumber])).toEqual([["small-prod", "100000000001"]]);
    const p = e.projects[0];
    expect(p.serviceAccounts.map((s) => [s.email, s.keys.map((k) => [k.keyId, k.keyType, k.keyAlgorithm, k.keyOrigin])])).toEqual([
      ["batch-jobs@small-prod.iam.gserviceaccount.com", [["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "USER_MANAGED", "KEY_ALG_RSA_2048", "GOOGLE_PROVIDED"]]],
      ["api-server@small-prod.iam.gserviceaccount.com", []],
    ]);
    expect(p.clusters.map((c) => [c.cluster.name, c.cluster.location, c.cluster.nodePools.map((n) => n.name)])).toEqual([["prod", "asia-northeast1", ["legacy", "wi"]]]);
    expect(p.clusters[0].resolvedManifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      "ServiceAccount/web/api",
      "Deployment/web/api",
      "Secret/batch/batch-key",
      "CronJob/batch/nightly",
    ]);
  });

  it("reads a fault's consumer project number written as a YAML number or as a string, and refuses a name", () => {
    // The README writes `consumer: N`; YAML reads an unquoted project number as a number.
    const text = (consumer: string) => `faults:\n  - {match: {path: "/v1/organizations/*:searchAll*"}, status: 403, reason: SERVICE_DISABLED, consumer: ${consumer}}\n`;
    expect(parseEstateText(text("987654321098"), "test.yaml").faults[0].consumer).toBe("987654321098");
    expect(parseEstateText(text('"987654321098"'), "test.yaml").faults[0].consumer).toBe("987654321098");
    expect(() => parseEstateText(text("acme-prod"), "test.yaml")).toThrow(/consumer/);
  });

  it("parses an in-memory estate with an empty body as an empty estate", () => {
    const e = parseEstateText("{}", "test.yaml");
    expect(e).toEqual({ source: "test.yaml", folders: [], projects: [], faults: [], latencyMs: 0, assetLagSeconds: 0, notes: [] });
  });
});

describe("what kubectl get -o yaml and helm template print", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "estate-k8s-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const estateWith = (manifestsFile: string) =>
    [
      "projects:",
      "  - projectId: shop-prod-7731",
      '    projectNumber: "884120553917"',
      "    clusters:",
      "      - cluster: {name: prod, location: europe-west3}",
      `        manifestsFile: ${manifestsFile}`,
      "",
    ].join("\n");
  const load = (name: string, manifests: string) => {
    writeFileSync(path.join(dir, `${name}.yaml`), manifests);
    writeFileSync(path.join(dir, `${name}-estate.yaml`), estateWith(`${name}.yaml`));
    return loadEstateFile(path.join(dir, `${name}-estate.yaml`));
  };
  const served = (e: ReturnType<typeof load>) => e.projects[0].clusters[0].resolvedManifests.map((m) => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`);

  const HELM = [
    "---",
    "# Source: checkout-api/templates/serviceaccount.yaml",
    "apiVersion: v1",
    "kind: ServiceAccount",
    "metadata:",
    "  name: checkout-api",
    "  annotations:",
    "    iam.gke.io/gcp-service-account: checkout-api@shop-prod-7731.iam.gserviceaccount.com",
    "---",
    "# Source: checkout-api/templates/networkpolicy.yaml",
    "---",
    "# Source: checkout-api/templates/service.yaml",
    "apiVersion: v1",
    "kind: Service",
    "metadata: {name: checkout-api}",
    "spec: {ports: [{port: 8080}]}",
    "---",
    "# Source: checkout-api/templates/deployment.yaml",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: checkout-api",
    "  annotations:", // empty: null, as a chart's `{{- with .Values.annotations }}` often leaves it
    "spec:",
    "  template:",
    "    metadata:",
    "      labels: {app: checkout-api}",
    "    spec:",
    "      serviceAccountName: checkout-api",
    "      containers: [{name: app, image: checkout-api:3.18.0, resources: null}]",
    "---",
    "# Source: checkout-api/templates/hpa.yaml",
    "apiVersion: autoscaling/v2",
    "kind: HorizontalPodAutoscaler",
    "metadata: {name: checkout-api}",
    "spec: {minReplicas: 3, maxReplicas: 12, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: checkout-api}}",
    "---",
    "# Source: checkout-api/templates/ingress.yaml",
    "apiVersion: networking.k8s.io/v1",
    "kind: Ingress",
    "metadata: {name: checkout-api}",
    "---",
    "# Source: checkout-api/templates/ingress-internal.yaml",
    "apiVersion: networking.k8s.io/v1",
    "kind: Ingress",
    "metadata: {name: checkout-api-internal}",
    "---",
    "# Source: checkout-api/templates/crd.yaml",
    "apiVersion: apiextensions.k8s.io/v1",
    "kind: CustomResourceDefinition",
    "metadata: {name: rollouts.argoproj.io}",
    "---",
    "",
  ].join("\n");

  it("loads a helm template render: the served kinds are validated, nulls dropped, every other kind ignored", () => {
    const e = load("helm", HELM);
    expect(served(e)).toEqual(["ServiceAccount//checkout-api", "Deployment//checkout-api"]);
    const dep = e.projects[0].clusters[0].resolvedManifests[1] as { metadata: Record<string, unknown>; spec: { template: { spec: { containers: object[] } } } };
    expect("annotations" in dep.metadata).toBe(false);
    expect(dep.spec.template.spec.containers).toEqual([{ name: "app", image: "checkout-api:3.18.0" }]);
    expect(e.projects[0].clusters[0].ignoredObjects.map((o) => `${o.kind} ${o.apiVersion} ${o.name}`)).toEqual([
      "Service v1 checkout-api",
      "HorizontalPodAutoscaler autoscaling/v2 checkout-api",
      "Ingress networking.k8s.io/v1 checkout-api",
      "Ingress networking.k8s.io/v1 checkout-api-internal",
      "CustomResourceDefinition apiextensions.k8s.io/v1 rollouts.argoproj.io",
    ]);
  });

  it("notes each ignored kind once, counted, and logs each note once at info", () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const level = process.env.WI_ATLAS_LOG_LEVEL;
    process.env.WI_ATLAS_LOG_LEVEL = "info";
    let e;
    try {
      e = load("helm-notes", HELM);
    } finally {
      spy.mockRestore();
      if (level === undefined) delete process.env.WI_ATLAS_LOG_LEVEL;
      else process.env.WI_ATLAS_LOG_LEVEL = level;
    }
    const where = "in cluster shop-prod-7731/europe-west3/prod — the simulator does not serve this kind";
    expect(e.notes).toEqual([
      `helm-notes-estate.yaml: accepted and ignored 1 Service (v1) object ${where}`,
      `helm-notes-estate.yaml: accepted and ignored 1 HorizontalPodAutoscaler (autoscaling/v2) object ${where}`,
      `helm-notes-estate.yaml: accepted and ignored 2 Ingress (networking.k8s.io/v1) objects ${where}`,
      `helm-notes-estate.yaml: accepted and ignored 1 CustomResourceDefinition (apiextensions.k8s.io/v1) object ${where}`,
    ]);
    expect(writes.map((w) => w.replace(/^\S+ /, "").trimEnd())).toEqual(e.notes.map((n) => `INFO  ${n}`));
  });

  it("unwraps kind: List, Lists inside Lists, and API lists whose items carry no kind", () => {
    const e = parseEstateText(
      [
        "projects:",
        "  - projectId: shop-prod-7731",
        '    projectNumber: "884120553917"',
        "    clusters:",
        "      - cluster: {name: prod, location: europe-west3}",
        "        manifests:",
        "          - apiVersion: v1",
        "            kind: List",
        '            metadata: {resourceVersion: ""}',
        "            items:",
        "              - {apiVersion: v1, kind: Namespace, metadata: {name: payments}}",
        "              - {apiVersion: v1, kind: Service, metadata: {name: ledger, namespace: payments}}",
        "              - apiVersion: v1",
        "                kind: List",
        "                items: [{apiVersion: v1, kind: ServiceAccount, metadata: {name: ledger, namespace: payments}}]",
        "          - apiVersion: v1",
        "            kind: ConfigMapList",
        "            items:",
        "              - {metadata: {name: payments-config, namespace: payments}, data: {LOG_FORMAT: json}}",
        "",
      ].join("\n"),
      "test.yaml",
    );
    expect(served(e)).toEqual(["Namespace//payments", "ServiceAccount/payments/ledger", "ConfigMap/payments/payments-config"]);
    expect(e.projects[0].clusters[0].ignoredObjects).toEqual([{ kind: "Service", apiVersion: "v1", namespace: "payments", name: "ledger" }]);
  });

  it("ignores a kind of another API group that shares a served kind's name (Volcano's Job, Knative's Service)", () => {
    const e = load(
      "groups",
      [
        "apiVersion: batch.volcano.sh/v1alpha1",
        "kind: Job",
        "metadata: {name: tf-train, namespace: ml}",
        "spec: {tasks: [{replicas: 2, name: worker}]}",
        "---",
        "apiVersion: serving.knative.dev/v1",
        "kind: Service",
        "metadata: {name: hello, namespace: ml}",
        "",
      ].join("\n"),
    );
    expect(served(e)).toEqual([]);
    expect(e.notes.map((n) => n.replace(/ object in .*/, ""))).toEqual([
      "groups-estate.yaml: accepted and ignored 1 Job (batch.volcano.sh/v1alpha1)",
      "groups-estate.yaml: accepted and ignored 1 Service (serving.knative.dev/v1)",
    ]);
  });

  it("notes the dumped objects it derives itself instead, per kind", () => {
    const e = load(
      "dump",
      [
        "apiVersion: v1",
        "kind: List",
        "items:",
        "- apiVersion: apps/v1",
        "  kind: Deployment",
        "  metadata: {name: ledger, namespace: payments, uid: 6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c, generation: 7}",
        "  spec: {replicas: 2, template: {metadata: {creationTimestamp: null, labels: {app: ledger}}, spec: {containers: [{name: ledger}]}}}",
        "  status: {replicas: 2}",
        "- apiVersion: apps/v1",
        "  kind: ReplicaSet",
        "  metadata:",
        "    name: ledger-7f9c6d8b5d",
        "    namespace: payments",
        "    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: ledger, uid: 6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c, controller: true}]",
        "  spec: {replicas: 2, template: {spec: {containers: [{name: ledger}]}}}",
        ...["x2mqp", "9vtkd", "k4wzq"].flatMap((s) => [
          "- apiVersion: v1",
          "  kind: Pod",
          "  metadata:",
          `    name: ledger-7f9c6d8b5d-${s}`,
          "    namespace: payments",
          "    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: ledger-7f9c6d8b5d, uid: 8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e, controller: true}]",
          "  spec: {nodeName: gke-pay-prod-euw1-apps-3c9e1f2a-k8v2, containers: [{name: ledger}]}",
          "  status: {phase: Running}",
        ]),
        "",
      ].join("\n"),
    );
    expect(served(e)).toEqual(["Deployment/payments/ledger"]);
    expect(e.notes).toEqual([
      "dump-estate.yaml: skipped 1 ReplicaSet in cluster shop-prod-7731/europe-west3/prod that the simulator derives from their controller in this estate: payments/ledger-7f9c6d8b5d (ReplicaSet of Deployment payments/ledger)",
      "dump-estate.yaml: skipped 3 Pods in cluster shop-prod-7731/europe-west3/prod that the simulator derives from their controller in this estate: payments/ledger-7f9c6d8b5d-x2mqp (Pod of ReplicaSet payments/ledger-7f9c6d8b5d of Deployment payments/ledger), payments/ledger-7f9c6d8b5d-9vtkd (Pod of ReplicaSet payments/ledger-7f9c6d8b5d of Deployment payments/ledger) and 1 more",
    ]);
  });

  it("reports a List item that is not an object, and one without a kind, at their lines", () => {
    expect(
      problemsOf(
        [
          "projects:", // 1
          "  - projectId: shop-prod-7731", // 2
          '    projectNumber: "884120553917"', // 3
          "    clusters:", // 4
          "      - cluster: {name: prod, location: europe-west3}", // 5
          "        manifests:", // 6
          "          - apiVersion: v1", // 7
          "            kind: List", // 8
          "            items:", // 9
          "              - 42", // 10
          "              - {apiVersion: v1, metadata: {name: web}}", // 11
          "          - [apiVersion, v1]", // 12
          "          - {apiVersion: v1, kind: List, items: {name: x}}", // 13
          "",
        ].join("\n"),
      ),
    ).toEqual([
      "test.yaml:10:17 projects[0].clusters[0].manifests[0].items[0]: a Kubernetes object (a mapping with apiVersion, kind and metadata) is expected, not 42",
      "test.yaml:11:17 projects[0].clusters[0].manifests[0].items[1]: a Kubernetes object needs a kind (e.g. kind: Deployment)",
      'test.yaml:12:13 projects[0].clusters[0].manifests[1]: a Kubernetes object (a mapping with apiVersion, kind and metadata) is expected, not a list',
      "test.yaml:13:49 projects[0].clusters[0].manifests[2].items: a List needs items: a list of Kubernetes objects",
    ]);
  });

  it("still validates the kinds it serves inside a List, at the field", () => {
    expect(
      problemsOf(
        [
          "projects:", // 1
          "  - projectId: shop-prod-7731", // 2
          '    projectNumber: "884120553917"', // 3
          "    clusters:", // 4
          "      - cluster: {name: prod, location: europe-west3}", // 5
          "        manifests:", // 6
          "          - apiVersion: v1", // 7
          "            kind: List", // 8
          "            items:", // 9
          "              - {apiVersion: v1, kind: Pod, metadata: {name: Web_1}, spec: {containers: [{name: c}]}}", // 10
          "",
        ].join("\n"),
      ),
    ).toEqual([
      "test.yaml:10:62 projects[0].clusters[0].manifests[0].items[0].metadata.name: must be a Kubernetes object name (lower case, digits, '-' and '.')",
    ]);
  });
});
