/**
 * The two-sided reconciliation (`bindings`): every grant of a token role on a GSA (and on a project,
 * folder or organization) checked against the KSAs of the clusters using its workload pool.
 */
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate } from "./testing";
import type { AnalysisResult } from "./run-analysis";
import type { BindingRow } from "./model";

// ---- a small estate builder ---------------------------------------------------------------------

type Obj = Record<string, unknown>;

const A = "proj-a";
const A_NUMBER = "100000000001";
const B = "proj-b";
const C = "proj-c";
const LOC = "asia-northeast1-a";
const NS = "apps";
const POOL_A = `${A}.svc.id.goog`;
const POOL_B = `${B}.svc.id.goog`;
const POOL_C = `${C}.svc.id.goog`;
/** The pool of a project outside the estate. */
const POOL_Z = "proj-z.svc.id.goog";
const WI_USER = "roles/iam.workloadIdentityUser";

const email = (id: string) => `${id}@${A}.iam.gserviceaccount.com`;
const wiMember = (ksa: string, pool = POOL_A, ns = NS) => `serviceAccount:${pool}[${ns}/${ksa}]`;
const NS_PRINCIPAL_SET = `principalSet://iam.googleapis.com/projects/${A_NUMBER}/locations/global/workloadIdentityPools/${POOL_A}/namespace/${NS}`;
const KSA_PRINCIPAL = `principal://iam.googleapis.com/projects/${A_NUMBER}/locations/global/workloadIdentityPools/${POOL_A}/subject/ns/${NS}/sa/ok-ksa`;

const gsa = (id: string, bindings: { role: string; members: string[] }[]) => ({ email: email(id), iamPolicy: { bindings } });
const ksa = (name: string, annotation?: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: NS, ...(annotation ? { annotations: { "iam.gke.io/gcp-service-account": annotation } } : {}) },
});
const cluster = (name: string, workloadPool: string, manifests: Obj[]) => ({
  cluster: { name, location: LOC, workloadIdentityConfig: { workloadPool }, nodePools: [{ name: "wi", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }] },
  manifests,
});
const ksaSubject = (project: string, clusterName: string, name: string) => `ksa:${project}/${LOC}/${clusterName}/${NS}/${name}`;

const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "test.example" },
  projects: [
    {
      projectId: A,
      projectNumber: A_NUMBER,
      iamPolicy: {
        bindings: [
          // A token role on the whole project covers every GSA in it.
          { role: WI_USER, members: [wiMember("proj-wide")] },
          // Not a token role: not part of the reconciliation.
          { role: "roles/viewer", members: [wiMember("ok-ksa"), "group:developers@test.example"] },
        ],
      },
      serviceAccounts: [
        gsa("ok-gsa", [{ role: WI_USER, members: [wiMember("ok-ksa")] }]),
        gsa("not-annotated", [{ role: WI_USER, members: [wiMember("plain"), wiMember("elsewhere")] }]),
        gsa("stale-gsa", [{ role: WI_USER, members: [wiMember("ghost")] }]),
        gsa("unverified-gsa", [{ role: WI_USER, members: [wiMember("ghost", POOL_C)] }]),
        gsa("broad-gsa", [{ role: WI_USER, members: [NS_PRINCIPAL_SET] }]),
        gsa("other-gsa", [
          { role: "roles/iam.serviceAccountUser", members: ["user:alice@test.example"] },
          { role: WI_USER, members: ["user:bob@test.example"] },
          { role: "roles/iam.serviceAccountViewer", members: [KSA_PRINCIPAL] },
        ]),
        gsa("fleet-gsa", [{ role: WI_USER, members: [wiMember("shared"), wiMember("fleet-only")] }]),
        gsa("cross-gsa", [{ role: WI_USER, members: [wiMember("cross", POOL_B)] }]),
        gsa("outside-gsa", [{ role: WI_USER, members: [wiMember("runner", POOL_Z)] }]),
      ],
      clusters: [
        cluster("a-main", POOL_A, [
          ksa("ok-ksa", email("ok-gsa")),
          ksa("plain"),
          ksa("elsewhere", email("ok-gsa")),
          ksa("shared", email("fleet-gsa")),
        ]),
      ],
    },
    {
      projectId: B,
      projectNumber: "100000000002",
      clusters: [
        // A fleet member: project B's cluster in project A's pool.
        cluster("b-fleet", POOL_A, [ksa("shared", email("fleet-gsa")), ksa("fleet-only", email("fleet-gsa"))]),
        // Project B's own pool, whose KSA uses a GSA of project A.
        cluster("b-own", POOL_B, [ksa("cross", email("cross-gsa"))]),
      ],
    },
    {
      projectId: C,
      projectNumber: "100000000003",
      clusters: [cluster("c-broken", POOL_C, [])],
    },
  ],
  faults: [{ match: { path: `/clusters/${C}/${LOC}/c-broken/api/v1/serviceaccounts` }, status: 403 }],
});

