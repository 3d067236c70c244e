import { defineConfig } from "@playwright/test";
import { execFileSync } from "node:child_process";
import base from "./playwright.config";

/**
 * The sign-in browser tests (e2e/auth): a second server, started with WI_ATLAS_AUTH=oidc against a
 * local identity provider the test starts (e2e/auth/serve-with-oidc.ts), on its own port and data dir.
 * `npm test` runs this config after the main one.
 */
// A free port, chosen once here and inherited by the worker processes through the environment.
process.env.E2E_AUTH_PORT ??=
  process.env.E2E_PORT ??
  execFileSync(process.execPath, ["-e", "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"]).toString();
const PORT = Number(process.env.E2E_AUTH_PORT);

export default defineConfig({
  ...base,
  testDir: "e2e/auth",
  testIgnore: [],
  // One server, shared state (scans, suppressions, the audit trail): the tests run in order.
  // Sign-in round trips on a shared 2-core machine: more room than the main suite's 60 s.
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  use: { ...base.use, baseURL: `http://localhost:${PORT}` },
  webServer: {
    command: "node_modules/.bin/tsx e2e/auth/serve-with-oidc.ts",
    url: `http://localhost:${PORT}/api/health?require=scan`,
    timeout: 180_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    stdout: "pipe",
    stderr: "pipe",
    env: { PORT: String(PORT), WI_ATLAS_DATA_DIR: ".wi-atlas/e2e-auth", WI_ATLAS_SCAN_INTERVAL_MINUTES: "0", DATABASE_URL: "" },
  },
});
