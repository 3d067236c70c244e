import { serverDb } from "@/lib/store/db";
import { route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { gsaDetail } from "@/lib/store/queries";

export const GET = route<{ subject: string }>(async (_req, { subject }) => {
  const value = decodeURIComponent(subject).trim();
  const email = value.replace(/^gsa:/, "").toLowerCase();
  if (!/^[^@\s]+@[a-z0-9.-]+$/.test(email)) throw badRequest(`"${value}" is not a GSA subject (gsa:EMAIL) or email`);
  return gsaDetail(serverDb(), email);
});
