/**
 * Roles and who holds them. Three roles, each including the ones below it: `viewer` reads every page
 * and CSV, `operator` also starts and cancels scans, `admin` also accepts (suppresses) findings and
 * anything else that changes what the dashboard reports. Who holds a role comes from three lists of
 * `user:EMAIL`, `domain:DOMAIN` and `group:NAME` entries (WI_ATLAS_VIEWERS, WI_ATLAS_ROLE_OPERATOR,
 * WI_ATLAS_ROLE_ADMIN). This file is pure: no request, no environment.
 */

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** One entry of a role list. */
export type RoleRule = {
  /** What the value is compared with: the whole address, the part after `@`, or a group name. */
  kind: "user" | "domain" | "group";
  /** Lower case: addresses, domains and group names compare without regard to case. */
  value: string;
};

/** Who a request comes from, as the sign-in established it. */
export type Identity = {
  /** The signed-in address, lower case. */
  email: string;
  /** Groups the provider asserted (OIDC `groups` claim); always empty under IAP, whose JWT carries none. */
  groups: string[];
  /** A display name when the provider gave one. */
  name?: string;
};

const EMAIL = /^[^@\s,]+@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** Parses `user:a@x.com, domain:x.com, group:platform` into rules; throws naming the variable and entry. */
export function parseRoleList(name: string, value: string | undefined): RoleRule[] {
  const rules: RoleRule[] = [];
  for (const raw of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(user|domain|group):(.+)$/i.exec(raw);
    const kind = m?.[1].toLowerCase() as RoleRule["kind"] | undefined;
    const v = m?.[2].trim().toLowerCase() ?? "";
    const ok = kind === "user" ? EMAIL.test(v) : kind === "domain" ? DOMAIN.test(v) : kind === "group" ? v.length > 0 : false;
    if (!kind || !ok) {
      throw new Error(`${name}: "${raw}" is not user:EMAIL, domain:DOMAIN or group:NAME`);
    }
    rules.push({ kind, value: v });
  }
  return rules;
}

/** Whether one rule admits the identity. A domain matches the address's own domain only, not its subdomains. */
export function ruleMatches(rule: RoleRule, who: Identity): boolean {
  const email = who.email.toLowerCase();
  switch (rule.kind) {
    case "user":
      return email === rule.value;
    case "domain":
      return email.slice(email.lastIndexOf("@") + 1) === rule.value;
    case "group":
      return who.groups.some((g) => g.toLowerCase() === rule.value);
  }
}

/** The role lists, as configured. */
export type RoleLists = { viewers: RoleRule[]; operators: RoleRule[]; admins: RoleRule[] };

/**
 * The highest role the lists give the identity, or null when none does (the caller answers 403).
 * `everyoneViews` makes every authenticated person a viewer: used under IAP when WI_ATLAS_VIEWERS is
 * empty, because IAP's own access policy already decided who may reach the app at all.
 */
export function roleFor(who: Identity, lists: RoleLists, opts: { everyoneViews?: boolean } = {}): Role | null {
  const any = (rules: RoleRule[]) => rules.some((r) => ruleMatches(r, who));
  if (any(lists.admins)) return "admin";
  if (any(lists.operators)) return "operator";
  if (any(lists.viewers) || opts.everyoneViews) return "viewer";
  return null;
}

/** Whether holding `have` allows what needs `need` (higher roles include lower ones). */
export function hasRole(have: Role | null, need: Role): boolean {
  return have !== null && ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Group names mentioned in any list: the only groups worth keeping in a session cookie. */
export function groupsOfInterest(lists: RoleLists): Set<string> {
  return new Set([...lists.viewers, ...lists.operators, ...lists.admins].filter((r) => r.kind === "group").map((r) => r.value));
}
