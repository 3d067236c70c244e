/**
 * IAM as Google evaluates it for Workload Identity: parsing Kubernetes members, telling which roles
 * carry `iam.serviceAccounts.getAccessToken` (predefined ones, and custom roles by their definition:
 * a DISABLED or deleted one grants nothing), finding the grants that let a KSA act as a GSA (on the
 * GSA, its project, folders or organization) or that give a KSA's federated principal roles
 * directly, and the deny rules (IAM v2) that take such a grant away again.
 */
import type { AnalysisContext } from "./context";
import type { DenyHit, Grant } from "./model";
import type { IamBinding, IamCondition } from "../inventory/model";
import type { PolicyView } from "./fixes";

/** Predefined roles that carry iam.serviceAccounts.getAccessToken on a service account. */
export const TOKEN_ROLES = new Set(["roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator"]);

/** The permission the GKE metadata server needs on the GSA to mint its tokens (v1 name, as roles list it). */
export const TOKEN_PERMISSION = "iam.serviceAccounts.getAccessToken";
/** The same permission as deny policies (IAM v2) name it. */
export const TOKEN_PERMISSION_V2 = "iam.googleapis.com/serviceAccounts.getAccessToken";

/** A custom role's name as bindings write it. */
const CUSTOM_ROLE = /^(projects\/([^/]+)|organizations\/(\d+))\/roles\/[^/]+$/;

/** What a role means for minting a GSA's tokens. */
export type RoleVerdict =
  /** A predefined token role, or an active custom role whose permissions hold getAccessToken. */
  | { kind: "token" }
  /** A role without getAccessToken. */
  | { kind: "other" }
  /** A custom role that would carry getAccessToken but grants nothing: DISABLED, deleted, or gone. */
  | { kind: "inactive"; why: string }
  /** A custom role whose definition could not be read (the sources named): it may or may not carry it. */
  | { kind: "unknown"; lacking: string[] };

/**
 * Whether `role` lets its members mint tokens. Custom roles are judged by the definition the scan
 * read; one missing from a list that answered in full (with deleted roles) no longer exists.
 */
export function roleVerdict(ctx: AnalysisContext, role: string): RoleVerdict {
  const memo = ctx.memo("roleVerdicts", () => new Map<string, RoleVerdict>());
  let v = memo.get(role);
  if (v) return v;
  const m = CUSTOM_ROLE.exec(role);
  if (!m) v = TOKEN_ROLES.has(role) ? { kind: "token" } : { kind: "other" };
  else {
    const r = ctx.customRoles.get(role);
    if (r) {
      const token = r.data.includedPermissions.includes(TOKEN_PERMISSION);
      if (!token) v = { kind: "other" };
      else if (r.data.deleted) v = { kind: "inactive", why: `${role} is deleted: it grants nothing` };
      else if (r.data.stage === "DISABLED") v = { kind: "inactive", why: `${role} is DISABLED: it grants nothing` };
      else v = { kind: "token" };
    } else {
      const listSource = m[2] ? `iam.roles:${m[2]}` : `iam.roles:organizations/${m[3]}`;
      const getSource = `iam.roles:${role}`;
      const answered = ctx.input.sources.get(listSource) === "ok" || ctx.input.sources.get(getSource) === "ok";
      if (answered) v = { kind: "inactive", why: `${role} does not exist (any more): it grants nothing` };
      else v = { kind: "unknown", lacking: ctx.input.sources.has(getSource) ? [getSource] : [listSource] };
    }
  }
  memo.set(role, v);
  return v;
}

/** Why a custom role grants nothing at all (DISABLED or deleted), whatever its permissions; null otherwise. */
export function inactiveCustomRole(ctx: AnalysisContext, role: string): string | null {
  const r = CUSTOM_ROLE.test(role) ? ctx.customRoles.get(role) : undefined;
  if (!r) return null;
  if (r.data.deleted) return `${role} is deleted: it grants nothing`;
  if (r.data.stage === "DISABLED") return `${role} is DISABLED: it grants nothing`;
  return null;
}

/** A member IAM keeps after its principal was deleted: `deleted:serviceAccount:EMAIL?uid=N`, `deleted:user:…`, `deleted:principal://…`. */
export function parseDeletedMember(member: string): { type: string; id: string; uid: string | null } | null {
  const m = /^deleted:([a-zA-Z]+):(.+?)(?:\?uid=(\d+))?$/.exec(member);
  if (!m) return null;
  // `deleted:principal://…` keeps its scheme in the id.
  if (m[1] === "principal" || m[1] === "principalSet") return { type: m[1], id: `${m[1]}:${m[2]}`, uid: m[3] ?? null };
  return { type: m[1], id: m[2], uid: m[3] ?? null };
}

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

