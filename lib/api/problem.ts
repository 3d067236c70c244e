/**
 * The one error type the web layer raises for a request it cannot serve, mapped to HTTP in one place
 * (lib/api/respond.ts). Messages name the problem (the parameter, its value, what is allowed).
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: "bad_request" | "unauthorized" | "forbidden" | "not_found" | "conflict" | "unavailable" | "internal",
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "Problem";
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new Problem(400, "bad_request", message, details);
export const unauthorized = (message: string, details?: Record<string, unknown>) => new Problem(401, "unauthorized", message, details);
export const forbidden = (message: string, details?: Record<string, unknown>) => new Problem(403, "forbidden", message, details);
export const notFound = (message: string) => new Problem(404, "not_found", message);
export const conflict = (message: string, details?: Record<string, unknown>) => new Problem(409, "conflict", message, details);
