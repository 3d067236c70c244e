"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "./fetch-json";

/** The signed-in person as GET /api/me describes them. */
export type Me = {
  /** `anonymous` when the dashboard runs without sign-in. */
  email: string;
  name: string | null;
  role: "viewer" | "operator" | "admin";
  authMode: "iap" | "oidc" | "none";
  canSignOut: boolean;
};

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

/**
 * Who is signed in. Buttons that change state are shown only once this says the role allows them:
 * the server checks every request anyway, the page just must not offer what would be refused.
 */
export function useMe() {
  const q = useQuery({ queryKey: ["me"], queryFn: () => fetchJson<Me>("/api/me"), staleTime: 60_000 });
  const can = (need: Me["role"]) => !!q.data && RANK[q.data.role] >= RANK[need];
  return { me: q.data, can };
}
