import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";
import { metadataIdentity } from "../identity";

const RULE = "ksa-annotation-unbound";
const C = "proj-a/asia-northeast1-a/prod";
const POOL = "proj-a.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";
const GKE_MD = "iam.gke.io/gke-metadata-server-enabled";

const ORDERS = "orders-api@proj-a.iam.gserviceaccount.com";
const PAYMENTS = "payments-api@proj-a.iam.gserviceaccount.com";
const EXPORTER = "report-exporter@proj-a.iam.gserviceaccount.com";
const INDEXER = "search-indexer@proj-a.iam.gserviceaccount.com";
const INVOICE = "invoice-svc@proj-b.iam.gserviceaccount.com";
const REFUND = "refund-svc@proj-b.iam.gserviceaccount.com";

const member = (ns: string, ksa: string) => `serviceAccount:${POOL}[${ns}/${ksa}]`;
const annotated = (ns: string, name: string, email: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": email } },
});

/**
 * KSAs of one Workload Identity cluster in proj-a, each annotated with a GSA:
 *  - orders/orders-api → orders-api@proj-a, which grants nobody: the one-sided link;
 *  - payments/payments-api → payments-api@proj-a, bound on the GSA (the fixed version);
 *  - billing/invoicer → invoice-svc@proj-b, granted on proj-b's project policy (the GSA's project);
 *  - billing/refunder → refund-svc@proj-b, granted on proj-a's project policy — not the GSA's project, so no grant;
 *  - reports/exporter → report-exporter@proj-a, granted under an IAM condition;
 *  - search/indexer → a disabled GSA, ml/trainer → a GSA that does not exist (other rules say those better).
 */
function estate(faults: unknown[] = []): string {
  return YAML.stringify({
    now: "2026-11-29T00:00:00Z",
    organization: { name: "organizations/111111111111", displayName: "example.test" },
    projects: [
      {
        projectId: "proj-a",
        projectNumber: "100000000001",
        iamPolicy: { bindings: [{ role: WI_USER, members: [member("billing", "refunder")] }] },
        serviceAccounts: [
          { email: ORDERS },
          { email: PAYMENTS, iamPolicy: { bindings: [{ role: WI_USER, members: [member("payments", "payments-api")] }] } },
          {
            email: EXPORTER,
            iamPolicy: {
              version: 3,
              bindings: [
                {
                  role: WI_USER,
                  members: [member("reports", "exporter")],
                  condition: { title: "until-2027", expression: 'request.time < timestamp("2027-01-01T00:00:00Z")' },
                },
              ],
            },
          },
          { email: INDEXER, disabled: true },
        ],
        clusters: [
          {
            cluster: {
              name: "prod",
              location: "asia-northeast1-a",
              workloadIdentityConfig: { workloadPool: POOL },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [
              annotated("orders", "orders-api", ORDERS),
              annotated("payments", "payments-api", PAYMENTS),
              annotated("billing", "invoicer", INVOICE),
              annotated("billing", "refunder", REFUND),
              annotated("reports", "exporter", EXPORTER),
              annotated("search", "indexer", INDEXER),
              annotated("ml", "trainer", "ghost-trainer@proj-a.iam.gserviceaccount.com"),
              {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "orders-api", namespace: "orders" },
                spec: {
                  replicas: 1,
                  template: {
                    metadata: { labels: { app: "orders-api" } },
                    spec: { serviceAccountName: "orders-api", nodeSelector: { [GKE_MD]: "true" }, containers: [{ name: "api", image: "gcr.io/proj-a/orders:1.0" }] },
                  },
                },
              },
            ],
          },
        ],
      },
      {
        projectId: "proj-b",
        projectNumber: "100000000002",
        iamPolicy: { bindings: [{ role: WI_USER, members: [member("billing", "invoicer")] }] },
        serviceAccounts: [{ email: INVOICE }, { email: REFUND }],
      },
    ],
    faults,
  });
}

