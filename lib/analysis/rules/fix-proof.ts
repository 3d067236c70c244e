/**
 * Whether each rule's fix is proven by a test (lib/analysis/fixes-proven.test.ts runs the printed
 * commands against the simulator, rescans and checks the finding is gone and nothing that worked
 * broke), and why not where it cannot be. The README's rule table shows it ("fix proven by test"); the
 * test checks each `yes` against what really happened, so the column cannot drift from the runs.
 */
export type FixProof =
  | {
      proven: true;
      /** What the proof leaves to the user, when something does. */
      note?: string;
    }
  | {
      proven: false;
      /** Why no test can prove it here. */
      why: string;
    };

export const FIX_PROOF: Record<string, FixProof> = {
  "binding-identity-sameness": { proven: false, why: "a decision: accept the shared identity, rename the KSAs, or separate the pools" },
  "binding-stale": { proven: true },
  "binding-without-annotation": { proven: true },
  "cluster-wi-disabled": { proven: true },
  "gsa-broad-role": { proven: true, note: "the broad role's removal; which narrow roles to grant instead is a decision" },
  "gsa-shared": { proven: false, why: "the roles to narrow are a decision, and the finding goes only once every workload runs as its own account" },
  "gsa-unused": { proven: true },
  "key-expiring": { proven: false, why: "its fix is the workloads' migration off the key, proven under workload-uses-key-file, key-in-secret and key-user-managed" },
  "key-in-configmap": { proven: true },
  "key-in-secret": { proven: true },
  "key-in-secret-dead": { proven: true },
  "key-not-rotated": { proven: true },
  "key-unused": { proven: true },
  "key-user-managed": { proven: true },
  "ksa-annotation-denied": { proven: false, why: "a decision: either the deny rule or the annotation is wrong" },
  "ksa-annotation-gsa-disabled": { proven: true },
  "ksa-annotation-gsa-missing": { proven: true },
  "ksa-annotation-malformed": { proven: true, note: "where the intended account can be read from the annotation" },
  "ksa-annotation-unbound": { proven: true, note: "the token check needs a running container" },
  "ksa-cross-project-gsa": { proven: false, why: "a decision: keep the cross-project dependency or move the account" },
  "ksa-direct-grant": { proven: false, why: "nothing to fix: grants to review where they live" },
  "nodepool-default-compute-sa": { proven: true },
  "nodepool-legacy-metadata": { proven: true },
  "wi-user-broad-grant": { proven: true },
  "workload-default-ksa": { proven: true, note: "where the account to keep is known" },
  "workload-inline-credential": { proven: true },
  "workload-on-legacy-node": { proven: true },
  "workload-pending-no-wi-node": { proven: true },
  "workload-uses-key-file": { proven: true },
};

/** The README cell: `yes`, `yes (…)` or `no — why`. */
export function fixProofCell(rule: string): string {
  const p = FIX_PROOF[rule];
  if (!p) return "?";
  return p.proven ? `yes${p.note ? ` (${p.note})` : ""}` : `no — ${p.why}`;
}
