import { describe, expect, it } from "vitest";
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./k8s-patch";

/*
 * The patch formats as the API server applies them. Expected results follow the examples of
 * Kubernetes' "Update API Objects in Place Using kubectl patch" task and the strategic merge patch
 * design document (retainKeys, deleteFromPrimitiveList, setElementOrder).
 */

const deployment = {
  metadata: { name: "api", finalizers: ["a"], labels: { app: "api" } },
  spec: {
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } },
    template: {
      spec: {
        nodeSelector: { "cloud.google.com/gke-nodepool": "legacy" },
        tolerations: [{ key: "a", operator: "Exists" }],
        containers: [
          { name: "api", image: "api:1", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }], ports: [{ containerPort: 80 }] },
          { name: "side", image: "side:1" },
        ],
        volumes: [{ name: "key", secret: { secretName: "k" } }],
      },
    },
  },
};

describe("JSON merge patch (RFC 7386)", () => {
  it("merges objects, deletes with null and replaces lists whole", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });
});

describe("JSON patch (RFC 6902)", () => {
  it("adds, removes, replaces, moves and copies at JSON pointers (with ~1 for a slash in a key)", () => {
    const got = jsonPatch({ metadata: { annotations: { "a/b": "1" } }, l: [1, 2] }, [
      { op: "add", path: "/l/-", value: 3 },
      { op: "remove", path: "/l/0" },
      { op: "replace", path: "/metadata/annotations/a~1b", value: "2" },
      { op: "copy", from: "/metadata/annotations/a~1b", path: "/c" },
      { op: "move", from: "/c", path: "/d" },
    ]);
    expect(got).toEqual({ metadata: { annotations: { "a/b": "2" } }, l: [2, 3], d: "2" });
  });

  it("fails a test operation with 422 and a missing path with 400", () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }])).toThrow(expect.objectContaining({ code: 422 }) as unknown as PatchError);
    expect(() => jsonPatch({ a: 1 }, [{ op: "remove", path: "/b" }])).toThrow(expect.objectContaining({ code: 400 }) as unknown as PatchError);
  });
});

describe("strategic merge patch", () => {
  it("merges containers by name and env by name, keeping what the patch does not mention", () => {
    const got = strategicMergePatch(deployment, { spec: { template: { spec: { containers: [{ name: "api", env: [{ name: "B", value: "3" }, { name: "C", value: "4" }] }] } } } }, "Deployment");
    const cs = (((got.spec as { template: { spec: { containers: { name: string; image: string; env?: unknown[] }[] } } }).template.spec.containers));
    expect(cs.map((c) => [c.name, c.image, c.env])).toEqual([
      ["api", "api:1", [{ name: "A", value: "1" }, { name: "B", value: "3" }, { name: "C", value: "4" }]],
      ["side", "side:1", undefined],
    ]);
  });

  it("replaces a list without a merge strategy (tolerations) and merges maps (nodeSelector, null deletes a key)", () => {
    const got = strategicMergePatch(deployment, { spec: { template: { spec: { tolerations: [{ key: "b", operator: "Exists" }], nodeSelector: { "cloud.google.com/gke-nodepool": null, x: "true" } } } } }, "Deployment") as typeof deployment;
    expect(got.spec.template.spec.tolerations).toEqual([{ key: "b", operator: "Exists" }]);
    expect(got.spec.template.spec.nodeSelector).toEqual({ x: "true" });
  });

  it("deletes list elements with $patch: delete and replaces a whole list with a $patch: replace element", () => {
    const del = strategicMergePatch(deployment, { spec: { template: { spec: { containers: [{ name: "side", $patch: "delete" }] } } } }, "Deployment") as typeof deployment;
    expect(del.spec.template.spec.containers.map((c) => c.name)).toEqual(["api"]);
    const rep = strategicMergePatch(deployment, { spec: { template: { spec: { volumes: [{ $patch: "replace" }, { name: "cfg", configMap: { name: "c" } }] } } } }, "Deployment") as typeof deployment;
    expect(rep.spec.template.spec.volumes).toEqual([{ name: "cfg", configMap: { name: "c" } }]);
  });

  it("honours $retainKeys (a volume's source swapped), $deleteFromPrimitiveList and $setElementOrder", () => {
    const got = strategicMergePatch(
      deployment,
      {
        metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] },
        spec: {
          strategy: { $retainKeys: ["type"], type: "Recreate" },
          template: {
            spec: {
              "$setElementOrder/containers": [{ name: "side" }, { name: "api" }],
              volumes: [{ name: "key", $retainKeys: ["name", "emptyDir"], emptyDir: {} }],
            },
          },
        },
      },
      "Deployment",
    ) as typeof deployment;
    expect(got.metadata.finalizers).toEqual([]);
    expect(got.spec.strategy).toEqual({ type: "Recreate" });
    expect(got.spec.template.spec.volumes).toEqual([{ name: "key", emptyDir: {} }]);
    expect(got.spec.template.spec.containers.map((c) => c.name)).toEqual(["side", "api"]);
  });

  it("merges a ServiceAccount's secrets by name and refuses a merging element without its key", () => {
    const got = strategicMergePatch({ metadata: { name: "a" }, secrets: [{ name: "t1" }] }, { secrets: [{ name: "t2" }] }, "ServiceAccount");
    expect(got.secrets).toEqual([{ name: "t1" }, { name: "t2" }]);
    expect(() => strategicMergePatch(deployment, { spec: { template: { spec: { containers: [{ image: "x" }] } } } }, "Deployment")).toThrow(/does not contain declared merge key: name/);
  });
});
