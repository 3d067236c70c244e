import { serverDb } from "@/lib/store/db";
import { parseId, route } from "@/lib/api/respond";
import { recordAudit } from "@/lib/store/audit";
import { deleteSuppression } from "@/lib/store/suppressions";

/** Removes a suppression (admin); the finding is open again from the next page load. */
export const DELETE = route<{ id: string }>(
  async (_req, { id }, actor) => {
    const n = parseId(id, "a suppression id");
    const db = serverDb();
    const r = await deleteSuppression(db, n);
    await recordAudit(db, actor, "suppression.removed", `${r.rule} ${r.subject}`, { id: n });
    return r;
  },
  { role: "admin" },
);
