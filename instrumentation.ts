/**
 * Next.js calls register() once when the server starts: the scan scheduler lives here, in the web
 * server process (each replica runs it; the database decides which one scans).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
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
