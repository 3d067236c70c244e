/**
 * Sign-in and roles in a real browser against a server running WI_ATLAS_AUTH=oidc with a local
 * identity provider (see serve-with-oidc.ts and users.ts): ann@example.com is a viewer (by domain),
 * ops@example.com an operator (by the provider's groups claim), boss@example.com an admin (by
 * address), stranger@elsewhere.net on no list.
 */
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const SUBJECT = "ksa:acme-data/asia-northeast1/analytics/reporting/report-exporter";

async function signIn(page: Page, email: string, startAt = "/") {
  await page.goto(startAt);
  await expect(page).toHaveTitle("Test identity provider");
  await page.getByRole("button", { name: `Sign in as ${email}` }).click();
}

async function signedInAs(page: Page, email: string, role: string) {
  await expect(page.getByTestId("signed-in")).toContainText(email);
  await expect(page.getByTestId("signed-in")).toContainText(role);
}

/** Every route file under app/api, with the methods it exports, as `METHOD /api/path/[param]`. */
function apiRoutes(): { method: string; route: string }[] {
  const root = path.join("app", "api");
  const out: { method: string; route: string }[] = [];
  for (const f of readdirSync(root, { recursive: true }) as string[]) {
    if (path.basename(f) !== "route.ts") continue;
    const route = "/api/" + path.dirname(f).split(path.sep).join("/");
    const src = readFileSync(path.join(root, f), "utf8");
    for (const m of src.matchAll(/export (?:const|async function) (GET|POST|PUT|PATCH|DELETE)\b/g)) out.push({ method: m[1], route });
  }
  return out.sort((a, b) => (a.route + a.method).localeCompare(b.route + b.method));
}

const SAMPLE: Record<string, string> = { subject: encodeURIComponent("gsa:nobody@acme-prod.iam.gserviceaccount.com"), report: "gsas", id: "999999" };
const urlOf = (route: string) => route.replace(/\[(\w+)\]/g, (_m, p: string) => SAMPLE[p] ?? "x");

/** State-changing routes and the role each needs; every other route must be a read (GET). */
const NEEDS: Record<string, "operator" | "admin"> = {
  "POST /api/scans": "operator",
  "POST /api/scans/[id]/cancel": "operator",
  "POST /api/scans/accept-retirement": "admin",
  "POST /api/suppressions": "admin",
  "DELETE /api/suppressions/[id]": "admin",
};
const OPEN = ["/api/health", "/api/auth/login", "/api/auth/callback", "/api/auth/logout"];
/** POSTs that change nothing (a question in a body): readers may ask them. */
const READ_POSTS = ["POST /api/what-if"];
const isRead = (method: string, route: string) => method === "GET" || READ_POSTS.includes(`${method} ${route}`);

function call(request: APIRequestContext, method: string, url: string, baseURL: string) {
  // Same-origin and JSON, so only the sign-in decides (not the cross-site request checks).
  return request.fetch(url, { method, maxRedirects: 0, headers: { origin: baseURL, "content-type": "application/json" }, ...(method === "GET" ? {} : { data: { rule: "gsa-shared", subject: SUBJECT, reason: "test" } }) });
}

test("every API route answers 401 without a session, except health and the sign-in routes", async ({ playwright, baseURL }) => {
  const routes = apiRoutes();
  expect(routes.length).toBeGreaterThan(30);
  const anon = await playwright.request.newContext({ baseURL });
  for (const { method, route } of routes) {
    const res = await call(anon, method, urlOf(route), baseURL!);
    const label = `${method} ${route}`;
    if (route === "/api/health") {
      expect(res.status(), label).toBe(200);
      expect(await res.json(), label).toEqual({ status: "ok" });
    } else if (route === "/api/auth/login") {
      expect(res.status(), label).toBe(302);
      expect(res.headers().location, label).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
    } else if (route === "/api/auth/callback") {
      expect(res.status(), label).toBe(400);
    } else if (route === "/api/auth/logout") {
      expect(res.status(), label).toBe(302);
    } else {
      expect(res.status(), label).toBe(401);
      expect((await res.json()).error.code, label).toBe("unauthorized");
    }
  }
  // Every state-changing route is in the table above, so a new one cannot slip by without a role.
  expect(routes.filter((r) => !isRead(r.method, r.route) && !OPEN.includes(r.route)).map((r) => `${r.method} ${r.route}`).sort()).toEqual(Object.keys(NEEDS).sort());
  await anon.dispose();
});

