/**
 * Cloud Asset Inventory endpoints (the organisation-scale path); filled in with issue #6.
 */
import type { Route } from "./http-types";

export const assetRoutes: Route[] = [];
