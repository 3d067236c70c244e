import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { config } from "@/lib/config";
import { startScan, ScanBusyError } from "@/lib/scan/scan-control";

/**
 * Starts a scan that applies a mass retirement the guard held back (WI_ATLAS_MAX_RETIRE_PERCENT):
 * what it no longer sees is closed however much it is. 202 with its id; 409 when a scan is running.
 */
// admin only: closing a large part of the inventory at once is an admin's decision (the role check
// is wired with the sign-in of issue 11 §1).
export const POST = route(async () => {
  try {
    const { scanId } = await startScan(serverDb(), config(), "manual", { acceptRetirement: true });
    return Response.json({ scanId, status: "running", acceptRetirement: true }, { status: 202 });
  } catch (err) {
    if (err instanceof ScanBusyError) throw conflict(err.message, { running: err.running });
    throw err;
  }
});
