import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { listMigrations, migrate } from "./migrate";

describe("migration runner", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it("records every migration with Prisma's checksum, so prisma migrate status agrees", async () => {
    const rows = await t.db.pool.query<{ migration_name: string; checksum: string; finished_at: string | null; applied_steps_count: number }>(
      `select migration_name, checksum, finished_at, applied_steps_count from "_prisma_migrations" order by migration_name`,
    );
    const files = listMigrations();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const f of files) {
      const sql = readFileSync(path.join("prisma", "migrations", f.name, "migration.sql"));
      const row = rows.rows.find((r) => r.migration_name === f.name)!;
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("stores the analysis's documents uncompressed, the inventory's compressed (issue #14)", async () => {
    const rows = await t.db.pool.query<{ relname: string; attstorage: string }>(
      `select c.relname, a.attstorage from pg_attribute a join pg_class c on c.oid = a.attrelid
        where a.attname = 'data' and c.relname in ('analysis_object', 'inventory_object') order by c.relname`,
    );
    // e: EXTERNAL (out of line, no compression); x: EXTENDED, the default.
    expect(rows.rows).toEqual([
      { relname: "analysis_object", attstorage: "e" },
      { relname: "inventory_object", attstorage: "x" },
    ]);
  });

  it("applies each migration once when two processes migrate at the same time", async () => {
    const results = await Promise.all([migrate(t.url), migrate(t.url), migrate(t.url)]);
    expect(results.flatMap((r) => r.applied)).toEqual([]);
    const n = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from "_prisma_migrations"`);
    expect(n.rows[0].n).toBe(listMigrations().length);
  });

  it("applies migrations to an empty database exactly once under concurrency", async () => {
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    await admin.query("create database concurrent_migrate");
    await admin.end();
    const u = new URL(t.url);
    u.pathname = "/concurrent_migrate";
    const results = await Promise.all([migrate(u.toString()), migrate(u.toString())]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(listMigrations().map((m) => m.name));
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    await c.query("drop database concurrent_migrate with (force)");
    await c.end();
  });

  it("refuses a migration edited after it was applied, naming it", async () => {
    await t.db.pool.query(`update "_prisma_migrations" set checksum = 'x' where migration_name = $1`, [listMigrations()[0].name]);
    await expect(migrate(t.url)).rejects.toThrow(new RegExp(`Migration ${listMigrations()[0].name} was changed after it was applied`));
  });
});
