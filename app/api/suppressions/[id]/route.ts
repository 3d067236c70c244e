import { serverDb } from "@/lib/store/db";
import { parseId, route } from "@/lib/api/respond";
import { deleteSuppression } from "@/lib/store/suppressions";

export const DELETE = route<{ id: string }>(async (_req, { id }) => {
  return deleteSuppression(serverDb(), parseId(id, "a suppression id"));
});