let r: AnalysisResult;
beforeAll(async () => {
  r = await analyzeEstate(ESTATE);
});

function row(resource: string, member: string, role = WI_USER): BindingRow {
  const found = r.bindings.filter((b) => b.resource === resource && b.member === member && b.role === role);
  expect(found).toHaveLength(1);
  return found[0];
}
const onGsa = (id: string, member: string, role = WI_USER) => row(`gsa:${email(id)}`, member, role);

describe("reconciliation rows", () => {
  it("lists exactly the token-role grants on GSAs and projects, and every grant on a GSA's own policy, one row per member", () => {
    expect(r.bindings.map((b) => `${b.resource} ${b.role} ${b.member} ${b.state}`)).toEqual([
      `gsa:${email("broad-gsa")} ${WI_USER} ${NS_PRINCIPAL_SET} broad`,
      `gsa:${email("cross-gsa")} ${WI_USER} ${wiMember("cross", POOL_B)} ok`,
      `gsa:${email("fleet-gsa")} ${WI_USER} ${wiMember("fleet-only")} ok`,
      `gsa:${email("fleet-gsa")} ${WI_USER} ${wiMember("shared")} ok`,
      `gsa:${email("not-annotated")} ${WI_USER} ${wiMember("elsewhere")} not-annotated`,
      `gsa:${email("not-annotated")} ${WI_USER} ${wiMember("plain")} not-annotated`,
      `gsa:${email("ok-gsa")} ${WI_USER} ${wiMember("ok-ksa")} ok`,
      `gsa:${email("other-gsa")} roles/iam.serviceAccountUser user:alice@test.example other`,
      `gsa:${email("other-gsa")} roles/iam.serviceAccountViewer ${KSA_PRINCIPAL} other`,
      `gsa:${email("other-gsa")} ${WI_USER} user:bob@test.example other`,
      `gsa:${email("outside-gsa")} ${WI_USER} ${wiMember("runner", POOL_Z)} unverified`,
      `gsa:${email("stale-gsa")} ${WI_USER} ${wiMember("ghost")} stale`,
      `gsa:${email("unverified-gsa")} ${WI_USER} ${wiMember("ghost", POOL_C)} unverified`,
      `project:${A} ${WI_USER} ${wiMember("proj-wide")} broad`,
    ]);
  });

  it("ok: the member's KSA exists and is annotated with this GSA", () => {
    expect(onGsa("ok-gsa", wiMember("ok-ksa"))).toEqual({
      gsa: email("ok-gsa"),
      role: WI_USER,
      member: wiMember("ok-ksa"),
      resource: `gsa:${email("ok-gsa")}`,
      condition: null,
      iamCondition: null,
      pool: POOL_A,
      namespace: NS,
      ksaName: "ok-ksa",
      ksas: [ksaSubject(A, "a-main", "ok-ksa")],
      state: "ok",
      detail: `annotated on ${A}/${LOC}/a-main/${NS}/ok-ksa`,
    });
  });

  it("not-annotated: the KSA exists without the annotation, or annotated with another GSA", () => {
    expect(onGsa("not-annotated", wiMember("plain"))).toMatchObject({
      ksas: [ksaSubject(A, "a-main", "plain")],
      state: "not-annotated",
      detail: `${A}/${LOC}/a-main/${NS}/plain exists but is not annotated with ${email("not-annotated")}`,
    });
    expect(onGsa("not-annotated", wiMember("elsewhere"))).toMatchObject({
      ksas: [ksaSubject(A, "a-main", "elsewhere")],
      state: "not-annotated",
      detail: `${A}/${LOC}/a-main/${NS}/elsewhere exists but is not annotated with ${email("not-annotated")}`,
    });
  });

  it("stale: the KSA exists in no cluster using the pool, every one of them listed in full (a failing cluster on another pool does not matter)", () => {
    expect(onGsa("stale-gsa", wiMember("ghost"))).toMatchObject({
      pool: POOL_A,
      namespace: NS,
      ksaName: "ghost",
      ksas: [],
      state: "stale",
      detail: `${NS}/ghost exists in none of ${A}/${LOC}/a-main, ${B}/${LOC}/b-fleet: whoever creates it gets ${email("stale-gsa")}`,
    });
  });

  it("unverified: the serviceaccounts list of a cluster using the pool failed", () => {
    expect(onGsa("unverified-gsa", wiMember("ghost", POOL_C))).toMatchObject({
      pool: POOL_C,
      ksas: [],
      state: "unverified",
      detail: `not found, but cannot be ruled out: k8s.serviceaccounts:${C}/${LOC}/c-broken`,
    });
  });

  it("unverified: a pool no scanned cluster uses, of a project outside the scan", () => {
    expect(onGsa("outside-gsa", wiMember("runner", POOL_Z))).toMatchObject({
      pool: POOL_Z,
      ksas: [],
      state: "unverified",
      detail: `not found, but cannot be ruled out: project proj-z (not scanned): its clusters and fleet members use ${POOL_Z}`,
    });
  });

  it("broad: a principalSet for a whole namespace on a GSA", () => {
    expect(onGsa("broad-gsa", NS_PRINCIPAL_SET)).toEqual({
      gsa: email("broad-gsa"),
      role: WI_USER,
      member: NS_PRINCIPAL_SET,
      resource: `gsa:${email("broad-gsa")}`,
      condition: null,
      iamCondition: null,
      pool: POOL_A,
      namespace: NS,
      ksaName: null,
      ksas: [],
      state: "broad",
      detail: `a principalSet: every KSA in namespace ${NS} can act as this GSA`,
    });
  });

  it("broad: workloadIdentityUser granted on a project, for every GSA there (gsa `*`)", () => {
    expect(row(`project:${A}`, wiMember("proj-wide"))).toEqual({
      gsa: "*",
      role: WI_USER,
      member: wiMember("proj-wide"),
      resource: `project:${A}`,
      condition: null,
      iamCondition: null,
      pool: POOL_A,
      namespace: NS,
      ksaName: "proj-wide",
      ksas: [],
      state: "broad",
      detail: `granted on project:${A}: applies to every service account there, including future ones`,
    });
  });

  it("other: a user member, whatever the role; a Kubernetes principal with a role that is not a token role", () => {
    expect(onGsa("other-gsa", "user:alice@test.example", "roles/iam.serviceAccountUser")).toMatchObject({ pool: null, namespace: null, ksaName: null, ksas: [], state: "other", detail: "not a Kubernetes identity" });
    expect(onGsa("other-gsa", "user:bob@test.example")).toMatchObject({ pool: null, ksas: [], state: "other", detail: "not a Kubernetes identity" });
    expect(onGsa("other-gsa", KSA_PRINCIPAL, "roles/iam.serviceAccountViewer")).toMatchObject({ pool: POOL_A, ksas: [], state: "other", detail: "direct role for a Kubernetes identity" });
  });
});

