import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { conflict } from "@/lib/api/problem";
import { config } from "@/lib/config";
import { listScans } from "@/lib/store/queries";
import { recordAudit } from "@/lib/store/audit";
import { startScan, ScanBusyError } from "@/lib/scan/scan-control";

export const GET = route(async () => ({ scans: await listScans(serverDb()) }));

/** Starts a scan now (operator). 202 with its id; 409 with the running scan when one is already running. */
export const POST = route(
  async (_req, _params, actor) => {
    const db = serverDb();
    try {
      const { scanId } = await startScan(db, config(), "manual");
      await recordAudit(db, actor, "scan.requested", `scan:${scanId}`);
      return Response.json({ scanId, status: "running" }, { status: 202 });
    } catch (err) {
      if (err instanceof ScanBusyError) throw conflict(err.message, { running: err.running });
      throw err;
    }
  },
  { role: "operator" },
);
