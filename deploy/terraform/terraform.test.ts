/**
 * deploy/terraform, checked without providers (none can be downloaded here): every reference
 * resolves, the scanner's custom role holds exactly the Coverage page's permissions, the web's
 * identity holds only the database roles, and `terraform fmt -check` passes.
 */
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { readTerraform, referencesIn, unresolved, instances, type TfConfig } from "../../lib/testing/terraform";
import { SCANNER_ROLE_PERMISSIONS, SOURCE_PERMISSIONS } from "../../lib/scan/permissions";

const DIR = path.resolve(import.meta.dirname);
const VARS = { project_id: "acme-wi-atlas", organization_id: "620315948271", network: "projects/acme-network/global/networks/shared-vpc", iap_access_members: ["group:platform-team@acme.example"] };

async function problems(cfg: TfConfig): Promise<string[]> {
  const out: string[] = [];
  const check = async (label: string, block: unknown, where: { hasEach: boolean; hasCount: boolean }) => {
    for (const ref of await referencesIn(block)) {
      const why = unresolved(cfg, ref, where);
      if (why) out.push(`${label}: ${ref}: ${why}`);
    }
  };
  for (const [addr, b] of cfg.resources) await check(addr, b, { hasEach: "for_each" in b, hasCount: "count" in b });
  for (const [addr, b] of cfg.data) await check(`data.${addr}`, b, { hasEach: "for_each" in b, hasCount: "count" in b });
  for (const [name, b] of cfg.modules) await check(`module.${name}`, b, { hasEach: "for_each" in b, hasCount: "count" in b });
  for (const [name, b] of cfg.outputs) await check(`output.${name}`, b, { hasEach: false, hasCount: false });
  for (const [name, v] of cfg.locals) await check(`local.${name}`, v, { hasEach: false, hasCount: false });
  return out;
}

describe("deploy/terraform", () => {
  it("resolves every reference: each var, local, module, data source and resource it names is declared", async () => {
    const cfg = await readTerraform(DIR);
    expect([...cfg.files.keys()]).toEqual(["database.tf", "frontdoor.tf", "identities.tf", "outputs.tf", "scanner-permissions.tf", "variables.tf", "versions.tf"]);
    expect(await problems(cfg)).toEqual([]);
  });

  it("reports a reference to an undeclared variable or resource (the check itself can fail)", async () => {
    const cfg = await readTerraform(DIR);
    cfg.resources.set("google_project_iam_member.broken", { project: "${var.no_such_variable}", member: "${google_service_account.nobody.member}", role: "${local.nothing}" });
    expect(await problems(cfg)).toEqual([
      "google_project_iam_member.broken: var.no_such_variable: var.no_such_variable is not declared",
      "google_project_iam_member.broken: google_service_account.nobody.member: google_service_account.nobody is not declared",
      "google_project_iam_member.broken: local.nothing: local.nothing is not declared",
    ]);
  });

  it("gives the scanner's custom role exactly the permissions the Coverage page lists, no more, none missing", async () => {
    const cfg = await readTerraform(DIR);
    const [role] = instances(cfg, VARS, "google_organization_iam_custom_role.scanner");
    const permissions = role.permissions as string[];
    expect(permissions).toEqual(SCANNER_ROLE_PERMISSIONS);
    expect(new Set(permissions).size).toBe(permissions.length);
    // Every Coverage row is in it: Google families by their permissions, Kubernetes ones as GKE IAM permissions.
    for (const fam of SOURCE_PERMISSIONS) for (const p of fam.gkePermissions ?? fam.permissions) expect(permissions).toContain(p);
    expect(permissions).toContain("container.pods.list");
    expect(permissions).toContain("container.secrets.list");
    expect(permissions).toContain("container.configMaps.get");
    // Read-only: no verb that creates, changes, deletes, impersonates or reads a secret value.
    expect(permissions.filter((p) => !/\.(list|get|getIamPolicy|query|searchAllIamPolicies|searchAllResources)$/.test(p))).toEqual([]);
    expect(role).toMatchObject({ org_id: "620315948271", role_id: "wiAtlasScanner", stage: "GA" });
  });

  it("grants the scanner's role on the organization, or on each folder instead when folders are given", async () => {
    const cfg = await readTerraform(DIR);
    expect(instances(cfg, VARS, "google_organization_iam_member.scanner")).toEqual([
      { org_id: "620315948271", role: "organizations/620315948271/roles/wiAtlasScanner", member: "serviceAccount:wi-atlas-scanner@acme-wi-atlas.iam.gserviceaccount.com" },
    ]);
    expect(instances(cfg, VARS, "google_folder_iam_member.scanner")).toEqual([]);
    const folders = { ...VARS, scan_folder_ids: ["111111111111", "222222222222"] };
    expect(instances(cfg, folders, "google_organization_iam_member.scanner")).toEqual([]);
    expect(instances(cfg, folders, "google_folder_iam_member.scanner").map((x) => x.folder)).toEqual(["folders/111111111111", "folders/222222222222"]);
  });

  it("lets only each KSA act as its own GSA, and gives the web's GSA the two Cloud SQL roles and nothing else", async () => {
    const cfg = await readTerraform(DIR);
    expect(instances(cfg, VARS, "google_service_account_iam_member.scanner_workload_identity")).toEqual([
      { service_account_id: "projects/acme-wi-atlas/serviceAccounts/wi-atlas-scanner@acme-wi-atlas.iam.gserviceaccount.com", role: "roles/iam.workloadIdentityUser", member: "serviceAccount:acme-wi-atlas.svc.id.goog[wi-atlas/wi-atlas-scanner]" },
    ]);
    expect(instances(cfg, { ...VARS, cluster_project_id: "acme-gke" }, "google_service_account_iam_member.web_workload_identity")).toEqual([
      { service_account_id: "projects/acme-wi-atlas/serviceAccounts/wi-atlas-web@acme-wi-atlas.iam.gserviceaccount.com", role: "roles/iam.workloadIdentityUser", member: "serviceAccount:acme-gke.svc.id.goog[wi-atlas/wi-atlas-web]" },
    ]);
    // Every grant naming the web's GSA, across all IAM resource types.
    const webMember = "serviceAccount:wi-atlas-web@acme-wi-atlas.iam.gserviceaccount.com";
    const webRoles = [...cfg.resources.keys()]
      .filter((a) => /_iam_member\./.test(a) && !a.startsWith("google_service_account_iam_member."))
      .flatMap((a) => instances(cfg, VARS, a).filter((i) => i.member === webMember).map((i) => `${a.split(".")[0]} ${i.role}`));
    expect(webRoles.sort()).toEqual(["google_project_iam_member roles/cloudsql.client", "google_project_iam_member roles/cloudsql.instanceUser"]);
  });

  it("creates no service account key anywhere (keyless: Workload Identity only)", async () => {
    const cfg = await readTerraform(DIR);
    expect([...cfg.resources.keys()].filter((a) => a.startsWith("google_service_account_key."))).toEqual([]);
  });

  it("is formatted: terraform fmt -check -recursive passes", () => {
    const has = spawnSync("terraform", ["version"], { encoding: "utf8" });
    if (has.error) {
      console.warn("\n\n*** SKIPPED: terraform is not installed here; `terraform fmt -check -recursive deploy/terraform` was NOT run ***\n\n");
      return;
    }
    // Throws (with terraform's list of unformatted files) when any file needs formatting.
    execFileSync("terraform", ["fmt", "-check", "-recursive", "-no-color", DIR], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  });
});
