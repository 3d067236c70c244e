/**
 * Next's proxy (formerly middleware) runs in front of every request, static files included: it
 * refuses cross-origin state changes and wrong hosts, and puts the security headers and a fresh CSP
 * nonce on every response. The rules live in lib/http/security.ts.
 */
import { NextResponse, type NextRequest } from "next/server";
import { currentSecurityOptions, secureRequest } from "./lib/http/security";

export function proxy(request: NextRequest) {
  const secured = secureRequest(request, currentSecurityOptions());
  const response = secured.refusal ?? NextResponse.next({ request: { headers: secured.requestHeaders } });
  for (const [name, value] of Object.entries(secured.responseHeaders)) response.headers.set(name, value);
  return response;
}
