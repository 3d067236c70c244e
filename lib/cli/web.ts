/**
 * `node web.js` (the image's web command, `npm run start:prod`): checks the configuration, brings
 * the schema up to date, then hands over to Next's standalone `server.js` beside it.
 *
 * It exists for one reason beyond the checks: server.js listens on $HOSTNAME, and Kubernetes sets
 * HOSTNAME to the pod's name. The address comes from WI_ATLAS_LISTEN (default 127.0.0.1) instead,
 * and a non-loopback address with WI_ATLAS_AUTH=none refuses to start unless
 * WI_ATLAS_ALLOW_UNAUTHENTICATED=true.
 */
import path from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadConfig, assertSafeListen } from "../config";
import { readOwners } from "../owners/owners-file";
import { migrate } from "../store/migrate";
import { log } from "../log";
import { EXIT } from "./args";

async function main() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let config;
  try {
    config = loadConfig();
    // A bad owners file (WI_ATLAS_OWNERS) is a configuration error, named with its line and field.
    if (config.ownersPath) readOwners(config.ownersPath);
    assertSafeListen(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(EXIT.config);
  }
  if (!config.databaseUrl) {
    process.stderr.write("DATABASE_URL is required: the production web server does not start a database (`npm start` runs an embedded one).\n");
    process.exit(EXIT.config);
  }
  const server = path.join(here, "server.js");
  if (!existsSync(server)) {
    process.stderr.write(`No Next.js standalone server at ${server}: run \`npm run build\` and start the built copy (.next/app/web.js).\n`);
    process.exit(EXIT.failed);
  }
  // Both the web server and the scanner apply pending migrations at start (under an advisory lock,
  // so together they apply each once): whichever starts first, the schema matches its code.
  // A web server whose database role may only read and write rows (not create tables) leaves them
  // to the scanner, which owns the schema.
  const migrations = path.join(here, "prisma", "migrations");
  try {
    const m = await migrate(config.databaseUrl, migrations);
    if (m.applied.length) log.info(`Applied migrations: ${m.applied.join(", ")}`);
  } catch (err) {
    if ((err as { code?: string }).code !== "42501") throw err;
    log.warn("This database role may not change the schema; the scanner applies migrations. Starting without.");
  }
  // The web server never scans: it holds no Google credentials, even when the environment has some.
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.HOSTNAME = config.listen;
  process.env.PORT = String(config.port);
  (process.env as Record<string, string>).NODE_ENV = "production";
  await import(pathToFileURL(server).href);
}

main().catch((err) => {
  log.error("The web server could not start:", err);
  process.exit(EXIT.failed);
});
