import { logoutRoute } from "@/lib/auth/signin-routes";

export const dynamic = "force-dynamic";

/** Clears the session cookie and shows the signed-out page. */
export const GET = logoutRoute;
