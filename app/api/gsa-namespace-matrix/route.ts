import { tableRoute } from "@/lib/api/table-route";

export const GET = tableRoute("gsa-namespace-matrix");
