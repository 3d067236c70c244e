import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { estateFromYaml, scanWith, simulatorFor } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { TABLES } from "../reports/tables";
import { allRowsQuery } from "../reports/table-def";
import { streamCsv } from "../reports/csv";
import { parseFilters } from "../api/filters";

// Distinctive fake secrets: none of them may appear anywhere after a scan.
const PRIVATE_KEY_BODY = "FAKEPRIVATEKEYBODY7f3a9c";
const REFRESH_TOKEN = "FAKE-REFRESH-TOKEN-91b2";
// A ConfigMap value beside the one the scanner reads for GOOGLE_APPLICATION_CREDENTIALS.
const CONFIGMAP_PASSWORD = "FAKE-CONFIGMAP-DB-PASSWORD-4c7a";
const CLIENT_SECRET = "FAKE-CLIENT-SECRET-5d0e";
const keyFile = JSON.stringify({
  type: "service_account",
  project_id: "leak-test",
  private_key_id: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2",
  private_key: `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n`,
  client_email: "app@leak-test.iam.gserviceaccount.com",
  client_id: "1",
});
// A Workload Identity Federation configuration: no key (counted nowhere as one).
const wifConfig = JSON.stringify({ type: "external_account", audience: "identitynamespace:leak-test.svc.id.goog:https://gkehub.googleapis.com/projects/leak-test/locations/global/memberships/c1", subject_token_type: "urn:ietf:params:oauth:token-type:jwt", token_url: "https://sts.googleapis.com/v1/token", credential_source: { file: "/var/run/secrets/tokens/gcp-ksa/token" } });
const userCreds = JSON.stringify({ type: "authorized_user", client_id: "x", client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN });
// Terraform's google_service_account_key.private_key output is the key file in base64; stored in `data` it is base64 again.
const terraformValue = Buffer.from(Buffer.from(keyFile).toString("base64")).toString("base64");

const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: leak-test
    projectNumber: "200000000002"
    serviceAccounts:
      - email: app@leak-test.iam.gserviceaccount.com
        keys:
          - {keyId: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2, validAfterTime: "2024-01-01T00:00:00Z", validBeforeTime: "2034-01-01T00:00:00Z"}
    clusters:
      - cluster: {name: c1, location: us-central1, workloadIdentityConfig: {workloadPool: leak-test.svc.id.goog}, nodePools: [{name: p, config: {workloadMetadataConfig: {mode: GKE_METADATA}}}]}
        manifests:
          - {apiVersion: v1, kind: Secret, metadata: {name: plain, namespace: app}, stringData: {"key.json": ${JSON.stringify(keyFile)}}}
          - {apiVersion: v1, kind: Secret, metadata: {name: terraform, namespace: app}, data: {"credentials": "${terraformValue}"}}
          - {apiVersion: v1, kind: Secret, metadata: {name: user, namespace: app}, stringData: {"adc.json": ${JSON.stringify(userCreds)}}}
          - {apiVersion: v1, kind: Secret, metadata: {name: wif, namespace: app}, stringData: {"config.json": ${JSON.stringify(wifConfig)}}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: app}
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      image: app
                      env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: /secrets/key.json}]
                      volumeMounts: [{name: k, mountPath: /secrets}]
                  volumes: [{name: k, secret: {secretName: plain}}]
          # A key pasted into a ConfigMap, reached through envFrom of another ConfigMap that also holds a password.
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: legacy-env, namespace: app}, data: {GOOGLE_APPLICATION_CREDENTIALS: /etc/gcp/key.json, DB_PASSWORD: ${CONFIGMAP_PASSWORD}}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: legacy-key, namespace: app}, data: {"key.json": ${JSON.stringify(keyFile)}}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: legacy, namespace: app}
            spec:
              template:
                spec:
                  containers:
                    - name: legacy
                      image: legacy
                      envFrom: [{configMapRef: {name: legacy-env}}]
                      volumeMounts: [{name: k, mountPath: /etc/gcp}]
                  volumes: [{name: k, configMap: {name: legacy-key}}]
