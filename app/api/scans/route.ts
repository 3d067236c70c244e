import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { listScans } from "@/lib/store/queries";
import { requestScan, ScanPendingError } from "@/lib/scan/scan-request";

export const GET = route(async () => ({ scans: await listScans(serverDb()) }));

/**
 * Asks for a scan now: 202 with the id of a `requested` scan that a scanner process picks up within
 * a second or two (the web server never scans itself); 409 naming the scan already running or waiting.
 */
export const POST = route(async () => {
  try {
    const { scanId, status } = await requestScan(serverDb());
    return Response.json({ scanId, status }, { status: 202 });
  } catch (err) {
    if (err instanceof ScanPendingError) throw conflict(err.message, { running: err.running });
    throw err;
  }
});
