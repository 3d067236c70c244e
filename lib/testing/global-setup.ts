/**
 * Vitest global setup: one real PostgreSQL server for the whole run — the external one named by
 * DATABASE_URL, or an embedded one started here — from which each test file makes its own database.
 */
import path from "node:path";
import { rmSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { ensureEmbeddedPostgres, type EmbeddedDatabase } from "../store/embedded-postgres";

let embedded: EmbeddedDatabase | undefined;
let dir: string | undefined;

export async function setup(project: TestProject) {
  let url = process.env.DATABASE_URL;
  if (!url) {
    // One folder per run, so that two test runs in one checkout never share (or delete) a server.
    dir = path.resolve(".wi-atlas", `test-postgres-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    embedded = await ensureEmbeddedPostgres(dir);
    url = embedded.url;
  }
  project.provide("adminDatabaseUrl", url);
}

export async function teardown() {
  await embedded?.release({ force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
