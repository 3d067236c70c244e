import { expect, test } from "@playwright/test";
import { TablePage, parseCsv } from "./pages";

/* Issue 13: the demo's owners file (lib/simulator/estates/demo/owners.yaml) shows on the pages. */

test("the findings table shows each finding's owner and filters by owner=, in the page and its CSV", async ({ page }) => {
  await page.goto("/findings?owner=payments");
  const t = new TablePage(page, "findings");
  await expect.poll(() => t.total()).toBe(9);
  const header = page.getByTestId("table-findings").locator("thead th");
  await expect(header.last()).toHaveText(/Owner/);
  const owners = await t.rows().locator("td:last-child").allTextContents();
  expect(new Set(owners.map((o) => o.trim()))).toEqual(new Set(["payments"]));
  const { text } = await t.downloadCsv();
  const rows = parseCsv(text);
  expect(rows[0].at(-1)).toBe("owner");
  expect(rows.slice(1).map((r) => r.at(-1))).toEqual(Array(9).fill("payments"));
  await page.screenshot({ path: "test-results/owners-findings.png", fullPage: false });
});

test("a workload page and a GSA page name their owner and contact", async ({ page }) => {
  await page.goto("/workloads/" + encodeURIComponent("workload:acme-prod/asia-northeast1/prod/billing/Deployment/invoice-worker"));
  await expect(page.getByTestId("owner")).toHaveText("· Owner payments (#payments-oncall)");
  await page.goto("/gsas/" + encodeURIComponent("gsa:analytics@acme-data.iam.gserviceaccount.com"));
  await expect(page.getByTestId("owner")).toHaveText("· Owner data (data-eng@acme.example)");
});

test("the Owner filter offers the owners file's teams and picks several, like every filter", async ({ page }) => {
  await page.goto("/findings");
  const t = new TablePage(page, "findings");
  const all = await (async () => {
    await expect.poll(() => t.total()).toBeGreaterThan(0);
    return t.total();
  })();
  const owner = page.getByTestId("filter-owner").getByLabel("Owner", { exact: true });
  await expect(owner.locator("option")).toContainText(["payments", "reporting", "data"]);
  await owner.selectOption("payments");
  await expect(page).toHaveURL(/owner=payments/);
  await expect.poll(() => t.total()).toBe(9);
  await owner.selectOption("data");
  await expect(page).toHaveURL(/owner=payments&owner=data/);
  const both = await (async () => {
    await expect.poll(() => t.total()).toBeGreaterThan(9);
    return t.total();
  })();
  expect(both).toBeLessThan(all);
});
