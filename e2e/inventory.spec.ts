import { test, expect } from "@playwright/test";
import { TablePage, parseCsv } from "./pages";

test("the overview shows the demo estate's inventory and the last scan", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const gsas = page.locator("a", { hasText: "GSAs" }).filter({ has: page.locator("div") });
  await expect(gsas).toContainText(/\d+/);
  await expect(page.getByText("Most-shared service accounts")).toBeVisible();
  await expect(page.getByTestId("most-shared-gsa").first()).toHaveText("common-batch@acme-prod.iam.gserviceaccount.com");
  await expect(page.getByText(/Estate file \(simulator\)/)).toBeVisible();
});

test("filtering the GSA table by project puts the filter in the URL and shows only that project", async ({ page }) => {
  await page.goto("/gsas");
  const t = new TablePage(page, "gsas");
  const all = await t.total();
  await t.selectFilter("Project", "acme-legacy");
  await expect(page).toHaveURL(/project=acme-legacy/);
  await expect.poll(() => t.total()).toBeLessThan(all);
  const projects = await t.rows().locator("td:nth-child(2)").allTextContents();
  expect(projects.length).toBeGreaterThan(0);
  expect(new Set(projects)).toEqual(new Set(["acme-legacy"]));
});

test("a GSA page lists the KSAs, keys and Secrets tied to it", async ({ page }) => {
  await page.goto("/gsas");
  await page.getByRole("link", { name: "common-batch@acme-prod.iam.gserviceaccount.com" }).click();
  await expect(page).toHaveURL(/\/gsas\/gsa%3Acommon-batch%40acme-prod/);
  await expect(page.getByRole("heading", { name: "common-batch@acme-prod.iam.gserviceaccount.com" })).toBeVisible();
  const secrets = page.getByTestId("key-secrets").locator("li");
  await expect(secrets.first()).toBeVisible();
  await expect(page.getByTestId("key-secrets")).toContainText("acme-prod/asia-northeast1/prod/batch/common-batch-key");
  await expect(page.getByTestId("roles")).toContainText("roles/editor on project:acme-prod");
});

test("a table's CSV has the same rows as the table for the same filters", async ({ page }) => {
  await page.goto("/workloads?cluster=acme-prod/asia-northeast1/prod");
  const t = new TablePage(page, "workloads");
  const total = await t.total();
  expect(total).toBeGreaterThan(0);
  const { download, text } = await t.downloadCsv();
  // The file is named after the table and its filters.
  expect(download.suggestedFilename()).toBe("wi-atlas-workloads-acme-prod-asia-northeast1-prod.csv");
  const rows = parseCsv(text);
  expect(rows[0][0]).toBe("subject");
  expect(rows.length - 1).toBe(total);
  for (const r of rows.slice(1)) expect(r[0]).toMatch(/^workload:acme-prod\/asia-northeast1\/prod\//);
});

test("the coverage page names the source that failed and the permission it lacked", async ({ page }) => {
  await page.goto("/coverage");
  const problems = page.getByTestId("coverage-problems");
  await expect(problems).toContainText("k8s.secrets:acme-staging");
  await expect(problems).toContainText("list secrets");
  await expect(problems).toContainText("Policy Analyzer API has not been used");
});
test("the coverage page says where the keys and GSA policies came from, and why", async ({ page }) => {
  await page.goto("/coverage");
  // The demo is an organization, so WI_ATLAS_INVENTORY_PATH=auto (the default) searched Cloud Asset Inventory.
  await expect(page.getByTestId("inventory-path")).toContainText("Keys and GSA policies: via Cloud Asset Inventory (organizations/620315948271), chosen by WI_ATLAS_INVENTORY_PATH=auto");
  await expect(page.getByTestId("coverage-families")).toContainText("asset.keys");
  await page.screenshot({ path: "test-results/coverage-inventory-path.png" });
});
test("the coverage page gives the scanner's custom role with the Kubernetes reads as GKE IAM permissions", async ({ page }) => {
  await page.goto("/coverage");
  await expect(page.getByText("or GKE IAM: container.secrets.list")).toBeVisible();
  const setup = page.getByTestId("custom-role-setup");
  await expect(setup).toContainText("gcloud iam roles create wiAtlasScanner");
  await expect(setup).toContainText("container.pods.list,container.replicaSets.list,container.secrets.list");
});
