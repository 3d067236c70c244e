/**
 * CPU time (ms, user + system) another process has used so far, from /proc (Linux): the benchmark
 * tools read it for a PostgreSQL backend or the simulator, whose CPU `process.cpuUsage()` cannot see.
 */
import { readFileSync } from "node:fs";

export function procCpuMs(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100 a second).
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
