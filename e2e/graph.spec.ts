import { test, expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { TablePage, parseCsv } from "./pages";

const COMMON_BATCH = "gsa:common-batch@acme-prod.iam.gserviceaccount.com";

// The first layout on a page loads and compiles ELK (1.6 MB) in a worker; on a CI machine running two
// browsers, the server and PostgreSQL on two cores that has taken over 15 s. Past 30 s the page draws
// plain columns instead, so waiting 45 s for a node still fails if nothing is ever drawn.
const LAYOUT = { timeout: 75_000 };
test.describe.configure({ timeout: 120_000 });

test("clicking common-batch in the overview's most-shared list shows its keys, the Secrets holding them, the CronJobs mounting those and roles/editor", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("most-shared-gsa").filter({ hasText: "common-batch@acme-prod.iam.gserviceaccount.com" }).click();
  await expect(page).toHaveURL(new RegExp(`/graph\\?focus=${encodeURIComponent(COMMON_BATCH).replace(/\./g, "\\.")}`));
  const canvas = page.getByTestId("graph-canvas");
  await expect(canvas.getByTestId(`node-${COMMON_BATCH}`)).toBeVisible(LAYOUT);
  // Its key, every Secret holding it, the CronJobs mounting those (legacy, amber), and the project it is editor on.
  for (const id of [
    "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c",
    "secret:acme-prod/asia-northeast1/prod/batch/common-batch-key",
    "secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key",
    "secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key",
    "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement",
    "workload:acme-prod/asia-northeast1/prod/batch/CronJob/hourly-export",
    "workload:acme-prod/asia-northeast1/prod/reporting/CronJob/monthly-report",
    "workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync",
    "project:acme-prod",
  ]) {
    await expect(canvas.getByTestId(`node-${id}`)).toBeAttached();
  }
  await expect(canvas.getByTestId("node-workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")).toHaveCSS("border-top-color", "rgb(217, 119, 6)");
  const stats = await page.getByTestId("graph-stats").textContent();
  const drawn = Number(/^(\d+) nodes drawn/.exec(stats ?? "")?.[1]);
  expect(drawn).toBeGreaterThan(10);
  expect(drawn).toBeLessThanOrEqual(300);
  // The edge to the project says roles/editor.
  await canvas.getByTestId(`node-${COMMON_BATCH}`).click();
  await expect(page.getByTestId("side-panel")).toContainText("GSA holds role (editor)");
});

test("a collapsed namespace expands on click, and a node leads to its page", async ({ page }) => {
  // Grouped by cluster, the prod cluster's KSAs and workloads collapse into groups.
  await page.goto(`/graph?focus=${encodeURIComponent("cluster:acme-prod/asia-northeast1/prod")}&hops=3&group=cluster`);
  const canvas = page.getByTestId("graph-canvas");
  // The view opens readable on the cluster and its neighbours; the groups are further out: zoom out to all.
  await expect(canvas.getByTestId("node-cluster:acme-prod/asia-northeast1/prod")).toBeVisible(LAYOUT);
  await canvas.locator(".react-flow__controls-fitview").click();
  const group = canvas.locator('[data-testid^="node-group:cluster:"]').first();
  await expect(group).toBeVisible(LAYOUT);
  const groupId = (await group.getAttribute("data-testid"))!.slice("node-".length);
  const key = groupId.split(":")[2];
  await group.click();
  await expect(page).toHaveURL(new RegExp(`expand=${encodeURIComponent(key).replace(/\./g, "\\.")}`));
  await expect(canvas.locator(`[data-testid="node-${groupId}"]`)).toHaveCount(0, LAYOUT);
  // Select a workload and follow it to its page.
  await expect(page.getByText("Laying out…")).toBeHidden(LAYOUT);
  await canvas.locator(".react-flow__controls-fitview").click();
  const workload = canvas.locator('[data-testid^="node-workload:"]').first();
  await workload.click();
  await page.getByTestId("side-panel").getByRole("link", { name: "Open its page" }).click();
  await expect(page).toHaveURL(/\/workloads\/workload%3A/);
  await expect(page.getByTestId("steps")).toBeVisible();
});

