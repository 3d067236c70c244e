import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { listScans } from "@/lib/store/queries";

export const GET = route(async () => ({ scans: await listScans(serverDb()) }));
