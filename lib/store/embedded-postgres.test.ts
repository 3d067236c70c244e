import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
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
      // The application's role owns its database and may make others, but is no superuser.
      const me = await client.query(
        `select current_user as u, r.rolsuper as super, r.rolcreatedb as createdb, pg_get_userbyid(d.datdba) as owner
           from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
      );
      expect(me.rows[0]).toEqual({ u: "wi_atlas", super: false, createdb: true, owner: "wi_atlas" });
      expect(new URL(a.url).username).toBe("wi_atlas");
      // What other processes read to attach is private, and names only the owner.
      const metaFile = path.join(dir, "postgres.json");
      expect(statSync(metaFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(metaFile, "utf8")).user).toBe("wi_atlas");
      // The superuser's password file was removed after initdb read it.
      expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`wi-atlas-pw-${process.pid}-`))).toEqual([]);
      // The superuser has no password left: nobody can sign in as it over TCP, whatever they try.
      const su = new pg.Client({ connectionString: a.url.replace("wi_atlas:", "postgres:"), connectionTimeoutMillis: 5000 });
      await expect(su.connect()).rejects.toThrow(/password authentication failed for user "postgres"/);
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
