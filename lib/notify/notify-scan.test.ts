import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { simulatorFor, scanWith, testConfig } from "../testing/scan-helpers";
import { loadEstateFile, type LoadedEstate } from "../simulator/load-estate";
import type { Simulator } from "../simulator/server";
import type { PublishedMessage } from "../simulator/pubsub-routes";
import { DEMO_ESTATE } from "../config";

/*
 * Notifications end to end (issue 13), on a real PostgreSQL, scanning the demo estate through the
 * real clients and the simulator: a local HTTP server receives the webhook, Slack and Chat posts; the
 * simulator receives the Pub/Sub publishes made through the real googleapis client.
 */

type Received = { path: string; body: Record<string, unknown> };

/** A local receiver: records every POST; answers 503 to the first `failFirst[path]` requests of a path. */
async function receiver() {
  const got: Received[] = [];
  const failFirst: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const p = req.url ?? "/";
      if ((failFirst[p] ?? 0) > 0) {
        failFirst[p]--;
        res.writeHead(503, { "content-type": "text/plain" }).end("try later");
        return;
      }
      got.push({ path: p, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, failFirst, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const SECRET = "T000SECRET/B000SECRET/xoxSECRETxox";
const TOPIC = "projects/acme-prod/topics/wi-atlas-notifications";

describe("notifications after a scan of the demo estate", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let dir: string;
  let demo: LoadedEstate;
  const logged: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    t = await createTestDatabase();
    demo = loadEstateFile(DEMO_ESTATE);
    sim = await simulatorFor(demo);
    rx = await receiver();
    dir = mkdtempSync(path.join(os.tmpdir(), "wi-atlas-owners-"));
    writeFileSync(
      path.join(dir, "owners.yaml"),
      [
        "teams:",
        "  - team: legacy-batch",
        '    contact: "#legacy-batch"',
        "    projects: [acme-legacy]",
        `    notify: {slack: "${rx.url}/team-legacy/${SECRET}"}`,
        "  - team: data",
        "    contact: data-team@acme.example",
        "    namespaces: [\"acme-data/*/*/*\"]",
        "    gsas: ['*@acme-data.iam.gserviceaccount.com']",
      ].join("\n"),
    );
    process.stdout.write = ((s: string | Uint8Array, ...a: unknown[]) => (logged.push(String(s)), writes.out(s, ...(a as []))) ) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array, ...a: unknown[]) => (logged.push(String(s)), writes.err(s, ...(a as []))) ) as typeof process.stderr.write;
  }, 60_000);
  afterAll(async () => {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    await sim?.close();
    await rx?.close();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = () =>
    testConfig({
      WI_ATLAS_NOTIFY_WEBHOOK_URL: `${rx.url}/webhook/${SECRET}`,
      WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL: `${rx.url}/slack/${SECRET}`,
      WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL: `${rx.url}/chat/${SECRET}?key=k&token=${SECRET}`,
      WI_ATLAS_NOTIFY_PUBSUB_TOPIC: TOPIC,
      WI_ATLAS_OWNERS: path.join(dir, "owners.yaml"),
      WI_ATLAS_PUBLIC_URL: "https://wi-atlas.example.com",
    });

  async function published(): Promise<PublishedMessage[]> {
    return ((await (await fetch(`${sim.url}/_simulator/pubsub`)).json()) as { messages: PublishedMessage[] }).messages;
  }

  const bodies = (prefix: string) => rx.got.filter((g) => g.path.startsWith(prefix)).map((g) => g.body);
  const decode = (m: PublishedMessage) => JSON.parse(Buffer.from(m.data ?? "", "base64").toString("utf8")) as Record<string, unknown>;
  const BILLING = "secret:acme-prod/asia-northeast1/prod/billing/billing-gcp-key";
  const KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
  let firstScanId = 0;
  let told: { rule: string; subject: string; project: string | null; severity: string }[] = [];

  it("sends each open critical/high finding, the expiring key and the partial scan once, capped per scan, routed per team, retrying a 503", async () => {
    rx.failFirst[`/slack/${SECRET}`] = 1;
    sim.setEstate({ ...demo, faults: [...(demo.faults ?? []), { match: { method: "POST", path: `/v1/${TOPIC}:publish` }, status: 503, times: 1 }] });
    const r = await scanWith(t.db, sim, { ...config(), notify: { ...config().notify, maxPerScan: 20 } });
    firstScanId = r.scanId;
    expect(r.status).toBe("partial");
    told = (
      await t.db.pool.query<{ rule: string; subject: string; project: string | null; severity: string }>(
        `select rule, subject, project, severity from analysis_object where kind = 'finding' and valid_to is null and state = 'open' and severity in ('critical', 'high')
          order by case severity when 'critical' then 0 else 1 end, rule, subject`,
      )
    ).rows;
    // The owners file gives acme-legacy to legacy-batch (own Slack channel) and acme-data's namespaces and GSAs to data (no channel of its own).
    const legacy = told.filter((f) => f.project === "acme-legacy" && !f.subject.includes("@acme-data.") && !f.subject.includes(":acme-data/"));
    const rest = told.filter((f) => !legacy.includes(f));
    expect([told.length, legacy.length, rest.length]).toEqual([47, 17, 30]);

    // Default channels: the scan notice, the expiring key, then findings by severity — 20 one by one, then "and N more".
    const expectedTitles = [`Scan #${r.scanId} went partial`, KEY, ...rest.map((f) => `${f.rule}|${f.subject}`)];
    const webhook = bodies("/webhook/");
    expect(webhook.length).toBe(21);
    expect(webhook.slice(0, 20).map((b) => (b.event === "finding" ? `${b.rule}|${b.subject}` : b.event === "key-expiry" ? b.subject : b.title))).toEqual(expectedTitles.slice(0, 20));
    expect(webhook[20]).toEqual({
      source: "wi-atlas",
      event: "summary",
      title: "and 12 more new findings",
      text: "Not sent one by one: at most 20 messages a scan (WI_ATLAS_NOTIFY_MAX_PER_SCAN). They are counted as told and will not be sent later.",
      count: 12,
      url: "https://wi-atlas.example.com/findings",
    });
    expect(webhook.find((b) => b.subject === BILLING)).toEqual({
      source: "wi-atlas",
      event: "finding",
      title: "CRITICAL key-in-secret: acme-prod/asia-northeast1/prod/billing/billing-gcp-key",
      text: "Secret billing/billing-gcp-key holds key 4ddb89a282f2db3844767a0db05225ef8a45b6ae of billing@acme-prod.iam.gserviceaccount.com, mounted by Deployment/invoice-worker.",
      subject: BILLING,
      severity: "critical",
      rule: "key-in-secret",
      url: "https://wi-atlas.example.com/objects/secret%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fbilling%2Fbilling-gcp-key",
    });
    // Slack: {text, blocks}; Chat: {text}. The same 21 messages each.
    const slack = bodies("/slack/");
    expect(slack.length).toBe(21);
    expect(slack[webhook.findIndex((b) => b.subject === BILLING)]).toEqual({
      text: "CRITICAL key-in-secret: acme-prod/asia-northeast1/prod/billing/billing-gcp-key https://wi-atlas.example.com/objects/secret%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fbilling%2Fbilling-gcp-key",
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: ":red_circle: *CRITICAL key-in-secret: acme-prod/asia-northeast1/prod/billing/billing-gcp-key*\nSecret billing/billing-gcp-key holds key 4ddb89a282f2db3844767a0db05225ef8a45b6ae of billing@acme-prod.iam.gserviceaccount.com, mounted by Deployment/invoice-worker.\n<https://wi-atlas.example.com/objects/secret%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fbilling%2Fbilling-gcp-key|Open in wi-atlas>",
          },
        },
        { type: "context", elements: [{ type: "mrkdwn", text: "wi-atlas" }] },
      ],
    });
    const chat = bodies("/chat/");
    expect(chat.length).toBe(21);
    expect(chat[webhook.findIndex((b) => b.subject === BILLING)]).toEqual({
      text: "*CRITICAL key-in-secret: acme-prod/asia-northeast1/prod/billing/billing-gcp-key*\nSecret billing/billing-gcp-key holds key 4ddb89a282f2db3844767a0db05225ef8a45b6ae of billing@acme-prod.iam.gserviceaccount.com, mounted by Deployment/invoice-worker.\n<https://wi-atlas.example.com/objects/secret%3Aacme-prod%2Fasia-northeast1%2Fprod%2Fbilling%2Fbilling-gcp-key|Open in wi-atlas>",
    });
    // The team's own Slack channel gets its findings (and only those), with the team and its contact.
    const team = bodies("/team-legacy/");
    expect(team.map((b) => (b.text as string).split(" https://")[0])).toEqual(legacy.map((f) => `${f.severity.toUpperCase()} ${f.rule}: ${f.subject.slice(f.subject.indexOf(":") + 1)}`));
    for (const b of team) expect((b.blocks as { elements?: { text: string }[] }[])[1].elements?.[0].text).toBe("Owner: legacy-batch (#legacy-batch) · wi-atlas");

    // Pub/Sub, through googleapis to the simulator: every event (capped at 20 + a summary), owner as an attribute.
    const msgs = await published();
    expect(msgs.every((m) => m.topic === TOPIC && /^\d+$/.test(m.messageId))).toBe(true);
    expect(msgs.length).toBe(21);
    expect(msgs.map(decode).filter((d) => d.event === "key-expiry").map((d) => d.subject)).toEqual([KEY]);
    const billing = msgs.find((m) => m.attributes?.subject === BILLING)!;
    expect(billing.attributes).toEqual({ source: "wi-atlas", event: "finding", severity: "critical", rule: "key-in-secret", subject: BILLING });
    expect(decode(billing)).toEqual(webhook.find((b) => b.subject === BILLING));

    // A 503 from Slack and one from Pub/Sub were retried, then delivered.
    expect(r.notifications).toEqual([
      { channel: "webhook:default", sent: 20, summarized: 12, retries: 0 },
      { channel: "slack:default", sent: 20, summarized: 12, retries: 1 },
      { channel: "chat:default", sent: 20, summarized: 12, retries: 0 },
      { channel: "pubsub:default", sent: 20, summarized: 29, retries: 1 },
      { channel: "slack:legacy-batch", sent: 17, summarized: 0, retries: 0 },
    ]);
  }, 120_000);

  it("tells the key expiring within WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS (30) once per destination, with its days left", async () => {
    expect(bodies("/webhook/").filter((b) => b.event === "key-expiry")).toEqual([
      {
        source: "wi-atlas",
        event: "key-expiry",
        title: "Key 74177534f46dd1d1fc13635d83481cb1ea6b429c of common-batch@acme-prod.iam.gserviceaccount.com expires in 20 days",
        text: "The user-managed key 74177534f46dd1d1fc13635d83481cb1ea6b429c of common-batch@acme-prod.iam.gserviceaccount.com stops working at 2026-12-19T02:14:09Z (within 30 days, WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS). Whatever still authenticates with it fails then: move it to Workload Identity, or rotate the key.",
        subject: KEY,
        url: "https://wi-atlas.example.com/objects/key%3Acommon-batch%40acme-prod.iam.gserviceaccount.com%2F74177534f46dd1d1fc13635d83481cb1ea6b429c",
      },
    ]);
    const rows = await t.db.pool.query(`select kind, ref, channel, summarized from notification_sent where kind = 'key-expiry' order by channel`);
    expect(rows.rows).toEqual(
      ["chat:default", "pubsub:default", "slack:default", "webhook:default"].map((channel) => ({ kind: "key-expiry", ref: `${KEY}|30`, channel, summarized: false })),
    );
  });

  it("sends nothing after a second, unchanged scan", async () => {
    const before = [rx.got.length, (await published()).length];
    sim.setEstate(demo);
    const r = await scanWith(t.db, sim, config());
    expect(r.status).toBe("partial");
    expect(r.notifications).toBeUndefined();
    expect([rx.got.length, (await published()).length]).toEqual([before[0], 0]);
  }, 120_000);
  it("tells a scan that goes partial for a new reason, and a scan that fails, once each", async () => {
    const before = rx.got.length;
    sim.setEstate({ ...demo, faults: [...(demo.faults ?? []), { match: { path: "/v1/projects/acme-data/serviceAccounts/*/keys" }, status: 403 }] });
    // On the direct path, where the keys are asked of IAM per account (and the fault is).
    const partial = await scanWith(t.db, sim, { ...config(), inventoryPath: "direct" });
    expect(partial.status).toBe("partial");
    const news = rx.got.slice(before);
    expect(news.map((g) => [g.path.split("/")[1], g.body.event ?? (g.body.text as string).split("\n")[0]])).toEqual([
      ["webhook", "scan"],
      ["slack", `Scan #${partial.scanId} went partial https://wi-atlas.example.com/scans`],
      ["chat", `*Scan #${partial.scanId} went partial*`],
    ]);
    expect(news[0].body.text).toContain("iam.keys:acme-data partial: keys.list ");
    sim.setEstate({ ...demo, faults: [...(demo.faults ?? []), { match: { method: "GET", path: "/**" }, status: 403 }] });
    const failed = await scanWith(t.db, sim, config());
    expect(failed.status).toBe("failed");
    const last = rx.got.slice(before + 3);
    expect(last.map((g) => g.body.title ?? g.body.text)).toEqual([`Scan #${failed.scanId} failed`, `Scan #${failed.scanId} failed https://wi-atlas.example.com/scans`, expect.stringMatching(new RegExp(`^\\*Scan #${failed.scanId} failed\\*\n`))]);
    // (setEstate starts a new world, so the simulator holds only what was published since.)
    expect((await published()).map((m) => decode(m).title)).toEqual([`Scan #${failed.scanId} failed`]);
    sim.setEstate(demo);
  }, 120_000);

  it("puts no secret in any message or log line: no key material, no webhook path", async () => {
    const everything = [...rx.got.map((g) => JSON.stringify(g.body)), ...(await published()).map((m) => JSON.stringify(decode(m)))].join("\n");
    for (const bad of ["PRIVATE KEY", "private_key", "SECRET"]) expect(everything).not.toContain(bad);
    const log = logged.join("");
    expect(log).toMatch(/Notifications after scan #\d+: slack:default \(127\.0\.0\.1:\d+\): 20 sent, 12 in a summary, 1 retries/);
    for (const bad of ["PRIVATE KEY", "SECRET", "/webhook/", "/slack/", "/team-legacy/"]) expect(log).not.toContain(bad);
    expect(firstScanId).toBeGreaterThan(0);
  });
});