test("search finds a key by its id and jumps to it", async ({ page }) => {
  await page.goto("/");
  const box = page.getByRole("combobox", { name: /Search GSAs/ });
  // "/" works once the page's script has loaded; before that a user (and this test) presses again.
  await expect(async () => {
    await page.keyboard.press("/");
    await expect(box).toBeFocused({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await box.fill("74177534f46d");
  const option = page.getByRole("option").filter({ hasText: "74177534f46dd1d1fc13635d83481cb1ea6b429c" });
  await expect(option).toBeVisible();
  await box.press("Enter");
  await expect(page).toHaveURL(/\/objects\/key%3Acommon-batch/);
  await expect(page.getByRole("heading", { name: /74177534f46dd1d1fc13635d83481cb1ea6b429c/ })).toBeVisible();
});

test("the GSA × namespace matrix shows common-batch across namespaces, with the same rows in its CSV", async ({ page }) => {
  await page.goto("/matrix?project=acme-prod");
  const matrix = page.getByTestId("matrix");
  await expect(matrix).toContainText("common-batch@acme-prod.iam.gserviceaccount.com");
  const { text } = await new TablePage(page, "gsa-namespace-matrix").downloadCsv();
  const rows = parseCsv(text);
  expect(rows[0]).toEqual(["subject", "namespace_subject", "cluster", "namespace", "ksas", "workloads", "key_secrets"]);
  expect(rows.slice(1).every((r) => r[1].startsWith("namespace:acme-prod/"))).toBe(true);
  expect(rows.slice(1).filter((r) => r[0] === "gsa:common-batch@acme-prod.iam.gserviceaccount.com").map((r) => r[3]).sort()).toEqual(["batch", "reporting"]);
});

test("the GSA audit report is printable and lists who uses it and where its keys are", async ({ page }) => {
  await page.goto(`/gsas/${encodeURIComponent(COMMON_BATCH)}/audit`);
  const audit = page.getByTestId("audit");
  await expect(audit).toContainText("Who uses it (4 workloads act as it)");
  await expect(audit).toContainText("mounted by batch/CronJob/daily-settlement");
  await expect(audit).toContainText("roles/editor on project:acme-prod");
  await page.emulateMedia({ media: "print" });
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
});

for (const [name, path] of [
  ["overview", "/"],
  ["graph", `/graph?focus=${encodeURIComponent(COMMON_BATCH)}`],
  ["findings", "/findings"],
  ["migration", "/migration"],
  ["a GSA page", `/gsas/${encodeURIComponent(COMMON_BATCH)}`],
  ["a workload page", `/workloads/${encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")}`],
  ["the matrix", "/matrix"],
  ["coverage", "/coverage"],
] as const) {
  test(`${name} has no serious or critical accessibility violations, in light and dark mode`, async ({ page }) => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(path);
      await page.waitForLoadState("networkidle");
      await expect(page.locator("main h1").first()).toBeVisible();
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${scheme}: ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)).toEqual([]);
    }
  });
}

test("the graph exports as PNG and as GraphML", async ({ page }) => {
  await page.goto(`/graph?focus=${encodeURIComponent(COMMON_BATCH)}`);
  await expect(page.getByTestId(`node-${COMMON_BATCH}`)).toBeVisible(LAYOUT);
  const [png] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("wi-atlas-graph-common-batch@acme-prod.iam.gserviceaccount.com.png");
  const bytes = readFileSync(await png.path());
  expect(bytes.subarray(1, 4).toString()).toBe("PNG");
  const [gml] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "GraphML" }).click()]);
  const xml = readFileSync(await gml.path(), "utf8");
  expect(xml).toContain(`<node id="${COMMON_BATCH}">`);
});

/** The drawing's zoom, read from React Flow's viewport transform. */
const zoomOf = (page: Page) => page.locator(".react-flow__viewport").evaluate((el) => Number(/scale\(([\d.]+)\)/.exec((el as HTMLElement).style.transform)?.[1] ?? NaN));

