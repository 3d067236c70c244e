/**
 * Multi-value filters, pages past the end, findings.csv's appended columns and times to the second,
 * on a real PostgreSQL filled by a scan of the demo estate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scannedDemo } from "../testing/scanned-demo";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { parseFilters } from "../api/filters";
import { Problem } from "../api/problem";
import { publicOrigin } from "../api/origin";
import { upsertSuppression } from "../store/suppressions";
import { listTable, tableCsv } from "./list-table";
import { TABLES } from "./tables";
import { csvObjects, parseCsv } from "../testing/parse-csv";

const ORIGIN = "https://wi-atlas.example.com";
const f = (q: string) => parseFilters(new URLSearchParams(q));

async function csvText(t: TestDatabase, table: string, q = "") {
  const res = await tableCsv(t.db, TABLES[table], f(q), { origin: ORIGIN });
  return { text: await res.text(), disposition: res.headers.get("content-disposition") };
}

async function rejection(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Problem) return err;
    throw err;
  }
  throw new Error("it was accepted");
}

describe("filters, pages and CSVs on a scanned estate", () => {
  const demo = scannedDemo();

  it("shows the findings of either severity for severity=critical&severity=high, and its CSV holds the same rows", async () => {
    const key = (r: Record<string, unknown>) => `${r.rule} ${r.subject}`;
    const both = await listTable(demo.t.db, TABLES.findings, f("severity=critical&severity=high&pageSize=500"));
    const critical = await listTable(demo.t.db, TABLES.findings, f("severity=critical&pageSize=500"));
    const high = await listTable(demo.t.db, TABLES.findings, f("severity=high&pageSize=500"));
    expect(critical.total).toBeGreaterThan(0);
    expect(high.total).toBeGreaterThan(0);
    expect(both.rows.map(key).sort()).toEqual([...critical.rows, ...high.rows].map(key).sort());
    expect(new Set(both.rows.map((r) => r.severity))).toEqual(new Set(["critical", "high"]));
    // A comma list means the same; the CSV of the view has the same rows in the same order.
    const comma = await listTable(demo.t.db, TABLES.findings, f("severity=critical,high&pageSize=500"));
    expect(comma.rows.map(key)).toEqual(both.rows.map(key));
    const { text, disposition } = await csvText(demo.t, "findings", "severity=critical&severity=high");
    expect(csvObjects(text).map(key)).toEqual(both.rows.map(key));
    expect(disposition).toBe('attachment; filename="wi-atlas-findings-critical-high.csv"');
    expect(both.csvName).toBe("wi-atlas-findings-critical-high.csv");
    expect(both.csv).toBe("/api/reports/findings.csv?severity=critical&severity=high");
  });

  it("filters an inventory table by several namespaces, and its CSV by the same", async () => {
    const two = await listTable(demo.t.db, TABLES.workloads, f("namespace=orders&namespace=payments&pageSize=500"));
    const orders = await listTable(demo.t.db, TABLES.workloads, f("namespace=orders&pageSize=500"));
    const payments = await listTable(demo.t.db, TABLES.workloads, f("namespace=payments&pageSize=500"));
    expect(orders.total).toBeGreaterThan(0);
    expect(payments.total).toBeGreaterThan(0);
    expect(two.total).toBe(orders.total + payments.total);
    const { text } = await csvText(demo.t, "workloads", "namespace=orders,payments");
    expect(csvObjects(text).map((r) => r.subject)).toEqual(two.rows.map((r) => r.subject));
  });

  it("answers a page past the last one with a 400 naming the last page, and page 1 of an empty result as that page", async () => {
    const all = await listTable(demo.t.db, TABLES.findings, f(""));
    const last = Math.ceil(all.total / 50);
    const p = await rejection(listTable(demo.t.db, TABLES.findings, f("page=99")));
    expect(p.status).toBe(400);
    expect(p.message).toBe(`Query parameter "page" (99) is past the last page: these filters match ${all.total} rows, ${last} page${last === 1 ? "" : "s"} of 50`);
    expect(p.details).toEqual({ parameter: "page", lastPage: last });
    const empty = await listTable(demo.t.db, TABLES.findings, f("q=nothing-is-called-this&page=3"));
    expect({ total: empty.total, page: empty.page, rows: empty.rows }).toEqual({ total: 0, page: 1, rows: [] });
  });

  it("refuses a state the table does not have in its CSV before the stream starts", async () => {
    const p = await rejection(tableCsv(demo.t.db, TABLES.findings, f("state=open,bogus")));
    expect(p.message).toBe('Query parameter "state" ("bogus") must be one of open, unverified, suppressed for findings');
    const s = await rejection(tableCsv(demo.t.db, TABLES.findings, f("sort=no_such_column")));
    expect(s.message).toMatch(/^Query parameter "sort" \("no_such_column"\) is not a sortable column of findings; use one of subject, rule, severity/);
  });

  it("serves findings.csv with the new columns appended after the old ones, in order", async () => {
    const [header] = parseCsv((await csvText(demo.t, "findings")).text);
    expect(header).toEqual([
      "subject", "rule", "severity", "project", "cluster", "namespace", "gsa", "state", "first_seen", "message",
      "finding_id", "url", "fix", "suppressed_by", "suppressed_until", "owner",
    ]);
  });

  it("gives each finding its id, an absolute link to its subject and its first fix's text; a suppressed one who accepted it and until when", async () => {
    const subject = "gsa:common-batch@acme-prod.iam.gserviceaccount.com";
    await upsertSuppression(demo.t.db, { rule: "gsa-shared", subject, reason: "Split planned for Q1", owner: "platform-team", expiresAt: "2099-03-01T12:30:45.678Z" });
    const rows = csvObjects((await csvText(demo.t, "findings", "rule=gsa-shared")).text);
    const row = rows.find((r) => r.subject === subject)!;
    const fixes = await demo.t.db.pool.query<{ content: string }>(`select data->'fixes'->0->>'content' as content from analysis_object where kind = 'finding' and valid_to is null and key = $1`, [`gsa-shared|${subject}`]);
    expect(fixes.rows[0].content.length).toBeGreaterThan(0);
    expect(row).toMatchObject({
      state: "suppressed",
      finding_id: `gsa-shared|${subject}`,
      url: `${ORIGIN}/gsas/gsa%3Acommon-batch%40acme-prod.iam.gserviceaccount.com`,
      fix: fixes.rows[0].content.replace(/^([=+\-@])/, "'$1"),
      suppressed_by: "platform-team",
      suppressed_until: "2099-03-01T12:30:45Z",
    });
    const open = rows.find((r) => r.subject !== subject);
    if (open) expect({ by: open.suppressed_by, until: open.suppressed_until }).toEqual({ by: "", until: "" });
    const ksa = csvObjects((await csvText(demo.t, "findings", "rule=ksa-annotation-unbound")).text)[0];
    expect(ksa.url).toBe(`${ORIGIN}/objects/${encodeURIComponent(ksa.subject)}`);
  });

  it("links from WI_ATLAS_PUBLIC_URL when it is set, else from the address the request came to", () => {
    const req = new Request("http://10.0.0.7:3000/api/reports/findings.csv");
    expect(publicOrigin(req, { publicUrl: "https://wi-atlas.example.com/" })).toBe("https://wi-atlas.example.com");
    expect(publicOrigin(req, { publicUrl: undefined })).toBe("http://10.0.0.7:3000");
    expect(publicOrigin(req, testConfig({ WI_ATLAS_PUBLIC_URL: "https://atlas.acme.example" }))).toBe("https://atlas.acme.example");
  });

  it("writes every time in every CSV to the second, in UTC", async () => {
    const checked: string[] = [];
    for (const [name, def] of Object.entries(TABLES)) {
      const { text } = await csvText(demo.t, name);
      expect(text, name).not.toMatch(/\d\d:\d\d:\d\d\.\d/);
      const rows = csvObjects(text);
      for (const c of def.columns.filter((x) => x.type === "time" && !x.uiOnly)) {
        const values = rows.map((r) => r[c.id]).filter(Boolean);
        for (const v of values) expect(v, `${name}.${c.id}`).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        if (values.length) checked.push(`${name}.${c.id}`);
      }
    }
    // The time columns the demo fills (a column no row fills proves nothing either way).
    expect(checked).toEqual(expect.arrayContaining(["findings.first_seen", "findings.suppressed_until", "keys.valid_after_time", "keys.valid_before_time", "gsas.last_authenticated_time"]));
  });
});

describe("counts whose source failed", () => {
  const demo = scannedDemo();

  it("are unknown with the reason — never 0 — in the page, and empty in the CSV", async () => {
    const cluster = "cluster:acme-prod/asia-northeast1/prod";
    const before = await listTable(demo.t.db, TABLES.clusters, f(`cluster=${cluster}`));
    expect(before.rows[0]).toMatchObject({ pods__unknown: null });
    expect(Number(before.rows[0].pods)).toBeGreaterThan(0);
    await demo.t.db.pool.query(`update source_state set last_status = 'failed', last_error = '403 pods is forbidden' where source = 'k8s.pods:acme-prod/asia-northeast1/prod'`);
    await demo.t.db.pool.query(`update source_state set last_status = 'failed', last_error = '403 keys list denied' where source = 'iam.keys:acme-legacy'`);
    const after = await listTable(demo.t.db, TABLES.clusters, f(`cluster=${cluster}`));
    expect({ pods: after.rows[0].pods, why: after.rows[0].pods__unknown }).toEqual({ pods: null, why: "403 pods is forbidden" });
    expect(after.rows[0].pods__unknown === null).toBe(false);
    const csv = csvObjects((await csvText(demo.t, "clusters", `cluster=${cluster}`)).text)[0];
    expect(csv.pods).toBe("");
    expect(Object.keys(csv)).not.toContain("pods__unknown");
    const gsas = await listTable(demo.t.db, TABLES.gsas, f("project=acme-legacy"));
    expect(gsas.rows.length).toBeGreaterThan(0);
    for (const r of gsas.rows) expect({ keys: r.user_managed_keys, why: r.user_managed_keys__unknown }).toEqual({ keys: null, why: "403 keys list denied" });
    const other = await listTable(demo.t.db, TABLES.gsas, f("project=acme-prod"));
    for (const r of other.rows) expect(r.user_managed_keys__unknown).toBeNull();
  });
});
