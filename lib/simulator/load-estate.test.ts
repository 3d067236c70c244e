import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("rejects a manifest kind the simulator does not serve, naming the kinds it does", () => {
    const text = [
      "projects:", // 1
      "  - projectId: acme-prod", // 2
      '    projectNumber: "123456789012"', // 3
      "    clusters:", // 4
      "      - cluster: {name: prod, location: asia-northeast1}", // 5
      "        manifests:", // 6
      "          - apiVersion: networking.k8s.io/v1", // 7
      "            kind: Ingress", // 8
      "            metadata: {name: web}", // 9
      "",
    ].join("\n");
    expect(problemsOf(text)).toEqual([
      'test.yaml:8:19 projects[0].clusters[0].manifests[0].kind: kind "Ingress" is not served by the simulator (one of Namespace, ServiceAccount, Secret, ConfigMap, Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod)',
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

  it("reports a bad manifest in it with that file's name and line", () => {
    writeFileSync(
      path.join(dir, "bad.yaml"),
      [
        "apiVersion: v1", // 1
        "kind: Namespace", // 2
        "metadata: {name: web}", // 3
        "---", // 4
        "apiVersion: v1", // 5
        "kind: Service", // 6
        "metadata: {name: web, namespace: web}", // 7
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "estate2.yaml"), estate("bad.yaml"));
    expect(() => loadEstateFile(path.join(dir, "estate2.yaml"))).toThrow(
      'bad.yaml:6:7 kind: kind "Service" is not served by the simulator (one of Namespace, ServiceAccount, Secret, ConfigMap, Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod)',
    );
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

  it("parses an in-memory estate with an empty body as an empty estate", () => {
    const e = parseEstateText("{}", "test.yaml");
    expect(e).toEqual({ source: "test.yaml", folders: [], projects: [], faults: [], latencyMs: 0, assetLagSeconds: 0 });
  });
});
