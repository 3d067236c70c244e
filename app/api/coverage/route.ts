import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { coverage } from "@/lib/store/queries";

export const GET = route(async () => coverage(serverDb()));
