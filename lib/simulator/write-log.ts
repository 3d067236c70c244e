/**
 * The simulator's record of the writes it accepted: what a test or a user reads back to see what a
 * fix really changed (`GET /_simulator/writes`), and what the log line says. `POST /_simulator/reset`
 * reloads the estate file and empties it.
 */
import type { SimApi } from "./http-types";
import type { World } from "./world";
import { log } from "../log";

export type WriteLogEntry = {
  /** When the simulator accepted it (wall clock, ISO). */
  at: string;
  api: SimApi;
  method: string;
  /** The path as requested (`/v1/projects/p/serviceAccounts/e:setIamPolicy`, `/clusters/P/L/N/api/v1/…`). */
  path: string;
  /** What changed, in one line (`annotated ksa team/app`, `deleted key …`). */
  summary: string;
};

export function recordWrite(world: World, entry: Omit<WriteLogEntry, "at">): void {
  world.writes.push({ at: new Date().toISOString(), ...entry });
  log.info(`Simulator write: ${entry.method} ${entry.path}: ${entry.summary}`);
}
