/**
 * Opens the configured database for a process: the external server named by DATABASE_URL, or the
 * embedded one (started, or attached to when another process already runs it), migrated either way.
 */
import type { Config } from "../config";
import { ensureEmbeddedPostgres, type EmbeddedDatabase } from "./embedded-postgres";
import { migrate } from "./migrate";
import { openDb, type Db } from "./db";

export type OpenedDatabase = {
  db: Db;
  url: string;
  embedded?: EmbeddedDatabase;
  /** Closes the pool, then stops the embedded server if this was the last process using it. */
  close: () => Promise<void>;
};

export async function openDatabase(config: Config, opts: { poolSize?: number } = {}): Promise<OpenedDatabase> {
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    embedded = await ensureEmbeddedPostgres(config.dataDir);
    url = embedded.url;
  }
  try {
    await migrate(url);
  } catch (err) {
    if (embedded) await embedded.release();
    throw err;
  }
  const db = openDb(url, { max: opts.poolSize ?? 10, connectTimeoutMs: config.dbConnectTimeoutMs });
  return {
    db,
    url,
    embedded,
    close: async () => {
      await db.close();
      if (embedded) await embedded.release();
    },
  };
}