export function conditionText(b: { condition: IamCondition | null }): string | null {
  return b.condition ? b.condition.title || b.condition.expression : null;
}

type TokenEntry = { seq: number; role: string; member: string; parsed: WiMember; condition: string | null; verdict: RoleVerdict };
type TokenIndex = { byKsa: Map<string, TokenEntry[]>; other: TokenEntry[] };

/**
 * A policy's grants to Kubernetes members of roles that carry (or may carry, or would carry if
 * active) getAccessToken, parsed once per analysis: KSA members by `pool|ns|ksa` (one lookup per
 * question, however many principals a shared GSA's policy holds), namespace/cluster/pool principal
 * sets in a short list.
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
      const verdict = roleVerdict(ctx, b.role);
      if (verdict.kind === "other") continue;
      for (const member of b.members) {
        const parsed = parseWiMember(member);
        if (!parsed) continue;
        const e: TokenEntry = { seq: seq++, role: b.role, member, parsed, condition: conditionText(b), verdict };
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

/** What the policies above a GSA grant a KSA, as far as minting the GSA's tokens goes. */
export type TokenGrants = {
  /** Grants of a token role whose member covers the KSA. */
  grants: Grant[];
  /** The policies that could not be read. */
  lacking: string[];
  /** Grants of custom roles whose definition could not be read: they may carry getAccessToken. */
  unresolved: { grant: Grant; lacking: string[] }[];
  /** Grants of custom token roles that grant nothing (DISABLED, deleted, gone). */
  inactive: { grant: Grant; why: string }[];
};

/**
 * Grants on `email` (its own policy, its project, the project's ancestors) whose member covers the
 * KSA and whose role carries — or may carry — iam.serviceAccounts.getAccessToken.
 */
export function tokenGrants(ctx: AnalysisContext, email: string, gsaProject: string, who: { pool: string; cluster: string; ns: string; ksa: string }): TokenGrants {
  const out: TokenGrants = { grants: [], lacking: [], unresolved: [], inactive: [] };
  for (const scope of ctx.policyScopesForGsa(email, gsaProject)) {
    const idx = tokenIndex(ctx, scope.subject);
    if (ctx.sourceStatus(...scope.source) !== "ok" && !idx) out.lacking.push(`${scope.source[0]}:${scope.source[1]}`);
    if (!idx) continue;
    const hits = [...(idx.byKsa.get(`${who.pool}|${who.ns}|${who.ksa}`) ?? []), ...idx.other.filter((e) => memberCovers(e.parsed, who.pool, who.cluster, who.ns, who.ksa))];
    hits.sort((a, b) => a.seq - b.seq); // the policy's own order
    for (const e of hits) {
      const grant: Grant = { resource: scope.subject, role: e.role, member: e.member, condition: e.condition };
      if (e.verdict.kind === "token") out.grants.push(grant);
      else if (e.verdict.kind === "unknown") out.unresolved.push({ grant, lacking: e.verdict.lacking });
      else if (e.verdict.kind === "inactive") out.inactive.push({ grant, why: e.verdict.why });
    }
  }
  return out;
}

// ---- deny policies (IAM v2) ------------------------------------------------------------------

/**
 * Whether a v2 permission pattern of a deny rule covers `permission`: an exact name, or one of the
 * groups Google documents, `SERVICE/RESOURCE.*`, `SERVICE/*.VERB` and `SERVICE/*.*`.
 */
export function denyPermissionCovers(pattern: string, permission: string): boolean {
  const split = (p: string) => {
    const m = /^([^/]+)\/([^.]+)\.(.+)$/.exec(p);
    return m ? { service: m[1], resource: m[2], verb: m[3] } : null;
  };
  const a = split(pattern);
  const b = split(permission);
  if (!a || !b || a.service !== b.service) return false;
  return (a.resource === "*" || a.resource === b.resource) && (a.verb === "*" || a.verb === b.verb);
}

