import { describe, expect, it } from "vitest";
import { clusterShortName, scopeLabels, type ScopedNode } from "./graph-scope";

const PROD = "cluster:acme-prod/asia-northeast1/prod";
const ASIA_STAGING = "cluster:acme-staging/asia-northeast1/staging";
const LEGACY = "cluster:acme-legacy/asia-northeast1-b/legacy-batch";
const ns = (cluster: string, name: string): ScopedNode => ({ id: `namespace:${cluster.slice(8)}/${name}`, kind: "namespace", label: name, project: cluster.slice(8).split("/")[0], cluster, namespace: name });
const ksa = (cluster: string, namespace: string, name: string): ScopedNode => ({ id: `ksa:${cluster.slice(8)}/${namespace}/${name}`, kind: "ksa", label: name, project: cluster.slice(8).split("/")[0], cluster, namespace });

describe("scope labels for nodes whose names repeat", () => {
  it("names a cluster by its name then location", () => {
    expect(clusterShortName(PROD)).toBe("prod/asia-northeast1");
  });

  it("gives two namespaces named payments in two clusters their cluster, and leaves a unique name alone", () => {
    const m = scopeLabels([ns(PROD, "payments"), ns(ASIA_STAGING, "payments"), ns(PROD, "batch")]);
    expect(Object.fromEntries(m)).toEqual({
      "namespace:acme-prod/asia-northeast1/prod/payments": "prod/asia-northeast1",
      "namespace:acme-staging/asia-northeast1/staging/payments": "staging/asia-northeast1",
    });
  });

  it("tells KSAs named default apart by namespace alone when that is enough", () => {
    const m = scopeLabels([ksa(PROD, "batch", "default"), ksa(PROD, "reporting", "default")]);
    expect([...m.values()]).toEqual(["batch", "reporting"]);
  });

  it("adds the cluster when the same namespace and KSA name exist in two clusters", () => {
    const m = scopeLabels([ksa(PROD, "batch", "default"), ksa(LEGACY, "batch", "default"), ksa(PROD, "reporting", "default")]);
    expect([...m.values()]).toEqual(["batch · prod/asia-northeast1", "batch · legacy-batch/asia-northeast1-b", "reporting · prod/asia-northeast1"]);
  });

  it("adds the project when two clusters share name and location in different projects", () => {
    const a = "cluster:p-one/us-central1/main";
    const b = "cluster:p-two/us-central1/main";
    const m = scopeLabels([ns(a, "default"), ns(b, "default")]);
    expect([...m.values()]).toEqual(["main/us-central1 · p-one", "main/us-central1 · p-two"]);
  });

  it("does not mix kinds: a namespace and a KSA both named batch are not ambiguous", () => {
    expect(scopeLabels([ns(PROD, "batch"), ksa(PROD, "batch", "batch")]).size).toBe(0);
  });
});
