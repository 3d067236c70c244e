/**
 * Next's proxy (formerly middleware) runs in front of every request, static files included:
 * 1. request hardening (lib/http/security.ts): cross-origin state changes and wrong hosts are refused;
 * 2. sign-in (lib/auth/guard-request.ts): no page or API answer without at least the viewer role
 *    (route handlers check the finer roles); build output, the icon and robots.txt carry no data;
 * 3. every response — refusals and 401/403 included — gets the security headers and a fresh CSP nonce.
 */
import { NextResponse, type NextRequest } from "next/server";
import { currentSecurityOptions, secureRequest } from "./lib/http/security";
import { authenticate } from "./lib/auth/guard-request";

const PUBLIC_FILES = /^\/(?:_next\/static\/|_next\/image|favicon\.ico$|icon\.svg$|robots\.txt$)/;

export async function proxy(request: NextRequest) {
  const secured = secureRequest(request, currentSecurityOptions());
  let response: Response | undefined = secured.refusal ?? undefined;
  if (!response && !PUBLIC_FILES.test(request.nextUrl.pathname)) response = (await authenticate(request)).response;
  const out = response ?? NextResponse.next({ request: { headers: secured.requestHeaders } });
  for (const [name, value] of Object.entries(secured.responseHeaders)) out.headers.set(name, value);
  return out;
}
