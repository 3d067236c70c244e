import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { recordAudit } from "@/lib/store/audit";
import { deleteSuppression } from "@/lib/store/suppressions";

/** Removes a suppression (admin); the finding is open again from the next page load. */
export const DELETE = route<{ id: string }>(
  async (_req, { id }, actor) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw badRequest(`"${id}" is not a suppression id`);
    const db = serverDb();
    const r = await deleteSuppression(db, n);
    await recordAudit(db, actor, "suppression.removed", `${r.rule} ${r.subject}`, { id: n });
    return r;
  },
  { role: "admin" },
);
