import { serverDb } from "@/lib/store/db";
import { parseId, route } from "@/lib/api/respond";
import { recordAudit } from "@/lib/store/audit";
import { cancelScan } from "@/lib/scan/scan-request";

/** Asks a running (or waiting) scan to stop (operator). */
export const POST = route<{ id: string }>(
  async (_req, { id }, actor) => {
    const n = parseId(id, "a scan id");
    const db = serverDb();
    const r = await cancelScan(db, n);
    if (r.status === "cancelling" || r.status === "cancelled") await recordAudit(db, actor, "scan.cancelled", `scan:${n}`);
    return r;
  },
  { role: "operator" },
);