describe("ksa-annotation-unbound", () => {
  describe("with every source read", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(estate());
    });
    const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

    it("fires on KSAs whose GSA grants them nothing, even when the grant sits on another project than the GSA's; bound, project-granted and conditionally granted KSAs do not fire", () => {
      expect(findingLines(r, RULE)).toEqual([`ksa-annotation-unbound ksa:${C}/billing/refunder open`, `ksa-annotation-unbound ksa:${C}/orders/orders-api open`]);
      // The near misses resolve as they should: the grant on proj-b counts, the conditional one is conditional.
      const link = (ns: string, ksa: string) => {
        const id = metadataIdentity(r.context, `cluster:${C}`, ns, ksa);
        return id.type === "workload-identity" ? { status: id.status, grants: id.grants } : id.type;
      };
      expect(link("billing", "invoicer")).toEqual({
        status: "working",
        grants: [{ resource: "project:proj-b", role: WI_USER, member: member("billing", "invoicer"), condition: null }],
      });
      expect(link("reports", "exporter")).toEqual({
        status: "conditional",
        grants: [{ resource: `gsa:${EXPORTER}`, role: WI_USER, member: member("reports", "exporter"), condition: "until-2027" }],
      });
      expect(link("payments", "payments-api")).toMatchObject({ status: "working" });
      expect(r.statuses.find((s) => s.subject === `workload:${C}/orders/Deployment/orders-api`)!.identity.label).toBe(`${ORDERS} (broken)`);
    });

    it("names the missing member and gives the binding in Terraform and gcloud, and the in-pod check", () => {
      const f = finding(`ksa:${C}/orders/orders-api`);
      expect(f.severity).toBe("high");
      expect(f.message).toBe(`orders/orders-api is annotated with ${ORDERS}, which does not grant ${WI_USER} to ${POOL}[orders/orders-api].`);
      expect(f.evidence).toEqual({ annotation: ORDERS, pool: POOL, grantsFound: [] });
      expect(f.lacking).toBeUndefined();
      expect(f.gsa).toBe(ORDERS);
      expect(f.fixes).toEqual([
        {
          kind: "terraform",
          title: `Terraform: let orders/orders-api act as ${ORDERS}`,
          content:
            'resource "google_service_account_iam_member" "orders_api_orders_orders_api_wi" {\n' +
            `  service_account_id = "projects/proj-a/serviceAccounts/${ORDERS}"\n` +
            `  role               = "${WI_USER}"\n` +
            `  member             = "${member("orders", "orders-api")}"\n}\n`,
        },
        {
          kind: "gcloud",
          title: `Grant ${WI_USER} to ${POOL}[orders/orders-api]`,
          content: `gcloud iam service-accounts add-iam-policy-binding ${ORDERS} \\\n  --project=proj-a \\\n  --role=${WI_USER} \\\n  --member="${member("orders", "orders-api")}"`,
        },
        {
          kind: "kubectl",
          title: `Check: a pod running as orders/orders-api gets a token as ${ORDERS}`,
          content:
          "gcloud container clusters get-credentials prod --location asia-northeast1-a --project proj-a\n" +
          "kubectl --context gke_proj-a_asia-northeast1-a_prod -n orders run wi-check --rm -i --restart=Never \\\n" +
          `  --image=google/cloud-sdk:slim --overrides='{"apiVersion":"v1","spec":{"serviceAccountName":"orders-api","nodeSelector":{"${GKE_MD}":"true"}}}' \\\n` +
          `  -- sh -c 'curl -sS -H "Metadata-Flavor: Google" http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/email; echo; curl -sS -o /dev/null -w "token request: %{http_code}\\n" -H "Metadata-Flavor: Google" http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token'\n` +
          `# Expect the email ${ORDERS}, then "token request: 200": a pod running as orders/orders-api got a token.\n` +
          "# Any other status means the link is broken (binding missing, GSA disabled or deleted). The email line alone proves\n" +
          "# nothing: the metadata server, and so gcloud auth list, shows the annotated email even when the binding is missing.\n" +
          "# Not proven by wi-atlas's tests: it needs a running container (a pod asking the GKE metadata server for a token).",
        },
      ]);
    });

    it("a grant on the cluster's project does not cover a GSA of another project: the fix binds on the GSA's own project", () => {
      const f = finding(`ksa:${C}/billing/refunder`);
      expect(f.message).toBe(`billing/refunder is annotated with ${REFUND}, which does not grant ${WI_USER} to ${POOL}[billing/refunder].`);
      expect(f.evidence).toEqual({ annotation: REFUND, pool: POOL, grantsFound: [] });
      expect(f.fixes[1].content).toBe(`gcloud iam service-accounts add-iam-policy-binding ${REFUND} \\\n  --project=proj-b \\\n  --role=${WI_USER} \\\n  --member="${member("billing", "refunder")}"`);
    });

    it("leaves a disabled or missing GSA to the rules that say so", () => {
      expect(findingLines(r).filter((l) => l.includes("/search/indexer ") || l.includes("/ml/trainer "))).toEqual([
        `ksa-annotation-gsa-disabled ksa:${C}/search/indexer open`,
        `ksa-annotation-gsa-missing ksa:${C}/ml/trainer open`,
      ]);
    });
  });

  describe("when a policy that could grant it could not be read (403)", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(
        estate([
          // orders-api@'s own policy, and proj-b's project policy (which could grant on every GSA of proj-b).
          { match: { path: "/v1/projects/proj-a/serviceAccounts/orders-api*:getIamPolicy" }, status: 403 },
          { match: { path: "/v*/projects/proj-b:getIamPolicy" }, status: 403 },
        ]),
      );
    });
    const finding = (subject: string) => r.findings.find((f) => f.rule === RULE && f.subject === subject)!;

    it("reports the KSAs it cannot decide as unverified, and still decides the ones whose policies were read", () => {
      expect(findingLines(r, RULE)).toEqual([
        `ksa-annotation-unbound ksa:${C}/billing/invoicer unverified`,
        `ksa-annotation-unbound ksa:${C}/billing/refunder unverified`,
        `ksa-annotation-unbound ksa:${C}/orders/orders-api unverified`,
      ]);
    });

    it("names the GSA policy it lacked", () => {
      const f = finding(`ksa:${C}/orders/orders-api`);
      expect(f.message).toBe(`orders/orders-api is annotated with ${ORDERS}; whether it is granted cannot be told: the IAM policies that could grant it were not all readable.`);
      expect(f.lacking).toEqual(["iam.serviceAccountPolicies:proj-a"]);
      expect(f.evidence).toEqual({ annotation: ORDERS, pool: POOL, grantsFound: [] });
      expect(f.fixes.map((x) => x.kind)).toEqual(["terraform", "gcloud", "kubectl"]);
    });

    it("names the GSA's project policy it lacked", () => {
      expect(finding(`ksa:${C}/billing/invoicer`).lacking).toEqual(["crm.iamPolicy:projects/proj-b"]);
      expect(finding(`ksa:${C}/billing/refunder`).lacking).toEqual(["crm.iamPolicy:projects/proj-b"]);
    });
  });
});

