/**
 * Next.js calls register() once when the server starts: the scan scheduler lives here, in the web
 * server process (each replica runs it; the database decides which one scans).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Sign-in settings that cannot do what they say (group: entries under IAP) are said once, at start.
  try {
    const [{ config: cfg }, { authWarnings }, { log }] = await Promise.all([import("./lib/config"), import("./lib/auth/authenticate"), import("./lib/log")]);
    for (const w of authWarnings(cfg())) log.warn(w);
  } catch (err) {
    console.error("Configuration:", (err as Error).message);
  }
  if (process.env.WI_ATLAS_DISABLE_SCHEDULER === "1") return;
  const { config } = await import("./lib/config");
  const { serverDb } = await import("./lib/store/db");
  const { startScheduler } = await import("./lib/scan/scheduler");
  try {
    startScheduler(serverDb(), config());
  } catch (err) {
    console.error("The scan scheduler did not start:", err);
  }
}
