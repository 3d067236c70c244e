/**
 * The safe way to retire a key or an account, step by step, each with its rollback: disable it (a
 * disabled key or account fails to authenticate, and comes back with one command), watch Policy
 * Analyzer's last-authentication date until it stops moving (it is day-granular and lags), then
 * delete. Commands are gcloud's (checked against `gcloud … --help`, google-cloud-cli 528).
 */
import type { GsaData, KeyData } from "../inventory/model";

export type SafeStep = {
  /** 1, 2, 3. */
  n: number;
  title: string;
  /** What to run. */
  command: string;
  /** What to watch or know before the next step. */
  note: string;
  /** How to undo this step (null: it cannot be undone; the note says what to do instead). */
  rollback: string | null;
};

const KEY_ACTIVITY = "serviceAccountKeyLastAuthentication";
const GSA_ACTIVITY = "serviceAccountLastAuthentication";

export function keySafePath(k: Pick<KeyData, "email" | "keyId" | "projectId">): SafeStep[] {
  const acct = `--iam-account=${k.email} --project=${k.projectId}`;
  const enable = `gcloud iam service-accounts keys enable ${k.keyId} ${acct}`;
  const resource = `//iam.googleapis.com/projects/${k.projectId}/serviceAccounts/${k.email}/keys/${k.keyId}`;
  return [
    {
      n: 1,
      title: "Disable the key",
      command: `gcloud iam service-accounts keys disable ${k.keyId} ${acct}`,
      note: "Anything still using the key now fails to get tokens (401 invalid_grant): watch the workloads listed above and your alerts.",
      rollback: enable,
    },
    {
      n: 2,
      title: "Watch its last authentication",
      command: `gcloud policy-intelligence query-activity --activity-type=${KEY_ACTIVITY} --project=${k.projectId} --query-filter='activities.full_resource_name="${resource}"'`,
      note: "Policy Analyzer's date is day-granular and arrives up to two days late: wait until it has not moved for longer than your slowest job's period (a monthly batch needs a month).",
      rollback: enable,
    },
    {
      n: 3,
      title: "Delete the key",
      command: `gcloud iam service-accounts keys delete ${k.keyId} ${acct}`,
      note: "A deleted key cannot be restored. If something breaks after this, create a new key (or, better, move that workload to Workload Identity).",
      rollback: null,
    },
  ];
}

export function gsaSafePath(g: Pick<GsaData, "email" | "projectId" | "uniqueId">): SafeStep[] {
  const enable = `gcloud iam service-accounts enable ${g.email} --project=${g.projectId}`;
  const resource = `//iam.googleapis.com/projects/${g.projectId}/serviceAccounts/${g.email}`;
  return [
    {
      n: 1,
      title: "Disable the account",
      command: `gcloud iam service-accounts disable ${g.email} --project=${g.projectId}`,
      note: "Every key of it and every Workload Identity link to it stops issuing tokens: watch the workloads listed above.",
      rollback: enable,
    },
    {
      n: 2,
      title: "Watch its last authentication",
      command: `gcloud policy-intelligence query-activity --activity-type=${GSA_ACTIVITY} --project=${g.projectId} --query-filter='activities.full_resource_name="${resource}"'`,
      note: "Day-granular and up to two days late: wait longer than your slowest job's period.",
      rollback: enable,
    },
    {
      n: 3,
      title: "Delete the account",
      command: `gcloud iam service-accounts delete ${g.email} --project=${g.projectId}`,
      note: "Its grants stay behind as deleted:serviceAccount:… members; a new account of the same email does not inherit them.",
      rollback: `gcloud iam service-accounts undelete ${g.uniqueId} --project=${g.projectId}   # within 30 days of the deletion`,
    },
  ];
}
