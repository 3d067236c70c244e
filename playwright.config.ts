import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";

/**
 * Browser tests drive Debian's Chromium (Playwright's own browser download does not work on these
 * machines) against `npm start`'s launcher serving the demo estate on a fresh embedded database.
 */
const PORT = Number(process.env.E2E_PORT ?? 3210);
const chromium = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

export default defineConfig({
  testDir: "e2e",
  // The sign-in tests need a server with WI_ATLAS_AUTH=oidc: they have their own config (playwright.auth.config.ts).
  testIgnore: ["auth/**"],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://localhost:${PORT}`,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    acceptDownloads: true,
    launchOptions: {
      executablePath: chromium,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } }],
  webServer: {
    // A fresh database, and a copy of the demo estate that the history test edits (the simulator reloads it).
    command: `node -e "const fs=require('fs');fs.rmSync('.wi-atlas/e2e',{recursive:true,force:true});fs.cpSync('lib/simulator/estates/demo','.wi-atlas/e2e/estate',{recursive:true})" && node_modules/.bin/tsx lib/cli/start.ts`,
    url: `http://localhost:${PORT}/api/health?require=scan`,
    timeout: 180_000,
    reuseExistingServer: false,
    // Let the launcher stop Next.js and the embedded PostgreSQL cleanly (the default is SIGKILL).
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    stdout: "pipe",
    stderr: "pipe",
    env: { PORT: String(PORT), WI_ATLAS_DATA_DIR: ".wi-atlas/e2e", WI_ATLAS_ESTATE: ".wi-atlas/e2e/estate/estate.yaml", WI_ATLAS_SCAN_INTERVAL_MINUTES: "0", DATABASE_URL: "", WI_ATLAS_OWNERS: ".wi-atlas/e2e/estate/owners.yaml" },
  },
});
