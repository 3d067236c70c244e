import { route } from "@/lib/api/respond";

/** Who the dashboard thinks you are, and your role (the header shows it; buttons follow it). */
export const GET = route(async (_req, _params, actor) => ({
  email: actor.email,
  name: actor.name ?? null,
  role: actor.role,
  authMode: actor.mode,
  canSignOut: actor.mode === "oidc",
}));
