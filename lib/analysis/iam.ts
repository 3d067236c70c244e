/**
 * IAM as Workload Identity sees it: parsing Kubernetes members, and finding the grants that let a
 * KSA act as a GSA (on the GSA, its project, folders or organization) or that give a KSA's federated
 * principal roles directly.
 */
import type { AnalysisContext } from "./context";
import type { Grant } from "./model";
import type { IamBinding } from "../inventory/model";

/** Roles that carry iam.serviceAccounts.getAccessToken on a service account. */
export const TOKEN_ROLES = new Set(["roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator"]);

export type WiMember =
  /** serviceAccount:POOL[NS/KSA] — the classic Workload Identity member. */
  | { kind: "ksa"; pool: string; ns: string; ksa: string }
  /** principal://…/workloadIdentityPools/POOL/subject/ns/NS/sa/KSA */
  | { kind: "principal"; pool: string; ns: string; ksa: string }
  /** principalSet://…/workloadIdentityPools/POOL/namespace/NS */
  | { kind: "namespace"; pool: string; ns: string }
  /** principalSet://…/workloadIdentityPools/POOL/kubernetes.cluster/https://container.googleapis.com/v1/projects/P/locations/L/clusters/C */
  | { kind: "cluster"; pool: string; cluster: string }
  /** principalSet://…/workloadIdentityPools/POOL/* */
  | { kind: "pool"; pool: string };

const POOL = String.raw`principal(?:Set)?://iam\.googleapis\.com/projects/[^/]+/locations/global/workloadIdentityPools/([^/]+)`;

export function parseWiMember(member: string): WiMember | null {
  let m = /^serviceAccount:([a-z0-9.-]+\.svc\.id\.goog)\[([^/\]]+)\/([^\]]+)\]$/.exec(member);
  if (m) return { kind: "ksa", pool: m[1], ns: m[2], ksa: m[3] };
  m = new RegExp(`^${POOL}/subject/ns/([^/]+)/sa/([^/]+)$`).exec(member);
  if (m && member.startsWith("principal://")) return { kind: "principal", pool: m[1], ns: m[2], ksa: m[3] };
  m = new RegExp(`^${POOL}/namespace/([^/]+)$`).exec(member);
  if (m && member.startsWith("principalSet://")) return { kind: "namespace", pool: m[1], ns: m[2] };
  m = new RegExp(`^${POOL}/kubernetes\\.cluster/https://container\\.googleapis\\.com/v1/projects/([^/]+)/locations/([^/]+)/clusters/([^/]+)$`).exec(member);
  if (m && member.startsWith("principalSet://")) return { kind: "cluster", pool: m[1], cluster: `cluster:${m[2]}/${m[3]}/${m[4]}` };
  m = new RegExp(`^${POOL}/\\*$`).exec(member);
  if (m && member.startsWith("principalSet://")) return { kind: "pool", pool: m[1] };
  return null;
}

/** Whether `m` covers the KSA `ns/ksa` of `cluster` in `pool`. */
export function memberCovers(m: WiMember, pool: string, cluster: string, ns: string, ksa: string): boolean {
  if (m.pool !== pool) return false;
  switch (m.kind) {
    case "ksa":
    case "principal":
      return m.ns === ns && m.ksa === ksa;
    case "namespace":
      return m.ns === ns;
    case "cluster":
      return m.cluster === cluster;
    case "pool":
      return true;
  }
}

function conditionText(b: IamBinding): string | null {
  return b.condition ? b.condition.title || b.condition.expression : null;
}

type TokenEntry = { seq: number; role: string; member: string; parsed: WiMember; condition: string | null };
type TokenIndex = { byKsa: Map<string, TokenEntry[]>; other: TokenEntry[] };

/**
 * A policy's token-role grants to Kubernetes members, parsed once per analysis: KSA members by
 * `pool|ns|ksa` (one lookup per question, however many principals a shared GSA's policy holds),
 * namespace/cluster/pool principal sets in a short list.
 */
