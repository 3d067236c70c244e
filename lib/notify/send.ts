/**
 * Delivery to one destination with the scanner's shared retry policy (lib/sources/http/caller.ts:
 * 429, 5xx, network errors and timeouts retried with full-jitter backoff honouring Retry-After; other
 * statuses are permanent). A destination that still fails stops taking messages for this scan — what
 * it missed stays untold and is tried again after the next scan. Webhook URLs are secrets: errors name
 * the host only.
 */
import { DEFAULT_RETRY, backoffDelay, type RetryPolicy } from "../sources/http/caller";
import { chatBody, pubsubMessage, slackBody, webhookBody, type Message } from "./format";
import type { PubsubPublisher } from "./pubsub";

export type Destination =
  | { type: "webhook" | "slack" | "chat"; url: string; /** Dedup key and log name, e.g. `slack:default`, `slack:payments`. */ channel: string }
  | { type: "pubsub"; topic: string; channel: string };

export type DeliverOptions = {
  publicUrl?: string;
  timeoutMs: number;
  retry?: RetryPolicy;
  pubsub?: PubsubPublisher;
  sleep?: (ms: number) => Promise<void>;
};

/** How a delivery ended: how many messages (in order) went out, and why it stopped early. */
export type DeliveryResult = { delivered: number; retries: number; error?: string };

class DeliveryError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
  get isRetryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** Where a destination points, safe to log: the host of a webhook, the topic of Pub/Sub. */
export function describe(d: Destination): string {
  if (d.type === "pubsub") return `${d.channel} (${d.topic})`;
  let host = "invalid URL";
  try {
    host = new URL(d.url).host;
  } catch {
    // keep the placeholder: the URL itself is never printed
  }
  return `${d.channel} (${host})`;
}

function retryAfterOf(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, (t - Date.now()) / 1000) : undefined;
}

async function postJson(url: string, body: unknown, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json; charset=UTF-8" }, body: JSON.stringify(body), signal, redirect: "error" });
  } catch (err) {
    // fetch's own message names no URL; its cause says what failed (ECONNREFUSED, a timeout).
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const message = signal.aborted ? "request timed out" : `${(err as Error).message.split(url).join("[webhook URL]")}${cause ? ` (${cause})` : ""}`;
    throw new DeliveryError(0, message);
  }
  // The body may echo what was sent, never the URL; read it only to free the connection.
  const text = (await res.text().catch(() => "")).slice(0, 200);
  if (!res.ok) throw new DeliveryError(res.status, `HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, " ")}` : ""}`, retryAfterOf(res.headers.get("retry-after")));
}

function fromGoogle(err: unknown, signal: AbortSignal): DeliveryError {
  const e = err as { response?: { status?: number; data?: { error?: { message?: string; status?: string } }; headers?: Record<string, string> }; message?: string };
  const status = e.response?.status ?? 0;
  const g = e.response?.data?.error;
  if (!status) return new DeliveryError(0, signal.aborted ? "request timed out" : (e.message ?? String(err)));
  return new DeliveryError(status, `HTTP ${status}${g?.status ? ` ${g.status}` : ""}: ${g?.message ?? e.message ?? ""}`, retryAfterOf(e.response?.headers?.["retry-after"]));
}

async function withRetry(fn: (signal: AbortSignal) => Promise<void>, opts: DeliverOptions, stats: { retries: number }): Promise<void> {
  const policy = opts.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
      await fn(signal);
      return;
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError(0, (err as Error).message);
      if (!e.isRetryable || attempt >= policy.maxAttempts) throw new Error(`${e.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`);
      stats.retries++;
      const wait = backoffDelay(policy, attempt, e.retryAfter);
      await (opts.sleep ? opts.sleep(wait) : new Promise((r) => setTimeout(r, wait)));
    }
  }
}

/** Sends `messages` in order to one destination; stops at the first that cannot be delivered. */
export async function deliver(dest: Destination, messages: Message[], opts: DeliverOptions): Promise<DeliveryResult> {
  const stats = { retries: 0 };
  let delivered = 0;
  try {
    if (dest.type === "pubsub") {
      const pubsub = opts.pubsub;
      if (!pubsub) throw new Error("no Pub/Sub client");
      // One publish call carries many messages (Pub/Sub takes up to 1,000 a request).
      for (let i = 0; i < messages.length; i += 500) {
        const batch = messages.slice(i, i + 500).map((m) => pubsubMessage(m, opts.publicUrl));
        await withRetry(async (signal) => {
          try {
            await pubsub.publish(dest.topic, batch, signal);
          } catch (err) {
            throw fromGoogle(err, signal);
          }
        }, opts, stats);
        delivered += batch.length;
      }
    } else {
      const body = dest.type === "slack" ? slackBody : dest.type === "chat" ? chatBody : webhookBody;
      for (const m of messages) {
        await withRetry((signal) => postJson(dest.url, body(m, opts.publicUrl), signal), opts, stats);
        delivered++;
      }
    }
    return { delivered, retries: stats.retries };
  } catch (err) {
    return { delivered, retries: stats.retries, error: (err as Error).message };
  }
}
