import { serverDb } from "@/lib/store/db";
import { decodeParam, route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { parseSubject } from "@/lib/ids";
import { timeline } from "@/lib/store/queries";

export const GET = route<{ subject: string }>(async (_req, { subject }) => {
  const value = decodeParam(subject, "a subject");
  if (!parseSubject(value)) throw badRequest(`"${value}" is not a subject`);
  return timeline(serverDb(), value);
});