`;

const MARKERS = [PRIVATE_KEY_BODY, REFRESH_TOKEN, CLIENT_SECRET, CONFIGMAP_PASSWORD, "PRIVATE KEY", Buffer.from(PRIVATE_KEY_BODY).toString("base64").slice(0, 16)];

function expectClean(text: string, where: string) {
  for (const m of MARKERS) expect(text.includes(m), `${where} contains ${m}`).toBe(false);
}

describe("private key material read from Secrets and ConfigMaps", () => {
  let t: TestDatabase;
  let sim: Simulator;
  const logged: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(ESTATE));
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return out(chunk as string, ...(rest as []));
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return err(chunk as string, ...(rest as []));
    }) as typeof process.stderr.write;
    process.env.WI_ATLAS_LOG_LEVEL = "debug";
    try {
      const r = await scanWith(t.db, sim);
      expect(r.status).toBe("succeeded");
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      delete process.env.WI_ATLAS_LOG_LEVEL;
    }
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("keeps only the key id, account and project of each credential", async () => {
    const r = await t.db.pool.query(`select subject, data->'credentials' as c from inventory_object where kind = 'secret' and valid_to is null order by subject`);
    expect(r.rows).toEqual([
      {
        subject: "secret:leak-test/us-central1/c1/app/plain",
        c: [{ dataKey: "key.json", type: "service_account", clientEmail: "app@leak-test.iam.gserviceaccount.com", keyId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", projectId: "leak-test", encoding: "json", audience: null, impersonates: null, sourceType: null }],
      },
      {
        subject: "secret:leak-test/us-central1/c1/app/terraform",
        c: [{ dataKey: "credentials", type: "service_account", clientEmail: "app@leak-test.iam.gserviceaccount.com", keyId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", projectId: "leak-test", encoding: "base64-json", audience: null, impersonates: null, sourceType: null }],
      },
      { subject: "secret:leak-test/us-central1/c1/app/user", c: [{ dataKey: "adc.json", type: "authorized_user", clientEmail: null, keyId: null, projectId: null, encoding: "json", audience: null, impersonates: null, sourceType: null }] },
      {
        subject: "secret:leak-test/us-central1/c1/app/wif",
        c: [
          {
            dataKey: "config.json",
            type: "external_account",
            clientEmail: null,
            keyId: null,
            projectId: null,
            encoding: "json",
            audience: "identitynamespace:leak-test.svc.id.goog:https://gkehub.googleapis.com/projects/leak-test/locations/global/memberships/c1",
            impersonates: null,
            sourceType: null,
          },
        ],
      },
    ]);
  });

  it("keeps of a ConfigMap only the keys looked for: the path value and the key's summary", async () => {
    const r = await t.db.pool.query(`select subject, data from inventory_object where kind = 'configmap' and valid_to is null order by subject`);
    expect(r.rows.map((x) => [x.subject, x.data.looked, x.data.values, x.data.credentials.map((c: { keyId: string }) => c.keyId)])).toEqual([
      ["configmap:leak-test/us-central1/c1/app/legacy-env", ["CLOUDSDK_CONFIG", "GOOGLE_APPLICATION_CREDENTIALS"], { GOOGLE_APPLICATION_CREDENTIALS: "/etc/gcp/key.json" }, []],
      ["configmap:leak-test/us-central1/c1/app/legacy-key", ["key.json"], {}, ["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"]],
    ]);
  });

  it("counts on the overview only Secrets that hold a key or a person's token (not the federation configuration)", async () => {
    process.env.DATABASE_URL = t.url;
    const { overview } = await import("../store/queries");
    const o = (await overview(t.db)) as unknown as { secrets_with_keys: number; keys_in_secrets: number };
    expect([o.secrets_with_keys, o.keys_in_secrets]).toEqual([3, 1]);
  });

  it("leaves no trace in any table of the database", async () => {
    const tables = await t.db.pool.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public'`);
    expect(tables.rows.length).toBeGreaterThan(3);
    for (const { t: name } of tables.rows) {
      const dump = await t.db.pool.query(`select x::text as row from "${name}" x`);
      expectClean(dump.rows.map((r) => r.row).join("\n"), `table ${name}`);
    }
  });

  it("leaves no trace in any CSV report", async () => {
    for (const def of Object.values(TABLES)) {
      const stream = await streamCsv(t.db.pool, allRowsQuery(def, parseFilters(new URLSearchParams())), def.columns.map((c) => c.id));
      const text = await new Response(stream).text();
      expectClean(text, `${def.name}.csv`);
    }
  });

  it("leaves no trace in any API response", async () => {
    process.env.DATABASE_URL = t.url;
    const responses: string[] = [];
    const call = async (path: string, params: Record<string, string> = {}) => {
      const mod = (await import(/* @vite-ignore */ `../../app/api/${path}/route.ts`)) as { GET: (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> };
      const res = await mod.GET(new Request(`http://test/api/${path}`), { params: Promise.resolve(params) });
      expect(res.status, path).toBeLessThan(500);
      responses.push(await res.text());
    };
    for (const table of Object.keys(TABLES)) await call(table);
    await call("overview");
    await call("coverage");
    await call("facets");
    await call("gsas/[subject]", { subject: encodeURIComponent("gsa:app@leak-test.iam.gserviceaccount.com") });
    for (const s of ["plain", "terraform", "user"]) await call("objects/[subject]", { subject: encodeURIComponent(`secret:leak-test/us-central1/c1/app/${s}`) });
    for (const c of ["legacy-env", "legacy-key"]) await call("objects/[subject]", { subject: encodeURIComponent(`configmap:leak-test/us-central1/c1/app/${c}`) });
    for (const table of Object.keys(TABLES)) await call("reports/[report]", { report: `${table}.csv` });
    expect(responses.join("\n")).toContain("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2");
    expectClean(responses.join("\n"), "API responses");
  });

  it("leaves no trace in the logs", () => {
    expect(logged.length).toBeGreaterThan(0);
    expectClean(logged.join(""), "logs");
  });
});
