import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import http from "node:http";
import zlib from "node:zlib";
import { startLocalServer, type LocalServer } from "../../testing/local-server";
import { Caller } from "./caller";
import { ApiError } from "./api-error";
import { simulatorClients } from "../gcp/clients";
import { getResourcePolicy, getServiceAccountPolicy, listServiceAccounts } from "../gcp/get";
import { API_NAMES, type ApiLimit, type ApiName } from "../../config";

/*
 * The fetch under the googleapis clients (node-http-fetch.ts), driven through the real clients
 * against a local server: what node-fetch did for them — inflating, redirects, whole bodies only,
 * request bodies — still holds. Retries, timeouts and cancellation through it are in caller.test.ts.
 */

const limits = Object.fromEntries(API_NAMES.map((a) => [a, { concurrency: 4 }])) as Record<ApiName, ApiLimit>;
const ONE_ATTEMPT = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
const ACCOUNT = { name: "projects/p/serviceAccounts/app@p.iam.gserviceaccount.com", projectId: "p", email: "app@p.iam.gserviceaccount.com", uniqueId: "1" };

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };
let server: LocalServer;
let url: string;
let seen: Seen[];
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;

beforeAll(async () => {
  server = await startLocalServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res);
    });
  });
  url = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  seen = [];
});

const caller = () => new Caller({ limits, timeoutMs: 2_000, retry: ONE_ATTEMPT });

describe("the Google clients' fetch", () => {
  it("inflates a gzip answer and the client returns its accounts", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json; charset=UTF-8", "content-encoding": "gzip" });
      res.end(zlib.gzipSync(JSON.stringify({ accounts: [ACCOUNT] })));
    };
    expect(await listServiceAccounts(simulatorClients(url), caller(), "p")).toEqual([ACCOUNT]);
    expect(seen[0].headers["accept-encoding"]).toContain("gzip");
  });

  it("follows a redirect to the same origin, keeping the authorization header", async () => {
    handler = (req, res) => {
      if (req.url!.startsWith("/v1/projects/p/serviceAccounts")) {
        res.writeHead(307, { location: "/moved/accounts" });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ accounts: [ACCOUNT] }));
    };
    expect(await listServiceAccounts(simulatorClients(url), caller(), "p")).toEqual([ACCOUNT]);
    expect(seen.map((s) => [s.method, s.url.split("?")[0], s.headers.authorization])).toEqual([
      ["GET", "/v1/projects/p/serviceAccounts", "Bearer simulated-token"],
      ["GET", "/moved/accounts", "Bearer simulated-token"],
    ]);
  });

  it("sends a POST's JSON body with its length (projects.getIamPolicy asks for version 3)", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ version: 3, bindings: [{ role: "roles/viewer", members: ["user:a@example.com"] }] }));
    };
    const policy = await getResourcePolicy(simulatorClients(url), caller(), "projects/p");
    expect(policy).toEqual({ version: 3, bindings: [{ role: "roles/viewer", members: ["user:a@example.com"] }] });
    expect(seen.map((s) => [s.method, s.url, s.body, s.headers["content-length"], s.headers["content-type"]])).toEqual([
      ["POST", "/v3/projects/p:getIamPolicy", '{"options":{"requestedPolicyVersion":3}}', "40", "application/json"],
    ]);
  });

  it("sends a POST without a body with content-length 0 (serviceAccounts.getIamPolicy)", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ etag: "ACAB" }));
    };
    expect(await getServiceAccountPolicy(simulatorClients(url), caller(), "p", "app@p.iam.gserviceaccount.com")).toEqual({ etag: "ACAB" });
    expect(seen.map((s) => [s.method, s.url, s.headers["content-length"]])).toEqual([
      ["POST", "/v1/projects/p/serviceAccounts/app%40p.iam.gserviceaccount.com:getIamPolicy?options.requestedPolicyVersion=3", "0"],
    ]);
  });

  it("throws an answer cut off mid-body as a network error (status 0), never half a page", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"accounts":[{"name":"projects/p/serviceAccounts/a');
      setTimeout(() => res.destroy(), 20);
    };
    const err = await listServiceAccounts(simulatorClients(url), caller(), "p").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).isRetryable).toBe(true);
  });

  it("hands an error answer's JSON body to the error (a 404 names what was not found)", async () => {
    handler = (_req, res) => {
      res.writeHead(404, { "content-type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify({ error: { code: 404, message: "Project p not found.", status: "NOT_FOUND" } }));
    };
    const err = (await listServiceAccounts(simulatorClients(url), caller(), "p").catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.message, err.opts.reason]).toEqual([404, "serviceAccounts.list projects/p: Project p not found.", "NOT_FOUND"]);
  });
});
