/**
 * IAM as Google evaluates it: deny-rule matching (v2 permission groups and principal identifiers),
 * deleted members, and which roles carry iam.serviceAccounts.getAccessToken.
 */
import { describe, expect, it } from "vitest";
import { AnalysisContext } from "./context";
import { denyPermissionCovers, denyPrincipalCovers, parseDeletedMember, roleVerdict } from "./iam";
import type { CustomRoleData, InventoryRecord } from "../inventory/model";

const POOL = "acme-prod.svc.id.goog";
const PREFIX = `iam.googleapis.com/projects/483920175264/locations/global/workloadIdentityPools/${POOL}`;
const WHO = { pool: POOL, cluster: "cluster:acme-prod/asia-northeast1/prod", ns: "payments", ksa: "payments-api" };

describe("denyPermissionCovers", () => {
  it("matches getAccessToken exactly and through every documented permission group of its service", () => {
    const p = "iam.googleapis.com/serviceAccounts.getAccessToken";
    expect(["iam.googleapis.com/serviceAccounts.getAccessToken", "iam.googleapis.com/serviceAccounts.*", "iam.googleapis.com/*.getAccessToken", "iam.googleapis.com/*.*"].map((x) => denyPermissionCovers(x, p))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it("does not match another permission, resource or service, nor a v1 name", () => {
    const p = "iam.googleapis.com/serviceAccounts.getAccessToken";
    expect(
      [
        "iam.googleapis.com/serviceAccounts.getOpenIdToken",
        "iam.googleapis.com/serviceAccountKeys.*",
        "iamcredentials.googleapis.com/*.*",
        "iam.serviceAccounts.getAccessToken",
        "iam.googleapis.com/*.get",
      ].map((x) => denyPermissionCovers(x, p)),
    ).toEqual([false, false, false, false, false]);
  });
});

describe("denyPrincipalCovers", () => {
  it("covers the KSA through its principal, its namespace, its cluster, its pool and everyone", () => {
    expect(
      [
        `principal://${PREFIX}/subject/ns/payments/sa/payments-api`,
        `principalSet://${PREFIX}/namespace/payments`,
        `principalSet://${PREFIX}/kubernetes.cluster/https://container.googleapis.com/v1/projects/acme-prod/locations/asia-northeast1/clusters/prod`,
        `principalSet://${PREFIX}/*`,
        "principalSet://goog/public:all",
      ].map((x) => denyPrincipalCovers(x, WHO)),
    ).toEqual([true, true, true, true, true]);
  });

  it("does not cover it through another KSA, namespace, cluster or pool, a group, or a v1 member", () => {
    expect(
      [
        `principal://${PREFIX}/subject/ns/payments/sa/refund-worker`,
        `principalSet://${PREFIX}/namespace/web`,
        `principalSet://${PREFIX}/kubernetes.cluster/https://container.googleapis.com/v1/projects/acme-prod/locations/asia-northeast2-a/clusters/prod-osaka`,
        "principalSet://iam.googleapis.com/projects/905182736451/locations/global/workloadIdentityPools/acme-staging.svc.id.goog/*",
        "principalSet://goog/group/payments@acme.example",
        `serviceAccount:${POOL}[payments/payments-api]`,
      ].map((x) => denyPrincipalCovers(x, WHO)),
    ).toEqual([false, false, false, false, false, false]);
  });
});

describe("parseDeletedMember", () => {
  it("reads the deleted forms IAM writes, with their uid", () => {
    expect(parseDeletedMember("deleted:serviceAccount:payments-api@acme-prod.iam.gserviceaccount.com?uid=108234567890123456789")).toEqual({
      type: "serviceAccount",
      id: "payments-api@acme-prod.iam.gserviceaccount.com",
      uid: "108234567890123456789",
    });
    expect(parseDeletedMember("deleted:user:alice@acme.example?uid=123456789012345678901")).toEqual({ type: "user", id: "alice@acme.example", uid: "123456789012345678901" });
    expect(parseDeletedMember("deleted:group:old-team@acme.example?uid=9")).toEqual({ type: "group", id: "old-team@acme.example", uid: "9" });
    expect(parseDeletedMember("deleted:principal://goog/subject/bob@acme.example?uid=42")).toEqual({ type: "principal", id: "principal://goog/subject/bob@acme.example", uid: "42" });
  });

  it("leaves live members alone", () => {
    expect([`serviceAccount:${POOL}[payments/payments-api]`, "serviceAccount:a@acme-prod.iam.gserviceaccount.com", "user:alice@acme.example"].map(parseDeletedMember)).toEqual([null, null, null]);
  });
});

describe("roleVerdict", () => {
  const role = (name: string, data: Partial<CustomRoleData>): InventoryRecord<CustomRoleData> => ({
    kind: "custom-role",
    subject: `role:${name}`,
    source: "iam.roles:acme-prod",
    data: { name, title: null, includedPermissions: [], stage: "GA", deleted: false, ...data },
  });
  const ctx = new AnalysisContext({
    now: new Date("2026-11-29T00:00:00Z"),
    records: [
      role("projects/acme-prod/roles/wiLite", { includedPermissions: ["iam.serviceAccounts.getAccessToken"] }),
      role("projects/acme-prod/roles/wiDisabled", { includedPermissions: ["iam.serviceAccounts.getAccessToken"], stage: "DISABLED" }),
      role("projects/acme-prod/roles/wiDeleted", { includedPermissions: ["iam.serviceAccounts.getAccessToken"], deleted: true }),
      role("projects/acme-prod/roles/reader", { includedPermissions: ["storage.objects.get"] }),
    ],
    sources: new Map([
      ["iam.roles:acme-prod", "ok"],
      ["iam.roles:acme-data", "failed"],
      ["iam.roles:organizations/620315948271", "ok"],
    ]),
  });

  it("predefined token roles are token roles; other predefined roles are not", () => {
    expect(["roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator", "roles/editor", "roles/owner"].map((r) => roleVerdict(ctx, r).kind)).toEqual(["token", "token", "other", "other"]);
  });

  it("a custom role is a token role by its permissions, and grants nothing DISABLED, deleted or gone", () => {
    expect(roleVerdict(ctx, "projects/acme-prod/roles/wiLite")).toEqual({ kind: "token" });
    expect(roleVerdict(ctx, "projects/acme-prod/roles/reader")).toEqual({ kind: "other" });
    expect(roleVerdict(ctx, "projects/acme-prod/roles/wiDisabled")).toEqual({ kind: "inactive", why: "projects/acme-prod/roles/wiDisabled is DISABLED: it grants nothing" });
    expect(roleVerdict(ctx, "projects/acme-prod/roles/wiDeleted")).toEqual({ kind: "inactive", why: "projects/acme-prod/roles/wiDeleted is deleted: it grants nothing" });
    // Not in a list that answered in full, deleted roles included: it does not exist.
    expect(roleVerdict(ctx, "organizations/620315948271/roles/gone")).toEqual({ kind: "inactive", why: "organizations/620315948271/roles/gone does not exist (any more): it grants nothing" });
  });

  it("a custom role that could not be read is unknown, naming the source that failed", () => {
    expect(roleVerdict(ctx, "projects/acme-data/roles/wiLite")).toEqual({ kind: "unknown", lacking: ["iam.roles:acme-data"] });
    expect(roleVerdict(ctx, "projects/other-proj/roles/x")).toEqual({ kind: "unknown", lacking: ["iam.roles:other-proj"] });
  });
});
