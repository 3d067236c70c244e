/**
 * The "Download change set" control on a workload page: the zip holds the selection's Kustomize
 * component, Terraform and STEPS.md under the path template typed in, and a bad template is refused
 * on the page, naming the problem, before anything downloads.
 */
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";

const WORKLOAD = "workload:acme-legacy/asia-northeast1-b/legacy-batch/reporting/Deployment/legacy-report";

test("downloads a workload's change set as a zip placed by the path template", async ({ page }) => {
  await page.goto("/workloads/" + encodeURIComponent(WORKLOAD));
  const form = page.getByTestId("change-set");
  await expect(form).toBeVisible();
  await form.getByLabel("Path template").fill("gitops/{project}/{cluster}/{namespace}/");
  const [download] = await Promise.all([page.waitForEvent("download"), form.getByRole("button", { name: "Download change set" }).click()]);
  expect(download.suggestedFilename()).toBe("wi-atlas-changes-legacy-report.zip");
  const files = unzipSync(readFileSync((await download.path())!));
  expect(Object.keys(files).sort()).toEqual([
    "gitops/acme-legacy/legacy-batch/reporting/STEPS.md",
    "gitops/acme-legacy/legacy-batch/reporting/kustomization.yaml",
    "gitops/acme-legacy/legacy-batch/reporting/patch-deployment-legacy-report.yaml",
    "gitops/acme-legacy/legacy-batch/reporting/remove-key/kustomization.yaml",
    "gitops/acme-legacy/legacy-batch/reporting/remove-key/patch-deployment-legacy-report.yaml",
    "gitops/acme-legacy/legacy-batch/reporting/serviceaccount-legacy-report.yaml",
    "gitops/acme-legacy/legacy-batch/reporting/workload-identity-module.tf.example",
    "gitops/acme-legacy/legacy-batch/reporting/workload-identity.tf",
  ]);
  const patch = strFromU8(files["gitops/acme-legacy/legacy-batch/reporting/patch-deployment-legacy-report.yaml"]);
  expect(patch).toContain('"iam.gke.io/gke-metadata-server-enabled": "true"');
  expect(patch).toContain("serviceAccountName: legacy-report");
  const steps = strFromU8(files["gitops/acme-legacy/legacy-batch/reporting/STEPS.md"]);
  expect(steps).toContain("gcloud container node-pools delete default-pool --cluster=legacy-batch --location=asia-northeast1-b --project=acme-legacy");
  // Each destructive step carries the what-if engine's answer inline, and the shareable link.
  expect(steps).toMatch(/What breaks if you do it: done today, before the steps above: \d+ workloads? breaks?;[^\n]*\(\[details\]\(\/what-if\?changes=[A-Za-z0-9_-]+\)\)/);
});

test("refuses a path template that climbs out of the repository, naming the problem", async ({ page }) => {
  await page.goto("/workloads/" + encodeURIComponent(WORKLOAD));
  const form = page.getByTestId("change-set");
  await form.getByLabel("Path template").fill("../outside/{cluster}/");
  await expect(page.getByRole("alert").filter({ hasText: 'path template "../outside/{cluster}/": must not hold a "." or ".." directory' })).toBeVisible();
  await expect(form.getByRole("button", { name: "Download change set" })).toBeDisabled();
});

test("offers the change set on namespace, GSA and cluster pages, and the API serves a patch", async ({ page, request }) => {
  for (const href of [
    "/objects/" + encodeURIComponent("namespace:acme-data/asia-northeast1-a/etl/etl"),
    "/gsas/" + encodeURIComponent("gsa:common-batch@acme-prod.iam.gserviceaccount.com"),
    "/objects/" + encodeURIComponent("cluster:acme-legacy/asia-northeast1-b/legacy-batch"),
  ]) {
    await page.goto(href);
    await expect(page.getByTestId("change-set").getByRole("button", { name: "Download change set" })).toBeEnabled();
  }
  const res = await request.get(`/api/change-set?subject=${encodeURIComponent("cluster:acme-legacy/asia-northeast1-b/legacy-batch")}&format=patch`);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-disposition"]).toBe('attachment; filename="wi-atlas-changes-legacy-batch.patch"');
  const text = await res.text();
  expect(text.startsWith("diff --git a/clusters/legacy-batch/STEPS.md b/clusters/legacy-batch/STEPS.md\nnew file mode 100644\n--- /dev/null\n+++ b/clusters/legacy-batch/STEPS.md\n@@ -0,0 +1,")).toBe(true);
});
