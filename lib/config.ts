/**
 * The one typed view of the environment. Everything configurable is read here, validated with zod,
 * and reported with the variable's name when it is wrong. `.env.example` and the README list the same.
 */
import path from "node:path";
import { isIP } from "node:net";
import { z } from "zod";
import { parseRoleList, type RoleRule } from "./auth/roles";
import { LOG_LEVELS, type Level } from "./log";

const bool = (name: string, dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const s = v.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `${name} must be true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** A positive number of minutes; fractions allowed (tests use a few seconds' worth). */
const minutes = (name: string, dflt: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a number of minutes above 0 and at most ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const list = (name: string, pattern: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const items = (v ?? "")
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      for (const item of items) {
        if (!pattern.test(item)) {
          ctx.addIssue({ code: "custom", message: `${name}: "${item}" is not ${what}` });
          return z.NEVER;
        }
      }
      return items;
    });

/** `user:EMAIL`, `domain:DOMAIN`, `group:NAME`, comma-separated (lib/auth/roles.ts matches them). */
const roleList = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseRoleList(name, v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    });

/**
 * A webhook URL (issue 13). Its path and query carry the secret that lets anyone post, so an error
 * names the variable and never echoes the value.
 */
const webhookUrl = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return undefined;
      let u: URL | undefined;
      try {
        u = new URL(v.trim());
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) {
        ctx.addIssue({ code: "custom", message: `${name} must be an http(s) URL such as https://hooks.example.com/… (the value is not shown: it may hold a secret)` });
        return z.NEVER;
      }
      return u.toString();
    });

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return undefined;
      if (!/^postgres(ql)?:\/\//.test(v)) {
        ctx.addIssue({ code: "custom", message: "DATABASE_URL must start with postgresql:// (or postgres://)" });
        return z.NEVER;
      }
      return v;
    }),
  PORT: int("PORT", 3000, 1, 65535),
  WI_ATLAS_LISTEN: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim() || "127.0.0.1";
      // An address, not a host name: Kubernetes sets HOSTNAME to the pod name, so nothing here may
      // be resolved through it. IPv6 literals may come bracketed ([::1]).
      const bare = s.replace(/^\[(.*)\]$/, "$1");
      if (isIP(bare) === 0) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_LISTEN must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, got "${v}"` });
        return z.NEVER;
      }
      return bare;
    }),
  WI_ATLAS_AUTH: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim().toLowerCase() || "none";
      if (s !== "iap" && s !== "oidc" && s !== "none") {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_AUTH must be "iap", "oidc" or "none", got "${v}"` });
        return z.NEVER;
      }
      return s as "iap" | "oidc" | "none";
    }),
  WI_ATLAS_ALLOW_UNAUTHENTICATED: bool("WI_ATLAS_ALLOW_UNAUTHENTICATED", false),
  WI_ATLAS_DATA_DIR: z.string().optional(),
  WI_ATLAS_PROJECTS: list("WI_ATLAS_PROJECTS", /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a Google Cloud project id"),
  WI_ATLAS_ORGANIZATION: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return undefined;
      const id = v.trim().replace(/^organizations\//, "");
      if (!/^\d+$/.test(id)) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_ORGANIZATION must be a numeric organization id, got "${v}"` });
        return z.NEVER;
      }
      return id;
    }),
  WI_ATLAS_FOLDERS: list("WI_ATLAS_FOLDERS", /^(folders\/)?\d+$/, "a numeric folder id"),
  WI_ATLAS_CLUSTERS: list("WI_ATLAS_CLUSTERS", /^[^,\s]+$/, "a cluster name or PROJECT/LOCATION/NAME"),
  WI_ATLAS_READ_SECRETS: bool("WI_ATLAS_READ_SECRETS", true),
  WI_ATLAS_K8S_WORKER: bool("WI_ATLAS_K8S_WORKER", true),
  WI_ATLAS_K8S_PACING: bool("WI_ATLAS_K8S_PACING", true),
  WI_ATLAS_PACING: bool("WI_ATLAS_PACING", true),
  WI_ATLAS_ESTATE: z.string().optional(),
  WI_ATLAS_SIMULATOR_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), "WI_ATLAS_SIMULATOR_URL must be an http(s) URL"),
  WI_ATLAS_SCAN_INTERVAL_MINUTES: int("WI_ATLAS_SCAN_INTERVAL_MINUTES", 60, 0, 60 * 24 * 7),
  WI_ATLAS_RETENTION_DAYS: int("WI_ATLAS_RETENTION_DAYS", 180, 0, 36500),
  WI_ATLAS_CONCURRENCY: int("WI_ATLAS_CONCURRENCY", 8, 1, 256),
  WI_ATLAS_API_LIMITS: z.string().optional(),
  WI_ATLAS_REQUEST_TIMEOUT_SECONDS: int("WI_ATLAS_REQUEST_TIMEOUT_SECONDS", 30, 1, 600),
  WI_ATLAS_SCAN_TIMEOUT_MINUTES: minutes("WI_ATLAS_SCAN_TIMEOUT_MINUTES", 120, 60 * 24 * 7),
  WI_ATLAS_MAX_RETIRE_PERCENT: int("WI_ATLAS_MAX_RETIRE_PERCENT", 30, 0, 100),
  // Sharded scans (issue 14; lib/scan/shard-slice.ts resolves the shard from flags and the platform's variables).
  WI_ATLAS_SCAN_LEASE_SECONDS: int("WI_ATLAS_SCAN_LEASE_SECONDS", 60, 5, 3600),
  WI_ATLAS_DB_STATEMENT_TIMEOUT_SECONDS: int("WI_ATLAS_DB_STATEMENT_TIMEOUT_SECONDS", 30, 0, 3600),
  WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS: int("WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS", 10, 1, 600),
  WI_ATLAS_PUBLIC_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return undefined;
      let u: URL;
      try {
        u = new URL(v.trim());
      } catch {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_PUBLIC_URL must be a URL such as https://wi-atlas.example.com, got "${v}"` });
        return z.NEVER;
      }
      if (u.protocol !== "https:" && u.protocol !== "http:") {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_PUBLIC_URL must be an http(s) URL, got "${v}"` });
        return z.NEVER;
      }
      // The dashboard is served from the root of its host (no base path), so only the origin counts.
      if (u.pathname !== "/" || u.search || u.hash || u.username || u.password) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_PUBLIC_URL must be an origin with no path, query or credentials (https://HOST[:PORT]), got "${v}"` });
        return z.NEVER;
      }
      return u.origin;
    }),
  // `auto` (the default) searches Cloud Asset Inventory where one search covers an organization or
  // folders and falls back to `direct` when a search is refused; `direct` and `asset` keep their meaning.
  WI_ATLAS_INVENTORY_PATH: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "auto").trim().toLowerCase() || "auto";
      if (s !== "direct" && s !== "asset" && s !== "auto") {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_INVENTORY_PATH must be "auto", "direct" or "asset", got "${v}"` });
        return z.NEVER;
      }
      return s as "direct" | "asset" | "auto";
    }),
  // Sign-in and roles (issue 11): see lib/auth and the README's "Sign-in and roles" (WI_ATLAS_AUTH is above).
  WI_ATLAS_IAP_AUDIENCE: z.string().optional(),
  WI_ATLAS_IAP_KEYS_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), "WI_ATLAS_IAP_KEYS_URL must be an http(s) URL"),
  WI_ATLAS_OIDC_ISSUER: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), "WI_ATLAS_OIDC_ISSUER must be an http(s) URL"),
  WI_ATLAS_OIDC_CLIENT_ID: z.string().optional(),
  WI_ATLAS_OIDC_CLIENT_SECRET: z.string().optional(),
  WI_ATLAS_OIDC_SCOPES: z.string().optional(),
  WI_ATLAS_SESSION_SECRET: z.string().optional(),
  WI_ATLAS_VIEWERS: roleList("WI_ATLAS_VIEWERS"),
  WI_ATLAS_ROLE_OPERATOR: roleList("WI_ATLAS_ROLE_OPERATOR"),
  WI_ATLAS_ROLE_ADMIN: roleList("WI_ATLAS_ROLE_ADMIN"),
  // Notifications and owners (issue 13): see lib/notify, lib/owners and the README's "Notifications" and "Owners".
  WI_ATLAS_NOTIFY_WEBHOOK_URL: webhookUrl("WI_ATLAS_NOTIFY_WEBHOOK_URL"),
  WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL: webhookUrl("WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL"),
  WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL: webhookUrl("WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL"),
  WI_ATLAS_NOTIFY_PUBSUB_TOPIC: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return undefined;
      if (!/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(v.trim())) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_NOTIFY_PUBSUB_TOPIC must be a topic name projects/PROJECT_ID/topics/TOPIC_ID, got "${v}"` });
        return z.NEVER;
      }
      return v.trim();
    }),
  WI_ATLAS_NOTIFY_MIN_SEVERITY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim().toLowerCase() || "high";
      if (!["critical", "high", "medium", "low", "info"].includes(s)) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_NOTIFY_MIN_SEVERITY must be one of critical, high, medium, low, info, got "${v}"` });
        return z.NEVER;
      }
      return s as NotifySeverity;
    }),
  WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS: int("WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS", 30, 0, 3650),
  WI_ATLAS_NOTIFY_MAX_PER_SCAN: int("WI_ATLAS_NOTIFY_MAX_PER_SCAN", 50, 1, 1000),
  WI_ATLAS_OWNERS: z.string().optional(),
  WI_ATLAS_DISABLE_SCHEDULER: bool("WI_ATLAS_DISABLE_SCHEDULER", false),
  // lib/log.ts reads it itself (it logs before any configuration is loaded); checked here so a typo
  // such as `verbose` stops the command instead of quietly logging at info.
  WI_ATLAS_LOG_LEVEL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim().toLowerCase() || "info";
      if (!(LOG_LEVELS as string[]).includes(s)) {
        ctx.addIssue({ code: "custom", message: `WI_ATLAS_LOG_LEVEL must be debug, info, warn or error, got "${v}"` });
        return z.NEVER;
      }
      return s as Level;
    }),
});

export type ApiName = "crm" | "iam" | "container" | "policyanalyzer" | "cloudasset" | "gkehub" | "k8s";
export const API_NAMES: ApiName[] = ["crm", "iam", "container", "policyanalyzer", "cloudasset", "gkehub", "k8s"];

/**
 * The APIs a scan paces (lib/sources/http/pacer.ts): the Google APIs unless WI_ATLAS_PACING=false,
 * Kubernetes unless WI_ATLAS_K8S_PACING=false. Never Cloud Asset Inventory: its work is a few long
 * chains of search pages (500 results each) that the collect waits for, each chain one request in
 * its queue at a time — paced by that count, two chains would take turns.
 */
export function pacedApis(config: Pick<Config, "pacing" | "k8sPacing">): ApiName[] {
  return API_NAMES.filter((a) => (a === "k8s" ? config.k8sPacing : a !== "cloudasset" && config.pacing));
}

/** Per-API limits: requests in flight and, optionally, requests per minute. */
export type ApiLimit = { concurrency: number; perMinute?: number };

export type Config = {
  /** External PostgreSQL; undefined means the embedded server. */
  databaseUrl?: string;
  port: number;
  /** The address the web server listens on (WI_ATLAS_LISTEN; default loopback only). */
  listen: string;
  /** Who may use the web server: Google IAP, an OpenID Connect sign-in, or nobody checks (WI_ATLAS_AUTH). */
  authMode: AuthMode;
  /** Lets a non-loopback WI_ATLAS_LISTEN run with WI_ATLAS_AUTH=none (WI_ATLAS_ALLOW_UNAUTHENTICATED). */
  allowUnauthenticated: boolean;
  /** Folder for the embedded database and other local state (git-ignored). */
  dataDir: string;
  /** Where scans read from: the simulator serving an estate file, or real Google Cloud. */
  mode: "estate" | "gcp";
  /** The estate file the simulator serves (mode "estate"). */
  estatePath: string;
  /** Whether the estate is the built-in demo. */
  isDemo: boolean;
  /** A simulator already running (the launcher starts one and passes its URL to the web server). */
  simulatorUrl?: string;
  projects: string[];
  organization?: string;
  folders: string[];
  clusters: string[];
  readSecrets: boolean;
  /** Kubernetes list pages decoded on a worker thread (lib/sources/k8s/pages.ts); false: on the scanner's main thread. */
  k8sWorker: boolean;
  /** Kubernetes lists yield slots to the scan's longest API while their own work is far shorter (lib/sources/http/pacer.ts). */
  k8sPacing: boolean;
  /** The Google APIs yield slots the same way (lib/sources/http/pacer.ts). */
  pacing: boolean;
  scanIntervalMinutes: number;
  retentionDays: number;
  apiLimits: Record<ApiName, ApiLimit>;
  requestTimeoutMs: number;
  /**
   * Where GSA keys and GSA policies come from: `auto` (default) Cloud Asset Inventory when the scope
   * is an organization or folders and the searches answer, else IAM per account; `direct` IAM per
   * account (2 requests per GSA); `asset` Cloud Asset Inventory over any scope (a refused search fails).
   */
  inventoryPath: "direct" | "asset" | "auto";
  /** The whole scan's deadline, ms: past it the scan stops as a cancel does and is marked failed. */
  scanTimeoutMs: number;
  /** A scan that would retire more than this share (and at least 50) of a kind's current objects keeps them. */
  maxRetirePercent: number;
  /** A shard of a sharded scan that has not renewed its lease for this long is dead, ms (WI_ATLAS_SCAN_LEASE_SECONDS). */
  scanLeaseMs: number;
  /** The web server's per-statement limit, ms (0: none). Scans lift it on their own session. */
  dbStatementTimeoutMs: number;
  /** How long a request waits for a database connection (connect or pool acquire), ms. */
  dbConnectTimeoutMs: number;
  /**
   * The origin readers open the dashboard at (`https://HOST[:PORT]`), from WI_ATLAS_PUBLIC_URL. When
   * set, every request's Host must name it and a state change's Origin must equal it.
   */
  publicUrl?: string;
  /** Sign-in settings; undefined under `none`. */
  auth?: AuthConfig;
  /** Where and what the scanner announces after a scan (WI_ATLAS_NOTIFY_*; issue 13). */
  notify: NotifyConfig;
  /** The owners file mapping namespaces, projects and GSAs to teams (WI_ATLAS_OWNERS), absolute. */
  ownersPath?: string;
  /** This scanner does not schedule scans; it still runs the ones asked for (WI_ATLAS_DISABLE_SCHEDULER). */
  scheduleDisabled: boolean;
};

