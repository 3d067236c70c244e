import { test, expect } from "@playwright/test";

const PROD = "cluster:acme-prod/asia-northeast1/prod";

// Each test walks several pages; the machine running them may be busy.
test.setTimeout(120_000);

test("the prod cluster page answers what is left: share done, the checklist with its remaining items, the legacy pool with its workloads", async ({ page }) => {
  await page.goto("/objects/" + encodeURIComponent(PROD));
  const overview = page.getByTestId("cluster-overview");
  await expect(overview).toBeVisible();

  // Share done, as on the Migration page: 7 of 16 workloads.
  const progress = page.getByTestId("cluster-progress");
  await expect(progress.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "44");
  await expect(progress).toContainText("7 of 16 workloads done");

  // The checklist: steps 1 and 2 done, 3 to 8 not.
  const list = page.getByTestId("cluster-checklist");
  await expect(list.locator("> li")).toHaveCount(8);
  for (const n of [1, 2]) await expect(page.getByTestId(`step-${n}`)).toHaveAttribute("data-state", "done");
  for (const n of [3, 4, 5, 6, 7, 8]) await expect(page.getByTestId(`step-${n}`)).toHaveAttribute("data-state", "todo");

  // Step 3 names the KSAs left to do, five of six shown: billing/invoice-api is not annotated, and
  // batch's default KSA runs the two CronJobs that still use common-batch's key.
  const step3 = page.getByTestId("step-3");
  await expect(step3).toContainText("6 left");
  await expect(step3.locator("li").filter({ hasText: "acme-prod/asia-northeast1/prod/billing/invoice-api" })).toContainText("KSA invoice-api has no iam.gke.io/gcp-service-account annotation");
  const batch = step3.locator("li").filter({ hasText: "acme-prod/asia-northeast1/prod/batch/default" });
  await expect(batch).toContainText("runs as the namespace's default KSA (used by daily-settlement, hourly-export)");
  await expect(page.getByTestId("step-3-more")).toHaveText("and 1 more");

  // Step 6 has 9 workloads left: five shown, then "and 4 more" to the Migration table for this cluster.
  const more = page.getByTestId("step-6-more");
  await expect(more).toHaveText("and 4 more");
  await expect(more).toHaveAttribute("href", `/migration?cluster=${encodeURIComponent(PROD)}&sort=step6_identity_is_gsa&order=desc`);

  // Step 8: the legacy pool default-pool, with the workloads still on it.
  const pools = page.getByTestId("legacy-pools");
  await expect(pools).toContainText("7 pods still run here");
  const pool = pools.locator("> li").filter({ hasText: "acme-prod/asia-northeast1/prod/default-pool" });
  await expect(pool.locator("li")).toHaveCount(5);
  await expect(pool.locator("li").filter({ hasText: "web/Deployment/frontend" })).toContainText("to-migrate");

  // Findings by rule link to the findings of this cluster and rule.
  const rule = page.getByTestId("cluster-findings").getByRole("link", { name: "key-in-secret" });
  await expect(rule).toHaveAttribute("href", `/findings?cluster=${encodeURIComponent(PROD)}&rule=key-in-secret`);
  await expect(page.getByTestId("cluster-findings").locator("tr").filter({ hasText: "key-in-secret" })).toContainText("3");

  // Node pools and namespaces, each with its own progress.
  await expect(page.getByTestId("cluster-pools").locator("tr").filter({ hasText: "default-pool" })).toContainText("0/5");
  await expect(page.getByTestId("cluster-namespaces").locator("tr").filter({ hasText: /^web/ })).toContainText("0/3");
});

test("the links under the checklist lead to the workload and the legacy pool", async ({ page }) => {
  await page.goto("/objects/" + encodeURIComponent(PROD));
  const pool = page.getByTestId("legacy-pools").locator("> li").filter({ hasText: "default-pool" });
  await pool.getByRole("link", { name: /prod\/web\/Deployment\/frontend/ }).click();
  await expect(page).toHaveURL(/\/workloads\/workload%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fweb%2FDeployment%2Ffrontend$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("frontend");

  await page.goBack();
  await page.getByTestId("legacy-pools").getByRole("link", { name: "acme-prod/asia-northeast1/prod/default-pool" }).click();
  await expect(page).toHaveURL(/\/objects\/nodepool%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fdefault-pool$/);
  // The pool's own page carries its progress line: 0 of the 5 workloads on it done.
  await expect(page.getByTestId("scope-progress")).toContainText("0/5");

  await page.goto("/objects/" + encodeURIComponent(PROD));
  await page.getByTestId("step-6-more").click();
  await expect(page).toHaveURL(/\/migration\?cluster=/);
  await expect(page.getByTestId("row-count")).toContainText("of 16", { timeout: 60_000 });
});

test("a cluster whose Secrets could not be read says step 7 and its keys are unknown (source failed), linked to Coverage", async ({ page }) => {
  await page.goto("/objects/" + encodeURIComponent("cluster:acme-staging/asia-northeast1-a/staging"));
  await expect(page.getByTestId("cluster-failed-sources")).toContainText("k8s.secrets:acme-staging/asia-northeast1-a/staging");
  const step7 = page.getByTestId("step-7");
  await expect(step7.getByTestId("unknown-source-failed")).toHaveAttribute("href", "/coverage");
  await expect(page.getByTestId("cluster-progress").getByText("Keys in Secrets").locator("..")).toContainText("unknown (source failed)");
});
