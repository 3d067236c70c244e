import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { listScans } from "@/lib/store/queries";
import { recordAudit } from "@/lib/store/audit";
import { requestScan, ScanPendingError } from "@/lib/scan/scan-request";

export const GET = route(async () => ({ scans: await listScans(serverDb()) }));

/**
 * Asks for a scan now (operator): 202 with the id of a `requested` scan that a scanner process picks
 * up within a second or two (the web server never scans itself); 409 naming the scan already running
 * or waiting.
 */
export const POST = route(
  async (_req, _params, actor) => {
    const db = serverDb();
    try {
      const { scanId, status } = await requestScan(db);
      await recordAudit(db, actor, "scan.requested", `scan:${scanId}`);
      return Response.json({ scanId, status }, { status: 202 });
    } catch (err) {
      if (err instanceof ScanPendingError) throw conflict(err.message, { running: err.running });
      throw err;
    }
  },
  { role: "operator" },
);
