import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { search } from "@/lib/store/queries";

export const GET = route(async (req) => {
  const q = new URL(req.url).searchParams.get("q") ?? "";
  if (q.length > 200) throw badRequest(`Query parameter "q" must be at most 200 characters`, { parameter: "q" });
  return search(serverDb(), q);
});
