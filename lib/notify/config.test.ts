import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config";

const env = (e: Record<string, string>) => e as unknown as NodeJS.ProcessEnv;

describe("notification settings (WI_ATLAS_NOTIFY_*)", () => {
  it("default to no destination, severity high, 30 days and 50 messages a scan", () => {
    expect(loadConfig(env({})).notify).toEqual({ webhookUrl: undefined, slackUrl: undefined, chatUrl: undefined, pubsubTopic: undefined, minSeverity: "high", keyExpiryDays: 30, maxPerScan: 50 });
  });

  it("read each destination", () => {
    const n = loadConfig(
      env({
        WI_ATLAS_NOTIFY_WEBHOOK_URL: "https://hooks.example.com/a",
        WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x",
        WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL: "https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t",
        WI_ATLAS_NOTIFY_PUBSUB_TOPIC: "projects/acme-prod/topics/wi-atlas",
        WI_ATLAS_NOTIFY_MIN_SEVERITY: "critical",
        WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS: "0",
      }),
    ).notify;
    expect(n).toEqual({
      webhookUrl: "https://hooks.example.com/a",
      slackUrl: "https://hooks.slack.com/services/T/B/x",
      chatUrl: "https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t",
      pubsubTopic: "projects/acme-prod/topics/wi-atlas",
      minSeverity: "critical",
      keyExpiryDays: 0,
      maxPerScan: 50,
    });
  });

  it("name the variable of a bad value, and never echo a webhook URL", () => {
    const err = (e: Record<string, string>) => {
      try {
        loadConfig(env(e));
        return "";
      } catch (x) {
        expect(x).toBeInstanceOf(ConfigError);
        return (x as Error).message;
      }
    };
    expect(err({ WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL: "hooks.slack.com/services/SECRET" })).toBe(
      "Invalid configuration:\n- WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL must be an http(s) URL such as https://hooks.example.com/… (the value is not shown: it may hold a secret)",
    );
    expect(err({ WI_ATLAS_NOTIFY_PUBSUB_TOPIC: "wi-atlas" })).toBe('Invalid configuration:\n- WI_ATLAS_NOTIFY_PUBSUB_TOPIC must be a topic name projects/PROJECT_ID/topics/TOPIC_ID, got "wi-atlas"');
    expect(err({ WI_ATLAS_NOTIFY_MIN_SEVERITY: "urgent" })).toBe('Invalid configuration:\n- WI_ATLAS_NOTIFY_MIN_SEVERITY must be one of critical, high, medium, low, info, got "urgent"');
    expect(err({ WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS: "-1" })).toBe('Invalid configuration:\n- WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS must be a whole number from 0 to 3650, got "-1"');
    expect(err({ WI_ATLAS_NOTIFY_MAX_PER_SCAN: "0" })).toBe('Invalid configuration:\n- WI_ATLAS_NOTIFY_MAX_PER_SCAN must be a whole number from 1 to 1000, got "0"');
  });
});
