import { tableRoute } from "@/lib/api/table-route";

export const GET = tableRoute("findings");
