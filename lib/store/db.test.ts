import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { openDb } from "./db";
import { loadConfig } from "../config";

describe("the web server's database limits", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("cancels a statement that runs past the statement timeout, and the connection serves the next one", async () => {
    const db = openDb(t.url, { max: 1, statementTimeoutMs: 200 });
    try {
      const err = await db.pool.query("select pg_sleep(2)").catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe("57014");
      expect((err as Error).message).toBe("canceling statement due to statement timeout");
      expect((await db.pool.query("select 1 as ok")).rows[0].ok).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("fails a request that waits for a connection longer than the acquire timeout instead of queueing for ever", async () => {
    const db = openDb(t.url, { max: 1, connectTimeoutMs: 300 });
    const held = await db.pool.connect();
    try {
      const started = Date.now();
      const err = await db.pool.query("select 1").catch((e: unknown) => e);
      expect((err as Error).message).toBe("timeout exceeded when trying to connect");
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      held.release();
      await db.close();
    }
  });

  it("reads both limits from the environment, 30 s and 10 s by default, and names a bad value", () => {
    const d = loadConfig({} as NodeJS.ProcessEnv);
    expect([d.dbStatementTimeoutMs, d.dbConnectTimeoutMs]).toEqual([30_000, 10_000]);
    const c = loadConfig({ WI_ATLAS_DB_STATEMENT_TIMEOUT_SECONDS: "0", WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS: "3" } as unknown as NodeJS.ProcessEnv);
    expect([c.dbStatementTimeoutMs, c.dbConnectTimeoutMs]).toEqual([0, 3000]);
    expect(() => loadConfig({ WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS: "0" } as unknown as NodeJS.ProcessEnv)).toThrow(/WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS must be a whole number from 1 to 600/);
  });
});