function tokenIndex(ctx: AnalysisContext, policySubject: string): TokenIndex | undefined {
  const all = ctx.memo("tokenIndex", () => new Map<string, TokenIndex | undefined>());
  if (all.has(policySubject)) return all.get(policySubject);
  const policy = ctx.policies.get(policySubject);
  let idx: TokenIndex | undefined;
  if (policy) {
    idx = { byKsa: new Map(), other: [] };
    let seq = 0;
    for (const b of policy.data.bindings) {
      if (!TOKEN_ROLES.has(b.role)) continue;
      for (const member of b.members) {
        const parsed = parseWiMember(member);
        if (!parsed) continue;
        const e: TokenEntry = { seq: seq++, role: b.role, member, parsed, condition: conditionText(b) };
        if (parsed.kind === "ksa" || parsed.kind === "principal") {
          const k = `${parsed.pool}|${parsed.ns}|${parsed.ksa}`;
          const a = idx.byKsa.get(k);
          if (a) a.push(e);
          else idx.byKsa.set(k, [e]);
        } else idx.other.push(e);
      }
    }
  }
  all.set(policySubject, idx);
  return idx;
}

/**
 * Grants of a token role on `email` (its own policy, its project, the project's ancestors) whose
 * member covers the KSA. `lacking` names the policies that could not be read.
 */
export function tokenGrants(
  ctx: AnalysisContext,
  email: string,
  gsaProject: string,
  who: { pool: string; cluster: string; ns: string; ksa: string },
): { grants: Grant[]; lacking: string[] } {
  const grants: Grant[] = [];
  const lacking: string[] = [];
  for (const scope of ctx.policyScopesForGsa(email, gsaProject)) {
    const idx = tokenIndex(ctx, scope.subject);
    if (ctx.sourceStatus(...scope.source) !== "ok" && !idx) lacking.push(`${scope.source[0]}:${scope.source[1]}`);
    if (!idx) continue;
    const hits = [...(idx.byKsa.get(`${who.pool}|${who.ns}|${who.ksa}`) ?? []), ...idx.other.filter((e) => memberCovers(e.parsed, who.pool, who.cluster, who.ns, who.ksa))];
    hits.sort((a, b) => a.seq - b.seq); // the policy's own order
    for (const e of hits) grants.push({ resource: scope.subject, role: e.role, member: e.member, condition: e.condition });
  }
  return { grants, lacking };
}

/** The federated principal of a KSA, as IAM names it. */
export function federatedPrincipal(ctx: AnalysisContext, pool: string, ns: string, ksa: string): string {
  const poolProject = pool.replace(/\.svc\.id\.goog$/, "");
  const number = ctx.projects.get(poolProject)?.data.projectNumber ?? "PROJECT_NUMBER";
  return `principal://iam.googleapis.com/projects/${number}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/${ksa}`;
}

/**
 * Roles granted straight to a KSA (no GSA in between) on projects, folders, the organization and —
 * from Cloud Asset Inventory's per-pool search — buckets, topics, secrets and other resources
 * (`resource://…`). Members are matched exactly: `principal://…/subject/ns/NS/sa/KSA`,
 * `principalSet://…/namespace/NS`, `…/kubernetes.cluster/…`, `…/*`, and `serviceAccount:POOL[NS/KSA]`
 * for roles other than the token roles. Token roles on a GSA's own policy are not direct grants:
 * they let the KSA impersonate the GSA (see tokenGrants).
 */
