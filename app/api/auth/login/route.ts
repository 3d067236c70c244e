import { loginRoute } from "@/lib/auth/signin-routes";

export const dynamic = "force-dynamic";

/** Starts an OIDC sign-in; `?returnTo=/path` is where the user lands afterwards. */
export const GET = loginRoute;
