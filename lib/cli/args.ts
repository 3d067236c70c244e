/** Tiny argv parsing for our commands (node:util parseArgs with clear errors). */
import { parseArgs, type ParseArgsConfig } from "node:util";

export function parseCliArgs<T extends NonNullable<ParseArgsConfig["options"]>>(options: T, usage: string) {
  try {
    return parseArgs({ options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    process.exit(64);
  }
}

/** Exit codes (sysexits-style) our commands use; documented in the README. */
export const EXIT = { ok: 0, failed: 1, partial: 2, usage: 64, busy: 75, config: 78 } as const;