describe("across clusters and projects", () => {
  it("two clusters sharing a pool: the KSA in either cluster counts, and both are listed when both have it", () => {
    expect(onGsa("fleet-gsa", wiMember("shared"))).toMatchObject({
      state: "ok",
      ksas: [ksaSubject(A, "a-main", "shared"), ksaSubject(B, "b-fleet", "shared")],
      detail: `annotated on ${A}/${LOC}/a-main/${NS}/shared, ${B}/${LOC}/b-fleet/${NS}/shared`,
    });
    expect(onGsa("fleet-gsa", wiMember("fleet-only"))).toMatchObject({ state: "ok", ksas: [ksaSubject(B, "b-fleet", "fleet-only")] });
  });

  it("a GSA in project A bound to a KSA of a cluster in project B's pool: ok", () => {
    expect(onGsa("cross-gsa", wiMember("cross", POOL_B))).toEqual({
      gsa: email("cross-gsa"),
      role: WI_USER,
      member: wiMember("cross", POOL_B),
      resource: `gsa:${email("cross-gsa")}`,
      condition: null,
      iamCondition: null,
      pool: POOL_B,
      namespace: NS,
      ksaName: "cross",
      ksas: [ksaSubject(B, "b-own", "cross")],
      state: "ok",
      detail: `annotated on ${B}/${LOC}/b-own/${NS}/cross`,
    });
  });
});

