import { serverDb } from "@/lib/store/db";
import { parseId, route } from "@/lib/api/respond";
import { cancelScan } from "@/lib/scan/scan-request";

export const POST = route<{ id: string }>(async (_req, { id }) => {
  return cancelScan(serverDb(), parseId(id, "a scan id"));
});
