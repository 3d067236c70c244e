import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { deleteSuppression } from "@/lib/store/suppressions";

export const DELETE = route<{ id: string }>(async (_req, { id }) => {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`"${id}" is not a suppression id`);
  return deleteSuppression(serverDb(), n);
});
