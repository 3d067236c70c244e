import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { currentScan } from "@/lib/store/queries";

/** The running scan with its live progress (or null), and the last finished one. */
export const GET = route(async () => currentScan(serverDb()));
