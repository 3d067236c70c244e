import { test, expect } from "@playwright/test";
import { TablePage } from "./pages";

/*
 * The GSA page answers "who uses this account?" first. The demo's staging cluster answers 403 to
 * listing Secrets (the estate's deliberate fault, `faults` in lib/simulator/estates/demo/estate.yaml),
 * so common-batch's page must name it as possible users rather than look complete.
 */
const COMMON = "gsa:common-batch@acme-prod.iam.gserviceaccount.com";
const COMMON_PAGE = `/gsas/${encodeURIComponent(COMMON)}`;

test("a GSA page opens with Who uses it: every user with its path, scope and link, before the link boxes", async ({ page }) => {
  await page.goto(COMMON_PAGE);
  const who = page.getByTestId("who-uses-it");
  await expect(who).toBeVisible();
  // First: above the two-sided link boxes.
  const whoBox = await who.boundingBox();
  const ksaBox = await page.getByText("KSAs annotated with it (").boundingBox();
  expect(whoBox!.y).toBeLessThan(ksaBox!.y);
  await expect(page.getByText("Who uses it (4 workloads in 2 clusters)")).toBeVisible();
  const rows = who.getByTestId("user-row");
  await expect(rows).toHaveCount(4);
  // A user in another cluster (legacy-batch), its path and the Secret it reads.
  const sync = rows.filter({ hasText: "batch/CronJob/common-batch-sync" });
  await expect(sync).toContainText("legacy-batch");
  await expect(sync.getByTestId("user-path")).toHaveAttribute("data-path", "key-file");
  await expect(sync).toContainText("from Secret batch/common-batch-key");
  // Each workload links to its page.
  await rows.filter({ hasText: "reporting/CronJob/monthly-report" }).getByRole("link", { name: /monthly-report/ }).click();
  await expect(page).toHaveURL(/\/workloads\/workload%3Aacme-prod%2Fasia-northeast1%2Fprod%2Freporting%2FCronJob%2Fmonthly-report/);
});

test("a GSA page names the sources that failed as possible users, linked to Coverage", async ({ page }) => {
  await page.goto(COMMON_PAGE);
  const possible = page.getByTestId("possible-user").filter({ hasText: "acme-staging/asia-northeast1-a/staging" });
  await expect(possible).toContainText("possible users: cluster acme-staging/asia-northeast1-a/staging's Secrets");
  await expect(possible).toContainText("settlement-test");
  await possible.getByRole("link", { name: "Coverage" }).click();
  await expect(page).toHaveURL(/\/coverage$/);
});

test("the GSA page's Workloads link lands on a table of exactly its users", async ({ page }) => {
  await page.goto(COMMON_PAGE);
  await expect(page.getByRole("link", { name: "Workloads (4)" })).toBeVisible();
  const users = (await page.getByTestId("user-row").locator("td:first-child a").allTextContents()).map((s) => s.trim()).sort();
  await page.getByRole("link", { name: "Workloads (4)" }).click();
  await expect(page).toHaveURL(/\/workloads\?gsa=common-batch%40acme-prod/);
  const t = new TablePage(page, "workloads");
  await expect.poll(() => t.total()).toBe(4);
  // A subject cell also holds its copy button: match the subject link's own text.
  const listed = (await t.rows().locator("td:first-child a").allTextContents()).map((s) => s.trim());
  for (const u of users) expect(listed.some((l) => l.endsWith(u)), `${u} among ${listed.join(", ")}`).toBe(true);
});

test("a node account's page shows the pods on its legacy pool as users by node account", async ({ page }) => {
  await page.goto(`/gsas/${encodeURIComponent("gsa:483920175264-compute@developer.gserviceaccount.com")}`);
  const rows = page.getByTestId("user-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first().getByTestId("user-path")).toHaveAttribute("data-path", "node");
  await expect(rows.first()).toContainText("pool default-pool: a pool without the GKE metadata server");
});

test("screenshot: common-batch's GSA page at 1280 px", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(COMMON_PAGE);
  await expect(page.getByTestId("who-uses-it")).toBeVisible();
  await page.screenshot({ path: "test-results/gsa-page-common-batch-after.png", fullPage: true });
  // The page never scrolls sideways at 1280 px.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
});