/**
 * How Google counts roles and members: `report-gen@` was deleted and recreated under the same email
 * (new uniqueId), so the project policy still grants the old one as `deleted:serviceAccount:…?uid=…`;
 * a custom token role is granted on a GSA, another custom role of a project whose roles cannot be
 * read is granted to a KSA that exists but is not annotated.
 */
describe("custom roles and deleted members", () => {
  const OLD_UID = "117000000000000000001";
  const NEW_UID = "117000000000000000002";
  const REPORT = `report-gen@${A}.iam.gserviceaccount.com`;
  const LITE = `organizations/111111111111/roles/wiLite`;
  const UNREAD = `projects/proj-y/roles/wiUser`;
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(
      YAML.stringify({
        now: "2026-11-29T00:00:00Z",
        organization: {
          name: "organizations/111111111111",
          displayName: "test.example",
          customRoles: [{ name: LITE, includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "GA" }],
        },
        projects: [
          {
            projectId: A,
            projectNumber: A_NUMBER,
            iamPolicy: {
              bindings: [
                { role: "roles/bigquery.dataViewer", members: [`deleted:serviceAccount:${REPORT}?uid=${OLD_UID}`, "group:analysts@test.example"] },
                { role: "roles/bigquery.jobUser", members: [`deleted:user:former-employee@test.example?uid=999`] },
              ],
            },
            serviceAccounts: [
              { email: REPORT, uniqueId: NEW_UID, iamPolicy: { bindings: [{ role: LITE, members: [wiMember("report")] }] } },
              { email: email("vendor-gsa"), iamPolicy: { bindings: [{ role: UNREAD, members: [wiMember("vendor")] }] } },
            ],
            clusters: [cluster("a-main", POOL_A, [ksa("report", REPORT), ksa("vendor")])],
          },
        ],
        faults: [{ match: { path: "/v1/projects/proj-y/roles/**" }, status: 403 }],
      }),
    );
  });

  it("a deleted account's leftover grant on the project is shown as deleted, under the live account of the same email, which does not get it", () => {
    expect(r.bindings.filter((b) => b.resource === `project:${A}`)).toEqual([
      {
        gsa: REPORT,
        role: "roles/bigquery.dataViewer",
        member: `deleted:serviceAccount:${REPORT}?uid=${OLD_UID}`,
        resource: `project:${A}`,
        condition: null,
        iamCondition: null,
        pool: null,
        namespace: null,
        ksaName: null,
        ksas: [],
        state: "deleted",
        detail: `granted to a deleted serviceAccount (uid ${OLD_UID}): it grants nothing; ${REPORT} exists again as another account (uid ${NEW_UID}), which does not get this grant`,
      },
    ]);
  });

  it("a custom role holding getAccessToken reconciles like workloadIdentityUser", () => {
    expect(r.bindings.find((b) => b.gsa === REPORT && b.role === LITE)).toMatchObject({ state: "ok", ksas: [ksaSubject(A, "a-main", "report")] });
  });

  it("a KSA granted an unreadable custom role is unverified, naming the role's source, and binding-without-annotation says so", () => {
    expect(r.bindings.find((b) => b.gsa === email("vendor-gsa"))).toMatchObject({
      state: "unverified",
      lacking: [`iam.roles:${UNREAD}`],
      detail: `${A}/${LOC}/a-main/${NS}/vendor exists but is not annotated with ${email("vendor-gsa")}; ${UNREAD} could not be read (iam.roles:${UNREAD}), so whether it lets the member act as the GSA cannot be told`,
    });
    expect(r.findings.filter((f) => f.rule === "binding-without-annotation").map((f) => [f.subject, f.state, f.lacking])).toEqual([
      [ksaSubject(A, "a-main", "vendor"), "unverified", [`iam.roles:${UNREAD}`]],
    ]);
  });
});
