import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { overview } from "@/lib/store/queries";

export const GET = route(async () => overview(serverDb()));
