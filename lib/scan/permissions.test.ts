import { describe, expect, it } from "vitest";
import { SOURCE_PERMISSIONS, SCANNER_ROLE_PERMISSIONS, CUSTOM_ROLE_SETUP } from "./permissions";

// GKE's IAM names for the Kubernetes resources the scanner reads (camelCase plurals).
const GKE_NAME: Record<string, string> = {
  namespaces: "namespaces",
  serviceaccounts: "serviceAccounts",
  nodes: "nodes",
  pods: "pods",
  deployments: "deployments",
  replicasets: "replicaSets",
  statefulsets: "statefulSets",
  daemonsets: "daemonSets",
  jobs: "jobs",
  cronjobs: "cronJobs",
  secrets: "secrets",
  configmaps: "configMaps",
};

describe("the scanner's permissions", () => {
  it("gives every Kubernetes family the GKE IAM permission for the same verb and resource as its RBAC rule", () => {
    const k8s = SOURCE_PERMISSIONS.filter((p) => p.family.startsWith("k8s."));
    expect(k8s.length).toBe(12);
    for (const p of k8s) {
      const [verb, resource] = p.permissions[0].split(" ");
      expect(p.gkePermissions, p.family).toEqual([`container.${GKE_NAME[resource.split(".")[0]]}.${verb}`]);
    }
    expect(SOURCE_PERMISSIONS.filter((p) => !p.family.startsWith("k8s.") && p.gkePermissions)).toEqual([]);
  });

  it("makes the custom role from Google permissions only: no RBAC verb, sorted, no duplicate", () => {
    expect(SCANNER_ROLE_PERMISSIONS.filter((p) => !/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/.test(p))).toEqual([]);
    expect(SCANNER_ROLE_PERMISSIONS).toEqual([...new Set(SCANNER_ROLE_PERMISSIONS)].sort());
    expect(SCANNER_ROLE_PERMISSIONS.length).toBe(35);
    expect(CUSTOM_ROLE_SETUP).toContain(`--permissions=${SCANNER_ROLE_PERMISSIONS.join(",")}`);
  });
});