test("a page without a session goes to the identity provider, then back to the page asked for, with a Secure HttpOnly Lax cookie", async ({ page, context }) => {
  await signIn(page, "ann@example.com", "/findings?rule=gsa-shared");
  await expect(page).toHaveURL(/\/findings\?rule=gsa-shared$/);
  await signedInAs(page, "ann@example.com", "viewer");
  const session = (await context.cookies()).find((c) => c.name === "wi_atlas_session");
  expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
  expect(session!.value).not.toContain("ann");
});

test("a viewer reads every page and route but is offered no Scan now, Cancel or Accept, and the server refuses them", async ({ page, baseURL }) => {
  await signIn(page, "ann@example.com", "/scans");
  await signedInAs(page, "ann@example.com", "viewer");
  await expect(page.getByTestId("scan-progress")).toContainText("Last scan");
  await expect(page.getByRole("button", { name: "Scan now" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel" })).toHaveCount(0);
  await page.goto("/objects/" + encodeURIComponent(SUBJECT));
  await expect(page.getByTestId("findings").locator("li").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Accept…" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Sign out" })).toBeVisible();

  for (const { method, route } of apiRoutes()) {
    if (OPEN.includes(route)) continue;
    const res = await call(page.request, method, urlOf(route), baseURL!);
    const label = `${method} ${route}`;
    if (isRead(method, route)) expect([401, 403], label).not.toContain(res.status());
    else {
      expect(res.status(), label).toBe(403);
      expect((await res.json()).error, label).toMatchObject({ code: "forbidden", role: "viewer", required: NEEDS[`${method} ${route}`] });
    }
  }
});

test("an operator starts a scan, which the Activity table records, and may not accept findings", async ({ page, baseURL }) => {
  await signIn(page, "ops@example.com", "/scans");
  await signedInAs(page, "ops@example.com", "operator");
  await page.getByTestId("scan-progress").getByRole("button", { name: "Scan now" }).click();
  const activity = page.getByTestId("activity");
  await expect(activity.locator("tbody tr").first()).toContainText("ops@example.com");
  await expect(activity.locator("tbody tr").first()).toContainText("operator");
  await expect(activity.locator("tbody tr").first()).toContainText("scan.requested");

  await page.goto("/objects/" + encodeURIComponent(SUBJECT));
  await expect(page.getByTestId("findings").locator("li").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Accept…" })).toHaveCount(0);
  for (const [key, need] of Object.entries(NEEDS)) {
    const [method, route] = key.split(" ");
    const res = await call(page.request, method, urlOf(route), baseURL!);
    if (need === "admin") {
      expect(res.status(), key).toBe(403);
      expect((await res.json()).error).toMatchObject({ code: "forbidden", role: "operator", required: "admin" });
    } else {
      // Allowed: a scan starts (202) or one is still running from the click above (409); cancelling an unknown scan says so.
      expect(route === "/api/scans" ? [202, 409] : [200], key).toContain(res.status());
    }
  }
});

test("an admin accepts a finding in their own name, the Activity table says so, and removing it is recorded too", async ({ page }) => {
  await signIn(page, "boss@example.com", "/objects/" + encodeURIComponent(SUBJECT));
  await signedInAs(page, "boss@example.com", "admin");
  const item = page.getByTestId("findings").locator("li").filter({ hasText: "ksa-cross-project-gsa" });
  await item.getByRole("button", { name: "Accept…" }).click();
  await expect(item.getByLabel("Owner")).toHaveCount(0);
  await expect(item.getByText("boss@example.com")).toBeVisible();
  await item.getByLabel("Reason").fill("Exports to finance by design");
  await item.getByRole("button", { name: "Accept this finding" }).click();
  await expect(item.getByText("suppressed")).toBeVisible();

  const list = await (await page.request.get("/api/suppressions")).json();
  const s = list.suppressions.find((x: { rule: string; subject: string }) => x.rule === "ksa-cross-project-gsa" && x.subject === SUBJECT);
  expect(s).toMatchObject({ owner: "boss@example.com", reason: "Exports to finance by design" });

  // A typed owner is ignored: the signed-in person is recorded.
  const edited = await page.request.post("/api/suppressions", { headers: { origin: new URL(page.url()).origin }, data: { rule: "ksa-cross-project-gsa", subject: SUBJECT, reason: "Still by design", owner: "someone-else" } });
  expect(edited.status()).toBe(200);
  expect(await edited.json()).toMatchObject({ owner: "boss@example.com", reason: "Still by design" });
  const removed = await page.request.delete(`/api/suppressions/${s.id}`, { headers: { origin: new URL(page.url()).origin, "content-type": "application/json" } });
  expect(removed.status()).toBe(200);

  await page.goto("/scans");
  const rows = page.getByTestId("activity").locator("tbody tr");
  const target = `ksa-cross-project-gsa ${SUBJECT}`;
  await expect(rows.nth(0)).toContainText("suppression.removed");
  await expect(rows.nth(1)).toContainText("suppression.edited");
  await expect(rows.nth(2)).toContainText("suppression.created");
  for (const i of [0, 1, 2]) {
    await expect(rows.nth(i)).toContainText("boss@example.com");
    await expect(rows.nth(i)).toContainText(target);
  }
  const audit = await (await page.request.get("/api/audit?limit=3")).json();
  expect(audit.events.map((e: { actor: string; role: string; action: string; target: string }) => [e.actor, e.role, e.action, e.target])).toEqual([
    ["boss@example.com", "admin", "suppression.removed", target],
    ["boss@example.com", "admin", "suppression.edited", target],
    ["boss@example.com", "admin", "suppression.created", target],
  ]);
});

test("someone the provider signs in but who is on no list gets 403 on pages and the API", async ({ page }) => {
  await signIn(page, "stranger@elsewhere.net");
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
  await expect(page.getByText("stranger@elsewhere.net may not use wi-atlas")).toBeVisible();
  expect((await page.request.get("/api/overview")).status()).toBe(403);
  expect((await page.request.get("/api/me")).status()).toBe(403);
});

test("a form on another site cannot start a scan with a signed-in operator's session", async ({ page, baseURL }) => {
  await signIn(page, "ops@example.com", "/scans");
  await signedInAs(page, "ops@example.com", "operator");
  const before = (await (await page.request.get("/api/audit")).json()).events.length;
  const { issuer } = JSON.parse(readFileSync(".wi-atlas/e2e-auth/provider.json", "utf8")) as { issuer: string };
  await page.goto(`${issuer}/evil?target=${encodeURIComponent(`${baseURL}/api/scans`)}`);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${baseURL}/api/scans` && r.request().method() === "POST"), page.getByRole("button", { name: "Claim" }).click()]);
  // SameSite=Lax keeps the session cookie off a cross-site POST, so the server sees nobody (401); the
  // cross-site request checks, where present, refuse it as 403. Either way nothing changes.
  expect([401, 403]).toContain(res.status());
  expect((await (await page.request.get("/api/audit")).json()).events.length).toBe(before);
});

test("health says only its status to a caller without a session, and everything to a signed-in one", async ({ page, playwright, baseURL }) => {
  const anon = await playwright.request.newContext({ baseURL });
  expect(await (await anon.get("/api/health")).json()).toEqual({ status: "ok" });
  await anon.dispose();
  await signIn(page, "ann@example.com");
  const body = await (await page.request.get("/api/health")).json();
  expect(body).toMatchObject({ status: "ok", database: { reachable: true } });
  expect(body.lastScan.id).toBeGreaterThan(0);
});

test("signing out clears the session", async ({ page }) => {
  await signIn(page, "ann@example.com");
  await signedInAs(page, "ann@example.com", "viewer");
  await page.getByRole("link", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "You are signed out of wi-atlas" })).toBeVisible();
  expect((await page.request.get("/api/me")).status()).toBe(401);
  await page.goto("/");
  await expect(page).toHaveTitle("Test identity provider");
});
