/**
 * The one logger. Every message and error passes through `scrub`, so that private key material
 * can never reach a log line even if an API error were to echo a request body.
 */
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** The levels WI_ATLAS_LOG_LEVEL takes, least severe first (lib/config.ts checks it against them). */
export const LOG_LEVELS = Object.keys(ORDER) as Level[];

const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const JSON_PRIVATE_KEY = /("private_key"\s*:\s*")(?:[^"\\]|\\.)*"/g;

/** Removes anything that looks like private key material from a string. */
export function scrub(text: string): string {
  return text.replace(PEM, "[redacted private key]").replace(JSON_PRIVATE_KEY, '$1[redacted]"');
}

function currentLevel(): Level {
  const v = (process.env.WI_ATLAS_LOG_LEVEL ?? "").trim().toLowerCase() || "info";
  return (v in ORDER ? v : "info") as Level;
}

function format(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

let allToStderr = false;
/** Sends every log line to stderr (commands whose stdout is machine-readable, e.g. `scan --json`). */
export function logToStderr() {
  allToStderr = true;
}

function emit(level: Level, parts: unknown[]) {
  if (ORDER[level] < ORDER[currentLevel()]) return;
  const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${scrub(parts.map(format).join(" "))}`;
  if (allToStderr || level === "error" || level === "warn") process.stderr.write(line + "\n");
  else process.stdout.write(line + "\n");
}

export const log = {
  debug: (...parts: unknown[]) => emit("debug", parts),
  info: (...parts: unknown[]) => emit("info", parts),
  warn: (...parts: unknown[]) => emit("warn", parts),
  error: (...parts: unknown[]) => emit("error", parts),
};
