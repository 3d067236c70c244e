/**
 * Request hardening against the started server (proxy.ts → lib/http/security.ts): cross-origin and
 * non-JSON state changes are refused and change nothing, same-origin JSON still works, every response
 * carries the security headers with a fresh CSP nonce, the pages run under that policy (the graph's
 * layout worker included), and bad URLs answer 400 through Next's own routing.
 */
import { test, expect, type APIRequestContext } from "@playwright/test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const EVIL = "https://evil.example";

/** Every state-changing handler under app/api: `METHOD /api/path` with its dynamic segments. */
function stateChangingRoutes(dir = path.join("app", "api"), prefix = "/api"): { method: string; route: string }[] {
  const out: { method: string; route: string }[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...stateChangingRoutes(full, `${prefix}/${name}`));
    else if (name === "route.ts") {
      for (const m of readFileSync(full, "utf8").matchAll(/export (?:const|async function) (POST|PUT|PATCH|DELETE)\b/g)) out.push({ method: m[1], route: prefix });
    }
  }
  return out;
}

const FORM_SUBJECT = "workload:cross-origin-test/x/y/z/Deployment/form";

/**
 * What a refused request could have changed. Other spec files start scans and accept findings in
 * parallel, so the check is on what only this test would have made: a suppression of its own subject,
 * a cancel request on the scan it targets, and a scan started by it (none may be running before).
 */
async function ownTraces(request: APIRequestContext, scanId: number) {
  const scans = (await (await request.get("/api/scans")).json()) as { scans: { id: number; status: string }[] };
  const suppressions = (await (await request.get("/api/suppressions")).json()) as { suppressions: { subject: string }[] };
  return {
    target: scans.scans.find((s) => s.id === scanId)?.status,
    suppressions: suppressions.suppressions.filter((x) => x.subject === FORM_SUBJECT).length,
  };
}

test("a cross-origin form post to every state-changing route is refused with 403 and changes nothing", async ({ request, baseURL }) => {
  const routes = stateChangingRoutes();
  // POST /api/what-if changes nothing, but it is a POST: the proxy guards it like every other (a
  // cross-site page must not make a signed-in viewer's browser run questions either).
  expect(routes.map((r) => `${r.method} ${r.route}`).sort()).toEqual(["DELETE /api/suppressions/[id]", "POST /api/scans", "POST /api/scans/[id]/cancel", "POST /api/scans/accept-retirement", "POST /api/suppressions", "POST /api/what-if"]);
  const scanId = ((await (await request.get("/api/scans")).json()) as { scans: { id: number }[] }).scans[0].id;
  const before = await ownTraces(request, scanId);
  expect(before.suppressions).toBe(0);
  for (const { method, route } of routes) {
    const url = route.replace("[id]", String(scanId));
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const body = `rule=key-in-secret&subject=${encodeURIComponent(FORM_SUBJECT)}&reason=because&owner=evil`;
    // A page on another site: its Origin, a form's content type. The codes below come only from the
    // proxy, so the route handler never ran: no scan was started or cancelled, nothing suppressed.
    const cross = await request.fetch(url, { method, headers: { origin: EVIL, ...form }, data: body });
    expect(cross.status(), `${method} ${url} from ${EVIL}`).toBe(403);
    expect((await cross.json()).error.code).toBe("cross_origin");
    expect(cross.headers()["x-frame-options"]).toBe("DENY");
    // Even JSON from another origin.
    const crossJson = await request.fetch(url, { method, headers: { origin: EVIL, "content-type": "application/json" }, data: "{}" });
    expect(crossJson.status(), `${method} ${url} JSON from ${EVIL}`).toBe(403);
    // No Origin and a cross-site fetch.
    const noOrigin = await request.fetch(url, { method, headers: { "sec-fetch-site": "cross-site", "content-type": "application/json" }, data: "{}" });
    expect(noOrigin.status(), `${method} ${url} without Origin`).toBe(403);
    // Our own origin, but a form's body type.
    const sameForm = await request.fetch(url, { method, headers: { origin: baseURL!, ...form }, data: body });
    expect(sameForm.status(), `${method} ${url} same-origin form`).toBe(415);
    expect((await sameForm.json()).error).toEqual({ code: "unsupported_media_type", message: `${method} refused: Content-Type must be application/json, got "application/x-www-form-urlencoded"` });
  }
  expect(await ownTraces(request, scanId)).toEqual(before);
});

test("a same-origin JSON request still changes things", async ({ request, baseURL }) => {
  const json = { origin: baseURL!, "content-type": "application/json" };
  // A suppression of a subject no scan has seen: visible nowhere but in the suppression list.
  const subject = "workload:hardening-test/x/y/z/Deployment/nothing";
  const created = await request.post("/api/suppressions", { headers: json, data: JSON.stringify({ rule: "key-in-secret", subject, reason: "hardening test", owner: "e2e" }) });
  expect(created.status()).toBe(200);
  const { id } = (await created.json()) as { id: number };
  const listed = (await (await request.get("/api/suppressions")).json()) as { suppressions: { id: number; subject: string }[] };
  expect(listed.suppressions.filter((s) => s.subject === subject).map((s) => s.id)).toEqual([id]);
  // Sec-Fetch-Site stands in for a missing Origin.
  const deleted = await request.delete(`/api/suppressions/${id}`, { headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" } });
  expect(deleted.status()).toBe(200);
  expect(await deleted.json()).toMatchObject({ deleted: id });
  // Cancelling a scan that does not exist is a harmless state change that goes through.
  const cancel = await request.post("/api/scans/2000000000/cancel", { headers: json });
  expect(await cancel.json()).toEqual({ scanId: 2000000000, status: "unknown" });
});

function cspNonce(csp: string | undefined): string | undefined {
  return /'nonce-([^']+)'/.exec(csp ?? "")?.[1];
}

