/**
 * Next.js 16's proxy (formerly middleware) runs before every matched request. Sign-in: no page or API
 * answer without at least the viewer role (lib/auth/guard-request.ts); route handlers check the finer roles.
 */
import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { authenticate } from "./lib/auth/guard-request";

export async function proxy(request: NextRequest) {
  const auth = await authenticate(request);
  if (auth.response) return auth.response;
  return NextResponse.next();
}

export const config = {
  // Build output and the icon carry no data; everything else, pages and API alike, is checked.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