export type NotifySeverity = "critical" | "high" | "medium" | "low" | "info";

/** Notification settings (issue 13). URLs are secrets: never logged or shown whole. */
export type NotifyConfig = {
  /** A generic JSON webhook (WI_ATLAS_NOTIFY_WEBHOOK_URL). */
  webhookUrl?: string;
  /** A Slack incoming webhook (WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL). */
  slackUrl?: string;
  /** A Google Chat incoming webhook (WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL). */
  chatUrl?: string;
  /** A Pub/Sub topic, `projects/P/topics/T` (WI_ATLAS_NOTIFY_PUBSUB_TOPIC). */
  pubsubTopic?: string;
  /** Findings at or above this severity are announced (default high: critical and high). */
  minSeverity: NotifySeverity;
  /** Keys whose validBeforeTime falls within this many days are announced (0: never). */
  keyExpiryDays: number;
  /** At most this many messages per destination per scan; the rest go in one "and N more" summary. */
  maxPerScan: number;
};

export type AuthMode = "iap" | "oidc" | "none";

/** What lib/auth needs to know about sign-in and roles. */
export type AuthConfig = {
  /** IAP only: the expected `aud` (`/projects/NUMBER/global/backendServices/ID` or `/projects/NUMBER/apps/ID`). */
  iapAudience?: string;
  /** IAP only: where IAP's public keys are fetched (Google's URL unless a test points it elsewhere). */
  iapKeysUrl: string;
  /** OIDC only: the provider's issuer URL (discovery is read from it). */
  oidcIssuer?: string;
  oidcClientId?: string;
  /** Never logged nor shown. */
  oidcClientSecret?: string;
  /** OIDC scopes asked for (`openid email profile` plus whatever the provider needs for groups). */
  oidcScopes: string;
  /** Key material for the session cookie (OIDC); never logged nor shown. */
  sessionSecret?: string;
  /** The address users reach the dashboard at, when it differs from what the request says (behind a proxy). */
  publicUrl?: string;
  /** Role lists; a higher role includes the lower ones. */
  viewers: RoleRule[];
  operators: RoleRule[];
  admins: RoleRule[];
};

