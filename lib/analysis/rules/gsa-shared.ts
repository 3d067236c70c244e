import type { Rule } from "./rule";
import type { Fix } from "../model";
import { note, plural, tfModuleFix, unproven } from "../fixes";
import { sharedAccountSplits, splitAccountCommands } from "../split";

/** Split commands written out in full; a larger split lists the rest by name. */
export const SPLIT_SHOWN = 50;
/** Items of each evidence list kept in the finding (the counts say how many in all). */
const EVIDENCE_LIST = 200;
import { rolesOf } from "../iam";

/** "2 workload pools", "1 cluster without a workload pool", "1 workload pool and 2 clusters without one". */
function domains(pools: string[]): string {
  const pooled = pools.filter((p) => !p.startsWith("cluster:")).length;
  const alone = pools.length - pooled;
  if (!alone) return plural(pooled, "workload pool");
  if (!pooled) return plural(alone, "cluster without a workload pool", "clusters without a workload pool");
  return `${plural(pooled, "workload pool")} and ${plural(alone, "cluster without one", "clusters without one")}`;
}

export const rule: Rule = {
  id: "gsa-shared",
  severity: "high",
  title: "One GSA serves several namespaces or clusters (a \"common-batch\" account)",
  why: "Every user gets the union of everyone's permissions, nobody knows what needs what, and its keys end up everywhere. Split it: one GSA per workload.",
  absence: false,
  evaluate: ({ ctx, usage }) => {
    const out = [];
    for (const u of usage.values()) {
      // Distinct namespaces as Workload Identity sees them: the same namespace in every cluster of a
      // fleet (one workload pool) is one — one app deployed to five clusters is one user.
      if (u.poolNamespaces.length < 2) continue;
      // The split is computed once (split.ts): every workload's plan moves it to the account it assigns.
      const proposal = sharedAccountSplits(ctx).get(u.email);
      if (!proposal) continue;
      const roles = rolesOf(ctx, u.email);
      const project = proposal.project;
      const split = proposal.entries.map((e) => ({ workload: e.users.join(", "), gsa: e.gsa, ksa: e.ksa }));
      // Made when the finding's row is written (FindingDraft.fixes): commands for up to SPLIT_SHOWN accounts.
      const fixes = (): Fix[] => {
        const made: Fix[] = [];
        // A very shared account (hundreds of users) gets the commands for the first SPLIT_SHOWN; the rest
        // follow the same pattern and are listed in the evidence (names only) and in the audit report.
        const shown = split.slice(0, SPLIT_SHOWN);
        if (split.length) {
          made.push({
            kind: "gcloud",
            title: `Split into ${split.length} accounts, one per workload on its own KSA; each starts with the current roles, marked to narrow${split.length > shown.length ? ` (commands for the first ${shown.length})` : ""}`,
            content: proposal.entries
              .slice(0, SPLIT_SHOWN)
              .map((e) => splitAccountCommands(ctx, proposal, e))
              .join("\n\n"),
          });
          for (const s of shown) made.push(tfModuleFix(s.gsa, project, [s.ksa]));
          // The accounts and bindings alone change nothing: the finding goes once each workload runs as its own account.
          made.push(
            note(
              "Then move each workload onto its account, and narrow the roles",
              `Annotate each KSA with its new account (each workload's page prints the manifest and patch), check that it gets a token, then narrow the roles marked TO NARROW. ${unproven("which roles each workload needs is yours to decide, and the split resolves this finding only once every workload runs as its own account", { comment: false })}`,
            ),
          );
          if (split.length > shown.length) {
            made.push(note(`…and ${split.length - shown.length} more accounts`, `The same two steps for each of the other ${split.length - shown.length} workloads; the full proposed split (names only) is in this finding's evidence and in the account's audit report.`));
          }
        }
        return made;
      };
      out.push({
        subject: `gsa:${u.email}`,
        state: "open" as const,
        message: `${u.email} is used from ${plural(u.poolNamespaces.length, "namespace")} in ${domains(u.pools)} (${plural(u.identities.length, "KSA identity", "KSA identities")}, ${plural(u.keyPlaces.length, "key Secret")}${u.clusters.length > u.pools.length ? `; ${plural(u.clusters.length, "cluster")} in all` : ""}); shared-account score ${u.score}.`,
        evidence: {
          ksas: u.ksas.slice(0, EVIDENCE_LIST),
          keySecrets: u.keySecrets.slice(0, EVIDENCE_LIST),
          namespaces: u.namespaces.slice(0, EVIDENCE_LIST),
          clusters: u.clusters.slice(0, EVIDENCE_LIST),
          identities: u.identities.slice(0, EVIDENCE_LIST),
          poolNamespaces: u.poolNamespaces.slice(0, EVIDENCE_LIST),
          pools: u.pools.slice(0, EVIDENCE_LIST),
          counts: {
            ksas: u.ksas.length,
            keySecrets: u.keySecrets.length,
            namespaces: u.namespaces.length,
            clusters: u.clusters.length,
            identities: u.identities.length,
            poolNamespaces: u.poolNamespaces.length,
            pools: u.pools.length,
            keyPlaces: u.keyPlaces.length,
            proposedSplit: split.length,
          },
          score: u.score,
          scoreParts: u.scoreParts,
          proposedSplit: split,
          rolesToNarrow: roles,
        },
        gsa: u.email,
        project: u.project,
        fixes,
      });
    }
    return out;
  },
};
