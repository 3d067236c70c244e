/**
 * Where each GSA is used — KSAs annotated with it, Secrets holding its keys — and the shared-account
 * score that ranks the "common-batch" accounts. The weights are in the README.
 *
 * The score counts distinct identities, as Workload Identity sees them: a KSA is its pool, namespace
 * and name, so the same app deployed to five clusters of a fleet (clusters sharing a workload pool) is
 * one user, not five. A cluster without a workload pool counts alone. Key Secrets count the same way:
 * one per pool, namespace and name, however many clusters a config sync copied it into.
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

/**
 * Where a cluster's KSAs get their identity: its workload pool (shared by every cluster of a fleet),
 * or — without one — the cluster alone. `project` is the pool's project (the fleet host) or the cluster's.
 */
export function identityDomain(ctx: AnalysisContext, cluster: string): { domain: string; project: string; pooled: boolean } {
  const pool = ctx.clusters.get(cluster)?.data.workloadPool;
  if (pool) return { domain: pool, project: pool.replace(/\.svc\.id\.goog$/, ""), pooled: true };
  return { domain: cluster, project: cluster.slice(8).split("/")[0], pooled: false };
}

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
    // The same places as identities: a pool (or a cluster without one), a namespace, a name.
    const identities = new Set<string>();
    const poolNamespaces = new Set<string>();
    const pools = new Set<string>();
    const keyPlaces = new Set<string>();
    const poolProjects = new Set<string>();
    for (const subject of places) {
      const [p, l, c, ns, name] = subject.replace(/^[a-z]+:/, "").split("/");
      const d = identityDomain(ctx, `cluster:${p}/${l}/${c}`);
      pools.add(d.domain);
      poolProjects.add(d.project);
      poolNamespaces.add(`${d.domain}/${ns}`);
      if (subject.startsWith("ksa:")) identities.add(`${d.domain}[${ns}/${name}]`);
      else keyPlaces.add(`${d.domain}/${ns}/${name}`);
    }
    const roles = rolesOf(ctx, email);
    const basicRoles = roles.filter((r) => isBasicRole(r.role)).map((r) => `${r.role} on ${r.resource}`);
    const adminRoles = roles.filter((r) => !isBasicRole(r.role) && isAdminLikeRole(r.role)).map((r) => `${r.role} on ${r.resource}`);
    const parts = [
      { what: "KSA identities annotated with it (pool + namespace + KSA)", count: identities.size, weight: SCORE_WEIGHTS.ksa },
      { what: "namespaces using it (once per workload pool)", count: poolNamespaces.size, weight: SCORE_WEIGHTS.namespace },
      { what: "workload pools using it (a cluster without one counts alone)", count: pools.size, weight: SCORE_WEIGHTS.cluster },
      { what: "projects of those pools and clusters", count: poolProjects.size, weight: SCORE_WEIGHTS.project },
      { what: "Secrets holding its keys (once per pool, namespace and name)", count: keyPlaces.size, weight: SCORE_WEIGHTS.keyCopy },
      { what: "basic roles (owner, editor)", count: basicRoles.length, weight: SCORE_WEIGHTS.basicRole },
      { what: "admin-like roles", count: adminRoles.length, weight: SCORE_WEIGHTS.adminRole },
      // Built field by field, not spread: ten thousand accounts × seven parts, and spreads are slow here.
    ].map((p) => ({ what: p.what, count: p.count, weight: p.weight, points: p.count * p.weight }));
    out.push({
      email,
      project: gsaProject(ctx, email),
      ksas,
      namespaces,
      clusters,
      projects,
      keySecrets,
      identities: [...identities].sort(),
      poolNamespaces: [...poolNamespaces].sort(),
      pools: [...pools].sort(),
      keyPlaces: [...keyPlaces].sort(),
      basicRoles,
      adminRoles,
      score: parts.reduce((a, p) => a + p.points, 0),
      scoreParts: parts.filter((p) => p.count > 0),
    });
  }
  return out.sort((a, b) => b.score - a.score || (a.email < b.email ? -1 : 1));
}
