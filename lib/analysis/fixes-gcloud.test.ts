/**
 * The gcloud fixes that edit an IAM policy, run by Google's own gcloud against a local IAM endpoint
 * that serves the estate's policy and records what gcloud writes back: in a script (no terminal, no
 * prompts) they must run through and change exactly the binding they name. Without the condition
 * flag gcloud refuses to touch a policy holding conditional bindings in non-interactive mode; the
 * test shows that too, so the flag is proven necessary, not decorative.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate } from "./testing";
import type { AnalysisResult } from "./run-analysis";

const hasGcloud = spawnSync("sh", ["-c", "command -v gcloud"]).status === 0;
if (!hasGcloud) console.warn("SKIPPED: gcloud is not installed on this machine: the gcloud runs of IAM binding fixes are not checked");

const POOL = "acme-pay.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";
const LEDGER = "ledger@acme-pay.iam.gserviceaccount.com";
const ORDERS = "orders@acme-pay.iam.gserviceaccount.com";
const member = (ns: string, ksa: string) => `serviceAccount:${POOL}[${ns}/${ksa}]`;
const EXPIRY = { title: "expires-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")', description: "temporary, for the Q4 migration" };

type Policy = { version?: number; etag?: string; bindings: { role: string; members: string[]; condition?: unknown }[] };
const POLICIES: Record<string, Policy> = {
  // ledger@: a stale member granted under a condition (binding-stale removes it), beside a live one.
  [LEDGER]: {
    version: 3,
    etag: "BwX5Lb1lJ8o=",
    bindings: [
      { role: WI_USER, members: [member("payments", "ledger")] },
      { role: WI_USER, members: [member("payments", "ledger-v1")], condition: EXPIRY },
    ],
  },
  // orders@: grants its KSA nothing (ksa-annotation-unbound adds the binding) but holds a conditional grant to someone else.
  [ORDERS]: { version: 3, etag: "BwX5Lb1lJ8k=", bindings: [{ role: "roles/iam.serviceAccountTokenCreator", members: ["group:oncall@acme.example"], condition: EXPIRY }] },
};

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/620315948271", displayName: "acme.example" },
  projects: [
    {
      projectId: "acme-pay",
      projectNumber: "487812345001",
      serviceAccounts: [
        { email: LEDGER, iamPolicy: POLICIES[LEDGER] },
        { email: ORDERS, iamPolicy: POLICIES[ORDERS] },
      ],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1",
            workloadIdentityConfig: { workloadPool: POOL },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ledger", namespace: "payments", annotations: { "iam.gke.io/gcp-service-account": LEDGER } } },
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "orders", namespace: "orders", annotations: { "iam.gke.io/gcp-service-account": ORDERS } } },
          ],
        },
      ],
    },
  ],
});

describe.skipIf(!hasGcloud)("IAM binding fixes, run by gcloud in a script", () => {
  let r: AnalysisResult;
  let server: http.Server;
  let dir: string;
  const written: Record<string, Policy> = {};

  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
    // getIamPolicy answers the estate's policy; setIamPolicy records what gcloud wrote and echoes it.
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const m = /\/serviceAccounts\/([^/:]+):(getIamPolicy|setIamPolicy)/.exec(decodeURIComponent(req.url ?? ""));
        res.setHeader("content-type", "application/json");
        if (!m || !POLICIES[m[1]]) {
          res.statusCode = 404;
          return res.end(JSON.stringify({ error: { code: 404, message: "not found", status: "NOT_FOUND" } }));
        }
        if (m[2] === "getIamPolicy") return res.end(JSON.stringify(POLICIES[m[1]]));
        const policy = (JSON.parse(body) as { policy: Policy }).policy;
        written[m[1]] = policy;
        res.end(JSON.stringify(policy));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    dir = mkdtempSync(path.join(tmpdir(), "wi-atlas-gcloud-"));
    writeFileSync(path.join(dir, "token"), "simulated-token\n");
    const env = { ...process.env, CLOUDSDK_CONFIG: path.join(dir, "config") };
    execFileSync("gcloud", ["config", "set", "auth/access_token_file", path.join(dir, "token"), "--quiet"], { env, stdio: "ignore" });
    execFileSync("gcloud", ["config", "set", "api_endpoint_overrides/iam", `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, "--quiet"], { env, stdio: "ignore" });
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs a fix's command as a script would: no terminal, prompts disabled. Asynchronously: the IAM
   * endpoint it talks to lives in this process.
   */
  const run = (command: string) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", command], { env: { ...process.env, CLOUDSDK_CONFIG: path.join(dir, "config"), CLOUDSDK_CORE_DISABLE_PROMPTS: "1" }, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", (status) => resolve({ status, stderr }));
    });
  const gcloudFix = (rule: string, subject: string) => r.findings.find((f) => f.rule === rule && f.subject === subject)!.fixes.find((x) => x.kind === "gcloud")!.content;

  it("binding-stale's removal of a conditional binding runs through and removes exactly that binding", async () => {
    const cmd = gcloudFix("binding-stale", `gsa:${LEDGER}`);
    expect(cmd).toContain("--condition=");
    const out = await run(cmd);
    expect(out.status, out.stderr).toBe(0);
    expect(written[LEDGER].bindings).toEqual([{ role: WI_USER, members: [member("payments", "ledger")] }]);
    // Without the flag gcloud stops: it will not guess which binding is meant.
    const bare = await run(cmd.replace(/ \\\n {2}--condition=.*$/s, ""));
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain("prohibited in non-interactive mode");
  }, 60_000);

  it("ksa-annotation-unbound's grant on a policy that holds conditions runs through with --condition=None and adds an unconditional binding", async () => {
    const cmd = gcloudFix("ksa-annotation-unbound", "ksa:acme-pay/asia-northeast1/prod/orders/orders");
    expect(cmd.endsWith("--condition=None")).toBe(true);
    const out = await run(cmd);
    expect(out.status, out.stderr).toBe(0);
    expect(written[ORDERS].bindings).toEqual([
      { role: "roles/iam.serviceAccountTokenCreator", members: ["group:oncall@acme.example"], condition: EXPIRY },
      { role: WI_USER, members: [member("orders", "orders")] },
    ]);
    const bare = await run(cmd.replace(/ \\\n {2}--condition=None$/, ""));
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain("prohibited in non-interactive mode");
  }, 60_000);
});