/** The smallest font size of any text drawn on a node, box or edge label, in drawing pixels. */
const smallestFont = (page: Page) =>
  page.locator(".react-flow__viewport").evaluate((root) => {
    let min = Infinity;
    for (const el of root.querySelectorAll<HTMLElement | SVGElement>(".react-flow__node *, .react-flow__edge-text")) {
      const ownText = [...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent!.trim());
      if (ownText) min = Math.min(min, parseFloat(getComputedStyle(el).fontSize));
    }
    return min;
  });

/** Drawn nodes' boxes in drawing coordinates (position from the node's transform, size unscaled). */
const drawnBoxes = (page: Page) =>
  page.locator(".react-flow__viewport").evaluate((root) =>
    [...root.querySelectorAll<HTMLElement>(".react-flow__node")]
      .filter((n) => n.querySelector('[data-testid^="node-"]'))
      .map((n) => {
        const m = /translate\(([-\d.]+)px,\s*([-\d.]+)px\)/.exec(n.style.transform)!;
        return { x: Number(m[1]), y: Number(m[2]), width: n.offsetWidth, height: n.offsetHeight };
      }),
  );

const drawnCount = async (page: Page) => Number(/^(\d+) nodes drawn/.exec((await page.getByTestId("graph-stats").textContent()) ?? "")?.[1]);

for (const [name, path] of [
  ["the overview", "/graph"],
  ["common-batch's view", `/graph?focus=${encodeURIComponent(COMMON_BATCH)}`],
] as const) {
  test(`${name} opens readable: no label under 11 px on screen, and the legend covers no node`, async ({ page }) => {
    await page.goto(path);
    await expect(page.locator('.react-flow__node [data-testid^="node-"]').first()).toBeVisible(LAYOUT);
    await expect(page.getByText("Laying out…")).toBeHidden(LAYOUT);
    await page.waitForTimeout(300); // the opening viewport is set on the next frame
    const zoom = await zoomOf(page);
    const font = await smallestFont(page);
    expect(font * zoom).toBeGreaterThanOrEqual(11);
    // Every node's box as seen (clipped to the canvas) stays clear of the legend.
    const legend = (await page.getByTestId("graph-legend").boundingBox())!;
    const canvas = (await page.getByTestId("graph-canvas").boundingBox())!;
    const boxes = await page.locator('.react-flow__node:has([data-testid^="node-"])').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
    expect(boxes.length).toBeGreaterThan(0);
    for (const b of boxes) {
      const x0 = Math.max(b.x, canvas.x);
      const y0 = Math.max(b.y, canvas.y);
      const x1 = Math.min(b.x + b.width, canvas.x + canvas.width);
      const y1 = Math.min(b.y + b.height, canvas.y + canvas.height);
      if (x1 <= x0 || y1 <= y0) continue; // off screen
      const overlaps = x0 < legend.x + legend.width && legend.x < x1 && y0 < legend.y + legend.height && legend.y < y1;
      expect(overlaps).toBe(false);
    }
  });
}

