/**
 * Where each GSA is used — KSAs annotated with it, Secrets holding its keys — and the shared-account
 * score that ranks the "common-batch" accounts. The weights are in the README.
 */
import type { AnalysisContext } from "./context";
import type { GsaUsage } from "./model";
import { gsaProject, isAdminLikeRole, isBasicRole, rolesOf } from "./iam";

export const SCORE_WEIGHTS = {
  ksa: 1,
  namespace: 3,
  cluster: 5,
  project: 8,
  keyCopy: 4,
  basicRole: 10,
  adminRole: 6,
} as const;

export function gsaUsage(ctx: AnalysisContext): GsaUsage[] {
  const emails = new Set<string>(ctx.gsas.keys());
  const ksasBy = new Map<string, string[]>();
  for (const k of ctx.ksas.values()) {
    const a = k.data.gsaAnnotation?.trim().toLowerCase();
    if (!a) continue;
    emails.add(a);
    const list = ksasBy.get(a) ?? [];
    list.push(k.subject);
    ksasBy.set(a, list);
  }
  const secretsBy = new Map<string, string[]>();
  for (const s of ctx.secrets.values()) {
    for (const c of s.data.credentials) {
      if (!c.clientEmail) continue;
      emails.add(c.clientEmail);
      const list = secretsBy.get(c.clientEmail) ?? [];
      if (!list.includes(s.subject)) list.push(s.subject);
      secretsBy.set(c.clientEmail, list);
    }
  }
  const out: GsaUsage[] = [];
  for (const email of emails) {
    const ksas = (ksasBy.get(email) ?? []).sort();
    const keySecrets = (secretsBy.get(email) ?? []).sort();
    const places = [...ksas, ...keySecrets];
    const namespaces = [...new Set(places.map((s) => s.replace(/^[a-z]+:/, "").split("/").slice(0, 4).join("/")))].sort();
    const clusters = [...new Set(places.map((s) => `cluster:${s.replace(/^[a-z]+:/, "").split("/").slice(0, 3).join("/")}`))].sort();
    const projects = [...new Set(places.map((s) => s.replace(/^[a-z]+:/, "").split("/")[0]))].sort();
    const roles = rolesOf(ctx, email);
    const basicRoles = roles.filter((r) => isBasicRole(r.role)).map((r) => `${r.role} on ${r.resource}`);
    const adminRoles = roles.filter((r) => !isBasicRole(r.role) && isAdminLikeRole(r.role)).map((r) => `${r.role} on ${r.resource}`);
    const parts = [
      { what: "KSAs annotated with it", count: ksas.length, weight: SCORE_WEIGHTS.ksa },
      { what: "namespaces using it", count: namespaces.length, weight: SCORE_WEIGHTS.namespace },
      { what: "clusters using it", count: clusters.length, weight: SCORE_WEIGHTS.cluster },
      { what: "projects using it", count: projects.length, weight: SCORE_WEIGHTS.project },
      { what: "Secrets holding its keys", count: keySecrets.length, weight: SCORE_WEIGHTS.keyCopy },
      { what: "basic roles (owner, editor)", count: basicRoles.length, weight: SCORE_WEIGHTS.basicRole },
      { what: "admin-like roles", count: adminRoles.length, weight: SCORE_WEIGHTS.adminRole },
    ].map((p) => ({ ...p, points: p.count * p.weight }));
    out.push({
      email,
      project: gsaProject(ctx, email),
      ksas,
      namespaces,
      clusters,
      projects,
      keySecrets,
      basicRoles,
      adminRoles,
      score: parts.reduce((a, p) => a + p.points, 0),
      scoreParts: parts.filter((p) => p.count > 0),
    });
  }
  return out.sort((a, b) => b.score - a.score || (a.email < b.email ? -1 : 1));
}
