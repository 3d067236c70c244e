import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { estateFromYaml, scanWith, simulatorFor } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import { TABLES } from "../reports/tables";
import { allRowsQuery } from "../reports/table-def";
import { streamCsv } from "../reports/csv";
import { parseFilters } from "../api/filters";
import { GOOGLE_P12_BASE64 } from "../testing/p12-fixtures";

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
const b64 = (x: string | Buffer) => Buffer.from(x).toString("base64");
const terraformValue = b64(b64(keyFile));
// The same output base64-encoded once more by a pipeline before `kubectl create secret` (three layers in `data`).
const doubleValue = b64(b64(b64(keyFile)));
// A Helm values file kept in a Secret, the key object nested in it.
const helmValues = `replicaCount: 2\ngcp:\n  project: leak-test\n  credentials:\n${JSON.stringify(JSON.parse(keyFile), null, 2).split("\n").map((l) => `    ${l}`).join("\n")}\n`;
// Environment values: one that is no credential (still never kept), and a PEM private key of its own.
const ENV_VALUE = "FAKE-ENV-DATABASE-PASSWORD-0a9f";
const PEM_ENV_BODY = "FAKEPEMINENVBODY33d1e";
const pemEnv = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_ENV_BODY}${"A".repeat(64)}\n-----END RSA PRIVATE KEY-----\n`;
const p12Fragment = GOOGLE_P12_BASE64.slice(400, 432);

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
          - {apiVersion: v1, kind: Secret, metadata: {name: p12, namespace: app}, data: {"key.p12": "${GOOGLE_P12_BASE64}"}}
          - {apiVersion: v1, kind: Secret, metadata: {name: double, namespace: app}, data: {"credentials": "${doubleValue}"}}
          - {apiVersion: v1, kind: Secret, metadata: {name: helm-values, namespace: app}, stringData: {"values.yaml": ${JSON.stringify(helmValues)}}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: envs, namespace: app}
            spec:
              template:
                spec:
                  containers:
                    - name: tf
                      image: terraform
                      env:
                        - {name: DB_PASSWORD, value: ${ENV_VALUE}}
                        - {name: GOOGLE_CREDENTIALS, value: ${JSON.stringify(keyFile)}}
                        - {name: SIGNING_KEY, value: ${JSON.stringify(pemEnv)}}
                        - {name: HOME, value: /home/tf}
                    - name: pasted
                      image: app
                      env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: ${JSON.stringify(keyFile)}}]
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

const MARKERS = [
  PRIVATE_KEY_BODY,
  REFRESH_TOKEN,
  CLIENT_SECRET,
  CONFIGMAP_PASSWORD,
  "PRIVATE KEY",
  b64(PRIVATE_KEY_BODY).slice(0, 16),
  ENV_VALUE,
  PEM_ENV_BODY,
  p12Fragment,
  b64(keyFile).slice(0, 40),
  b64(b64(keyFile)).slice(0, 40),
  doubleValue.slice(0, 40),
];

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
    const key = { type: "service_account", clientEmail: "app@leak-test.iam.gserviceaccount.com", keyId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", projectId: "leak-test", audience: null, impersonates: null, sourceType: null };
    expect(r.rows).toEqual([
      { subject: "secret:leak-test/us-central1/c1/app/double", c: [{ ...key, dataKey: "credentials", encoding: "base64-base64-json" }] },
      { subject: "secret:leak-test/us-central1/c1/app/helm-values", c: [{ ...key, dataKey: "values.yaml", encoding: "yaml", path: "gcp.credentials" }] },
      {
        subject: "secret:leak-test/us-central1/c1/app/p12",
        c: [{ dataKey: "key.p12", type: "p12", clientEmail: null, keyId: null, projectId: null, encoding: "p12", audience: null, impersonates: null, sourceType: null }],
      },
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
    expect([o.secrets_with_keys, o.keys_in_secrets]).toEqual([6, 1]);
  });

  it("keeps of the env only names, references and the identity variables' values; credentials are summarised", async () => {
    const r = await t.db.pool.query(`select data->'template'->'containers' as c from inventory_object where kind = 'workload' and valid_to is null and data->>'name' = 'envs'`);
    const summary = { type: "service_account", clientEmail: "app@leak-test.iam.gserviceaccount.com", keyId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", projectId: "leak-test", encoding: "json", audience: null, impersonates: null, sourceType: null };
    expect(r.rows[0].c.map((c: { name: string; env: unknown[] }) => [c.name, c.env])).toEqual([
      [
        "tf",
        [
          { name: "DB_PASSWORD", valueWithheld: "not-kept" },
          { name: "GOOGLE_CREDENTIALS", valueWithheld: "credential", inlineCredential: { credentials: [{ ...summary, dataKey: "GOOGLE_CREDENTIALS" }], credentialTypes: ["service_account"] } },
          { name: "SIGNING_KEY", valueWithheld: "credential", inlineCredential: { credentials: [], credentialTypes: ["pem-private-key"] } },
          { name: "HOME", value: "/home/tf" },
        ],
      ],
      ["pasted", [{ name: "GOOGLE_APPLICATION_CREDENTIALS", valueWithheld: "credential", inlineCredential: { credentials: [{ ...summary, dataKey: "GOOGLE_APPLICATION_CREDENTIALS" }], credentialTypes: ["service_account"] } }]],
    ]);
  });

  it("finds the pasted credentials and every Secret's key, naming them by key id and variable, never by value", async () => {
    const r = await t.db.pool.query(`select rule, subject, data->>'message' as message from analysis_object where kind = 'finding' and valid_to is null and rule in ('workload-inline-credential', 'key-in-secret') order by rule, subject`);
    const K = "key bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2 of app@leak-test.iam.gserviceaccount.com";
    expect(r.rows.map((x) => [x.rule, x.subject.split("/").slice(-1)[0]])).toEqual([
      ["key-in-secret", "double"],
      ["key-in-secret", "helm-values"],
      ["key-in-secret", "p12"],
      ["key-in-secret", "plain"],
      ["key-in-secret", "terraform"],
      ["key-in-secret", "user"],
      ["workload-inline-credential", "envs"],
    ]);
    expect(r.rows.at(-1)!.message).toBe(`Deployment envs has ${K} in GOOGLE_CREDENTIALS (container tf); a PEM private key in SIGNING_KEY (container tf); ${K} in GOOGLE_APPLICATION_CREDENTIALS (container pasted).`);
  });

  it("says in the secrets CSV what each Secret holds, in a column appended last", async () => {
    const def = TABLES.secrets;
    const stream = await streamCsv(t.db.pool, allRowsQuery(def, parseFilters(new URLSearchParams())), def.columns.map((c) => c.id));
    const lines = (await new Response(stream).text()).trim().split(/\r?\n/);
    expect(lines[0].split(",").at(-1)).toBe("found_credential_types");
    expect(lines.filter((l) => /\/(double|helm-values|p12|terraform),/.test(l)).map((l) => l.split(",").at(-1))).toEqual([
      "service_account (base64-base64-json)",
      "service_account (yaml at gcp.credentials)",
      "p12",
      "service_account (base64-json)",
    ]);
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
    for (const s of ["plain", "terraform", "user", "p12", "double", "helm-values"]) await call("objects/[subject]", { subject: encodeURIComponent(`secret:leak-test/us-central1/c1/app/${s}`) });
    for (const w of ["envs", "app", "legacy"]) await call("objects/[subject]", { subject: encodeURIComponent(`workload:leak-test/us-central1/c1/app/Deployment/${w}`) });
    await call("findings");
    await call("clusters/[subject]", { subject: encodeURIComponent("cluster:leak-test/us-central1/c1") });
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
