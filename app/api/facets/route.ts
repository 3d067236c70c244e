import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { facets } from "@/lib/store/queries";

export const GET = route(async () => facets(serverDb()));
