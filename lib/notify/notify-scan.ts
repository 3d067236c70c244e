/**
 * After a scan is applied (or fails), tell people (issue 13): each new critical/high finding, each
 * key about to expire and each failed or partial scan (once per distinct set of failed sources until a
 * scan succeeds) is sent once per destination — what was sent is
 * remembered in `notification_sent`, so an unchanged rescan sends nothing. Findings and keys go to
 * their owning team's channels when the owners file gives the team any, else to the default ones; the
 * Pub/Sub topic gets every event with an `owner` attribute. At most WI_ATLAS_NOTIFY_MAX_PER_SCAN
 * messages per destination per scan, then one "and N more" summary. Never throws: a notification
 * failure is logged (hosts, not URLs) and never fails the scan.
 */
import type pg from "pg";
import type { Config } from "../config";
import { log } from "../log";
import { ownersFrom, type Owners, type Team } from "../owners/owners-file";
import { ownerOf } from "../owners/match-owner";
import { findingEvents, keyExpiryEvents, scanEvent, type NotifyEvent } from "./events";
import type { Message } from "./format";
import { deliver, describe, type DeliverOptions, type Destination } from "./send";
import { pubsubPublisher, type PubsubPublisher } from "./pubsub";
import type { RetryPolicy } from "../sources/http/caller";

export type NotifyInput = {
  pool: pg.Pool;
  config: Config;
  scanId: number;
  /** How the scan ended: succeeded | partial | failed. */
  status: string;
  /** The clock keys' expiry is measured against (the estate's `now` in the simulator). */
  clock: Date;
  /** A failed scan's message. */
  error?: string;
  /** The simulator's URL in estate mode: Pub/Sub is published there; undefined publishes to Google. */
  simulatorUrl?: string;
  /** Tests: another retry policy, a publisher. */
  retry?: RetryPolicy;
  pubsub?: PubsubPublisher;
};

/** What happened at one destination. */
export type ChannelReport = { channel: string; sent: number; summarized: number; retries: number; error?: string };

type Routed = { event: NotifyEvent; team?: Team };

function defaultDestinations(c: Config["notify"]): Destination[] {
  const d: Destination[] = [];
  if (c.webhookUrl) d.push({ type: "webhook", url: c.webhookUrl, channel: "webhook:default" });
  if (c.slackUrl) d.push({ type: "slack", url: c.slackUrl, channel: "slack:default" });
  if (c.chatUrl) d.push({ type: "chat", url: c.chatUrl, channel: "chat:default" });
  return d;
}

function teamDestinations(t: Team): Destination[] {
  const d: Destination[] = [];
  if (t.notify?.webhook) d.push({ type: "webhook", url: t.notify.webhook, channel: `webhook:${t.team}` });
  if (t.notify?.slack) d.push({ type: "slack", url: t.notify.slack, channel: `slack:${t.team}` });
  if (t.notify?.chat) d.push({ type: "chat", url: t.notify.chat, channel: `chat:${t.team}` });
  return d;
}

async function failedSources(pool: pg.Pool, scanId: number) {
  const r = await pool.query<{ source: string; status: string; error: string | null }>(
    `select source, status, error from scan_source where scan_id = $1 and status in ('failed', 'partial') order by source`,
    [scanId],
  );
  return r.rows;
}

async function alreadySent(pool: pg.Pool, channel: string, events: NotifyEvent[]): Promise<Set<string>> {
  if (!events.length) return new Set();
  const r = await pool.query<{ kind: string; ref: string }>(
    `select n.kind, n.ref from notification_sent n join unnest($2::text[], $3::text[]) as e(kind, ref) on e.kind = n.kind and e.ref = n.ref where n.channel = $1`,
    [channel, events.map((e) => e.kind), events.map((e) => e.ref)],
  );
  return new Set(r.rows.map((x) => `${x.kind}\u0000${x.ref}`));
}

async function remember(pool: pg.Pool, channel: string, scanId: number, events: NotifyEvent[], summarized: boolean): Promise<void> {
  if (!events.length) return;
  await pool.query(
    `insert into notification_sent (kind, ref, channel, scan_id, summarized)
     select e.kind, e.ref, $1, $2, $3 from unnest($4::text[], $5::text[]) as e(kind, ref)
     on conflict do nothing`,
    [channel, scanId, summarized, events.map((e) => e.kind), events.map((e) => e.ref)],
  );
}

