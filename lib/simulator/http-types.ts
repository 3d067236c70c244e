import type { World } from "./world";

export type SimApi = "crm" | "iam" | "container" | "policyanalyzer" | "cloudasset" | "gkehub" | "k8s" | "pubsub";

export type SimRequest = {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  /** The path as it arrived, still percent-encoded (where `%2F` and `/` differ, as in IAM v2 policy names). */
  rawPath?: string;
  query: URLSearchParams;
  body: unknown;
  /** The request body as sent (writes: Kubernetes patches are told apart by content type). */
  rawBody?: string;
  /** The request's Content-Type, lower-cased, parameters dropped. */
  contentType?: string;
  world: World;
  /** What Cloud Asset Inventory serves: the world as it was `assetLagSeconds` ago (its index lags). */
  assetWorld?: World;
  /** Zones to report as missing from a cluster list (a `missingZones` fault). */
  missingZones?: string[];
  /** Kubernetes lists: every page carries the same `continue` token, so the list never ends (a `repeatContinue` fault). */
  repeatContinue?: boolean;
};

export type SimResponse = { status: number; body: unknown; headers?: Record<string, string> };

export type Route = {
  api: SimApi;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  pattern: RegExp;
  /** The IAM permission (or Kubernetes verb/resource) the endpoint needs, named in 403s. */
  permission: (m: RegExpExecArray, req: SimRequest) => string;
  handle: (m: RegExpExecArray, req: SimRequest) => SimResponse;
};

const GOOGLE_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** Google's JSON error body: {"error":{"code","message","status","details"}}. */
export function googleError(code: number, message: string, opts: { status?: string; details?: unknown[] } = {}): SimResponse {
  const error: Record<string, unknown> = { code, message, status: opts.status ?? GOOGLE_STATUS[code] ?? "UNKNOWN" };
  if (opts.details?.length) error.details = opts.details;
  return { status: code, body: { error } };
}

export function permissionDenied(api: SimApi, permission: string, resource: string, message?: string): SimResponse {
  const domain = api === "crm" ? "cloudresourcemanager.googleapis.com" : `${api}.googleapis.com`;
  const text =
    message ??
    (api === "iam"
      ? `Permission '${permission}' denied on resource (or it may not exist).`
      : api === "container"
        ? `Required "${permission}" permission(s) for "${resource}".`
        : api === "crm"
          ? "The caller does not have permission"
          : `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`);
  return googleError(403, text, {
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "IAM_PERMISSION_DENIED",
        domain,
        metadata: { permission, resource },
      },
    ],
  });
}

export function serviceDisabled(service: string, projectNumber: string, title: string): SimResponse {
  return googleError(
    403,
    `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    {
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "SERVICE_DISABLED",
          domain: "googleapis.com",
          metadata: { service, consumer: `projects/${projectNumber}` },
        },
      ],
    },
  );
}

const K8S_REASON: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** Kubernetes' `Status` error body. */
export function k8sStatus(code: number, message: string, opts: { reason?: string; details?: Record<string, unknown> } = {}): SimResponse {
  const body: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: opts.reason ?? K8S_REASON[code] ?? "Unknown",
    code,
  };
  if (opts.details) body.details = opts.details;
  return { status: code, body };
}
