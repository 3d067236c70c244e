import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { cancelScan } from "@/lib/scan/scan-request";

export const POST = route<{ id: string }>(async (_req, { id }) => {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`"${id}" is not a scan id`);
  return cancelScan(serverDb(), n);
});
