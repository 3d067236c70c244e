import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CheckInputError, readManifests } from "./read-manifests";

const FIX = "lib/check/fixtures";
const row = (o: ReturnType<typeof readManifests>["objects"][number]) => [o.manifest.kind, o.manifest.metadata.namespace ?? null, o.manifest.metadata.name, o.file, o.line, o.helmSource];

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof CheckInputError) return err.problems;
    throw err;
  }
  throw new Error("no CheckInputError");
}

describe("reading manifests", () => {
  it("keeps each object's file and line, and the template a helm document came from", () => {
    const r = readManifests([`${FIX}/helm/template-output.yaml`], { namespace: "mail" });
    expect(r.objects.map(row)).toEqual([
      ["ServiceAccount", "mail", "release-mailer", `${FIX}/helm/template-output.yaml`, 3, "mailer/templates/serviceaccount.yaml"],
      ["Secret", "mail", "release-mailer-gcp", `${FIX}/helm/template-output.yaml`, 12, "mailer/templates/secret.yaml"],
      ["Deployment", "mail", "release-mailer", `${FIX}/helm/template-output.yaml`, 26, "mailer/templates/deployment.yaml"],
    ]);
  });

  it("puts objects without a namespace into `default` unless --namespace says otherwise, and keeps a namespace they name", () => {
    expect(readManifests([`${FIX}/helm/template-output.yaml`]).objects.map((o) => o.manifest.metadata.namespace)).toEqual(["default", "default", "default"]);
    expect(readManifests([`${FIX}/list.yaml`], { namespace: "other" }).objects.map((o) => o.manifest.metadata.namespace)).toEqual(["tools", "tools"]);
  });

  it("unwraps a List, each item at its own line, its null fields dropped", () => {
    const r = readManifests([`${FIX}/list.yaml`]);
    expect(r.objects.map(row)).toEqual([
      ["ServiceAccount", "tools", "linter", `${FIX}/list.yaml`, 5, null],
      ["Deployment", "tools", "linter", `${FIX}/list.yaml`, 10, null],
    ]);
    expect("creationTimestamp" in r.objects[1].manifest.metadata).toBe(false);
  });

  it("walks a directory's YAML files in name order, ignoring kinds no identity depends on and files that are not objects", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "manifests-"));
    mkdirSync(path.join(dir, "b"));
    writeFileSync(path.join(dir, "b", "sa.yml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: two, namespace: x}\n");
    writeFileSync(path.join(dir, "a.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: one, namespace: x}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: x}\n");
    writeFileSync(path.join(dir, "values.yaml"), "replicaCount: 2\n");
    writeFileSync(path.join(dir, "README.md"), "# not read\n");
    const r = readManifests([dir]);
    expect(r.objects.map((o) => [o.manifest.metadata.name, path.relative(dir, o.file)])).toEqual([["one", "a.yaml"], ["two", path.join("b", "sa.yml")]]);
    expect(r.ignored.map((i) => [i.kind, i.name, i.line])).toEqual([["Ingress", "web", 5]]);
    expect(r.notes).toEqual([`${path.join(dir, "values.yaml")} document 1: skipped, not a Kubernetes object (no kind and apiVersion)`, "accepted and ignored 1 Ingress (networking.k8s.io/v1) object: no identity depends on this kind"]);
  });

  it("reads standard input for -", () => {
    const r = readManifests(["-"], { readStdin: () => "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: piped}\n" });
    expect(r.objects.map(row)).toEqual([["ServiceAccount", "default", "piped", "-", 1, null]]);
  });

  it("drops what a controller in the same input derives, as the estate loader does", () => {
    const text = [
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec: {template: {spec: {containers: [{name: c}]}}}",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: web-7d9fcbb5f-x2x9q, namespace: a, labels: {pod-template-hash: 7d9fcbb5f}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9fcbb5f, controller: true}]}\nspec: {containers: [{name: c}]}",
    ].join("\n---\n");
    const r = readManifests(["-"], { readStdin: () => text });
    expect(r.objects.map((o) => o.manifest.kind)).toEqual(["Deployment"]);
    expect(r.notes).toEqual(["skipped Pod a/web-7d9fcbb5f-x2x9q: Pod of ReplicaSet a/web-7d9fcbb5f of Deployment a/web"]);
  });

  it("refuses bad YAML, a missing path, an object the API server would refuse and the same object twice, naming file and line", () => {
    expect(problemsOf(() => readManifests([`${FIX}/not-yaml.yaml`]))).toEqual([
      `${FIX}/not-yaml.yaml:6:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
    expect(problemsOf(() => readManifests([`${FIX}/none.yaml`, `${FIX}/list.yaml`]))).toEqual([`${FIX}/none.yaml: no such file or directory`]);
    expect(problemsOf(() => readManifests(["-"], { readStdin: () => "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: []\n" }))).toEqual([
      "-:7 - document 1 Deployment web spec.template.spec.containers: a pod needs at least one container",
    ]);
    expect(problemsOf(() => readManifests(["-"], { readStdin: () => "kind: ServiceAccount\nmetadata: {name: x}\n" }))).toEqual(["-:1 - document 1: a Kubernetes object needs a kind and an apiVersion"]);
    expect(problemsOf(() => readManifests([`${FIX}/list.yaml`, `${FIX}/list.yaml`]))).toEqual([
      `${FIX}/list.yaml:5: ServiceAccount tools/linter is also at ${FIX}/list.yaml:5`,
      `${FIX}/list.yaml:10: Deployment tools/linter is also at ${FIX}/list.yaml:10`,
    ]);
    expect(problemsOf(() => readManifests([]))).toEqual(["--manifests needs at least one path (a file, a directory, or - for standard input)"]);
  });
});
