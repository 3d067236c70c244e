import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { currentSubjects, estateFromYaml, scanWith, simulatorFor, testConfig } from "../testing/scan-helpers";
import { loadEstateFile } from "../simulator/load-estate";
import { generateEstate } from "../simulator/generate-estate";
import type { Simulator } from "../simulator/server";
import { DEMO_ESTATE } from "../config";

const DIRECT = testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" });
const ASSET = testConfig({ WI_ATLAS_INVENTORY_PATH: "asset" });
/** The default. */
const AUTO = testConfig();

async function versionsWritten(t: TestDatabase, scanId: number) {
  const r = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from inventory_object where valid_from = $1 or valid_to = $1`, [scanId]);
  return r.rows[0].n;
}

describe("the Cloud Asset Inventory path", () => {
  for (const [label, load] of [
    ["the demo estate", () => loadEstateFile(DEMO_ESTATE)],
    ["a generated org-s estate", () => generateEstate("org-s", { seed: 7 })],
  ] as const) {
    describe(label, () => {
      let t: TestDatabase;
      let sim: Simulator;
      beforeAll(async () => {
        t = await createTestDatabase();
        sim = await simulatorFor(load());
      });
      afterAll(async () => {
        await sim.close();
        await t.drop();
      });

      it("stores the same inventory as the direct path with far fewer IAM requests", async () => {
        const direct = await scanWith(t.db, sim, DIRECT);
        expect(direct.status).not.toBe("failed");
        const gsas = direct.summary.counts.gsa;
        // Direct: per project one account list, then per account its keys and its policy.
        expect(direct.summary.requests.iam).toBeGreaterThanOrEqual(2 * gsas);
        // On the direct path Cloud Asset is asked only which resources grant each workload pool
        // anything: one search per pool, whatever the number of KSAs.
        const pools = new Set(sim.world().clusters.map((c) => (c.json.workloadIdentityConfig as { workloadPool?: string } | undefined)?.workloadPool).filter(Boolean));
        const poolSearches = direct.outcomes.filter((o) => o.family === "asset.poolPolicies");
        expect(poolSearches.map((o) => o.scope).sort()).toEqual([...pools].map((p) => `${sim.world().estate.organization!.name}/${p}`).sort());
        expect(direct.summary.requests.cloudasset).toBe(pools.size);
        const keysBefore = await currentSubjects(t.db, "key");
        const policiesBefore = await currentSubjects(t.db, "iam-policy");

        const asset = await scanWith(t.db, sim, ASSET);
        expect(asset.status).toBe(direct.status);
        // Nothing changed in the estate, so the asset path must find exactly what IAM said:
        // no inventory object was opened or closed by the second scan.
        expect(asset.summary.written.inserted).toBe(0);
        expect(asset.summary.written.closed).toBe(0);
        expect(await currentSubjects(t.db, "key")).toEqual(keysBefore);
        expect(await currentSubjects(t.db, "iam-policy")).toEqual(policiesBefore);
        // Only the account lists remain on IAM; the searches replace 2 requests per account.
        expect(asset.summary.requests.iam).toBeLessThan(direct.summary.requests.iam / 2);
        expect(asset.summary.requests.cloudasset).toBeGreaterThanOrEqual(2);
        const sources = asset.outcomes.filter((o) => o.family === "asset.keys" || o.family === "asset.iamPolicies").map((o) => `${o.source} ${o.status}`);
        expect(sources.sort()).toEqual([`asset.iamPolicies:${sim.world().estate.organization!.name} ok`, `asset.keys:${sim.world().estate.organization!.name} ok`]);
        expect(await versionsWritten(t, asset.scanId)).toBe(0);
        expect([asset.summary.inventoryPath, asset.summary.inventoryPathSetting, asset.summary.inventoryPathReason]).toEqual([
          "asset",
          "asset",
          `via Cloud Asset Inventory (${sim.world().estate.organization!.name}), WI_ATLAS_INVENTORY_PATH=asset`,
        ]);
        expect([direct.summary.inventoryPath, direct.summary.inventoryPathReason]).toEqual(["direct", "asked IAM per account (WI_ATLAS_INVENTORY_PATH=direct)"]);
      });

      it("auto, the default, takes the asset path for an organization: the same inventory, complete, and says why", async () => {
        const direct = await scanWith(t.db, sim, DIRECT);
        const auto = await scanWith(t.db, sim, AUTO);
        const org = sim.world().estate.organization!.name;
        expect(auto.status).toBe(direct.status);
        expect(await versionsWritten(t, auto.scanId)).toBe(0);
        expect(auto.summary.requests.iam).toBeLessThan(direct.summary.requests.iam / 2);
        const sources = auto.outcomes.filter((o) => o.family === "asset.keys" || o.family === "asset.iamPolicies").map((o) => `${o.source} ${o.status}`);
        expect(sources.sort()).toEqual([`asset.iamPolicies:${org} ok`, `asset.keys:${org} ok`]);
        // Every per-project source the direct path has is there too, with the same outcome.
        const byName = (r: typeof auto) => new Map(r.outcomes.map((o) => [o.source, o.status]));
        const autoSources = byName(auto);
        expect([...byName(direct)].filter(([name, status]) => autoSources.get(name) !== status)).toEqual([]);
        expect([auto.summary.inventoryPath, auto.summary.inventoryPathSetting, auto.summary.inventoryPathReason]).toEqual([
          "asset",
          "auto",
          `via Cloud Asset Inventory (${org}), chosen by WI_ATLAS_INVENTORY_PATH=auto`,
        ]);
      });
    });
  }

  describe("its differences", () => {
    const SMALL = readFileSync("lib/simulator/estates/test/small.yaml", "utf8");
    let t: TestDatabase;
    let sim: Simulator;
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await simulatorFor(estateFromYaml(SMALL.replace('now: "2026-11-29T00:00:00Z"', 'now: "2026-11-29T00:00:00Z"\nassetLagSeconds: 3600')));
    });
    afterAll(async () => {
      await sim.close();
      await t.drop();
    });

    it("lags: a key added after the index was built is missing, an account created since is asked directly", async () => {
      const lagged = SMALL.replace('now: "2026-11-29T00:00:00Z"', 'now: "2026-11-29T00:00:00Z"\nassetLagSeconds: 3600')
        // a second key on an account the index knows
        .replace(
          `lastAuthenticatedTime: "2026-11-25T07:00:00Z"}`,
          `lastAuthenticatedTime: "2026-11-25T07:00:00Z"}\n          - {keyId: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2, validAfterTime: "2026-11-28T03:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z"}`,
        )
        // and a new account with a key, created after the index was built
        .replace(
          "    serviceAccounts:\n",
          `    serviceAccounts:\n      - email: fresh@small-prod.iam.gserviceaccount.com\n        keys:\n          - {keyId: cccccccccccccccccccccccccccccccccccccc03, validAfterTime: "2026-11-28T05:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z"}\n`,
        );
      sim.setEstate(estateFromYaml(lagged));
      const r = await scanWith(t.db, sim, ASSET);
      expect(r.status).toBe("succeeded");
      const keys = await currentSubjects(t.db, "key");
      // The new account's key is there (the index does not know the account, so IAM was asked)…
      expect(keys).toContain("key:fresh@small-prod.iam.gserviceaccount.com/cccccccccccccccccccccccccccccccccccccc03");
      // …but the key added to a known account is not: the index has not caught up yet.
      expect(keys).not.toContain("key:batch-jobs@small-prod.iam.gserviceaccount.com/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2");
      expect(r.summary.inventoryPathReason).toBe(
        "via Cloud Asset Inventory (organizations/111111111111), WI_ATLAS_INVENTORY_PATH=asset; 1 account the index did not know yet was asked directly",
      );
      // The direct path sees it at once.
      await scanWith(t.db, sim, DIRECT);
      expect(await currentSubjects(t.db, "key")).toContain("key:batch-jobs@small-prod.iam.gserviceaccount.com/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2");
    });

    it("needs permission on the organisation: without it, the scan says so and asks IAM per account instead", async () => {
      const denied = SMALL.replace(
        'now: "2026-11-29T00:00:00Z"',
        'now: "2026-11-29T00:00:00Z"\nfaults:\n  - {match: {path: "/v1/organizations/*:searchAllResources"}, status: 403}\n  - {match: {path: "/v1/organizations/*:searchAllIamPolicies"}, status: 403}',
      );
      sim.setEstate(estateFromYaml(denied));
      const r = await scanWith(t.db, sim, ASSET);
      expect(r.status).toBe("partial");
      const keysSource = r.outcomes.find((o) => o.family === "asset.keys")!;
      expect(keysSource.status).toBe("failed");
      expect(keysSource.httpStatus).toBe(403);
      expect(keysSource.permission).toBe("cloudasset.assets.searchAllResources");
      // Nothing is lost: keys and policies came from IAM directly.
      expect(r.outcomes.find((o) => o.source === "iam.keys:small-prod")!.status).toBe("ok");
      expect(await currentSubjects(t.db, "key")).toContain("key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
      expect(r.summary.requests.iam).toBeGreaterThanOrEqual(1 + 2 * r.summary.counts.gsa);
      expect([r.summary.inventoryPath, r.summary.inventoryPathReason]).toEqual(["direct", "asked IAM per account: cloudasset.assets.searchAllResources was refused on organizations/111111111111"]);
      // The pool search is optional: denied, it is skipped with the permission named (not a failure).
      const pool = r.outcomes.find((o) => o.family === "asset.poolPolicies")!;
      expect([pool.source, pool.status, pool.httpStatus, pool.permission]).toEqual([
        "asset.poolPolicies:organizations/111111111111/small-prod.svc.id.goog",
        "skipped",
        403,
        "cloudasset.assets.searchAllIamPolicies",
      ]);
    });

    const withFaults = (faults: string[]) => estateFromYaml(SMALL.replace('now: "2026-11-29T00:00:00Z"', `now: "2026-11-29T00:00:00Z"\nfaults:\n${faults.map((f) => `  - ${f}`).join("\n")}`));
    const assetSources = (r: Awaited<ReturnType<typeof scanWith>>) =>
      r.outcomes.filter((o) => o.family === "asset.keys" || o.family === "asset.iamPolicies").map((o) => [o.source, o.status, o.httpStatus, o.permission]).sort();

    it("auto: searches refused for want of permission are skipped (optional), IAM is asked per account, and the scan is complete", async () => {
      sim.setEstate(withFaults(['{match: {path: "/v1/organizations/*:searchAllResources"}, status: 403}', '{match: {path: "/v1/organizations/*:searchAllIamPolicies"}, status: 403}']));
      const r = await scanWith(t.db, sim, AUTO);
      expect(r.status).toBe("succeeded");
      expect(assetSources(r)).toEqual([
        ["asset.iamPolicies:organizations/111111111111", "skipped", 403, "cloudasset.assets.searchAllIamPolicies"],
        ["asset.keys:organizations/111111111111", "skipped", 403, "cloudasset.assets.searchAllResources"],
      ]);
      expect(r.outcomes.find((o) => o.source === "asset.keys:organizations/111111111111")!.error).toBe(
        "not used (optional): cloudasset.assets.searchAllResources was refused on organizations/111111111111 — keys and GSA policies were asked of IAM per account instead (WI_ATLAS_INVENTORY_PATH=auto)",
      );
      expect(r.outcomes.find((o) => o.source === "iam.keys:small-prod")!.status).toBe("ok");
      expect(r.outcomes.find((o) => o.source === "iam.serviceAccountPolicies:small-prod")!.status).toBe("ok");
      expect(await currentSubjects(t.db, "key")).toContain("key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
      expect(r.summary.requests.iam).toBeGreaterThanOrEqual(1 + 2 * r.summary.counts.gsa);
      expect([r.summary.inventoryPath, r.summary.inventoryPathSetting, r.summary.inventoryPathReason]).toEqual([
        "direct",
        "auto",
        "asked IAM per account: cloudasset.assets.searchAllResources was refused on organizations/111111111111",
      ]);
    });

    it("auto: the Cloud Asset API off in the scanner's project (SERVICE_DISABLED) is skipped too, naming the project", async () => {
      sim.setEstate(withFaults(['{match: {path: "/v1/organizations/*:searchAll*"}, status: 403, reason: SERVICE_DISABLED, consumer: "987654321098"}']));
      const r = await scanWith(t.db, sim, AUTO);
      expect(r.status).toBe("succeeded");
      expect(assetSources(r)).toEqual([
        ["asset.iamPolicies:organizations/111111111111", "skipped", 403, undefined],
        ["asset.keys:organizations/111111111111", "skipped", 403, undefined],
      ]);
      expect(r.summary.inventoryPathReason).toBe("asked IAM per account: the Cloud Asset API (cloudasset.googleapis.com) is not enabled in projects/987654321098");
      expect(await currentSubjects(t.db, "key")).toContain("key:batch-jobs@small-prod.iam.gserviceaccount.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
    });

    it("auto: a policy search that fails otherwise leaves the keys on the index and asks the policies directly", async () => {
      sim.setEstate(withFaults(['{match: {path: "/v1/organizations/*:searchAllIamPolicies"}, status: 500}']));
      const r = await scanWith(t.db, sim, AUTO);
      // The pool search fails the same way; it is not an inventory-path source and keeps its own outcome.
      expect(assetSources(r)).toEqual([
        ["asset.iamPolicies:organizations/111111111111", "skipped", 500, undefined],
        ["asset.keys:organizations/111111111111", "ok", undefined, undefined],
      ]);
      expect(r.outcomes.find((o) => o.source === "iam.serviceAccountPolicies:small-prod")!.status).toBe("ok");
      expect(r.outcomes.find((o) => o.source === "iam.keys:small-prod")!.requests).toBe(0);
      expect(r.summary.inventoryPath).toBe("asset");
      expect(r.summary.inventoryPathReason).toMatch(
        /^keys via Cloud Asset Inventory \(organizations\/111111111111, chosen by WI_ATLAS_INVENTORY_PATH=auto\); GSA policies asked of IAM per account: the search over organizations\/111111111111 failed: /,
      );
      expect(await currentSubjects(t.db, "iam-policy")).toContain("gsa:api-server@small-prod.iam.gserviceaccount.com");
    });
  });
});
