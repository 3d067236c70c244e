import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { recordAudit } from "@/lib/store/audit";
import { cancelScan } from "@/lib/scan/scan-control";

/** Asks a running scan to stop (operator). */
export const POST = route<{ id: string }>(
  async (_req, { id }, actor) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw badRequest(`"${id}" is not a scan id`);
    const db = serverDb();
    const r = await cancelScan(db, n);
    if (r.status === "cancelling") await recordAudit(db, actor, "scan.cancelled", `scan:${n}`);
    return r;
  },
  { role: "operator" },
);
