/**
 * One error shape for every API the scanner calls, whichever client raised it: the HTTP status,
 * the API's own message, the permission it said was missing, and Retry-After when it gave one.
 */
import { scrub } from "../../log";
import type { ApiName } from "../../config";

export class ApiError extends Error {
  constructor(
    readonly api: ApiName,
    /** HTTP status; 0 for a network error or a timeout. */
    readonly status: number,
    message: string,
    readonly opts: {
      /** Google `status` (PERMISSION_DENIED…) or Kubernetes `reason` (Forbidden, Expired…). */
      reason?: string;
      /** The permission the API said was missing (Google ErrorInfo metadata, or the Kubernetes verb/resource). */
      permission?: string;
      /** Seconds, from a Retry-After header. */
      retryAfter?: number;
      isTimeout?: boolean;
    } = {},
  ) {
    super(scrub(message));
    this.name = "ApiError";
  }

  get isRetryable(): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 0 || this.opts.isTimeout === true;
  }
}

function retryAfterOf(headers: unknown): number | undefined {
  let v: unknown;
  if (headers && typeof (headers as Headers).get === "function") v = (headers as Headers).get("retry-after");
  else if (headers && typeof headers === "object") v = (headers as Record<string, unknown>)["retry-after"];
  if (v === undefined || v === null || v === "") return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const d = Date.parse(String(v));
  return Number.isFinite(d) ? Math.max(0, (d - Date.now()) / 1000) : undefined;
}

type GoogleErrorBody = {
  error?: { code?: number; message?: string; status?: string; details?: { reason?: string; metadata?: Record<string, string> }[] };
};

/** Normalises a gaxios (googleapis) error. */
export function fromGoogleError(api: ApiName, err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { name?: string; code?: string | number; status?: number; message?: string; response?: { status?: number; data?: unknown; headers?: unknown } };
  if (e?.name === "AbortError" || e?.name === "TimeoutError" || e?.code === "ABORT_ERR") {
    return new ApiError(api, 0, `${what}: request timed out`, { isTimeout: true });
  }
  const status = e?.response?.status ?? (typeof e?.status === "number" ? e.status : 0);
  if (!status) return new ApiError(api, 0, `${what}: ${e?.message ?? String(err)}`);
  let data = e.response?.data as GoogleErrorBody | string | undefined;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data) as GoogleErrorBody;
    } catch {
      // not JSON: keep the text
    }
  }
  const body = typeof data === "object" ? data?.error : undefined;
  const message = body?.message ?? (typeof data === "string" ? data.slice(0, 300) : e.message) ?? `HTTP ${status}`;
  const info = body?.details?.find((d) => d?.metadata?.permission || d?.reason);
  let permission = info?.metadata?.permission;
  permission ??= /Permission '([\w.]+)'/.exec(message)?.[1] ?? /Required "([\w.]+)"/.exec(message)?.[1];
  const reason = info?.reason === "SERVICE_DISABLED" ? "SERVICE_DISABLED" : body?.status;
  return new ApiError(api, status, `${what}: ${message}`, { reason, permission, retryAfter: retryAfterOf(e.response?.headers) });
}

/** Normalises a @kubernetes/client-node ApiException (or a fetch failure). */
export function fromK8sError(err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { name?: string; code?: number | string; body?: unknown; headers?: unknown; message?: string; type?: string };
  if (e?.name === "AbortError" || e?.type === "aborted" || e?.name === "TimeoutError") {
    return new ApiError("k8s", 0, `${what}: request timed out`, { isTimeout: true });
  }
  const status = typeof e?.code === "number" ? e.code : 0;
  if (!status) return new ApiError("k8s", 0, `${what}: ${e?.message ?? String(err)}`);
  let body = e.body as { message?: string; reason?: string } | string | undefined;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as { message?: string; reason?: string };
    } catch {
      // keep the text
    }
  }
  const message = typeof body === "object" && body?.message ? body.message : typeof body === "string" ? body.slice(0, 300) : `HTTP ${status}`;
  const reason = typeof body === "object" ? body?.reason : undefined;
  let permission: string | undefined;
  const m = /cannot (\w+) resource "([\w.]+)"/.exec(message);
  if (m) permission = `${m[1]} ${m[2]}`;
  return new ApiError("k8s", status, `${what}: ${message}`, { reason, permission, retryAfter: retryAfterOf(e.headers) });
}
