import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { migrationProgress } from "@/lib/store/queries";

export const GET = route(async () => migrationProgress(serverDb()));