test("double-click focuses, a focused key draws only what reaches it, and Back walks the focus history to the overview", async ({ page }) => {
  await page.goto("/graph");
  await expect(page.locator('.react-flow__node [data-testid^="node-"]').first()).toBeVisible(LAYOUT);
  await expect(page.getByRole("button", { name: "← Overview of all clusters" })).toHaveCount(0);
  // Then common-batch's view (a page of its own in the history).
  await page.goto(`/graph?focus=${encodeURIComponent(COMMON_BATCH)}`);
  await expect(page).toHaveURL(new RegExp(`focus=${encodeURIComponent(COMMON_BATCH).replace(/\./g, "\\.")}`));
  const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
  const key = page.getByTestId(`node-${KEY}`);
  await expect(key).toBeVisible(LAYOUT);
  await expect(page.getByText("Laying out…")).toBeHidden(LAYOUT);
  // Double-click the key: the page focuses on it. (Fit the view first: the opening view centres on
  // the GSA at zoom 1 and may clip the key at the canvas edge, where a pointer could not reach it.)
  // Known gap: a double-click on a node not yet selected does not focus in this browser test (the
  // first click's selection re-renders it); select it first, as the side panel invites.
  await page.getByTestId("graph-canvas").locator(".react-flow__controls-fitview").click();
  await key.click();
  await expect(page.getByTestId("graph-canvas").locator("xpath=..")).toContainText(KEY);
  await key.dblclick();
  await expect(page).toHaveURL(new RegExp(`focus=${encodeURIComponent(KEY).replace(/\./g, "\\.")}`));
  await expect(page.getByTestId("graph-stats")).toHaveText(/^19 nodes drawn/, LAYOUT);
  await expect(page.getByTestId(`node-${KEY}`)).toContainText("focus");
  // Only what reaches the key: not the GSA's other keys, its 2018 Secret, or the project it holds a role on.
  const canvas = page.getByTestId("graph-canvas");
  await canvas.locator(".react-flow__controls-fitview").click();
  await expect(canvas.getByTestId(`node-${COMMON_BATCH}`)).toBeAttached();
  await expect(canvas.getByTestId("node-secret:acme-prod/asia-northeast1/prod/reporting/common-batch-key")).toBeAttached();
  await expect(canvas.getByTestId("node-project:acme-prod")).toHaveCount(0);
  await expect(canvas.getByTestId("node-key:common-batch@acme-prod.iam.gserviceaccount.com/0370c718ea292bb6ff2a74133cceb72af49b83f1")).toHaveCount(0);
  await expect(canvas.getByTestId("node-secret:acme-legacy/asia-northeast1-b/legacy-batch/batch/common-batch-key-2018")).toHaveCount(0);
  // Back: common-batch again; Back again: the overview.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`focus=${encodeURIComponent(COMMON_BATCH).replace(/\./g, "\\.")}$`));
  await expect(page.getByTestId(`node-${COMMON_BATCH}`)).toContainText("focus", LAYOUT);
  await page.goBack();
  await expect(page).toHaveURL(/\/graph$/);
  await expect(page.getByRole("button", { name: "← Overview of all clusters" })).toHaveCount(0);
  // Forward, then the overview button: also a step Back undoes.
  await page.goForward();
  await page.getByRole("button", { name: "← Overview of all clusters" }).click();
  await expect(page).toHaveURL(/\/graph$/);
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`focus=${encodeURIComponent(COMMON_BATCH).replace(/\./g, "\\.")}$`));
});

test("the PNG covers the whole drawing, not the part on screen, at twice its size, and is named after the focus", async ({ page }) => {
  await page.goto(`/graph?focus=${encodeURIComponent(COMMON_BATCH)}`);
  await expect(page.getByTestId(`node-${COMMON_BATCH}`)).toBeVisible(LAYOUT);
  await expect(page.getByText("Laying out…")).toBeHidden(LAYOUT);
  // Zoomed out to everything, every node is drawn: its boxes' bounds are the drawing's.
  const canvas = page.getByTestId("graph-canvas");
  await canvas.locator(".react-flow__controls-fitview").click();
  await expect.poll(async () => (await drawnBoxes(page)).length).toBe(await drawnCount(page));
  const boxes = await drawnBoxes(page);
  const width = Math.max(...boxes.map((b) => b.x + b.width)) - Math.min(...boxes.map((b) => b.x));
  const height = Math.max(...boxes.map((b) => b.y + b.height)) - Math.min(...boxes.map((b) => b.y));
  // Zoom in far and select a node (dimming the rest): the export must not depend on either.
  for (let i = 0; i < 4; i++) await canvas.locator(".react-flow__controls-zoomin").click();
  await page.getByTestId(`node-${COMMON_BATCH}`).click();
  const [png] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "PNG" }).click()]);
  expect(png.suggestedFilename()).toBe("wi-atlas-graph-common-batch@acme-prod.iam.gserviceaccount.com.png");
  const bytes = readFileSync(await png.path());
  expect(bytes.subarray(12, 16).toString()).toBe("IHDR");
  const [pw, ph] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  // Twice the drawing (pixel ratio 2) plus 40 px of margin each side; never smaller than the drawing.
  expect(pw).toBeGreaterThanOrEqual(2 * width);
  expect(ph).toBeGreaterThanOrEqual(2 * height);
  // At most 60 px more each side: the margin, plus arrowheads and edge labels beyond the node boxes.
  expect(pw).toBeLessThanOrEqual(2 * (width + 120));
  expect(ph).toBeLessThanOrEqual(2 * (height + 120));
  const [svg] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "SVG" }).click()]);
  expect(svg.suggestedFilename()).toBe("wi-atlas-graph-common-batch@acme-prod.iam.gserviceaccount.com.svg");
  expect(readFileSync(await svg.path(), "utf8")).toContain("<svg");
});

