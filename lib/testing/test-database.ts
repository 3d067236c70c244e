/**
 * A fresh, migrated database per test file on the run's real PostgreSQL server (see global-setup.ts).
 * Refuses to run against anything but a local server, so tests can never touch a real deployment.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { migrate } from "../store/migrate";
import { openDb, type Db } from "../store/db";

export type TestDatabase = { db: Db; url: string; drop: () => Promise<void> };

function assertLocal(url: string) {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    throw new Error(`Tests only run against a local PostgreSQL; DATABASE_URL points at ${host}`);
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = inject("adminDatabaseUrl");
  assertLocal(admin);
  const name = `t_${randomBytes(6).toString("hex")}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrate(url);
  const db = openDb(url, { max: 5 });
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const c2 = new pg.Client({ connectionString: admin });
      await c2.connect();
      try {
        // FORCE may not end an autovacuum worker busy on the database (PostgreSQL asks a role this
        // one need not have: "permission denied to terminate process"); the worker soon ends: retry.
        for (let attempt = 1; ; attempt++) {
          try {
            await c2.query(`drop database if exists ${name} with (force)`);
            break;
          } catch (err) {
            if (attempt >= 20 || !/permission denied to terminate process/.test((err as Error).message)) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await c2.end();
      }
    },
  };
}
