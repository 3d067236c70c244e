import { test, expect } from "@playwright/test";

// Read-only on the demo estate (lib/simulator/estates/demo): staging's Secrets answer 403 (its
// `faults`), so every key's users are partly unknown — the case the key page must say out loud.
const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
const KSA = "ksa:acme-prod/asia-northeast1/prod/orders/orders-api";
const page_ = (s: string) => `/objects/${encodeURIComponent(s)}`;

test("the key page says who uses the key, when it last authenticated, and what the scan could not see", async ({ page }) => {
  await page.goto(page_(KEY));
  const holders = page.getByTestId("key-holders");
  await expect(holders.getByRole("link", { name: /prod\/batch\/common-batch-key/ })).toHaveAttribute("href", `/objects/${encodeURIComponent("secret:acme-prod/asia-northeast1/prod/batch/common-batch-key")}`);
  await expect(holders.getByRole("link", { name: /legacy-batch\/batch\/common-batch-key$/ })).toBeVisible();
  await expect(holders.getByRole("link", { name: /CronJob\/daily-settlement/ })).toHaveAttribute(
    "href",
    `/workloads/${encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")}`,
  );
  await expect(holders).toContainText("via volume");
  await expect(page.getByTestId("key-last-authenticated")).toContainText("2026-11-28");
  const unknown = page.getByTestId("key-unknown");
  await expect(unknown).toContainText("unknown used 2026-11-28; the Secrets of 1 cluster could not be read (Coverage).");
  await expect(unknown.getByRole("link", { name: "Coverage" })).toHaveAttribute("href", "/coverage");
  await expect(unknown).toContainText("acme-staging/asia-northeast1-a/staging");
});

test("a destructive key command carries the warning and the safe order, with its What breaks if… link", async ({ page }) => {
  await page.goto(page_(KEY));
  // The page's own warning, steps spelled out.
  const top = page.getByTestId("key-caution").first();
  await expect(top).toContainText("it authenticated on 2026-11-28, within 30 days of the scan; who uses it is not known in full");
  await expect(top).toContainText("disable → watch → delete");
  await expect(top.getByRole("link", { name: "Ask first: what breaks if I delete it?" })).toHaveAttribute("href", /^\/what-if\?changes=/);
  // And again right above the finding's delete snippet.
  const finding = page.getByTestId("findings").locator("li", { hasText: "key-not-rotated" });
  await finding.getByText("How to fix").click();
  const fix = finding.getByLabel("Replace its users with Workload Identity, then delete it");
  await expect(fix).toContainText("gcloud iam service-accounts keys delete 74177534f46dd1d1fc13635d83481cb1ea6b429c");
  await expect(finding.getByTestId("key-caution")).toBeVisible();
  await expect(finding.getByTestId("key-caution")).toContainText("disable → watch → delete");
});

test("an object page shows fields and grouped relations, with the raw record collapsed behind Raw", async ({ page }) => {
  await page.goto(page_(KSA));
  await expect(page.getByTestId("fields")).toContainText('"orders@acme-prod.iam.gserviceaccount.com"');
  const rel = page.getByTestId("relations");
  await expect(rel.getByRole("region", { name: "Annotated with (acts as, once bound)" }).getByRole("link")).toHaveAttribute("href", `/gsas/${encodeURIComponent("gsa:orders@acme-prod.iam.gserviceaccount.com")}`);
  await expect(rel.getByRole("region", { name: "Used by workloads" }).getByRole("link", { name: /Deployment\/orders-api/ })).toBeVisible();
  const raw = page.getByTestId("raw");
  await expect(raw).not.toHaveAttribute("open", "");
  await expect(raw.locator("pre")).toBeHidden();
  await raw.getByText("Raw").click();
  await expect(raw.locator("pre")).toBeVisible();
  await expect(raw.locator("pre")).toContainText('"gsaAnnotation": "orders@acme-prod.iam.gserviceaccount.com"');
});

test("Kubernetes objects carry a kubectl command in their cluster's context; Google objects a Cloud Console link", async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(page_(KSA));
  await expect(page.getByLabel("kubectl command")).toHaveText("kubectl --context gke_acme-prod_asia-northeast1_prod -n orders get serviceaccount orders-api -o yaml");
  await expect(page.getByLabel("get-credentials command")).toHaveText("gcloud container clusters get-credentials prod --location=asia-northeast1 --project=acme-prod");
  await expect(page.getByTestId("console-link")).toHaveCount(0);

  await page.goto(page_("nodepool:acme-prod/asia-northeast1/prod/default-pool"));
  await expect(page.getByTestId("console-link")).toHaveAttribute("href", "https://console.cloud.google.com/kubernetes/nodepool/asia-northeast1/prod/default-pool?project=acme-prod");
  await page.goto(page_(KEY));
  await expect(page.getByTestId("console-link")).toHaveAttribute("href", "https://console.cloud.google.com/iam-admin/serviceaccounts/details/common-batch%40acme-prod.iam.gserviceaccount.com/keys?project=acme-prod");
  await page.goto(`/gsas/${encodeURIComponent("gsa:common-batch@acme-prod.iam.gserviceaccount.com")}`);
  await expect(page.getByTestId("console-link")).toHaveAttribute("href", /^https:\/\/console\.cloud\.google\.com\/iam-admin\/serviceaccounts\/details\/\d+\?project=acme-prod$/);
  await page.goto(`/workloads/${encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")}`);
  await page.getByRole("button", { name: "kubectl ▾" }).click();
  await expect(page.getByLabel("kubectl command")).toHaveText("kubectl --context gke_acme-prod_asia-northeast1_prod -n batch get cronjob daily-settlement -o yaml");
});

test("a subject nobody has seen is a Not found page with a way back, and the API answers 404", async ({ page, request }) => {
  const missing = "ksa:acme-prod/asia-northeast1/prod/nowhere/nobody";
  const api = await request.get(`/api/objects/${encodeURIComponent(missing)}`);
  expect(api.status()).toBe(404);
  expect((await api.json()).error.message).toBe(`Nothing is known about ${missing}`);
  await page.goto(page_(missing));
  const nf = page.getByTestId("not-found");
  await expect(nf.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(nf.getByRole("link", { name: "All kubernetes service accounts" })).toHaveAttribute("href", "/ksas");
  await expect(nf.getByRole("combobox")).toBeVisible();
});
