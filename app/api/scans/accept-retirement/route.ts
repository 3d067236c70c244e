import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { requestScan, ScanPendingError } from "@/lib/scan/scan-request";

/**
 * Asks for a scan that applies a mass retirement the guard held back (WI_ATLAS_MAX_RETIRE_PERCENT):
 * what it no longer sees is closed however much it is. As with Scan now, the web only writes the
 * request (202 with its id; a scanner claims it); 409 when a scan is running or waiting.
 */
// admin only: closing a large part of the inventory at once is an admin's decision.
export const POST = route(async () => {
  try {
    const { scanId, status } = await requestScan(serverDb(), "manual", { acceptRetirement: true });
    return Response.json({ scanId, status, acceptRetirement: true }, { status: 202 });
  } catch (err) {
    if (err instanceof ScanPendingError) throw conflict(err.message, { running: err.running });
    throw err;
  }
});
