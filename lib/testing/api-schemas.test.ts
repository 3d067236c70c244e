import { describe, expect, it } from "vitest";
import { googleApiSchemas, googleMethodKey, walkGoogle, walkK8s, type Infidelity } from "./api-schemas";

describe("googleApiSchemas", () => {
  it("reads Schema$ interfaces with nested, array and map fields, and each method's response type", () => {
    const container = googleApiSchemas("container/v1");
    expect(container.schemas.get("WorkloadMetadataConfig")).toEqual(new Map([["mode", { kind: "string" }]]));
    expect(container.schemas.get("Cluster")?.get("nodePools")).toEqual({ kind: "array", of: { kind: "ref", name: "NodePool" } });
    expect(container.schemas.get("Cluster")?.get("resourceLabels")).toEqual({ kind: "map", of: { kind: "string" } });
    expect(container.schemas.get("Cluster")?.get("initialNodeCount")).toEqual({ kind: "number" });
    expect(container.responses.get("Projects$Locations$Clusters$Nodepools$List")).toBe("ListNodePoolsResponse");
    expect(googleApiSchemas("iam/v1").responses.get("Projects$Serviceaccounts$Keys$List")).toBe("ListServiceAccountKeysResponse");
  });
});

describe("googleMethodKey", () => {
  it("names the googleapis method of a REST path from its collections and verb", () => {
    expect(
      [
        "/v1/projects",
        "/v1/projects/acme/serviceAccounts/a@acme.iam.gserviceaccount.com",
        "/v1/projects/acme/serviceAccounts/a@acme.iam.gserviceaccount.com/keys",
        "/v1/projects/acme/serviceAccounts/a@acme.iam.gserviceaccount.com:getIamPolicy",
        "/v3/projects:search",
        "/v1/projects/acme/zones/-/clusters",
        "/v1/projects/acme/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query",
      ].map(googleMethodKey),
    ).toEqual([
      "Projects$List",
      "Projects$Serviceaccounts$Get",
      "Projects$Serviceaccounts$Keys$List",
      "Projects$Serviceaccounts$Getiampolicy",
      "Projects$Search",
      "Projects$Zones$Clusters$List",
      "Projects$Locations$Activitytypes$Activities$Query",
    ]);
  });
});

describe("walkGoogle", () => {
  const container = googleApiSchemas("container/v1");
  const walk = (value: unknown) => {
    const out: Infidelity[] = [];
    walkGoogle(container, value, { kind: "ref", name: "ListClustersResponse" }, "r", out);
    return out;
  };

  it("accepts an answer whose every field is declared, free-form maps included", () => {
    expect(walk({ clusters: [{ name: "c", resourceLabels: { anything: "goes" }, nodePools: [{ name: "p", config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] }] })).toEqual([]);
  });

  it("names every undeclared field, however deep, and every JSON type that differs", () => {
    expect(
      walk({
        clusters: [{ name: "c", initialNodeCount: "3", nodePools: [{ name: "p", config: { workloadMetadataConfig: { nodeMetadata: "GKE_METADATA_SERVER" } } }], zones: ["x"] }],
      }),
    ).toEqual([
      "r.clusters[0].initialNodeCount: string where container/v1 declares number",
      "r.clusters[0].nodePools[0].config.workloadMetadataConfig.nodeMetadata: not a field of container/v1 Schema$WorkloadMetadataConfig",
      "r.clusters[0].zones: not a field of container/v1 Schema$Cluster",
    ]);
  });
});

describe("walkK8s", () => {
  const walk = (value: unknown, type = "V1PodList") => {
    const out: Infidelity[] = [];
    walkK8s(value, type, "r", out);
    return out;
  };

  it("accepts objects the OpenAPI models declare, with free-form labels and int-or-string ports", () => {
    expect(
      walk({
        kind: "PodList",
        apiVersion: "v1",
        metadata: { resourceVersion: "1" },
        items: [{ metadata: { name: "p", labels: { a: "b" }, creationTimestamp: "2026-11-29T00:00:00Z" }, spec: { containers: [{ name: "c", ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: "http" } } }] } }],
      }),
    ).toEqual([]);
  });

  it("names undeclared fields, wrong JSON types and malformed timestamps", () => {
    expect(
      walk({ items: [{ metadata: { name: "p", creationTimestamp: "yesterday", bogus: 1 }, spec: { containers: [{ name: "c", replicas: 2 }], nodeName: 7 } }] }),
    ).toEqual([
      'r.items[0].metadata.creationTimestamp: "yesterday" where the model declares a date-time',
      "r.items[0].metadata.bogus: not a field of V1ObjectMeta",
      "r.items[0].spec.containers[0].replicas: not a field of V1Container",
      "r.items[0].spec.nodeName: number where the model declares string",
    ]);
  });
});
