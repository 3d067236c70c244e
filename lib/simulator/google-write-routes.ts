/**
 * Google Cloud writes the printed fixes make: IAM policies, keys and accounts, GKE clusters and node
 * pools (with Operations). (Filled in by the write-routes work of issue 12.)
 */
import type { Route } from "./http-types";

export const googleWriteRoutes: Route[] = [];