/**
 * Custom roles, as organisations write them: an organization role "workloadIdentityUserLite" holding
 * only getAccessToken (granted to KSAs instead of the predefined role), a project role that was
 * DISABLED after an incident but is still bound, one deleted, and one in a project whose roles the
 * scanner may not list.
 */
describe("ksa-annotation-unbound with custom roles", () => {
  const ORG_ROLE = "organizations/620315948271/roles/workloadIdentityUserLite";
  const DISABLED_ROLE = "projects/proj-a/roles/legacyTokenMinter";
  const DELETED_ROLE = "projects/proj-a/roles/oldWiUser";
  const FOREIGN_ROLE = "projects/proj-b/roles/wiUser";
  const gsaOf = (id: string) => `${id}@proj-a.iam.gserviceaccount.com`;
  const customEstate = (faults: unknown[] = []) =>
    YAML.stringify({
      now: "2026-11-29T00:00:00Z",
      organization: {
        name: "organizations/620315948271",
        displayName: "acme.example",
        customRoles: [
          {
            name: ORG_ROLE,
            title: "Workload Identity User (lite)",
            description: "Only what GKE Workload Identity needs: mint access tokens.",
            includedPermissions: ["iam.serviceAccounts.getAccessToken"],
            stage: "GA",
          },
        ],
      },
      projects: [
        {
          projectId: "proj-a",
          projectNumber: "100000000001",
          customRoles: [
            { name: DISABLED_ROLE, title: "Legacy token minter", includedPermissions: ["iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signJwt"], stage: "DISABLED" },
            { name: DELETED_ROLE, title: "Old WI user", includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "GA", deleted: true },
          ],
          serviceAccounts: [
            { email: gsaOf("lite-app"), iamPolicy: { bindings: [{ role: ORG_ROLE, members: [member("web", "lite-app")] }] } },
            { email: gsaOf("disabled"), iamPolicy: { bindings: [{ role: DISABLED_ROLE, members: [member("web", "disabled")] }] } },
            { email: gsaOf("deleted"), iamPolicy: { bindings: [{ role: DELETED_ROLE, members: [member("web", "deleted")] }] } },
            { email: gsaOf("foreign"), iamPolicy: { bindings: [{ role: FOREIGN_ROLE, members: [member("web", "foreign")] }] } },
          ],
          clusters: [
            {
              cluster: {
                name: "prod",
                location: "asia-northeast1-a",
                workloadIdentityConfig: { workloadPool: POOL },
                nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
              },
              manifests: ["lite-app", "disabled", "deleted", "foreign"].map((n) => annotated("web", n, gsaOf(n))),
            },
          ],
        },
        {
          projectId: "proj-b",
          projectNumber: "100000000002",
          customRoles: [{ name: FOREIGN_ROLE, includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "GA" }],
        },
      ],
      faults,
    });
  const link = (r: AnalysisResult, ksa: string) => metadataIdentity(r.context, `cluster:${C}`, "web", ksa);

  describe("every role read", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(customEstate());
    });

    it("a custom role holding getAccessToken is a token role: the link works and nothing fires", () => {
      expect(link(r, "lite-app")).toMatchObject({ status: "working", reason: `granted ${ORG_ROLE} to ${member("web", "lite-app")} on gsa:${gsaOf("lite-app")}` });
      expect(link(r, "foreign")).toMatchObject({ status: "working" });
      expect(findingLines(r, RULE)).toEqual([`${RULE} ksa:${C}/web/deleted open`, `${RULE} ksa:${C}/web/disabled open`]);
    });

    it("a DISABLED or deleted custom role grants nothing: the link is broken, and the message says why", () => {
      expect(link(r, "disabled")).toMatchObject({ status: "broken" });
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/web/disabled`)!;
      expect(f.message).toBe(
        `web/disabled is annotated with ${gsaOf("disabled")}, which does not grant ${WI_USER} to ${POOL}[web/disabled] (granted only ${DISABLED_ROLE} to ${member("web", "disabled")} on gsa:${gsaOf("disabled")}, and ${DISABLED_ROLE} is DISABLED: it grants nothing).`,
      );
      expect(r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/web/deleted`)!.message).toContain(`${DELETED_ROLE} is deleted: it grants nothing`);
    });
  });

  describe("when a project's custom roles cannot be read (403 on roles.list and roles.get)", () => {
    let r: AnalysisResult;
    beforeAll(async () => {
      r = await analyzeEstate(customEstate([{ match: { path: "/v1/projects/proj-b/roles**" }, status: 403 }]));
    });

    it("the link granted through it is unknown and the finding unverified, naming the role it could not read — never open", () => {
      expect(link(r, "foreign")).toMatchObject({ status: "unknown", lacking: [`iam.roles:${FOREIGN_ROLE}`] });
      const f = r.findings.find((x) => x.rule === RULE && x.subject === `ksa:${C}/web/foreign`)!;
      expect(f.state).toBe("unverified");
      expect(f.lacking).toEqual([`iam.roles:${FOREIGN_ROLE}`]);
      expect(f.message).toBe(
        `web/foreign is annotated with ${gsaOf("foreign")}; whether it is granted cannot be told: granted ${FOREIGN_ROLE} to ${member("web", "foreign")} on gsa:${gsaOf("foreign")}, a custom role whose permissions could not be read.`,
      );
    });
  });
});
