/**
 * Strings a tenant controls may hold anything: a NUL or a lone UTF-16 surrogate in a display name, a
 * label, an annotation or an env variable must not fail the scan (Kubernetes itself refuses them in
 * object names, as the simulator does) (PostgreSQL stores neither). They
 * read back as U+FFFD (lib/inventory/sanitise.ts). Real simulator over HTTP, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { estateFromYaml, scanWith, simulatorFor } from "../testing/scan-helpers";
import type { Simulator } from "../simulator/server";
import type { ScanResult } from "./run-scan";
import { MAX_RECORD_JSON, storableRecord } from "../inventory/sanitise";

const NUL = "\u0000";
const LONE = "\ud800";
const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: odd-strings
    projectNumber: "200000000009"
    serviceAccounts:
      - {email: app@odd-strings.iam.gserviceaccount.com, displayName: "display\\0name\\ud800"}
    clusters:
      - cluster: {name: c1, location: us-central1, workloadIdentityConfig: {workloadPool: odd-strings.svc.id.goog}, nodePools: [{name: p, config: {workloadMetadataConfig: {mode: GKE_METADATA}}}]}
        manifests:
          - apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: app
              namespace: app
              annotations: {iam.gke.io/gcp-service-account: "app@odd-strings.iam.gserviceaccount.com\\0", note: "lone \\ud800 surrogate"}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: app, labels: {"team\\0": "a\\0b", app: "web\\ud800"}}
            spec:
              template:
                spec:
                  serviceAccountName: app
                  containers:
                    - name: web
                      image: web
                      env: [{name: "MODE\\0", value: ""}, {name: "HOME", value: "/home/\\ud800x"}]
`;

describe("a NUL or a lone surrogate in what a tenant wrote", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let result: ScanResult;
  beforeAll(async () => {
    t = await createTestDatabase();
    sim = await simulatorFor(estateFromYaml(ESTATE));
    result = await scanWith(t.db, sim);
  });
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("scans succeeded: the strings are stored with U+FFFD in place of each bad character", async () => {
    expect(result.status).toBe("succeeded");
    const ksa = await t.db.pool.query(`select subject, data from inventory_object where kind = 'ksa' and valid_to is null and data->>'name' = 'app'`);
    expect(ksa.rows.map((r) => [r.subject, r.data.name, r.data.gsaAnnotation])).toEqual([
      ["ksa:odd-strings/us-central1/c1/app/app", "app", "app@odd-strings.iam.gserviceaccount.com\ufffd"],
    ]);
    const w = await t.db.pool.query(`select subject, data from inventory_object where kind = 'workload' and valid_to is null and namespace = 'app'`);
    expect(w.rows.map((r) => [r.subject, r.data.labels, r.data.template.serviceAccountName, r.data.template.containers[0].env])).toEqual([
      [
        "workload:odd-strings/us-central1/c1/app/Deployment/web",
        { "team\ufffd": "a\ufffdb", app: "web\ufffd" },
        "app",
        [{ name: "MODE\ufffd", value: "" }, { name: "HOME", value: "/home/\ufffdx" }],
      ],
    ]);
    const gsa = await t.db.pool.query(`select data->>'displayName' as d from inventory_object where kind = 'gsa' and valid_to is null`);
    expect(gsa.rows).toEqual([{ d: "display\ufffdname\ufffd" }]);
  });

  it("the analysis ran on them: the malformed annotation is reported as written (sanitised)", async () => {
    const f = await t.db.pool.query(`select rule, subject, data->>'message' as message from analysis_object where kind = 'finding' and valid_to is null and rule = 'ksa-annotation-malformed'`);
    expect(f.rows.map((r) => [r.subject, r.message.includes("\ufffd")])).toEqual([["ksa:odd-strings/us-central1/c1/app/app", true]]);
  });
});

describe("a record that cannot be stored", () => {
  let t: TestDatabase;
  let sim: Simulator;
  let result: ScanResult;
  beforeAll(async () => {
    t = await createTestDatabase();
    // An annotation longer than a record may hold (Kubernetes caps annotations at 256 KiB; the simulator does not).
    const huge = "x".repeat(MAX_RECORD_JSON + 1);
    sim = await simulatorFor(estateFromYaml(ESTATE.replace("note: \"lone \\ud800 surrogate\"", "note: ok").replace("iam.gke.io/gcp-service-account: \"app@odd-strings.iam.gserviceaccount.com\\0\"", `iam.gke.io/gcp-service-account: ${huge}`)));
    result = await scanWith(t.db, sim);
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    await t.drop();
  });

  it("makes its own source partial, naming the object, and the rest of the scan is stored", async () => {
    expect(result.status).toBe("partial");
    const sources = await t.db.pool.query(`select source, status, error from scan_source where status <> 'ok' order by source`);
    expect(sources.rows).toEqual([
      {
        source: "k8s.serviceaccounts:odd-strings/us-central1/c1",
        status: "partial",
        error: `1 object could not be stored: ksa ksa:odd-strings/us-central1/c1/app/app (its data is ${MAX_RECORD_JSON + 147} characters, over the ${MAX_RECORD_JSON} a record may hold)`,
      },
    ]);
    const w = await t.db.pool.query(`select subject from inventory_object where kind in ('workload', 'ksa') and valid_to is null and namespace = 'app' order by subject`);
    expect(w.rows.map((r) => r.subject)).toEqual(["ksa:odd-strings/us-central1/c1/app/default", "workload:odd-strings/us-central1/c1/app/Deployment/web"]);
  });
});

describe("storableRecord", () => {
  const rec = (data: unknown) => ({ kind: "namespace" as const, subject: `namespace:p/l/c/a${NUL}`, source: "k8s.namespaces:p/l/c", project: "p", cluster: "cluster:p/l/c", namespace: `a${LONE}`, data });

  it("replaces NUL and lone surrogates in keys, values and columns; keeps valid pairs (emoji) as they are", () => {
    const r = storableRecord(rec({ name: `x${NUL}y`, labels: { [`k${LONE}`]: "\udc00v", emoji: "🙂" } }));
    expect(r).toEqual({
      row: { kind: "namespace", subject: "namespace:p/l/c/a\ufffd", source: "k8s.namespaces:p/l/c", project: "p", cluster: "cluster:p/l/c", namespace: "a\ufffd", data: JSON.stringify({ name: "x\ufffdy", labels: { "k\ufffd": "\ufffdv", emoji: "🙂" } }) },
    });
  });

  it("refuses a record that cannot be serialised, saying why", () => {
    expect(storableRecord(rec({ n: 1n }))).toEqual({ error: "it cannot be serialised (Do not know how to serialize a BigInt)" });
  });
});
