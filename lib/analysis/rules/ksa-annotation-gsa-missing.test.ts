import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "ksa-annotation-gsa-missing";
const C = "proj-a/asia-northeast1-a/prod";
const GHOST = "ghost-trainer@proj-a.iam.gserviceaccount.com";
const SCORER = "model-scorer@proj-a.iam.gserviceaccount.com";
const COMPUTE = "100000000001-compute@developer.gserviceaccount.com";
const PARTNER = "partner-sync@other-proj.iam.gserviceaccount.com";

const annotated = (ns: string, name: string, email: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": email } },
});

/**
 * KSAs of one Workload Identity cluster in proj-a:
 *  - ml/trainer → ghost-trainer@proj-a, which does not exist (a typo, or deleted);
 *  - ml/scorer → model-scorer@proj-a, which exists (the fixed version);
 *  - ml/legacy → proj-a's Compute Engine default account by its number-based email, which exists;
 *  - ext/partner → a GSA of other-proj, a project outside the scan.
 */
function estate(faults: unknown[] = []): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "proj-a",
        projectNumber: "100000000001",
        serviceAccounts: [{ email: SCORER }, { email: COMPUTE, displayName: "Compute Engine default service account" }],
        clusters: [
          {
            cluster: {
              name: "prod",
              location: "asia-northeast1-a",
              workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [annotated("ml", "trainer", GHOST), annotated("ml", "scorer", SCORER), annotated("ml", "legacy", COMPUTE), annotated("ext", "partner", PARTNER)],
          },
        ],
      },
    ],
    faults,
  });
}

describe("ksa-annotation-gsa-missing", () => {
  describe("with every source read", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate());
    });
    const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

    it("fires on the KSA whose GSA is not in its project's full list; existing GSAs (default compute account included) do not fire; a project outside the scan is unverified", () => {
      expect(findingLines(r, RULE)).toEqual([`ksa-annotation-gsa-missing ksa:${C}/ext/partner unverified`, `ksa-annotation-gsa-missing ksa:${C}/ml/trainer open`]);
    });

    it("names the project it is missing from, and gives the create command and a corrected manifest", () => {
      const f = finding(`ksa:${C}/ml/trainer`);
      expect(f.severity).toBe("high");
      expect(f.message).toBe(`ml/trainer is annotated with ${GHOST}, which does not exist in proj-a.`);
      expect(f.evidence).toEqual({ annotation: GHOST, project: "proj-a" });
      expect(f.lacking).toBeUndefined();
      expect(f.gsa).toBe(GHOST);
      expect(f.fixes).toEqual([
        {
          kind: "gcloud",
          title: "Create the GSA it names and let the KSA act as it (or correct the annotation)",
          content: [
            "gcloud iam service-accounts create ghost-trainer --project=proj-a",
            "gcloud iam service-accounts add-iam-policy-binding ghost-trainer@proj-a.iam.gserviceaccount.com \\",
            "  --project=proj-a \\",
            "  --role=roles/iam.workloadIdentityUser \\",
            '  --member="serviceAccount:proj-a.svc.id.goog[ml/trainer]"',
          ].join("\n"),
        },
        {
          kind: "kubernetes-yaml",
          title: "Or point ml/trainer at an existing GSA",
          content: "# Not proven by wi-atlas's tests: which account is yours to choose (EXISTING_GSA_EMAIL).\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: trainer\n  namespace: ml\n  annotations:\n    iam.gke.io/gcp-service-account: EXISTING_GSA_EMAIL\n",
        },
      ]);
    });

    it("a GSA of a project the scan does not cover is unverified, naming that project", () => {
      const f = finding(`ksa:${C}/ext/partner`);
      expect(f.message).toBe(`ext/partner is annotated with ${PARTNER}, which could not be checked: project other-proj (not in the scan's scope).`);
      expect(f.lacking).toEqual(["project other-proj (not in the scan's scope)"]);
      expect(f.evidence).toEqual({ annotation: PARTNER, project: "other-proj" });
    });
  });

  describe("when the project's service account list answers 403", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate([{ match: { path: "/v1/projects/proj-a/serviceAccounts" }, status: 403 }]));
    });

    it("reports every KSA annotated with a proj-a GSA as unverified, whether or not it exists, naming the list it lacked", () => {
      expect(findingLines(r, RULE)).toEqual([
        `ksa-annotation-gsa-missing ksa:${C}/ext/partner unverified`,
        `ksa-annotation-gsa-missing ksa:${C}/ml/legacy unverified`,
        `ksa-annotation-gsa-missing ksa:${C}/ml/scorer unverified`,
        `ksa-annotation-gsa-missing ksa:${C}/ml/trainer unverified`,
      ]);
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/ml/trainer`)!;
      expect(f.message).toBe(`ml/trainer is annotated with ${GHOST}, which could not be checked: iam.serviceAccounts:proj-a.`);
      expect(f.lacking).toEqual(["iam.serviceAccounts:proj-a"]);
      expect(f.evidence).toEqual({ annotation: GHOST, project: "proj-a" });
    });
  });

  describe("when the missing GSA is the Compute Engine default account", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      // The same estate with the default account deleted from IAM.
      const e = YAML.parse(estate());
      e.projects[0].serviceAccounts = [{ email: SCORER }];
      r = await analyzeEstate(YAML.stringify(e));
    });

    it("fires, mapping the project number back to proj-a", () => {
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/ml/legacy`)!;
      expect(f.state).toBe("open");
      expect(f.message).toBe(`ml/legacy is annotated with ${COMPUTE}, which does not exist in proj-a.`);
    });

    // Regression (fixed; ksa-annotation-gsa-missing.ts, the first fix): it always offers
    // `gcloud iam service-accounts create ${email.split("@")[0]}`, which for the Compute Engine default
    // account is `create 100000000001-compute` — not a valid account id (ids start with a letter), and
    // the default account is not created that way (it is undeleted, or re-created by the Compute API).
    it("does not offer an invalid `gcloud iam service-accounts create` for the default compute account", () => {
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/ml/legacy`)!;
      expect(f.fixes[0].content).not.toContain("gcloud iam service-accounts create 100000000001-compute");
    });
  });
});
