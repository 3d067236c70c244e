import { describe, expect, it } from "vitest";
import { clusterOfSubject, parseSubject, projectOfGsaEmail, subject } from "./ids";

describe("subject identifiers", () => {
  const c = { project: "acme-prod", location: "asia-northeast1", name: "prod" };

  it("builds every documented form", () => {
    expect(subject.project("acme-prod")).toBe("project:acme-prod");
    expect(subject.gsa(" Common-Batch@acme-prod.iam.gserviceaccount.com ")).toBe("gsa:common-batch@acme-prod.iam.gserviceaccount.com");
    expect(subject.key("A@acme-prod.iam.gserviceaccount.com", "3f9c")).toBe("key:a@acme-prod.iam.gserviceaccount.com/3f9c");
    expect(subject.cluster(c)).toBe("cluster:acme-prod/asia-northeast1/prod");
    expect(subject.nodepool(c, "wi")).toBe("nodepool:acme-prod/asia-northeast1/prod/wi");
    expect(subject.namespace(c, "batch")).toBe("namespace:acme-prod/asia-northeast1/prod/batch");
    expect(subject.ksa(c, "batch", "runner")).toBe("ksa:acme-prod/asia-northeast1/prod/batch/runner");
    expect(subject.workload(c, "batch", "CronJob", "nightly")).toBe("workload:acme-prod/asia-northeast1/prod/batch/CronJob/nightly");
    expect(subject.pod(c, "batch", "nightly-1-abcde")).toBe("pod:acme-prod/asia-northeast1/prod/batch/nightly-1-abcde");
    expect(subject.secret(c, "batch", "key")).toBe("secret:acme-prod/asia-northeast1/prod/batch/key");
  });

  it("splits on the first colon only", () => {
    expect(parseSubject("gsa:a@b.iam.gserviceaccount.com")).toEqual({ kind: "gsa", id: "a@b.iam.gserviceaccount.com" });
    expect(parseSubject("workload:p/l/c/ns/Pod/x:y")).toEqual({ kind: "workload", id: "p/l/c/ns/Pod/x:y" });
    expect(parseSubject("nope:x")).toBeNull();
    expect(parseSubject("gsa:")).toBeNull();
  });

  it("finds the cluster of an in-cluster subject", () => {
    expect(clusterOfSubject("ksa:acme-prod/asia-northeast1/prod/batch/runner")).toBe("cluster:acme-prod/asia-northeast1/prod");
    expect(clusterOfSubject("gsa:a@b.iam.gserviceaccount.com")).toBeNull();
  });

  it("reads the project of the GSA address forms", () => {
    expect(projectOfGsaEmail("a@acme-prod.iam.gserviceaccount.com")).toBe("acme-prod");
    expect(projectOfGsaEmail("acme-prod@appspot.gserviceaccount.com")).toBe("acme-prod");
    expect(projectOfGsaEmail("123-compute@developer.gserviceaccount.com")).toBeNull();
  });
});
