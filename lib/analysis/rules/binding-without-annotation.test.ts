import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "binding-without-annotation";
const C = "proj-a/asia-northeast1-a/prod";
const POOL = "proj-a.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";

const INVOICE = "invoice-api@proj-a.iam.gserviceaccount.com";
const LEDGER = "ledger@proj-a.iam.gserviceaccount.com";
const LEDGER_V2 = "ledger-v2@proj-a.iam.gserviceaccount.com";
const PAYMENTS = "payments-api@proj-a.iam.gserviceaccount.com";
const READER = "billing-reader@proj-a.iam.gserviceaccount.com";

const member = (ns: string, ksa: string) => `serviceAccount:${POOL}[${ns}/${ksa}]`;
const NAMESPACE_SET = `principalSet://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/${POOL}/namespace/billing`;
const grants = (...members: string[]) => ({ bindings: [{ role: WI_USER, members }] });
const ksa = (ns: string, name: string, annotation?: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(annotation ? { annotations: { "iam.gke.io/gcp-service-account": annotation } } : {}) },
});

/**
 * The binding side (step 5) against the KSA side (step 3):
 *  - invoice-api@ grants billing/invoice-api, which exists without an annotation;
 *  - ledger@ grants billing/ledger-sync, which is annotated with ledger-v2@ instead (also bound: ok);
 *  - payments-api@ grants payments/payments-api, annotated with it (the fixed version);
 *  - billing-reader@ grants the whole billing namespace (a principalSet): that names no KSA, so the
 *    namespace's other KSAs (billing/worker, billing/default) are not "bound without annotation".
 */
function estate(faults: unknown[] = []): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "proj-a",
        projectNumber: "100000000001",
        serviceAccounts: [
          { email: INVOICE, iamPolicy: grants(member("billing", "invoice-api")) },
          { email: LEDGER, iamPolicy: grants(member("billing", "ledger-sync")) },
          { email: LEDGER_V2, iamPolicy: grants(member("billing", "ledger-sync")) },
          { email: PAYMENTS, iamPolicy: grants(member("payments", "payments-api")) },
          { email: READER, iamPolicy: grants(NAMESPACE_SET) },
        ],
        clusters: [
          {
            cluster: {
              name: "prod",
              location: "asia-northeast1-a",
              workloadIdentityConfig: { workloadPool: POOL },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [ksa("billing", "invoice-api"), ksa("billing", "ledger-sync", LEDGER_V2), ksa("billing", "worker"), ksa("payments", "payments-api", PAYMENTS)],
          },
        ],
      },
    ],
    faults,
  });
}

describe("binding-without-annotation", () => {
  describe("with every source read", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate());
    });
    const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

    it("fires on bound KSAs that are not annotated with the granting GSA; an annotated KSA and a namespace-wide principalSet do not fire", () => {
      expect(findingLines(r, RULE)).toEqual([`binding-without-annotation ksa:${C}/billing/invoice-api open`, `binding-without-annotation ksa:${C}/billing/ledger-sync open`]);
      // The principalSet is reconciled as a broad grant, not matched against billing/worker or billing/default.
      expect(r.bindings.filter((b) => b.gsa === READER).map((b) => [b.member, b.state, b.ksas])).toEqual([[NAMESPACE_SET, "broad", []]]);
    });

    it("names the grant and gives the KSA manifest annotated with the granting GSA", () => {
      const f = finding(`ksa:${C}/billing/invoice-api`);
      expect(f.severity).toBe("medium");
      expect(f.message).toBe(`${INVOICE} grants ${WI_USER} to ${member("billing", "invoice-api")}, but billing/invoice-api is not annotated.`);
      expect(f.evidence).toEqual({ binding: { resource: `gsa:${INVOICE}`, role: WI_USER, member: member("billing", "invoice-api") }, annotation: null });
      expect(f.gsa).toBe(INVOICE);
      expect(f.lacking).toBeUndefined();
      expect(f.fixes).toEqual([
        {
          kind: "kubernetes-yaml",
          title: `KSA billing/invoice-api annotated with ${INVOICE}`,
          content: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: invoice-api\n  namespace: billing\n  annotations:\n    iam.gke.io/gcp-service-account: ${INVOICE}\n`,
        },
      ]);
    });

    it("a KSA annotated with another GSA fires for the grant it does not use, quoting its annotation", () => {
      const f = finding(`ksa:${C}/billing/ledger-sync`);
      expect(f.message).toBe(`${LEDGER} grants ${WI_USER} to ${member("billing", "ledger-sync")}, but billing/ledger-sync is annotated with "${LEDGER_V2}".`);
      expect(f.evidence).toEqual({ binding: { resource: `gsa:${LEDGER}`, role: WI_USER, member: member("billing", "ledger-sync") }, annotation: LEDGER_V2 });
      expect(f.gsa).toBe(LEDGER);
      expect(f.fixes.map((x) => x.title)).toEqual([`KSA billing/ledger-sync annotated with ${LEDGER}`]);
    });
  });

  describe("when the cluster's ServiceAccount list answers 403", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate([{ match: { path: `/clusters/${C}/api/v1/serviceaccounts` }, status: 403 }]));
    });

    it("cannot tell whether the bound KSAs exist or are annotated: the bindings are unverified", () => {
      expect(r.bindings.filter((b) => b.ksaName).map((b) => [b.member, b.state])).toEqual([
        [member("billing", "invoice-api"), "unverified"],
        [member("billing", "ledger-sync"), "unverified"],
        [member("billing", "ledger-sync"), "unverified"],
        [member("payments", "payments-api"), "unverified"],
      ]);
    });

    // Regression (fixed; binding-without-annotation.ts): the rule is `absence: true` but only looks at bindings in
    // state "not-annotated"; when the KSA list of a cluster using the pool fails, those bindings are
    // "unverified" and the rule reports nothing at all, instead of reporting the bound KSAs as
    // `unverified` with `lacking` naming k8s.serviceaccounts:<cluster> (as rule.ts requires of absence
    // rules). binding-stale does report the GSAs as unverified, but under another rule and subject.
    it("reports each bound KSA as unverified, naming the ServiceAccount list it lacked", () => {
      expect(findingLines(r, RULE)).toEqual([
        `binding-without-annotation ksa:${C}/billing/invoice-api unverified`,
        `binding-without-annotation ksa:${C}/billing/ledger-sync unverified`,
        `binding-without-annotation ksa:${C}/payments/payments-api unverified`,
      ]);
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/billing/invoice-api`)!;
      expect(f.lacking).toEqual([`k8s.serviceaccounts:${C}`]);
    });
  });
});