test("a role edge is a broad grant, not a broken link, and legacy and broad differ in colour and line style", async ({ page }) => {
  await page.goto(`/graph?focus=${encodeURIComponent(COMMON_BATCH)}`);
  await expect(page.getByTestId(`node-${COMMON_BATCH}`)).toBeVisible(LAYOUT);
  const edgePath = (id: string) => page.getByTestId(`rf__edge-${id}`).locator("path.react-flow__edge-path");
  const role = edgePath(`holds-role|${COMMON_BATCH}|project:acme-prod|editor`);
  await expect(role).toHaveAttribute("style", /stroke: rgb\(124, 58, 237\).*stroke-dasharray: 12(px)?,? 6/);
  const key = edgePath(`key-of|${COMMON_BATCH}|key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c|key`);
  await expect(key).toHaveAttribute("style", /stroke: rgb\(217, 119, 6\).*stroke-dasharray: 2(px)?,? 4/);
  const legend = page.getByTestId("graph-legend");
  await expect(legend).toContainText("broad grant (principalSet, unverified binding, basic or admin role) — purple, long dashes");
  await expect(legend).toContainText("legacy path (node account, key file) — amber, dotted");
  await expect(legend).toContainText("broken link (unbound, missing, stale) — red, short dashes");
});

test("repeated names carry their scope, and grouping by cluster draws each cluster's nodes inside its box", async ({ page }) => {
  await page.goto(`/graph?focus=${encodeURIComponent(COMMON_BATCH)}&group=cluster`);
  await expect(page.getByTestId(`node-${COMMON_BATCH}`)).toBeVisible(LAYOUT);
  await expect(page.getByText("Laying out…")).toBeHidden(LAYOUT);
  const canvas = page.getByTestId("graph-canvas");
  await canvas.locator(".react-flow__controls-fitview").click();
  await expect(canvas.getByTestId("node-ksa:acme-prod/asia-northeast1/prod/batch/default").getByTestId("node-label")).toHaveText("default · batch · prod/asia-northeast1");
  await expect(canvas.getByTestId("node-namespace:acme-legacy/asia-northeast1-b/legacy-batch/batch").getByTestId("node-label")).toHaveText("batch · legacy-batch/asia-northeast1-b");
  const prod = canvas.getByTestId("box-cluster:acme-prod/asia-northeast1/prod");
  const legacy = canvas.getByTestId("box-cluster:acme-legacy/asia-northeast1-b/legacy-batch");
  await expect(prod).toContainText("Cluster prod/asia-northeast1");
  const within = async (node: string, box: typeof prod) => {
    const n = (await canvas.getByTestId(`node-${node}`).boundingBox())!;
    const b = (await box.boundingBox())!;
    return n.x >= b.x && n.y >= b.y && n.x + n.width <= b.x + b.width + 0.5 && n.y + n.height <= b.y + b.height + 0.5;
  };
  expect(await within("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement", prod)).toBe(true);
  expect(await within("namespace:acme-prod/asia-northeast1/prod/reporting", prod)).toBe(true);
  expect(await within("workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync", legacy)).toBe(true);
  expect(await within("workload:acme-legacy/asia-northeast1-b/legacy-batch/batch/CronJob/common-batch-sync", prod)).toBe(false);
  expect(await within(COMMON_BATCH, prod)).toBe(false);
});
