import { describe, expect, it } from "vitest";
import { referencedNames, referencesTo } from "./references";
import type { ContainerEssentials } from "../inventory/model";

const c = (name: string, more: Partial<ContainerEssentials> = {}): ContainerEssentials => ({ name, image: "img", env: [], envFrom: [], volumeMounts: [], ...more });

describe("how a pod template reaches a Secret or ConfigMap", () => {
  const spec = {
    volumes: [
      { name: "key", secret: { secretName: "gcp-key" } },
      { name: "bundle", projected: { sources: [{ secret: { name: "gcp-key" } }, { configMap: { name: "gcp-path" } }] } },
      { name: "cfg", configMap: { name: "app-config" } },
    ],
    initContainers: [c("init", { envFrom: [{ secretRef: { name: "gcp-key" } }] })],
    containers: [c("app", { env: [{ name: "GOOGLE_CREDENTIALS", valueFrom: { secretKeyRef: { name: "gcp-key", key: "key.json" } } }, { name: "PLAIN", value: "" }], envFrom: [{ configMapRef: { name: "gcp-path" } }] })],
  };

  it("names every path to a Secret: volume, projected volume, env and envFrom", () => {
    expect(referencesTo(spec, "secret", "gcp-key")).toEqual(["volume key", "projected volume bundle", "envFrom init", "env app/GOOGLE_CREDENTIALS"]);
  });

  it("tells Secrets and ConfigMaps of the same name apart", () => {
    expect(referencesTo(spec, "configmap", "gcp-key")).toEqual([]);
    expect(referencesTo(spec, "configmap", "gcp-path")).toEqual(["projected volume bundle", "envFrom app"]);
  });

  it("answers nothing for a name the template never uses", () => {
    expect(referencesTo(spec, "secret", "other")).toEqual([]);
  });

  it("lists every referenced name with its paths, sorted", () => {
    expect([...referencedNames(spec, "configmap").entries()]).toEqual([
      ["app-config", ["volume cfg"]],
      ["gcp-path", ["projected volume bundle", "envFrom app"]],
    ]);
  });
});
