/**
 * `npx tsx lib/cli/profile-top.ts FILE.cpuprofile [--top 40] [--by function|file|package]`: where a V8
 * CPU profile (node --cpu-prof, e.g. from `lib/cli/request-cpu.ts --scan --cpu-prof DIR`) spent its
 * time, as self time summed per function, per source file or per npm package, largest first.
 * `--from S --to S` keeps the samples taken that many seconds after the profile started (a scan's
 * collect phase, say: the scan's log prints when each phase ended).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE = "Usage: npx tsx lib/cli/profile-top.ts FILE.cpuprofile [--top 40] [--by function|file|package] [--from S] [--to S]";
let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({ options: { top: { type: "string" }, by: { type: "string" }, from: { type: "string" }, to: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
}
try {
  parsed = parse();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
  process.exit(64);
}
const args = parsed.values;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function keyOf(n: ProfileNode, by: string): string {
  const url = n.callFrame.url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
  if (by === "file") return url || `(${n.callFrame.functionName || "native"})`;
  if (by === "package") {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1];
    if (!url) return `(${n.callFrame.functionName || "native"})`;
    if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
    return url.split("/").slice(0, 2).join("/");
  }
  return `${n.callFrame.functionName || "(anonymous)"}  ${url}:${n.callFrame.lineNumber + 1}`;
}

const files = parsed.positionals;
if (args.help || !files.length) {
  process.stdout.write(USAGE + "\n");
  process.exit(args.help ? 0 : 64);
}
const top = Number(args.top ?? 40);
const by = args.by ?? "function";
if (!["function", "file", "package"].includes(by)) throw new Error(`--by: expected function, file or package, got "${by}"`);
const seconds = (name: "from" | "to", dflt: number) => {
  const v = args[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected seconds since the profile started, got "${v}"`);
  return n * 1e6;
};
const from = seconds("from", 0);
const to = seconds("to", Infinity);
for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let at = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from || at > to) return;
    total += dt;
    const k = keyOf(byId.get(id)!, by);
    self.set(k, (self.get(k) ?? 0) + dt);
  });
  const window = from > 0 || to < Infinity ? ` from ${(from / 1e6).toFixed(1)} s to ${to < Infinity ? `${(Math.min(to, at) / 1e6).toFixed(1)} s` : "the end"} of ${(at / 1e6).toFixed(1)} s` : "";
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled${window}\n`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
  }
}
