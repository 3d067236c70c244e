import { test, expect } from "@playwright/test";
import { readFileSync, writeFileSync } from "node:fs";

// These tests start scans: one after the other, never beside each other.
test.describe.configure({ mode: "serial" });

const ESTATE = ".wi-atlas/e2e/estate/estate.yaml";
const KEY = "0370c718ea292bb6ff2a74133cceb72af49b83f1";
const KEY_SUBJECT = `key:common-batch@acme-prod.iam.gserviceaccount.com/${KEY}`;

test("editing the estate and rescanning shows the change in the diff page, the trend chart and the key's timeline", async ({ page }) => {
  test.setTimeout(120_000);
  const original = readFileSync(ESTATE, "utf8");
  // Delete the key: its list item and the lines indented under it.
  const lines = original.split("\n");
  const at = lines.findIndex((l) => l.includes(`keyId: ${KEY}`));
  expect(at, "the demo estate has the key this test deletes").toBeGreaterThan(0);
  const indent = lines[at].indexOf("-");
  let end = at + 1;
  while (end < lines.length && lines[end].trim() !== "" && lines[end].search(/\S/) > indent) end++;
  writeFileSync(ESTATE, [...lines.slice(0, at), ...lines.slice(end)].join("\n"));
  try {
    await page.goto("/scans");
    const before = await page.getByTestId("scans").locator("tbody tr").count();
    await page.getByTestId("scan-progress").getByRole("button", { name: "Scan now" }).click();
    // The scan runs in the web server; its row appears and finishes.
    await expect(page.getByTestId("scans").locator("tbody tr")).toHaveCount(before + 1, { timeout: 30_000 });
    await expect(page.getByTestId("scans").locator("tbody tr").first()).toContainText(/succeeded|partial/, { timeout: 60_000 });

    await page.goto("/changes");
    await expect(page.getByTestId("changes-key")).toContainText(`acme-prod.iam.gserviceaccount.com/${KEY}`);
    await expect(page.getByTestId("changes-key")).toContainText("deleted");

    await page.goto("/trends");
    await expect(page.getByTestId("trend-user_managed_keys").locator(".recharts-line-dot").first()).toBeVisible();
    const points = await page.locator("table.sr-only").nth(1).locator("tbody tr").allTextContents();
    expect(points.length).toBeGreaterThanOrEqual(2);

    await page.goto(`/objects/${encodeURIComponent(KEY_SUBJECT)}`);
    const timeline = page.getByTestId("timeline");
    await expect(timeline).toContainText("first seen");
    await expect(timeline).toContainText("gone");
  } finally {
    writeFileSync(ESTATE, original);
  }
});

test("starting a scan while one runs answers 409 with the running scan", async ({ request, baseURL }) => {
  await expect.poll(async () => (await (await request.get("/api/scans/current")).json()).running, { timeout: 60_000 }).toBeNull();
  // A state change must come from the dashboard's origin as JSON (lib/http/security.ts).
  const headers = { origin: baseURL!, "content-type": "application/json" };
  const first = await request.post("/api/scans", { headers });
  const second = await request.post("/api/scans", { headers });
  const statuses = [first.status(), second.status()].sort();
  // Either both raced one scan (202 + 409), or the first finished before the second (202 + 202).
  expect(statuses[0]).toBe(202);
  if (statuses[1] === 409) {
    const body = await (first.status() === 409 ? first : second).json();
    expect(body.error.message).toMatch(/Scan #\d+ .* is still running/);
    expect(body.error.running.id).toBeGreaterThan(0);
  }
});
