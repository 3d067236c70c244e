import { expect, test } from "@playwright/test";

// Static assets live in public/ (the top-level folder the layout promises) and Next serves them as is.
test("serves robots.txt from public/, keeping every crawler out of the dashboard", async ({ request }) => {
  const res = await request.get("/robots.txt");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^text\/plain/);
  expect(await res.text()).toBe("User-agent: *\nDisallow: /\n");
});

test("serves the icon from public/ as SVG", async ({ request }) => {
  const res = await request.get("/icon.svg");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^image\/svg\+xml/);
  expect(await res.text()).toContain("<svg");
});
