/**
 * GKE Hub fleet memberships in the simulator, read through the real `googleapis` gkehub v1 client:
 * the wire format (resources, nextPageToken, unreachable), the derived fleet pool, and the errors a
 * caller meets (SERVICE_DISABLED where the API is off, PERMISSION_DENIED naming the permission).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { startSimulator, type Simulator } from "./server";
import { parseEstateText } from "./load-estate";
import { simulatorClients } from "../sources/gcp/clients";

const EKS_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C1F2A9D7E3B4C6A8F0D2E4B6A8C0E2F";
const GKE_MEMBER = {
  name: "projects/acme-fleet/locations/global/memberships/payments-eu",
  endpoint: { gkeCluster: { resourceLink: "//container.googleapis.com/projects/acme-payments/locations/europe-west1/clusters/payments-eu" } },
  authority: { issuer: "https://container.googleapis.com/v1/projects/acme-payments/locations/europe-west1/clusters/payments-eu" },
};
const EKS_MEMBER = {
  name: "projects/acme-fleet/locations/europe-west1/memberships/eks-checkout",
  endpoint: { multiCloudCluster: { resourceLink: "//gkemulticloud.googleapis.com/projects/300000000003/locations/europe-west1/attachedClusters/eks-checkout" } },
  authority: { issuer: EKS_ISSUER },
  labels: { team: "checkout" },
};
const NO_WI_MEMBER = {
  name: "projects/acme-fleet/locations/global/memberships/lab",
  endpoint: { onPremCluster: { resourceLink: "//gkeonprem.googleapis.com/projects/acme-fleet/locations/europe-west1/vmwareClusters/lab", clusterType: "HYBRID" } },
  state: { code: "DELETING" },
};

function estate(faults: unknown[] = []) {
  return parseEstateText(
    YAML.stringify({
      now: "2026-11-29T00:00:00Z",
      projects: [
        { projectId: "acme-fleet", projectNumber: "300000000003", memberships: [GKE_MEMBER, EKS_MEMBER, NO_WI_MEMBER] },
        { projectId: "acme-sandbox", projectNumber: "300000000004", disabledApis: ["gkehub.googleapis.com"] },
      ],
      faults,
    }),
    "hub.yaml",
  );
}

describe("GKE Hub memberships in the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ estate: estate() });
  });
  afterAll(() => sim.close());

  const hub = () => simulatorClients(sim.url).gkehub.projects.locations.memberships;

  it("lists every membership of every location with locations/-, with the fields Google derives", async () => {
    const r = await hub().list({ parent: "projects/acme-fleet/locations/-" });
    expect(r.data.nextPageToken).toBeUndefined();
    expect(r.data.unreachable).toBeUndefined();
    expect(r.data.resources!.map((m) => [m.name, m.state?.code, m.authority?.workloadIdentityPool ?? null])).toEqual([
      ["projects/acme-fleet/locations/europe-west1/memberships/eks-checkout", "READY", "acme-fleet.svc.id.goog"],
      ["projects/acme-fleet/locations/global/memberships/lab", "DELETING", null],
      ["projects/acme-fleet/locations/global/memberships/payments-eu", "READY", "acme-fleet.svc.id.goog"],
    ]);
    const eks = r.data.resources![0];
    expect(eks.authority?.issuer).toBe(EKS_ISSUER);
    expect(eks.endpoint?.multiCloudCluster?.resourceLink).toBe(EKS_MEMBER.endpoint.multiCloudCluster.resourceLink);
    expect(eks.labels).toEqual({ team: "checkout" });
    expect(eks.uniqueId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(eks.createTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("lists one location, and pages with pageSize and nextPageToken", async () => {
    const global = await hub().list({ parent: "projects/acme-fleet/locations/global" });
    expect(global.data.resources!.map((m) => m.name!.split("/").pop())).toEqual(["lab", "payments-eu"]);
    const names: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const r = await hub().list({ parent: "projects/acme-fleet/locations/-", pageSize: 2, pageToken });
      names.push(...r.data.resources!.map((m) => m.name!.split("/").pop()!));
      pageToken = r.data.nextPageToken ?? undefined;
      pages++;
    } while (pageToken);
    expect([pages, names]).toEqual([2, ["eks-checkout", "lab", "payments-eu"]]);
  });

  it("gets one membership by name, and answers 404 for an unknown one", async () => {
    const r = await hub().get({ name: "projects/acme-fleet/locations/global/memberships/payments-eu" });
    expect(r.data.endpoint?.gkeCluster?.resourceLink).toBe(GKE_MEMBER.endpoint.gkeCluster.resourceLink);
    await expect(hub().get({ name: "projects/acme-fleet/locations/global/memberships/nope" })).rejects.toMatchObject({ status: 404 });
  });

  it("answers {} for a project with no fleet, SERVICE_DISABLED where the API is off, and PERMISSION_DENIED for a project it cannot see", async () => {
    sim.setEstate(parseEstateText(YAML.stringify({ projects: [{ projectId: "acme-empty", projectNumber: "300000000005" }, { projectId: "acme-sandbox", projectNumber: "300000000004", disabledApis: ["gkehub.googleapis.com"] }] }), "x.yaml"));
    try {
      const empty = await hub().list({ parent: "projects/acme-empty/locations/-" });
      expect(empty.data).toEqual({});
      const off = await hub().list({ parent: "projects/acme-sandbox/locations/-" }).catch((e) => e.response);
      expect(off.status).toBe(403);
      expect(off.data.error.details[0]).toMatchObject({ reason: "SERVICE_DISABLED", metadata: { service: "gkehub.googleapis.com", consumer: "projects/300000000004" } });
      const denied = await hub().list({ parent: "projects/someone-else/locations/-" }).catch((e) => e.response);
      expect(denied.status).toBe(403);
      expect(denied.data.error.status).toBe("PERMISSION_DENIED");
      expect(denied.data.error.details[0].metadata.permission).toBe("gkehub.memberships.list");
    } finally {
      sim.setEstate(estate());
    }
  });

  it("names locations that did not answer in unreachable, and leaves their members out", async () => {
    sim.setEstate(estate([{ match: { path: "/v1/projects/acme-fleet/locations/-/memberships" }, missingZones: ["europe-west1"] }]));
    try {
      const r = await hub().list({ parent: "projects/acme-fleet/locations/-" });
      expect(r.data.unreachable).toEqual(["projects/acme-fleet/locations/europe-west1"]);
      expect(r.data.resources!.map((m) => m.name!.split("/").pop())).toEqual(["lab", "payments-eu"]);
    } finally {
      sim.setEstate(estate());
    }
  });

  it("refuses a membership filed under another project", () => {
    expect(() =>
      parseEstateText(YAML.stringify({ projects: [{ projectId: "acme-fleet", projectNumber: "300000000003", memberships: [{ name: "projects/acme-other/locations/global/memberships/x" }] }] }), "bad.yaml"),
    ).toThrow(/projects\[0\]\.memberships\[0\]\.name: projects\/acme-other\/locations\/global\/memberships\/x belongs to project acme-other, not acme-fleet/);
  });
});