/** Whether a deny policy's principal identifier covers the KSA (its principal, its namespace, cluster or pool, or everyone). */
export function denyPrincipalCovers(principal: string, who: { pool: string; cluster: string; ns: string; ksa: string }): boolean {
  if (principal === "principalSet://goog/public:all") return true;
  const m = parseWiMember(principal);
  return m !== null && m.kind !== "ksa" && memberCovers(m, who.pool, who.cluster, who.ns, who.ksa);
}

/** The deny-policy sources above a GSA of `projectId`: its project and the project's ancestors. */
export function denyScopes(ctx: AnalysisContext, projectId: string): { subject: string; source: string }[] {
  const out = [{ subject: `project:${projectId}`, source: `iam.denyPolicies:projects/${projectId}` }];
  for (const a of ctx.ancestors(projectId)) out.push({ subject: a.startsWith("folders/") ? `folder:${a.slice(8)}` : `organization:${a.slice(14)}`, source: `iam.denyPolicies:${a}` });
  return out;
}

/**
 * The deny rules that take getAccessToken on a GSA of `projectId` away from the KSA: attached to the
 * GSA's project or an ancestor, a denied principal covering the KSA and no exception covering it,
 * a denied permission covering getAccessToken and no exception permission covering it. Rules with a
 * `denialCondition` are returned with it (whether they apply cannot be told from here). `unread`
 * names the deny-policy sources that did not answer in full.
 */
export function denyHits(ctx: AnalysisContext, projectId: string, who: { pool: string; cluster: string; ns: string; ksa: string }): { hits: DenyHit[]; unread: string[] } {
  const hits: DenyHit[] = [];
  const unread: string[] = [];
  for (const scope of denyScopes(ctx, projectId)) {
    if (ctx.input.sources.get(scope.source) !== "ok") unread.push(scope.source);
    for (const p of ctx.denyPoliciesByResource.get(scope.subject) ?? []) {
      p.data.rules.forEach((r, i) => {
        const permission = r.deniedPermissions.find((x) => denyPermissionCovers(x, TOKEN_PERMISSION_V2));
        if (!permission || r.exceptionPermissions.some((x) => denyPermissionCovers(x, TOKEN_PERMISSION_V2))) return;
        const principal = r.deniedPrincipals.find((x) => denyPrincipalCovers(x, who));
        if (!principal || r.exceptionPrincipals.some((x) => denyPrincipalCovers(x, who))) return;
        hits.push({
          policy: p.data.name,
          policyId: p.data.name.slice(p.data.name.lastIndexOf("/") + 1),
          displayName: p.data.displayName,
          attachedTo: scope.subject,
          rule: r.description ?? `rule ${i + 1}`,
          principal,
          permission,
          condition: r.denialCondition ? r.denialCondition.title || r.denialCondition.expression : null,
        });
      });
    }
  }
  return { hits, unread };
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
          // serviceAccount:POOL[NS/KSA] with a token role is a broad token grant (wi-user-broad-grant), not a role of its own;
          // so is a custom token role, and one that could not be read is not claimed as a direct grant.
          if (legacy && roleVerdict(ctx, b.role).kind !== "other") continue;
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
    // A DISABLED or deleted custom role grants nothing, so it is no grant of the KSA's.
    .filter((p) => memberCovers(p.parsed, who.pool, who.cluster, who.ns, who.ksa) && !inactiveCustomRole(ctx, p.role))
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
  // Exact members only: `deleted:serviceAccount:EMAIL?uid=…` is a grant to an account that no longer
  // exists, which a new account of the same email does not inherit.
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

/**
 * The policy of `subject` (`gsa:…`, `project:…`, …) as a fix sees it: what the scan read, `"unread"`
 * when it could not read it. A GSA that does not exist yet has an empty policy.
 */
export function policyView(ctx: AnalysisContext, subject: string): PolicyView {
  const p = ctx.policies.get(subject);
  if (p) return { bindings: p.data.bindings };
  if (subject.startsWith("gsa:") && !ctx.gsas.has(subject.slice(4))) return { bindings: [] };
  return "unread";
}

/** The exact condition of the binding of `role` to `member` on `resource` whose condition reads `condition` (null: the unconditional one). */
export function exactCondition(ctx: AnalysisContext, g: { resource: string; role: string; condition: string | null }, member: string): IamCondition | null {
  if (g.condition === null) return null;
  const b = ctx.policies.get(g.resource)?.data.bindings.find((x) => x.role === g.role && x.members.includes(member) && conditionText(x) === g.condition);
  return b?.condition ?? null;
}
