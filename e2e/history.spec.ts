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
    // The web asks for the scan and the scanner (in npm start's launcher) runs it: its row appears and finishes.
    await expect(page.getByTestId("scans").locator("tbody tr")).toHaveCount(before + 1, { timeout: 30_000 });
    await expect(page.getByTestId("scans").locator("tbody tr").first()).toContainText(/succeeded|partial/, { timeout: 60_000 });

    await page.goto("/changes");
    await expect(page.getByTestId("changes-key")).toContainText(`acme-prod.iam.gserviceaccount.com/${KEY}`);
    await expect(page.getByTestId("changes-key")).toContainText("deleted");

    await page.goto("/trends");
    await expect(page.getByTestId("trend-user_managed_keys").locator(".recharts-line-dot").first()).toBeVisible();
    const points = await page.locator(".sr-only > table").nth(1).locator("tbody tr").allTextContents();
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
    // The first is either still waiting for the scanner to claim it, or already running.
    expect(body.error.message).toMatch(/^Scan #\d+ \((started|requested) .*, manual\) is (still running|waiting for the scanner)$/);
    expect(body.error.running.id).toBeGreaterThan(0);
  }
});

test("a scan that no longer sees most KSAs keeps them as partial, and Accept retirement on the Scans page applies it", async ({ page, request, baseURL }) => {
  test.setTimeout(240_000);
  const FILE = ".wi-atlas/e2e/estate/clusters/staging.yaml";
  const original = readFileSync(FILE, "utf8");
  const extra = Array.from({ length: 100 }, (_, i) => `---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: e2e-sa-${i}, namespace: default}\n`).join("");
  const scanAndWait = async (start: () => Promise<void>) => {
    await expect.poll(async () => (await (await request.get("/api/scans/current")).json()).running, { timeout: 60_000 }).toBeNull();
    const before = (await (await request.get("/api/scans")).json()).scans[0]?.id ?? 0;
    await start();
    await expect.poll(async () => (await (await request.get("/api/scans")).json()).scans[0]?.id, { timeout: 30_000 }).toBeGreaterThan(before);
    await expect.poll(async () => (await (await request.get("/api/scans/current")).json()).running, { timeout: 120_000 }).toBeNull();
    return (await (await request.get("/api/scans")).json()).scans[0] as { id: number; status: string; error: string | null };
  };
  const scanNow = async () => {
    // A scan that is still being handed to the scanner answers 409; ask again once it is gone.
    await expect
      .poll(async () => (await request.post("/api/scans", { headers: { origin: baseURL!, "content-type": "application/json" } })).status(), { timeout: 60_000 })
      .toBe(202);
  };
  try {
    // No scan of an earlier test may straddle the edit (it would read part of the estate before it).
    await expect.poll(async () => (await (await request.get("/api/scans/current")).json()).running, { timeout: 60_000 }).toBeNull();
    // 100 more KSAs, scanned…
    writeFileSync(FILE, original.replace(/\n*$/, "\n") + extra);
    await new Promise((r) => setTimeout(r, 1000)); // the simulator notices a change within half a second
    await scanAndWait(scanNow);
    // …then gone at once: the scan keeps them and says why.
    writeFileSync(FILE, original);
    await new Promise((r) => setTimeout(r, 1000));
    const held = await scanAndWait(scanNow);
    expect(held.status).toBe("partial");
    expect(held.error).toMatch(/^Retirement held back: this scan no longer saw 100 of the \d+ current ksa objects/);

    await page.goto("/scans");
    const box = page.getByTestId("held-retirement");
    await expect(box).toContainText(`Scan #${held.id} kept objects it no longer saw`);
    await expect(box).toContainText(/100 of \d+ ksa objects/);
    const accepted = await scanAndWait(async () => {
      await box.getByRole("button", { name: "Accept retirement" }).click();
      await expect(box.getByRole("status")).toContainText(/Scan #\d+ started; it applies the retirement/);
    });
    // The demo estate scans partial by design (sources it cannot read); what matters is that nothing is held.
    expect(accepted.status).toMatch(/^(succeeded|partial)$/);
    expect(accepted.error ?? "").not.toMatch(/Retirement held back/);
    await page.reload();
    await expect(page.getByTestId("scans").locator("tbody tr").first()).toContainText(String(accepted.id));
    await expect(page.getByTestId("held-retirement")).toHaveCount(0);
    await expect(page.getByTestId("scans").locator("tbody tr").first()).toContainText("0 new, 100 closed");
  } finally {
    writeFileSync(FILE, original);
  }
});
