/**
 * One event, four wire formats (issue 13):
 * - generic webhook: a flat JSON object (`source: "wi-atlas"`, `event`, `title`, `text`, …);
 * - Slack incoming webhook: `{text, blocks}` — `text` is the fallback shown in notifications, the
 *   blocks a mrkdwn `section` and a `context` line (Slack's Block Kit; `&`, `<`, `>` escaped);
 * - Google Chat incoming webhook: `{text}` (Chat's text message; `*bold*` and `<url|label>` links);
 * - Pub/Sub: a PubsubMessage, `data` the generic JSON base64-encoded, `attributes` for subscription filters.
 */
import type { NotifyEvent } from "./events";
import { subjectPath } from "./events";

/** Who an event was routed to (from the owners file), when anyone. */
export type Routed = { owner?: string; contact?: string };

/** A summary standing for events over the per-scan cap. */
export type Summary = { kind: "summary"; count: number; of: NotifyEvent["kind"][]; max: number };

export type Message = (NotifyEvent & Routed) | (Summary & Routed);

function isSummary(m: Message): m is Summary & Routed {
  return m.kind === "summary";
}

function linkOf(m: Message, publicUrl?: string): string | undefined {
  if (!publicUrl) return undefined;
  if (isSummary(m)) return `${publicUrl}${m.of.includes("finding") ? "/findings" : "/keys"}${m.owner ? `?owner=${encodeURIComponent(m.owner)}` : ""}`;
  return `${publicUrl}${subjectPath(m.subject)}`;
}

function summaryTitle(m: Summary): string {
  const what = m.of.every((k) => k === "finding") ? "new findings" : m.of.every((k) => k === "key-expiry") ? "expiring keys" : "notices";
  return `and ${m.count} more ${what}`;
}

function summaryText(m: Summary): string {
  return `Not sent one by one: at most ${m.max} messages a scan (WI_ATLAS_NOTIFY_MAX_PER_SCAN). They are counted as told and will not be sent later.`;
}

/** The generic JSON webhook body (also the data of a Pub/Sub message). */
export function webhookBody(m: Message, publicUrl?: string): Record<string, unknown> {
  const url = linkOf(m, publicUrl);
  if (isSummary(m)) {
    return { source: "wi-atlas", event: "summary", title: summaryTitle(m), text: summaryText(m), count: m.count, ...(m.owner ? { owner: m.owner } : {}), ...(url ? { url } : {}) };
  }
  return {
    source: "wi-atlas",
    event: m.kind,
    title: m.title,
    text: m.text,
    subject: m.subject,
    ...(m.severity ? { severity: m.severity } : {}),
    ...(m.rule ? { rule: m.rule } : {}),
    ...(m.owner ? { owner: m.owner } : {}),
    ...(m.contact ? { contact: m.contact } : {}),
    ...(url ? { url } : {}),
  };
}

function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const EMOJI: Record<string, string> = { critical: ":red_circle:", high: ":large_orange_circle:", medium: ":large_yellow_circle:" };

/** Slack incoming-webhook body: `text` (fallback) + Block Kit `blocks`. */
export function slackBody(m: Message, publicUrl?: string): { text: string; blocks: unknown[] } {
  const url = linkOf(m, publicUrl);
  const title = isSummary(m) ? summaryTitle(m) : m.title;
  const text = isSummary(m) ? summaryText(m) : m.text;
  const emoji = !isSummary(m) && m.severity ? `${EMOJI[m.severity] ?? ":white_circle:"} ` : "";
  const body = `${emoji}*${slackEscape(title)}*\n${slackEscape(text)}${url ? `\n<${url}|Open in wi-atlas>` : ""}`;
  const context = [m.owner ? `Owner: ${slackEscape(m.owner)}${m.contact ? ` (${slackEscape(m.contact)})` : ""}` : "", "wi-atlas"].filter(Boolean).join(" · ");
  return {
    text: `${title}${url ? ` ${url}` : ""}`,
    blocks: [
      // A section's text is limited to 3000 characters.
      { type: "section", text: { type: "mrkdwn", text: body.length > 3000 ? body.slice(0, 2990) + "…" : body } },
      { type: "context", elements: [{ type: "mrkdwn", text: context }] },
    ],
  };
}

/** Google Chat incoming-webhook body: a text message. */
export function chatBody(m: Message, publicUrl?: string): { text: string } {
  const url = linkOf(m, publicUrl);
  const title = isSummary(m) ? summaryTitle(m) : m.title;
  const text = isSummary(m) ? summaryText(m) : m.text;
  const owner = m.owner ? `\nOwner: ${m.owner}${m.contact ? ` (${m.contact})` : ""}` : "";
  return { text: `*${title}*\n${text}${owner}${url ? `\n<${url}|Open in wi-atlas>` : ""}` };
}

/** A Pub/Sub message: the generic JSON as base64 `data`, and string attributes to filter subscriptions on. */
export function pubsubMessage(m: Message, publicUrl?: string): { data: string; attributes: Record<string, string> } {
  const body = webhookBody(m, publicUrl);
  const attributes: Record<string, string> = { source: "wi-atlas", event: String(body.event) };
  for (const k of ["severity", "rule", "owner", "subject"] as const) if (typeof body[k] === "string") attributes[k] = body[k] as string;
  return { data: Buffer.from(JSON.stringify(body), "utf8").toString("base64"), attributes };
}
