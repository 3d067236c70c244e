import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

/*
 * Every command stops what it started: a command built like the bench (lib/testing/fixtures/
 * hold-embedded.ts, with the same onShutdown/runMain) leaves no PostgreSQL of its data folder
 * behind, whether Ctrl-C ends it or an error does.
 */

/** Pids of live processes whose command line names `needle`. */
function processesNaming(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function runFixture(dir: string, mode: "wait" | "throw", signal?: NodeJS.Signals) {
  const child = spawn(process.execPath, ["--import", "tsx", "lib/testing/fixtures/hold-embedded.ts", dir, mode], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // The command logs to stdout too: wait for its "ready".
    readline.createInterface({ input: child.stdout }).on("line", (l) => l === "ready" && resolve());
    void exited.then(() => resolve());
  });
  const pgdata = path.join(dir, "pgdata");
  // The server is up (and is a process naming its data folder) while the command runs.
  const postmaster = Number(readFileSync(path.join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  const running = processesNaming(pgdata);
  if (signal) child.kill(signal);
  const code = await exited;
  return { code, stderr, postmaster, running, pgdata };
}

/** Whether `pid` still runs: an exited server that nobody reaped yet (a zombie: pg_ctl detaches it, and a container's init may not reap) has stopped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("a command that started the embedded PostgreSQL", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`stops it when ${signal} ends the command`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "wi-shutdown-"));
      try {
        const r = await runFixture(dir, "wait", signal);
        expect(r.running).toContain(r.postmaster);
        expect(r.code).toBe(signal === "SIGINT" ? 130 : 143);
        expect(isAlive(r.postmaster)).toBe(false);
        expect(processesNaming(r.pgdata)).toEqual([]);
        expect(existsSync(path.join(r.pgdata, "postmaster.pid"))).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it("stops it when the command fails with an error", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wi-shutdown-"));
    try {
      const r = await runFixture(dir, "throw");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the command failed midway");
      expect(isAlive(r.postmaster)).toBe(false);
      expect(processesNaming(r.pgdata)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