test("every response carries the security headers, and each page a CSP nonce of its own that its scripts carry", async ({ request }) => {
  const page1 = await request.get("/");
  const page2 = await request.get("/");
  const html = await page1.text();
  const asset = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
  expect(asset).toBeTruthy();
  const responses = { page: page1, api: await request.get("/api/findings"), health: await request.get("/api/health"), asset: await request.get(asset!), icon: await request.get("/icon.svg"), missing: await request.get("/no-such-page") };
  for (const [what, r] of Object.entries(responses)) {
    const h = r.headers();
    expect(h["x-content-type-options"], what).toBe("nosniff");
    expect(h["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
    expect(h["x-frame-options"], what).toBe("DENY");
    const csp = h["content-security-policy"];
    expect(csp, what).toMatch(/^default-src 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:;/);
    for (const d of ["worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp, what).toContain(d);
  }
  const n1 = cspNonce(page1.headers()["content-security-policy"]);
  const n2 = cspNonce(page2.headers()["content-security-policy"]);
  expect(n1).not.toBe(n2);
  // Next and the layout put this response's nonce on every script they write into the page.
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(3);
  for (const s of scripts) expect(s).toContain(`nonce="${n1}"`);
});

/** Every page under app/, its dynamic segment filled with a subject of the demo estate. */
function pages(dir = "app", prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name === "api" || name.startsWith("_")) continue;
      const segment = name === "[subject]" ? (prefix.startsWith("/workloads") ? encodeURIComponent("workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement") : encodeURIComponent("gsa:common-batch@acme-prod.iam.gserviceaccount.com")) : name;
      out.push(...pages(full, `${prefix}/${segment}`));
    } else if (name === "page.tsx") out.push(prefix || "/");
  }
  return out.sort();
}

test("every page renders per request, with that request's nonce on each of its scripts", async ({ request }) => {
  const all = pages();
  // 22 dashboard pages (what-if included) and the sign-out confirmation.
  expect(all.length).toBe(23);
  for (const url of all) {
    const r = await request.get(url);
    expect(r.status(), url).toBe(200);
    const nonce = cspNonce(r.headers()["content-security-policy"]);
    const scripts = [...(await r.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length, url).toBeGreaterThan(3);
    expect(scripts.filter((tag) => !tag.includes(`nonce="${nonce}"`)), url).toEqual([]);
  }
});

test("the pages run under the policy: no CSP violation, and the graph lays out in its worker", async ({ page, baseURL }) => {
  // ELK's first compile in the worker has taken over 45 s on a loaded two-core machine.
  test.setTimeout(180_000);
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused to load (Content Security Policy): ${e.violatedDirective} ${e.blockedURI}`)));
  const workers: string[] = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
  await page.goto("/findings");
  await expect(page.getByTestId("table-findings").locator("tbody tr").first()).toBeVisible();
  await page.goto(`/graph?focus=${encodeURIComponent("gsa:common-batch@acme-prod.iam.gserviceaccount.com")}`);
  await expect(page.getByTestId("graph-canvas").getByTestId("node-gsa:common-batch@acme-prod.iam.gserviceaccount.com")).toBeVisible({ timeout: 100_000 });
  // The layout worker started from our own static files (Turbopack wraps elkjs's worker in its own loader).
  expect(workers.some((u) => u.startsWith(`${baseURL}/_next/static/`) && /worker/.test(u)), workers.join(", ")).toBe(true);
  // The theme toggle's inline script ran (it carries the nonce): the class it sets is applied on reload in dark mode.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  expect(violations).toEqual([]);
});

test("malformed percent-encoding and control characters answer 400 with a message, through Next's own routing", async ({ request, baseURL }) => {
  const cases: [string, string][] = [
    ["/api/objects/%E0%A4%A", "malformed percent-encoding"],
    ["/api/objects/%E0%A4%A/timeline", "malformed percent-encoding"],
    ["/objects/%E0%A4%A", "malformed percent-encoding"],
    ["/api/workloads/%E0%A4%A", "malformed percent-encoding"],
    ["/api/gsas/%E0%A4%A", "malformed percent-encoding"],
    ["/api/objects/gsa%3Aa%00b%40x.com", "control character"],
    // Next hands the proxy and the route a leniently re-encoded query: a lone `%` arrives as `%25` (a
    // search for "%", answered 200 below), an escape that is not UTF-8 as U+FFFD, refused here.
    ["/api/findings?q=%E0%A4%A", 'Query parameter "q" has malformed percent-encoding'],
    ["/api/search?q=%C3%28", 'Query parameter "q" has malformed percent-encoding'],
    ["/api/findings?q=a%00b", 'Query parameter "q" holds a control character'],
    ["/api/health?require=%E0%A4%A", 'Query parameter "require" has malformed percent-encoding'],
    ["/api/scans/99999999999/cancel", "is not a scan id"],
  ];
  for (const [url, says] of cases) {
    const r = url.endsWith("/cancel") ? await request.post(url, { headers: { origin: baseURL!, "content-type": "application/json" } }) : await request.get(url);
    expect(r.status(), url).toBe(400);
    const body = (await r.json()) as { error: { message: string } };
    expect(body.error.message, url).toContain(says);
  }
  const lone = await request.get("/api/search?q=%");
  expect(lone.status()).toBe(200);
  expect(await lone.json()).toEqual({ q: "%", results: [], total: 0, limit: 20 });
});