/** Google's published IAP signing keys (kid → PEM). */
export const IAP_KEYS_URL = "https://www.gstatic.com/iap/verify/public_key";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const DEMO_ESTATE = path.join("lib", "simulator", "estates", "demo", "estate.yaml");
/** The demo's owners file: `npm start` on the demo estate uses it when WI_ATLAS_OWNERS is unset (issue 13). */
export const DEMO_OWNERS = path.join("lib", "simulator", "estates", "demo", "owners.yaml");

/** Parses `iam=16,k8s=8:600` (concurrency[:per-minute]) on top of a default concurrency. */
export function parseApiLimits(spec: string | undefined, dflt: number): Record<ApiName, ApiLimit> {
  const limits = Object.fromEntries(API_NAMES.map((a) => [a, { concurrency: dflt }])) as Record<ApiName, ApiLimit>;
  for (const part of (spec ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9]*)=(\d+)(?::(\d+))?$/.exec(part);
    if (!m || !API_NAMES.includes(m[1] as ApiName) || Number(m[2]) < 1) {
      throw new ConfigError(
        `WI_ATLAS_API_LIMITS: "${part}" is not API=CONCURRENCY[:PER_MINUTE] with API one of ${API_NAMES.join(", ")}`,
      );
    }
    limits[m[1] as ApiName] = { concurrency: Number(m[2]), perMinute: m[3] ? Number(m[3]) : undefined };
  }
  return limits;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `- ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const isGcp = e.WI_ATLAS_PROJECTS.length > 0 || !!e.WI_ATLAS_ORGANIZATION || e.WI_ATLAS_FOLDERS.length > 0;
  if (isGcp && e.WI_ATLAS_ESTATE) {
    throw new ConfigError(
      "WI_ATLAS_ESTATE cannot be combined with WI_ATLAS_PROJECTS, WI_ATLAS_ORGANIZATION or WI_ATLAS_FOLDERS: choose the simulator or real Google Cloud",
    );
  }
  const estatePath = path.resolve(/*turbopackIgnore: true*/ e.WI_ATLAS_ESTATE?.trim() || DEMO_ESTATE);
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    listen: e.WI_ATLAS_LISTEN,
    authMode: e.WI_ATLAS_AUTH,
    allowUnauthenticated: e.WI_ATLAS_ALLOW_UNAUTHENTICATED,
    dataDir: path.resolve(/*turbopackIgnore: true*/ e.WI_ATLAS_DATA_DIR?.trim() || ".wi-atlas"),
    mode: isGcp ? "gcp" : "estate",
    estatePath,
    isDemo: !isGcp && !e.WI_ATLAS_ESTATE,
    simulatorUrl: e.WI_ATLAS_SIMULATOR_URL || undefined,
    projects: e.WI_ATLAS_PROJECTS,
    organization: e.WI_ATLAS_ORGANIZATION,
    folders: e.WI_ATLAS_FOLDERS.map((f) => f.replace(/^folders\//, "")),
    clusters: e.WI_ATLAS_CLUSTERS,
    readSecrets: e.WI_ATLAS_READ_SECRETS,
    k8sWorker: e.WI_ATLAS_K8S_WORKER,
    k8sPacing: e.WI_ATLAS_K8S_PACING,
    pacing: e.WI_ATLAS_PACING,
    scanIntervalMinutes: e.WI_ATLAS_SCAN_INTERVAL_MINUTES,
    retentionDays: e.WI_ATLAS_RETENTION_DAYS,
    apiLimits: parseApiLimits(e.WI_ATLAS_API_LIMITS, e.WI_ATLAS_CONCURRENCY),
    requestTimeoutMs: e.WI_ATLAS_REQUEST_TIMEOUT_SECONDS * 1000,
    inventoryPath: e.WI_ATLAS_INVENTORY_PATH,
    scanTimeoutMs: Math.round(e.WI_ATLAS_SCAN_TIMEOUT_MINUTES * 60_000),
    maxRetirePercent: e.WI_ATLAS_MAX_RETIRE_PERCENT,
    scanLeaseMs: e.WI_ATLAS_SCAN_LEASE_SECONDS * 1000,
    dbStatementTimeoutMs: e.WI_ATLAS_DB_STATEMENT_TIMEOUT_SECONDS * 1000,
    dbConnectTimeoutMs: e.WI_ATLAS_DB_CONNECT_TIMEOUT_SECONDS * 1000,
    publicUrl: e.WI_ATLAS_PUBLIC_URL,
    auth: authConfig(e),
    notify: {
      webhookUrl: e.WI_ATLAS_NOTIFY_WEBHOOK_URL,
      slackUrl: e.WI_ATLAS_NOTIFY_SLACK_WEBHOOK_URL,
      chatUrl: e.WI_ATLAS_NOTIFY_CHAT_WEBHOOK_URL,
      pubsubTopic: e.WI_ATLAS_NOTIFY_PUBSUB_TOPIC,
      minSeverity: e.WI_ATLAS_NOTIFY_MIN_SEVERITY,
      keyExpiryDays: e.WI_ATLAS_NOTIFY_KEY_EXPIRY_DAYS,
      maxPerScan: e.WI_ATLAS_NOTIFY_MAX_PER_SCAN,
    },
    ownersPath: e.WI_ATLAS_OWNERS?.trim() ? path.resolve(/*turbopackIgnore: true*/ e.WI_ATLAS_OWNERS.trim()) : undefined,
    scheduleDisabled: e.WI_ATLAS_DISABLE_SCHEDULER,
  };
}

/** Whether an address only accepts connections from this machine (127.0.0.0/8, ::1). */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "::ffff:127.0.0.1";
}

/**
 * The web server's start-up check: listening beyond this machine with no sign-in in front would hand
 * every scan, finding and suppression to whoever can reach the port. Refuse unless told explicitly.
 */
export function assertSafeListen(c: Pick<Config, "listen" | "authMode" | "allowUnauthenticated">): void {
  if (c.authMode === "none" && !isLoopback(c.listen) && !c.allowUnauthenticated) {
    throw new ConfigError(
      `WI_ATLAS_LISTEN=${c.listen} accepts connections from other machines, but WI_ATLAS_AUTH=none lets anyone who reaches it ` +
        `start scans and change suppressions. Set WI_ATLAS_AUTH (iap or oidc), listen on 127.0.0.1, or set ` +
        `WI_ATLAS_ALLOW_UNAUTHENTICATED=true if something in front of it already checks who is calling.`,
    );
  }
}

function authConfig(e: z.infer<typeof EnvSchema>): AuthConfig | undefined {
  if (e.WI_ATLAS_AUTH === "none") return undefined;
  const missing = (name: string, why: string) => new ConfigError(`Invalid configuration:\n- ${name} is required with WI_ATLAS_AUTH=${e.WI_ATLAS_AUTH} (${why})`);
  const auth: AuthConfig = {
    iapKeysUrl: e.WI_ATLAS_IAP_KEYS_URL?.trim() || IAP_KEYS_URL,
    oidcScopes: e.WI_ATLAS_OIDC_SCOPES?.trim() || "openid email profile",
    publicUrl: e.WI_ATLAS_PUBLIC_URL?.trim().replace(/\/$/, "") || undefined,
    viewers: e.WI_ATLAS_VIEWERS,
    operators: e.WI_ATLAS_ROLE_OPERATOR,
    admins: e.WI_ATLAS_ROLE_ADMIN,
  };
  if (e.WI_ATLAS_AUTH === "iap") {
    auth.iapAudience = e.WI_ATLAS_IAP_AUDIENCE?.trim();
    if (!auth.iapAudience) throw missing("WI_ATLAS_IAP_AUDIENCE", "the `aud` IAP signs for this backend, /projects/NUMBER/global/backendServices/ID");
    return auth;
  }
  auth.oidcIssuer = e.WI_ATLAS_OIDC_ISSUER?.trim();
  auth.oidcClientId = e.WI_ATLAS_OIDC_CLIENT_ID?.trim();
  auth.oidcClientSecret = e.WI_ATLAS_OIDC_CLIENT_SECRET;
  auth.sessionSecret = e.WI_ATLAS_SESSION_SECRET;
  if (!auth.oidcIssuer) throw missing("WI_ATLAS_OIDC_ISSUER", "the provider's issuer URL");
  if (!auth.oidcClientId) throw missing("WI_ATLAS_OIDC_CLIENT_ID", "the client id registered with the provider");
  if (!auth.oidcClientSecret) throw missing("WI_ATLAS_OIDC_CLIENT_SECRET", "the client secret registered with the provider");
  if (!auth.sessionSecret) throw missing("WI_ATLAS_SESSION_SECRET", "it protects the session cookie");
  if (auth.sessionSecret.length < 32) {
    throw new ConfigError("Invalid configuration:\n- WI_ATLAS_SESSION_SECRET must be at least 32 characters (for example `openssl rand -base64 32`)");
  }
  // A provider such as Google admits every account it has: without a list, anyone could sign in.
  if (auth.viewers.length === 0) throw missing("WI_ATLAS_VIEWERS", "without it every account the provider knows could sign in");
  return auth;
}

let cached: Config | undefined;
/** The process's configuration, parsed once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
