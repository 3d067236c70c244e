/** fetch → JSON, with the server's error message kept for the error state. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The error body's other fields (a 400's `parameter`, a page's `lastPage`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  // The server refuses a state change whose body is not declared JSON (lib/http/security.ts), so
  // every POST/PUT/PATCH/DELETE says so, with or without a body.
  const isChange = !!init?.method && !["GET", "HEAD"].includes(init.method.toUpperCase());
  const res = await fetch(url, { ...init, headers: { accept: "application/json", ...(isChange ? { "content-type": "application/json" } : {}), ...(init?.headers ?? {}) } });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const { message, ...details } = (body as { error?: { message?: string } & Record<string, unknown> } | undefined)?.error ?? {};
    throw new ApiError(res.status, message ?? `${res.status} ${res.statusText}`, details);
  }
  return body as T;
}
