import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ensureEmbeddedPostgres } from "./embedded-postgres";

describe("the embedded PostgreSQL", () => {
  it("is started once, attached to by a second process, and stopped by the last one out", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wi-embedded-"));
    try {
      const [a, b] = await Promise.all([ensureEmbeddedPostgres(dir), ensureEmbeddedPostgres(dir)]);
      expect([a.started, b.started].sort()).toEqual([false, true]);
      expect(a.url).toBe(b.url);
      const client = new pg.Client({ connectionString: a.url });
      await client.connect();
      expect((await client.query("select current_database() as d")).rows[0].d).toBe("wi_atlas");
      // Someone is still connected: releasing leaves it running.
      await a.release();
      expect((await client.query("select 1 as one")).rows[0].one).toBe(1);
      await client.end();
      // The last one out stops it.
      await b.release();
      const late = new pg.Client({ connectionString: a.url, connectionTimeoutMillis: 1000 });
      await expect(late.connect()).rejects.toThrow();
      // And the next start finds the data where it left it.
      const again = await ensureEmbeddedPostgres(dir);
      expect(again.started).toBe(true);
      expect(again.url).toBe(a.url.replace(/:\d+\//, `:${new URL(again.url).port}/`));
      await again.release({ force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
