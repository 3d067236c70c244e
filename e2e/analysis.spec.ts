import { test, expect } from "@playwright/test";
import { TablePage, parseCsv } from "./pages";

test("findings filter by rule, with the filter in the URL and the same rows in the CSV", async ({ page }) => {
  await page.goto("/findings");
  const t = new TablePage(page, "findings");
  await page.getByRole("combobox", { name: "Rule" }).selectOption("key-in-secret");
  await expect(page).toHaveURL(/rule=key-in-secret/);
  await expect.poll(() => t.total()).toBe(7);
  const rules = await t.rows().locator("td:nth-child(2)").allTextContents();
  expect(new Set(rules)).toEqual(new Set(["key-in-secret"]));
  const { text } = await t.downloadCsv();
  const rows = parseCsv(text);
  expect(rows[0]).toEqual(["subject", "rule", "severity", "project", "cluster", "namespace", "gsa", "state", "first_seen", "message", "finding_id", "url", "fix", "suppressed_by", "suppressed_until", "owner"]);
  expect(rows.slice(1).map((r) => r[1])).toEqual(Array(7).fill("key-in-secret"));
});

test("a workload page shows its effective identity, its steps and what to change", async ({ page }) => {
  await page.goto("/workloads/" + encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement"));
  await expect(page.getByRole("heading", { name: "CronJob daily-settlement" })).toBeVisible();
  const identity = page.getByTestId("identity");
  await expect(identity).toContainText("key-file");
  await expect(identity).toContainText("common-batch@acme-prod.iam.gserviceaccount.com");
  await expect(identity).toContainText("gcloud auth list");
  // Still on a key file: to migrate, saying which legacy path it holds.
  await expect(page.getByTestId("migration-status")).toHaveText("to migrate");
  await expect(page.getByTestId("migration-reason")).toContainText("still on key file: key");
  const steps = page.getByTestId("steps").locator("li");
  await expect(steps).toHaveCount(7);
  await expect(steps.nth(0)).toContainText("done");
  await expect(steps.nth(6)).toContainText("todo");
  await expect(page.getByText("What to change")).toBeVisible();
  // One plan per shared account: common-batch's split gives daily-settlement an account of its own.
  await expect(page.getByLabel(/KSA batch\/daily-settlement annotated with daily-settlement@/).first()).toContainText("iam.gke.io/gcp-service-account: daily-settlement@acme-prod.iam.gserviceaccount.com");
});

test("accepting a finding marks it suppressed, and the findings table says so", async ({ page }) => {
  const subject = "ksa:acme-data/asia-northeast1/analytics/reporting/report-exporter";
  await page.goto("/objects/" + encodeURIComponent(subject));
  const item = page.getByTestId("findings").locator("li").filter({ hasText: "ksa-cross-project-gsa" });
  await item.getByRole("button", { name: "Accept…" }).click();
  await item.getByLabel("Reason").fill("Exports to finance by design");
  await item.getByLabel("Owner").fill("data-platform");
  await item.getByRole("button", { name: "Accept this finding" }).click();
  await expect(item.getByText("suppressed")).toBeVisible();
  await page.goto("/findings?rule=ksa-cross-project-gsa");
  const t = new TablePage(page, "findings");
  await expect(t.rows().first()).toContainText("suppressed");
});

test("the migration page shows progress per cluster and the legacy pools still in use", async ({ page }) => {
  await page.goto("/migration");
  const progress = page.getByTestId("progress");
  await expect(progress).toContainText("Overall");
  await expect(progress).toContainText("acme-prod/asia-northeast1/prod");
  await expect(page.getByText("Step 8: legacy node pools")).toBeVisible();
  await expect(page.getByText(/pods still run here/).first()).toBeVisible();
  // Done on its own principal is not "to migrate": the status filter finds the federated workloads.
  const t = new TablePage(page, "migration");
  await page.getByRole("combobox", { name: "Status" }).selectOption("federated");
  await expect(page).toHaveURL(/state=federated/);
  await expect.poll(() => t.total()).toBe(3);
  expect(await t.rows().locator("td:first-child").allTextContents()).toEqual([
    expect.stringContaining("weekly-retrain"),
    expect.stringContaining("backfill-embeddings"),
    // A Workload Identity Federation credential configuration: keyless, its own identity.
    expect.stringContaining("catalog-sync"),
  ]);
});

test("a workload on a federation credential configuration (in a ConfigMap) shows it keyless, with the account it impersonates", async ({ page }) => {
  await page.goto("/workloads/" + encodeURIComponent("workload:acme-data/asia-northeast1/analytics/partner-share/Deployment/catalog-sync"));
  await expect(page.getByRole("heading", { name: "Deployment catalog-sync" })).toBeVisible();
  const identity = page.getByTestId("identity");
  await expect(identity).toContainText("external-account");
  await expect(identity).toContainText("catalog-reader@partner-catalog.iam.gserviceaccount.com");
  await expect(identity).toContainText("Keyless");
  await expect(identity).toContainText("ConfigMap partner-credential-configuration");
  await expect(page.getByTestId("steps").locator("li").nth(6)).toContainText("done");
});
