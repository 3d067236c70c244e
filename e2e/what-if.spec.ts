/** The what-if page in a real browser: asked from a key's page in one click, a shareable URL, a bad URL's notice. */
import { test, expect } from "@playwright/test";

const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";

test("from a key's page, What breaks if… answers in one click: the CronJobs that break, the key's last authentication and the safe path", async ({ page }) => {
  test.setTimeout(120_000);
  // The links and the page use the change schema in the browser: under the dashboard's CSP, without a violation.
  const violations: string[] = [];
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused to load (Content Security Policy): ${e.violatedDirective} ${e.blockedURI}`)));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  await page.goto(`/objects/${encodeURIComponent(KEY)}`);
  await page.getByRole("link", { name: "What breaks if… I delete this key" }).click();
  await expect(page).toHaveURL(/\/what-if\?changes=[A-Za-z0-9_-]+$/);
  await expect(page.getByTestId("what-if-changes")).toContainText("What breaks if I delete key common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c?");
  await expect(page.getByTestId("what-if-verdict")).toContainText("breaks");
  const row = page.getByTestId("what-if-workloads").locator("tr", { hasText: "prod/batch/CronJob/daily-settlement" });
  await expect(row).toContainText("breaks");
  await expect(row).toContainText("has access → no access");
  await expect(row).toContainText("key 74177534f46dd1d1fc13635d83481cb1ea6b429c of common-batch@acme-prod.iam.gserviceaccount.com no longer exists");
  await expect(page.getByTestId("what-if-credentials")).toContainText("recently");
  // Staging's Secrets cannot be read: the answer says so instead of claiming nothing else breaks.
  await expect(page.getByTestId("what-if-unknown")).toContainText("cluster:acme-staging/asia-northeast1-a/staging");
  const steps = page.getByTestId("what-if-safe-path").locator("> li");
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(0)).toContainText("Disable the key");
  await expect(steps.nth(0)).toContainText("Rollback: gcloud iam service-accounts keys enable 74177534f46dd1d1fc13635d83481cb1ea6b429c");
  await expect(steps.nth(2)).toContainText("none — this step cannot be undone");
  await expect(page.getByTestId("what-if-findings-opened")).toContainText("key-in-secret-dead");
  expect(violations).toEqual([]);
  // The URL is the question: opened afresh, it answers the same.
  const url = page.url();
  const again = await page.context().newPage();
  await again.goto(url);
  await expect(again.getByTestId("what-if-workloads").locator("tr", { hasText: "daily-settlement" })).toContainText("breaks");
});

test("step 8 from the Migration page: one click on a legacy pool shows the workloads left with nowhere to run", async ({ page }) => {
  await page.goto("/migration");
  const pool = page.locator("li", { hasText: "acme-prod/asia-northeast1/prod/default-pool" });
  await pool.getByRole("link", { name: "What breaks if deleted" }).click();
  await expect(page.getByTestId("what-if-changes")).toContainText("delete node pool acme-prod/asia-northeast1/prod/default-pool");
  const row = page.getByTestId("what-if-workloads").locator("tr", { hasText: "web/Deployment/frontend" });
  await expect(row).toContainText("breaks");
  await expect(row).toContainText("→ pending");
});

test("a bad changes= shows a notice saying what is wrong, not a crash; no changes= explains how to ask", async ({ page }) => {
  await page.goto("/what-if?changes=not*base64");
  await expect(page.getByTestId("what-if-bad-url")).toContainText("changes= must be base64url");
  const notJson = Buffer.from("{oops").toString("base64url");
  await page.goto(`/what-if?changes=${notJson}`);
  await expect(page.getByTestId("what-if-bad-url")).toContainText("changes= does not decode to a JSON list");
  const wrong = Buffer.from(JSON.stringify([{ type: "delete-key", subject: "gsa:x@y.iam.gserviceaccount.com" }])).toString("base64url");
  await page.goto(`/what-if?changes=${wrong}`);
  await expect(page.getByTestId("what-if-bad-url")).toContainText("changes[0].subject: must be a subject id of kind key");
  await page.goto("/what-if");
  await expect(page.getByText("Ask from the object you are about to change.")).toBeVisible();
});

test("asking about a subject the scan does not know says so by name", async ({ page }) => {
  const gone = Buffer.from(JSON.stringify([{ type: "delete-secret", subject: "secret:acme-prod/asia-northeast1/prod/batch/no-such-secret" }])).toString("base64url");
  await page.goto(`/what-if?changes=${gone}`);
  await expect(page.getByRole("alert").filter({ hasText: "Could not load this view." })).toContainText("Nothing is known about secret:acme-prod/asia-northeast1/prod/batch/no-such-secret");
});
