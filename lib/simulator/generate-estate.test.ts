import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { ESTATE_SIZES, generateEstate, generateEstateValue } from "./generate-estate";
import { buildWorld } from "./world";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorFor } from "../testing/scan-helpers";
import type { Simulator } from "./server";

const hash = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex");

function counts(size: keyof typeof ESTATE_SIZES, seed = 1) {
  const w = buildWorld(generateEstate(size, { seed }));
  const k8s = (r: string) => w.clusters.reduce((n, c) => n + (c.objects as Record<string, unknown[]>)[r].length, 0);
  return {
    projects: w.projects.length,
    gsas: w.serviceAccounts.length,
    keys: w.serviceAccounts.reduce((n, s) => n + s.estate.keys.length, 0),
    clusters: w.clusters.length,
    pods: k8s("pods"),
    ksas: k8s("serviceaccounts"),
    keySecrets: k8s("secrets"),
    hubBound: w.serviceAccounts.find((s) => s.estate.email.startsWith("common-batch@"))!.policy.bindings.find((b) => b.role === "roles/iam.workloadIdentityUser")?.members.length ?? 0,
  };
}

describe("generated estates", () => {
  it("are reproducible from their seed, and differ between seeds", () => {
    const a = generateEstateValue(ESTATE_SIZES["org-s"], { seed: 42 });
    const b = generateEstateValue(ESTATE_SIZES["org-s"], { seed: 42 });
    const c = generateEstateValue(ESTATE_SIZES["org-s"], { seed: 43 });
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
  });

  it("have the sizes asked for (org-s and org-m)", () => {
    for (const size of ["org-s", "org-m"] as const) {
      const p = ESTATE_SIZES[size];
      const got = counts(size);
      expect(got.projects).toBe(p.projects);
      expect(got.gsas).toBe(p.gsas);
      expect(got.keys).toBe(p.keys);
      expect(got.clusters).toBe(p.clusters);
      expect(got.ksas).toBe(p.ksas);
      expect(got.keySecrets).toBe(p.keySecrets);
      expect(Math.abs(got.pods - p.pods) / p.pods).toBeLessThan(0.03);
      // The shared GSA's KSAs in WI clusters are bound (org-s and org-m stay under IAM's 1,500 limit).
      expect(got.hubBound).toBeGreaterThan(0);
      expect(got.hubBound).toBeLessThanOrEqual(Math.min(1500, p.hubKsas));
    }
  });

  it("name the sizes of the issue: org-m, org-l and org-xl", () => {
    expect(ESTATE_SIZES["org-m"]).toMatchObject({ projects: 50, gsas: 2_000, keys: 3_000, clusters: 20, pods: 10_000 });
    expect(ESTATE_SIZES["org-l"]).toMatchObject({ projects: 200, gsas: 10_000, keys: 15_000, clusters: 50, pods: 50_000, ksas: 10_000, keySecrets: 2_000 });
    expect(ESTATE_SIZES["org-xl"]).toMatchObject({ projects: 2_000, gsas: 100_000, keys: 150_000, clusters: 500, pods: 500_000, ksas: 100_000, keySecrets: 20_000 });
  });

  it("reject nonsense parameters through the estate schema, naming the problem", () => {
    expect(() => generateEstate({ ...ESTATE_SIZES["org-s"], nodesPerPool: 5000 })).toThrow(/initialNodeCount/);
  });

  describe("scanned", () => {
    let t: TestDatabase;
    let sim: Simulator;
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await simulatorFor(generateEstate("org-s", { seed: 5 }));
    });
    afterAll(async () => {
      await sim.close();
      await t.drop();
    });

    it("mix migrated, legacy and broken workloads: the findings of each kind appear", async () => {
      const r = await scanWith(t.db, sim);
      expect(r.status).toBe("succeeded");
      const rules = await t.db.pool.query<{ rule: string; n: number }>(
        `select rule, count(*)::int as n from analysis_object where kind = 'finding' and valid_to is null group by 1 order by 1`,
      );
      const fired = new Set(rules.rows.map((x) => x.rule));
      for (const rule of [
        "cluster-wi-disabled",
        "nodepool-legacy-metadata",
        "nodepool-default-compute-sa",
        "workload-on-legacy-node",
        "workload-default-ksa",
        "workload-uses-key-file",
        "key-in-secret",
        "key-in-secret-dead",
        "key-user-managed",
        "key-not-rotated",
        "ksa-annotation-gsa-missing",
        "ksa-annotation-unbound",
        "ksa-annotation-malformed",
        "binding-without-annotation",
        "binding-stale",
        "gsa-shared",
        "gsa-broad-role",
      ]) {
        expect(fired, rule).toContain(rule);
      }
      const states = await t.db.pool.query<{ state: string; n: number }>(
        `select state, count(*)::int as n from analysis_object where kind = 'workload-status' and valid_to is null group by 1`,
      );
      const byState = Object.fromEntries(states.rows.map((x) => [x.state, x.n]));
      // Both kinds in numbers, migrated the larger share (the mix asks for 55 % in WI clusters).
      expect(byState["migrated"]).toBeGreaterThan(20);
      expect(byState["not-migrated"]).toBeGreaterThan(20);
    });
  });
});
