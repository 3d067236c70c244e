import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { config } from "@/lib/config";
import { listScans } from "@/lib/store/queries";
import { startScan, ScanBusyError } from "@/lib/scan/scan-control";

export const GET = route(async () => ({ scans: await listScans(serverDb()) }));

/** Starts a scan now. 202 with its id; 409 with the running scan when one is already running. */
export const POST = route(async () => {
  try {
    const { scanId } = await startScan(serverDb(), config(), "manual");
    return Response.json({ scanId, status: "running" }, { status: 202 });
  } catch (err) {
    if (err instanceof ScanBusyError) throw conflict(err.message, { running: err.running });
    throw err;
  }
});