/** Sends what this scan has to tell; returns what each destination did (tests, the log line). */
export async function notifyAfterScan(input: NotifyInput): Promise<ChannelReport[]> {
  try {
    return await run(input);
  } catch (err) {
    log.error(`Notifications after scan #${input.scanId} failed: ${(err as Error).message}`);
    return [];
  }
}

async function run(input: NotifyInput): Promise<ChannelReport[]> {
  const { pool, config, scanId } = input;
  const n = config.notify;
  let owners: Owners | undefined;
  try {
    owners = ownersFrom(config.ownersPath);
  } catch (err) {
    log.error(`Notifications: the owners file is unusable, so everything goes to the default channels: ${(err as Error).message}`);
  }
  // A scan that succeeded ends the run of failures: the next failure is news again, even the same one.
  if (input.status === "succeeded") await pool.query(`delete from notification_sent where kind = 'scan'`);
  const defaults = defaultDestinations(n);
  const hasTeamChannels = owners?.teams.some((t) => teamDestinations(t).length > 0) ?? false;
  if (!defaults.length && !n.pubsubTopic && !hasTeamChannels) return [];

  const events: Routed[] = [];
  if (input.status === "failed" || input.status === "partial") {
    events.push({ event: scanEvent({ scanId, status: input.status, error: input.error, failed: await failedSources(pool, scanId) }) });
  }
  // A failed scan applied nothing: its findings and keys are the previous scan's, already told.
  if (input.status !== "failed") {
    // Keys first: few, and each has a deadline; findings can wait for the page behind an "and N more".
    const found = [...(await keyExpiryEvents(pool, input.clock, n.keyExpiryDays)), ...(await findingEvents(pool, n.minSeverity))];
    for (const e of found) events.push({ event: e, team: ownerOf(owners, e.scope) });
  }
  if (!events.length) return [];

  // Each destination's share of the events: a team's own channels replace the defaults for its events.
  const byChannel = new Map<string, { dest: Destination; items: Routed[] }>();
  const add = (dest: Destination, r: Routed) => {
    let g = byChannel.get(dest.channel);
    if (!g) byChannel.set(dest.channel, (g = { dest, items: [] }));
    g.items.push(r);
  };
  for (const r of events) {
    const own = r.team ? teamDestinations(r.team) : [];
    for (const d of own.length ? own : defaults) add(d, r);
    if (n.pubsubTopic) add({ type: "pubsub", topic: n.pubsubTopic, channel: "pubsub:default" }, r);
  }

  const opts: DeliverOptions = {
    publicUrl: config.publicUrl,
    timeoutMs: config.requestTimeoutMs,
    retry: input.retry,
    pubsub: n.pubsubTopic ? (input.pubsub ?? pubsubPublisher(input.simulatorUrl)) : undefined,
  };
  const reports: ChannelReport[] = [];
  for (const { dest, items } of byChannel.values()) {
    const sent = await alreadySent(pool, dest.channel, items.map((i) => i.event));
    const pending = items.filter((i) => !sent.has(`${i.event.kind}\u0000${i.event.ref}`));
    if (!pending.length) continue;
    const one = pending.slice(0, n.maxPerScan);
    const rest = pending.slice(n.maxPerScan);
    const team = dest.channel.endsWith(":default") ? undefined : one[0]?.team;
    const messages: Message[] = one.map((i) => ({ ...i.event, owner: i.team?.team, contact: i.team?.contact }));
    if (rest.length) messages.push({ kind: "summary", count: rest.length, of: [...new Set(rest.map((i) => i.event.kind))], max: n.maxPerScan, owner: team?.team, contact: team?.contact });
    const result = await deliver(dest, messages, opts);
    const individually = one.slice(0, result.delivered).map((i) => i.event);
    await remember(pool, dest.channel, scanId, individually, false);
    const summaryDelivered = rest.length > 0 && result.delivered === messages.length;
    if (summaryDelivered) await remember(pool, dest.channel, scanId, rest.map((i) => i.event), true);
    const report: ChannelReport = { channel: dest.channel, sent: individually.length, summarized: summaryDelivered ? rest.length : 0, retries: result.retries, ...(result.error ? { error: result.error } : {}) };
    reports.push(report);
    const what = `${report.sent} sent${report.summarized ? `, ${report.summarized} in a summary` : ""}${report.retries ? `, ${report.retries} retries` : ""}`;
    if (result.error) log.warn(`Notifications after scan #${scanId}: ${describe(dest)}: ${what}; stopped: ${result.error} (the rest is tried again after the next scan)`);
    else log.info(`Notifications after scan #${scanId}: ${describe(dest)}: ${what}`);
  }
  return reports;
}
