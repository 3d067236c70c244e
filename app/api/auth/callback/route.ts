import { callbackRoute } from "@/lib/auth/signin-routes";

export const dynamic = "force-dynamic";

/** Where the identity provider sends the browser back (register this URL with the provider). */
export const GET = callbackRoute;
