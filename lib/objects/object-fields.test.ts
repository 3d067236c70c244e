import { describe, expect, it } from "vitest";
import { objectFields } from "./object-fields";

const value = (fields: ReturnType<typeof objectFields>, label: string) => fields.find((f) => f.label === label)?.value;

describe("object fields", () => {
  it("a key shows its account and project as links, and a no-expiry key says so", () => {
    const f = objectFields("key", {
      email: "billing@acme-prod.iam.gserviceaccount.com",
      keyId: "4ddb",
      projectId: "acme-prod",
      keyType: "USER_MANAGED",
      keyAlgorithm: "KEY_ALG_RSA_2048",
      keyOrigin: "GOOGLE_PROVIDED",
      validAfterTime: "2022-03-10T01:23:45Z",
      validBeforeTime: "9999-12-31T23:59:59Z",
      disabled: false,
    });
    expect(f.find((x) => x.label === "Service account")).toEqual({ label: "Service account", value: "gsa:billing@acme-prod.iam.gserviceaccount.com", as: "subject" });
    expect(value(f, "Expires")).toBe("never (no expiry)");
    expect(value(f, "Disabled")).toBe(false);
  });

  it("a pod shows container images and env variable names, never env values", () => {
    const f = objectFields("pod", {
      namespace: "batch",
      name: "p-1",
      phase: "Running",
      owner: null,
      workload: "workload:p/l/c/batch/Job/j",
      workloadInferred: false,
      podTemplateHash: null,
      startTime: null,
      spec: {
        serviceAccountName: "default",
        hostNetwork: false,
        nodeName: "n1",
        nodeSelector: {},
        nodeAffinity: null,
        automountServiceAccountToken: null,
        initContainers: [],
        ephemeralContainers: [],
        volumes: [],
        containers: [{ name: "app", image: "gcr.io/x/app:1", env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/key.json" }, { name: "TOKEN", valueWithheld: "not-kept" }], envFrom: [], volumeMounts: [] }],
      },
    });
    expect(value(f, "Containers")).toEqual(["app: gcr.io/x/app:1"]);
    expect(value(f, "Env variables")).toEqual(["GOOGLE_APPLICATION_CREDENTIALS", "TOKEN"]);
    expect(JSON.stringify(f)).not.toContain("/var/secrets/key.json");
  });

  it("a Secret shows its data key names and what the credentials are, never a value", () => {
    const f = objectFields("secret", {
      namespace: "batch",
      name: "k",
      type: "Opaque",
      dataKeys: ["key.json"],
      credentials: [{ dataKey: "key.json", type: "service_account", clientEmail: "a@p.iam.gserviceaccount.com", keyId: "abc", projectId: "p", encoding: "base64-json" }],
    });
    expect(value(f, "Data keys")).toEqual(["key.json"]);
    expect(value(f, "Credentials found")).toEqual(["key.json: service_account · a@p.iam.gserviceaccount.com · key abc · stored base64-json"]);
  });

  it("kinds with their own pages, and non-records, have no fields here", () => {
    expect(objectFields("workload", { name: "x" })).toEqual([]);
    expect(objectFields("ksa", null)).toEqual([]);
  });
});
