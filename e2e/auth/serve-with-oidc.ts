/**
 * The sign-in tests' web server: starts the test identity provider on a free port, then `npm start`'s
 * launcher with WI_ATLAS_AUTH=oidc pointed at it, on a fresh data dir. The provider's address goes to
 * `<data dir>/provider.json` for the tests. SIGTERM stops the launcher (and so its database) first.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startProvider } from "./oidc-provider";
import { AUTH_E2E } from "./users";

const port = Number(process.env.PORT);
const dataDir = process.env.WI_ATLAS_DATA_DIR ?? ".wi-atlas/e2e-auth";
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const provider = await startProvider({
  clientId: AUTH_E2E.clientId,
  clientSecret: AUTH_E2E.clientSecret,
  redirectUri: `http://localhost:${port}/api/auth/callback`,
  users: AUTH_E2E.users,
});
writeFileSync(path.join(dataDir, "provider.json"), JSON.stringify({ issuer: provider.issuer }));

const child = spawn(process.execPath, ["--import", "tsx", "lib/cli/start.ts"], {
  stdio: "inherit",
  env: {
    ...process.env,
    WI_ATLAS_DATA_DIR: dataDir,
    WI_ATLAS_AUTH: "oidc",
    WI_ATLAS_OIDC_ISSUER: provider.issuer,
    WI_ATLAS_OIDC_CLIENT_ID: AUTH_E2E.clientId,
    WI_ATLAS_OIDC_CLIENT_SECRET: AUTH_E2E.clientSecret,
    WI_ATLAS_SESSION_SECRET: AUTH_E2E.sessionSecret,
    WI_ATLAS_VIEWERS: AUTH_E2E.viewers,
    WI_ATLAS_ROLE_OPERATOR: AUTH_E2E.operators,
    WI_ATLAS_ROLE_ADMIN: AUTH_E2E.admins,
  },
});
const stop = () => {
  if (child.exitCode === null) child.kill("SIGTERM");
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
child.on("exit", async (code) => {
  await provider.close();
  process.exit(code ?? 0);
});
