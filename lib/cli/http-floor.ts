/**
 * The floor under a scan's collect on this machine: how long a request takes, end to end, between a
 * bare Node.js client and a bare Node.js server in another process whose only work is a timer of the
 * simulated latency — no googleapis, no simulator, no scanner. The network bound counts each request
 * at exactly the latency; the timer's own lateness and the two processes' HTTP handling come on top
 * of it in any Node process pair (measured on the 2-core machines: 26.4-26.9 ms on average for 25
 * ms), so `requests × floor ÷ concurrency` is about what a collect takes here before the scanner does
 * any work of its own. It is an average over a few seconds, not a strict lower bound: single spans
 * of a scan have come in a little under it.
 *
 * `npx tsx lib/cli/http-floor.ts [--latency 25] [--concurrency 8] [--seconds 3]` prints it as JSON;
 * the bench (lib/cli/bench.ts) prints it beside target 1.
 */
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import http from "node:http";
import readline from "node:readline";
import { parseCliArgs } from "./args";

/** The server: answers every request after `latency` ms with a small JSON body, as an IAM read does. */
const SERVER = `
const http = require("node:http");
const latency = Number(process.argv[1]);
http.createServer((req, res) => {
  req.resume();
  req.on("end", () => setTimeout(() => { res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }); res.end('{"version":1,"etag":"BwX="}'); }, latency));
}).listen(0, "127.0.0.1", function () { process.stdout.write(this.address().port + "\\n"); });
process.on("disconnect", () => process.exit(0));
`;

/** How long the server process may take to listen. */
const START_TIMEOUT_MS = 10_000;

export type HttpFloor = { latencyMs: number; concurrency: number; requests: number; msEach: number };

/** Options measureHttpFloor cannot measure with (the command line answers it with exit 64). */
export class FloorOptionsError extends Error {}

/** Runs `concurrency` keep-alive clients in a loop for `seconds` against a timer-only server process. */
export async function measureHttpFloor(opts: { latencyMs: number; concurrency: number; seconds: number }): Promise<HttpFloor> {
  const { latencyMs, concurrency, seconds } = opts;
  if (!(latencyMs >= 0) || !Number.isInteger(concurrency) || concurrency < 1 || !(seconds > 0)) {
    throw new FloorOptionsError(`http-floor: bad options ${JSON.stringify(opts)} (latencyMs ≥ 0, concurrency a whole number ≥ 1, seconds > 0)`);
  }
  const server = spawn(process.execPath, ["-e", SERVER, String(latencyMs)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const port = Number(
      await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`http-floor: the server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        server.once("error", reject);
        server.once("exit", (code) => reject(new Error(`http-floor: the server exited (${code})`)));
        readline.createInterface({ input: server.stdout! }).once("line", (line) => {
          clearTimeout(timer);
          resolve(line);
        });
      }),
    );
    const one = () =>
      new Promise<void>((resolve, reject) => {
        // A POST with a small body, as getIamPolicy is (the most frequent request of a large scan).
        const req = http.request({ host: "127.0.0.1", port, path: "/v1/projects/p/serviceAccounts/a:getIamPolicy", method: "POST", agent, headers: { "content-type": "application/json", "content-length": "2" } }, (res) => {
          res.resume();
          res.on("end", resolve);
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end("{}");
      });
    // A warm-up second (connections opened, code compiled), then the measured span.
    const run = async (ms: number) => {
      let requests = 0;
      let total = 0;
      const until = performance.now() + ms;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const t = performance.now();
            await one();
            total += performance.now() - t;
            requests++;
          }
        }),
      );
      return { requests, msEach: requests ? total / requests : NaN };
    };
    await run(1000);
    const { requests, msEach } = await run(seconds * 1000);
    return { latencyMs, concurrency, requests, msEach };
  } finally {
    agent.destroy();
    server.kill("SIGTERM");
  }
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const USAGE = "Usage: npx tsx lib/cli/http-floor.ts [--latency 25] [--concurrency 8] [--seconds 3]";
  const args = parseCliArgs({ latency: { type: "string" }, concurrency: { type: "string" }, seconds: { type: "string" }, help: { type: "boolean", short: "h" } }, USAGE);
  if (args.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  // The options are checked once, by measureHttpFloor (a value that is not a number is NaN, refused there).
  const opts = { latencyMs: Number(args.latency ?? 25), concurrency: Number(args.concurrency ?? 8), seconds: Number(args.seconds ?? 3) };
  try {
    process.stdout.write(JSON.stringify(await measureHttpFloor(opts)) + "\n");
  } catch (err) {
    const bad = err instanceof FloorOptionsError;
    process.stderr.write(`${(err as Error).message}\n${bad ? `\n${USAGE}\n` : ""}`);
    process.exit(bad ? 64 : 1);
  }
}
