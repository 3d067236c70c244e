/**
 * Where a scan's GSA keys and GSA policies come from (WI_ATLAS_INVENTORY_PATH): asked of IAM per
 * account (`direct`), searched once per scope in Cloud Asset Inventory (`asset`), or — the default,
 * `auto` — searched where one search covers an organization or folders and asked directly otherwise
 * or when a search is refused. What the scan used, and why, is worked out here from its scope and
 * its sources' outcomes (so it holds whichever process ran the sources) and shown on the Coverage page.
 */
import { ApiError } from "../sources/http/api-error";

export type InventoryPathSetting = "direct" | "asset" | "auto";

/** The fields of a source outcome this module reads (a SourceOutcome, or a scan_source row). */
type OutcomeView = { family: string; scope: string; status: string; permission?: string | null; error?: string | null; requests: number };

type ScopeView = { organization?: string; folders: string[]; projects: string[]; inventoryPath?: InventoryPathSetting };

/** What the scan summary records. */
export type InventoryPathChoice = {
  /** `asset` when the keys came from Cloud Asset Inventory (the policies may still have been asked directly: see the reason). */
  inventoryPath: "direct" | "asset";
  /** For the Coverage page, after "Keys and GSA policies: ": the path taken and why. */
  inventoryPathReason: string;
  /** What WI_ATLAS_INVENTORY_PATH asked for. */
  inventoryPathSetting: InventoryPathSetting;
};

/** Whether the scan starts the Cloud Asset searches (beside discovery: they need nothing discovered first). */
export function searchesAssets(scope: ScopeView): boolean {
  if (scope.inventoryPath === "asset") return true;
  // One search over the organization (or each folder) replaces two requests per account of every
  // project below. A project scope would need one search per project and cloudasset permission on
  // each: auto leaves that to `asset`, where it was asked for.
  if (scope.inventoryPath === "auto") return !!scope.organization || scope.folders.length > 0;
  return false;
}

/** The message of an asset source `auto` set aside is NOT_USED + its cause + ASKED_DIRECTLY. */
export const NOT_USED = "not used (optional): ";
export const ASKED_DIRECTLY = " — keys and GSA policies were asked of IAM per account instead (WI_ATLAS_INVENTORY_PATH=auto)";

/** Why a Cloud Asset search could not be used, in a few words (the API's own message when nothing shorter says it). */
export function assetFailureCause(err: unknown, scope: string): { cause: string; httpStatus?: number; permission?: string } {
  if (err instanceof ApiError) {
    if (err.opts.reason === "SERVICE_DISABLED") {
      // At organization and folder scope the API must be on in the project the caller's requests are billed to.
      const project = /in project ([\w-]+) before or it is disabled/.exec(err.message)?.[1];
      return { cause: `the Cloud Asset API (cloudasset.googleapis.com) is not enabled in ${project ? `projects/${project}` : "the project the scanner's requests are billed to"}`, httpStatus: err.status };
    }
    if (err.status === 403 || err.status === 401) {
      const permission = err.opts.permission;
      return { cause: permission ? `${permission} was refused on ${scope}` : `the search over ${scope} was refused: ${err.message}`, httpStatus: err.status, permission };
    }
    return { cause: `the search over ${scope} failed: ${err.message}`, httpStatus: err.status || undefined };
  }
  return { cause: `the search over ${scope} failed: ${(err as Error)?.message ?? String(err)}` };
}

/** The path the scan took, and why, from its scope and the outcomes of its sources. */
export function inventoryPathOf(scope: ScopeView, outcomes: OutcomeView[]): InventoryPathChoice {
  const setting = scope.inventoryPath ?? "direct";
  const keys = outcomes.filter((o) => o.family === "asset.keys");
  const policies = outcomes.filter((o) => o.family === "asset.iamPolicies");
  const chosen = setting === "auto" ? "chosen by WI_ATLAS_INVENTORY_PATH=auto" : "WI_ATLAS_INVENTORY_PATH=asset";
  if (!searchesAssets(scope) || !keys.length) {
    if (setting === "direct") return { inventoryPath: "direct", inventoryPathSetting: setting, inventoryPathReason: "asked IAM per account (WI_ATLAS_INVENTORY_PATH=direct)" };
    return {
      inventoryPath: "direct",
      inventoryPathSetting: setting,
      inventoryPathReason:
        "asked IAM per account: the scan's scope is projects, and WI_ATLAS_INVENTORY_PATH=auto searches Cloud Asset Inventory only where one search covers an organization or folders (WI_ATLAS_INVENTORY_PATH=asset searches each project)",
    };
  }
  const why = (failed: OutcomeView) => {
    if (failed.permission) return `${failed.permission} was refused on ${failed.scope}`;
    const text = failed.error ?? `the search over ${failed.scope} did not answer`;
    const i = text.indexOf(ASKED_DIRECTLY);
    return i >= 0 ? text.slice(0, i).replace(NOT_USED, "") : `the search over ${failed.scope} failed: ${text}`;
  };
  const scopes = [...new Set(keys.map((o) => o.scope))].sort().join(", ");
  const keysFailed = keys.find((o) => o.status !== "ok");
  if (keysFailed) {
    // Without the keys search the scan cannot tell which accounts the index knows: everything is asked directly.
    return { inventoryPath: "direct", inventoryPathSetting: setting, inventoryPathReason: `asked IAM per account: ${why(keysFailed)}` };
  }
  // Accounts the index did not know yet (created within its lag) were asked directly, one keys request each.
  const direct = outcomes.filter((o) => o.family === "iam.keys").reduce((n, o) => n + o.requests, 0);
  const lag = direct ? `; ${direct} account${direct === 1 ? "" : "s"} the index did not know yet ${direct === 1 ? "was" : "were"} asked directly` : "";
  const policiesFailed = policies.find((o) => o.status !== "ok");
  if (policiesFailed) {
    return { inventoryPath: "asset", inventoryPathSetting: setting, inventoryPathReason: `keys via Cloud Asset Inventory (${scopes}, ${chosen}); GSA policies asked of IAM per account: ${why(policiesFailed)}${lag}` };
  }
  return { inventoryPath: "asset", inventoryPathSetting: setting, inventoryPathReason: `via Cloud Asset Inventory (${scopes}), ${chosen}${lag}` };
}
