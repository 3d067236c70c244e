/**
 * The container image's commands, smoke-tested without a container engine (none on these machines):
 * the production app assembled as `npm run build` assembles it (.next/standalone + static + the
 * bundled web.js/scanner.js), copied to a temporary folder and made read-only, then `node web.js` and
 * `node scanner.js` started from it as the image's non-root user (uid 65532) with only TMPDIR and the
 * Next cache writable, no tsx, no dev dependency and no project node_modules within reach. A "Scan
 * now" through the web is run by the scanner, end to end, against the simulator.
 */
import { test, expect } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { assembleApp } from "../lib/cli/build-app";
import { ensureEmbeddedPostgres, type EmbeddedDatabase } from "../lib/store/embedded-postgres";
import { startSimulator, type Simulator } from "../lib/simulator/server";

test.describe.configure({ mode: "serial", timeout: 300_000 });

const IMAGE_UID = 65532;
const isRoot = process.getuid?.() === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

type Proc = { child: ChildProcess; output: () => string };

/** Starts `node FILE` from the app folder as the image's user (or as ourselves when not root). */
function startAsImageUser(appDir: string, file: string, env: Record<string, string>): Proc {
  const node = process.execPath;
  const [cmd, args] = isRoot
    ? ["setpriv", ["--reuid", String(IMAGE_UID), "--regid", String(IMAGE_UID), "--clear-groups", node, file]]
    : [node, [file]];
  // A bare environment: no NODE_PATH, a PATH holding only node's folder (no tsx, no npm scripts).
  const child = spawn(cmd, args as string[], { cwd: appDir, env: { PATH: path.dirname(node), ...env } as unknown as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (out += d));
  return { child, output: () => out };
}

async function stop(p: Proc | undefined): Promise<number | null> {
  if (!p || p.child.exitCode !== null) return p?.child.exitCode ?? null;
  const exited = new Promise<number | null>((r) => p.child.once("exit", (code) => r(code)));
  p.child.kill("SIGTERM");
  const t = setTimeout(() => p.child.kill("SIGKILL"), 20_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

test.describe("the image's commands from a read-only copy as a non-root user", () => {
  let root: string;
  let appDir: string;
  let pgDb: EmbeddedDatabase;
  let sim: Simulator;
  let web: Proc | undefined;
  let scanner: Proc | undefined;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    root = mkdtempSync(path.join(os.tmpdir(), "wi-image-"));
    chmodSync(root, 0o755);
    appDir = path.join(root, "app");
    await assembleApp({ projectDir: process.cwd(), outDir: appDir });
    // What the image mounts writable: /tmp (here TMPDIR) and the Next cache; everything else read-only.
    mkdirSync(path.join(appDir, ".next", "cache"), { recursive: true });
    mkdirSync(path.join(root, "tmp"));
    expect(spawnSync("chmod", ["-R", "a-w", appDir]).status).toBe(0);
    chmodSync(path.join(appDir, ".next", "cache"), 0o1777);
    chmodSync(path.join(root, "tmp"), 0o1777);
    pgDb = await ensureEmbeddedPostgres(path.join(root, "pg"));
    sim = await startSimulator({ estatePath: "lib/simulator/estates/test/small.yaml" });
    console.log(isRoot ? `Running the image's commands as uid ${IMAGE_UID} (setpriv)` : `Not root: running the image's commands as the current user (uid ${process.getuid?.()})`);
  });

  test.afterAll(async () => {
    await stop(web);
    await stop(scanner);
    await sim?.close();
    await pgDb?.release({ force: true });
    if (root) {
      spawnSync("chmod", ["-R", "u+w", root]);
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("the copy carries no tsx or TypeScript, and the web server's modules include no Google or Kubernetes client", () => {
    for (const pkg of ["tsx", "typescript", "esbuild", "vitest", "@playwright/test"]) {
      const r = spawnSync(process.execPath, ["-e", `require.resolve(${JSON.stringify(pkg)})`], { cwd: appDir, env: { PATH: path.dirname(process.execPath) } as unknown as NodeJS.ProcessEnv });
      expect(r.status, `${pkg} must not resolve from the production app`).not.toBe(0);
    }
    expect(existsSync(path.join(appDir, "server.js"))).toBe(true);
    // Next's standalone output holds what the web server loads: the scanner's API clients are not
    // among them (they reach the image only for scanner.js).
    const traced = spawnSync("find", [".next/standalone", "-path", "*/node_modules/googleapis", "-o", "-path", "*/node_modules/@kubernetes/client-node"], { encoding: "utf8" });
    expect(traced.status).toBe(0);
    expect(traced.stdout).toBe("");
  });

  test("web.js refuses to listen beyond loopback without sign-in, naming both variables", async () => {
    const p = startAsImageUser(appDir, "web.js", { TMPDIR: path.join(root, "tmp"), DATABASE_URL: pgDb.url, WI_ATLAS_LISTEN: "0.0.0.0" });
    const code = await new Promise<number | null>((r) => p.child.once("exit", (c) => r(c)));
    expect(code).toBe(78);
    expect(p.output()).toContain("WI_ATLAS_LISTEN=0.0.0.0 accepts connections from other machines, but WI_ATLAS_AUTH=none");
  });

  test("node web.js answers /api/health and node scanner.js runs the scan it asks for", async () => {
    const port = await freePort();
    const common = { TMPDIR: path.join(root, "tmp"), DATABASE_URL: pgDb.url, WI_ATLAS_LOG_LEVEL: "info" };
    web = startAsImageUser(appDir, "web.js", { ...common, PORT: String(port), HOSTNAME: "wi-atlas-web-5d8c7-x2x9z" });
    const base = `http://127.0.0.1:${port}`;
    await expect
      .poll(async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.status, { timeout: 90_000, message: `web.js did not answer:\n${web.output()}` })
      .toBe(200);
    const health = await (await fetch(`${base}/api/health`)).json();
    expect(health).toMatchObject({ status: "ok", database: { reachable: true }, lastScan: null });
    // The pod-name HOSTNAME was ignored: the server listens on WI_ATLAS_LISTEN's default, loopback.
    expect(web.output()).not.toContain("wi-atlas-web-5d8c7-x2x9z");

    scanner = startAsImageUser(appDir, "scanner.js", { ...common, WI_ATLAS_SIMULATOR_URL: sim.url, WI_ATLAS_SCAN_INTERVAL_MINUTES: "0" });
    await expect.poll(() => scanner!.output(), { timeout: 60_000 }).toContain("Scanner ready");
    expect(scanner.output()).toContain("Scanner connected to the database");

    const asked = await fetch(`${base}/api/scans`, { method: "POST", headers: { origin: base, "content-type": "application/json" } });
    expect(asked.status).toBe(202);
    const { scanId, status } = await asked.json();
    expect(status).toBe("requested");
    await expect
      .poll(async () => (await (await fetch(`${base}/api/scans/current`)).json()).last?.id, { timeout: 90_000, message: `the scanner did not run the scan:\n${scanner.output()}` })
      .toBe(scanId);
    const current = await (await fetch(`${base}/api/scans/current`)).json();
    expect(current.running).toBeNull();
    expect(current.last).toMatchObject({ id: scanId, status: "succeeded", trigger: "manual" });

    // SIGTERM: both stop cleanly.
    expect(await stop(scanner)).toBe(0);
    expect(scanner.output()).toContain("Scanner stopping");
    await stop(web);
  });
});
