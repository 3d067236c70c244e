import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { recordAudit } from "@/lib/store/audit";
import { requestScan, ScanPendingError } from "@/lib/scan/scan-request";

/**
 * Asks for a scan that applies a mass retirement the guard held back (WI_ATLAS_MAX_RETIRE_PERCENT):
 * what it no longer sees is closed however much it is. As with Scan now, the web only writes the
 * request (202 with its id; a scanner claims it); 409 when a scan is running or waiting. Admin only:
 * closing a large part of the inventory at once is an admin's decision.
 */
export const POST = route(
  async (_req, _params, actor) => {
    const db = serverDb();
    try {
      const { scanId, status } = await requestScan(db, "manual", { acceptRetirement: true });
      await recordAudit(db, actor, "scan.retirement-accepted", `scan:${scanId}`);
      return Response.json({ scanId, status, acceptRetirement: true }, { status: 202 });
    } catch (err) {
      if (err instanceof ScanPendingError) throw conflict(err.message, { running: err.running });
      throw err;
    }
  },
  { role: "admin" },
);