export function directGrants(ctx: AnalysisContext, who: { pool: string; cluster: string; ns: string; ksa: string }): Grant[] {
  // Kubernetes members of project/folder/organization and resource policies, parsed once per analysis.
  const principals = ctx.memo("principalGrants", () => {
    const out: { resource: string; role: string; member: string; parsed: WiMember; condition: string | null }[] = [];
    const add = (resource: string, bindings: IamBinding[], pool?: string) => {
      for (const b of bindings) {
        for (const member of b.members) {
          const legacy = member.startsWith("serviceAccount:");
          if (!member.startsWith("principal") && !legacy) continue;
          // serviceAccount:POOL[NS/KSA] with a token role is a broad token grant (wi-user-broad-grant), not a role of its own.
          if (legacy && TOKEN_ROLES.has(b.role)) continue;
          const parsed = parseWiMember(member);
          // A pool's search matches words: `prod.svc.id.goog` also finds `acme-prod.svc.id.goog`.
          if (!parsed || (pool && parsed.pool !== pool)) continue;
          out.push({ resource, role: b.role, member, parsed, condition: conditionText(b) });
        }
      }
    };
    for (const [subject, policy] of ctx.policies) if (!subject.startsWith("gsa:")) add(subject, policy.data.bindings);
    for (const r of ctx.resourcePolicies) add(`resource:${r.data.resource}`, r.data.bindings, r.data.pool);
    return out;
  });
  const seen = new Set<string>();
  return principals
    .filter((p) => memberCovers(p.parsed, who.pool, who.cluster, who.ns, who.ksa))
    .map((p) => ({ resource: p.resource, role: p.role, member: p.member, condition: p.condition }))
    .filter((g) => {
      const k = `${g.resource}|${g.role}|${g.member}|${g.condition}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

const GSA_EMAIL = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$|^\d+-compute@developer\.gserviceaccount\.com$|^[a-z][a-z0-9-]{4,28}[a-z0-9]@appspot\.gserviceaccount\.com$/;

/** Whether a value, verbatim, is a service account email the metadata server would accept. */
export function isValidGsaEmail(value: string): boolean {
  return GSA_EMAIL.test(value);
}

/** The project a GSA email belongs to (default compute accounts map through the project number). */
export function gsaProject(ctx: AnalysisContext, email: string): string | null {
  let m = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email);
  if (m) return m[1];
  m = /^([a-z0-9-]+)@appspot\.gserviceaccount\.com$/.exec(email);
  if (m) return m[1];
  m = /^(\d+)-compute@developer\.gserviceaccount\.com$/.exec(email);
  if (m) return ctx.projectIdByNumber.get(m[1]) ?? null;
  return null;
}

/** Basic and administrative roles: what makes a shared account dangerous. */
export function isBasicRole(role: string): boolean {
  return role === "roles/owner" || role === "roles/editor";
}
export function isAdminLikeRole(role: string): boolean {
  return (
    /admin$/i.test(role.split(".").pop() ?? "") ||
    /Admin$/.test(role) ||
    role === "roles/iam.serviceAccountUser" ||
    role === "roles/iam.serviceAccountTokenCreator" ||
    role === "roles/iam.serviceAccountKeyAdmin"
  );
}

/** Project/folder/organization roles that name `email` directly. */
export function rolesOf(ctx: AnalysisContext, email: string): { resource: string; role: string; condition: string | null }[] {
  const byMember = ctx.memo("rolesByMember", () => {
    const m = new Map<string, { resource: string; role: string; condition: string | null }[]>();
    for (const [subject, policy] of ctx.policies) {
      if (subject.startsWith("gsa:")) continue;
      for (const b of policy.data.bindings) {
        for (const member of new Set(b.members)) {
          if (!member.startsWith("serviceAccount:")) continue;
          const a = m.get(member);
          const r = { resource: subject, role: b.role, condition: conditionText(b) };
          if (a) a.push(r);
          else m.set(member, [r]);
        }
      }
    }
    for (const a of m.values()) a.sort((x, y) => (x.resource + x.role < y.resource + y.role ? -1 : 1));
    return m;
  });
  return (byMember.get(`serviceAccount:${email}`) ?? []).map((r) => ({ ...r }));
}
