import { test, expect, type Page } from "@playwright/test";

/** Whether the PAGE scrolls sideways (tables may scroll inside their own box). */
async function pageOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => {
    const s = document.scrollingElement!;
    return { scrollWidth: s.scrollWidth, clientWidth: s.clientWidth };
  });
}

const MAIN_PAGES: [string, string][] = [
  ["overview", "/"],
  ["findings", "/findings"],
  ["migration", "/migration"],
  ["gsas", "/gsas"],
  ["keys", "/keys"],
  ["secrets", "/secrets"],
  ["clusters", "/clusters"],
  ["ksas", "/ksas"],
  ["workloads", "/workloads"],
  ["bindings", "/bindings"],
  ["coverage", "/coverage"],
  ["shared", "/shared"],
  ["matrix", "/matrix"],
  ["a GSA page", "/gsas/" + encodeURIComponent("gsa:common-batch@acme-prod.iam.gserviceaccount.com")],
  ["a workload page", "/workloads/" + encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")],
  ["a cluster page", "/objects/" + encodeURIComponent("cluster:acme-prod/asia-northeast1/prod")],
];

test.describe("at 1280 px", () => {
  test.use({ viewport: { width: 1280, height: 800 } });
  for (const [name, path] of MAIN_PAGES) {
    test(`the ${name} page does not scroll sideways`, async ({ page }) => {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
      // Tables and lists load after the header: wait for them before measuring.
      await page.waitForLoadState("networkidle");
      await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
      const o = await pageOverflow(page);
      expect(o.scrollWidth, `${path}: page ${o.scrollWidth} px wide in a ${o.clientWidth} px window`).toBeLessThanOrEqual(o.clientWidth);
    });
  }

  test("a long id in a table carries its full value as a title and copies it", async ({ page, context }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto("/workloads");
    const first = page.getByTestId("table-workloads").locator("tbody tr").first().locator("td").first();
    const link = first.locator("a").first();
    const full = await link.getAttribute("title");
    expect(full).toMatch(/^workload:[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+\/[A-Za-z]+\/[a-z0-9-]+$/);
    await first.hover();
    await first.getByTestId("copy-button").click();
    await expect(first.getByTestId("copy-button")).toHaveText("copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(full);
  });

  test("the Migration page shows every step column at full width", async ({ page }) => {
    await page.goto("/migration");
    const table = page.getByTestId("table-migration");
    await expect(table.locator("tbody tr").first()).toBeVisible();
    await expect(table.getByTestId("collapsed-header")).toBeHidden();
    await expect(table.locator("thead th").filter({ hasText: /^7/ })).toBeVisible();
  });

  test("Coverage's column headers are apart from each other", async ({ page }) => {
    await page.goto("/coverage");
    const heads = page.getByTestId("coverage-families").locator("thead th");
    await expect(heads.first()).toBeVisible();
    const boxes = await heads.evaluateAll((ths) =>
      ths.map((th) => {
        const r = document.createRange();
        r.selectNodeContents(th);
        const text = r.getBoundingClientRect();
        return { left: text.left, right: text.right, label: th.textContent };
      }),
    );
    // The text of each header ends at least 8 px before the next one's begins.
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].left - boxes[i - 1].right, `${boxes[i - 1].label} | ${boxes[i].label}`).toBeGreaterThanOrEqual(8);
  });
});

test.describe("at 768 px", () => {
  test.use({ viewport: { width: 768, height: 1000 } });
  test("the Migration page does not scroll sideways and folds the steps into one status cell", async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto("/migration");
    const table = page.getByTestId("table-migration");
    await expect(table.locator("tbody tr").first()).toBeVisible({ timeout: 60_000 });
    await page.waitForLoadState("networkidle");
    await expect(table.getByTestId("collapsed-header")).toBeVisible();
    await expect(table.getByTestId("collapsed-header")).toHaveText("Steps left");
    // The step columns are folded away…
    await expect(table.locator("thead th").filter({ hasText: /^7/ })).toBeHidden();
    // …and daily-settlement's cell names the steps it has left.
    const row = table.locator("tbody tr").filter({ hasText: "daily-settlement" });
    await expect(row.getByTestId("collapsed-cell")).toBeVisible();
    await expect(row.getByTestId("collapsed-cell")).toContainText("✗");
    await expect(row.getByTestId("collapsed-cell")).toContainText("7");
    const o = await pageOverflow(page);
    expect(o.scrollWidth, `page ${o.scrollWidth} px wide in a ${o.clientWidth} px window`).toBeLessThanOrEqual(o.clientWidth);
    // The status cell is in view without scrolling the table sideways either.
    const cell = await row.getByTestId("collapsed-cell").boundingBox();
    const box = await table.locator("xpath=..").boundingBox();
    expect(cell!.x + cell!.width).toBeLessThanOrEqual(box!.x + box!.width);
  });
});

test.describe("menus", () => {
  test("the Inventory menu closes on Esc, with focus back on it", async ({ page }) => {
    await page.goto("/");
    const menu = page.getByTestId("inventory-menu");
    await menu.locator("summary").click();
    await expect(menu.getByRole("link", { name: "Keys", exact: true })).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(menu.getByRole("link", { name: "Keys", exact: true })).toBeHidden();
    await expect(menu.locator("summary")).toBeFocused();
  });

  test("the Inventory menu closes on a click outside it, and stays open on a click inside", async ({ page }) => {
    await page.goto("/");
    const menu = page.getByTestId("inventory-menu");
    await menu.locator("summary").click();
    await expect(menu.getByRole("link", { name: "Keys", exact: true })).toBeVisible();
    await menu.locator("ul").click({ position: { x: 5, y: 2 } });
    await expect(menu.getByRole("link", { name: "Keys", exact: true })).toBeVisible();
    await page.getByRole("heading", { level: 1 }).first().click();
    await expect(menu.getByRole("link", { name: "Keys", exact: true })).toBeHidden();
  });
});
