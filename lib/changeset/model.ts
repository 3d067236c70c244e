/**
 * What a change set is built from (read from the stored inventory and analysis by
 * load-change-set.ts) and what it is made of. The builder is pure: the same input gives the same files.
 */
import type { PodSpecEssentials } from "../inventory/model";
import type { WorkloadStatus } from "../analysis/model";

export const SELECTION_KINDS = ["workload", "namespace", "gsa", "cluster"] as const;
export type SelectionKind = (typeof SELECTION_KINDS)[number];

/** One selected workload: its inventory record's essentials and its stored analysis. */
export type CsWorkload = {
  /** `workload:P/L/C/NS/KIND/NAME`. */
  subject: string;
  /** `cluster:P/L/C`. */
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  /** Its pod template as scanned (volumes, containers' env and mounts). */
  template: PodSpecEssentials;
  /** The analysis's status: identity, steps and the migration plan the workload page shows. */
  status: WorkloadStatus;
};

/** A cluster a selected workload runs in. */
export type CsCluster = {
  subject: string;
  project: string;
  location: string;
  name: string;
  workloadPool: string | null;
  autopilot: boolean;
  /** Node pools without the GKE metadata server. */
  legacyPools: { subject: string; name: string; workloads: number }[];
};

/** The gsa-shared finding's proposal for one shared account: one GSA per workload, on its own KSA. */
export type CsSplit = {
  /** The shared account. */
  email: string;
  entries: { gsa: string; ksa: string; workloads: string[] }[];
  /** The roles the shared account holds, which each new account starts with, marked to narrow. */
  roles: { resource: string; role: string }[];
  /** Workloads the last analysis saw using the shared account. */
  users: number;
};

/** What the last analysis knows of a key or a key holder outside the selection. */
export type CsUsage = {
  /** Workloads using it (by identity), over the whole estate. */
  users: string[];
};

export type ChangeSetInput = {
  /** The subject asked for (`workload:…`, `namespace:…`, `gsa:…`, `cluster:…`). */
  selection: string;
  /** Short name for file names (`invoice-worker`, `billing`, `common-batch`, `prod`). */
  name: string;
  /** The scan the analysis is from. */
  scan: { id: number; at: string } | null;
  workloads: CsWorkload[];
  clusters: Map<string, CsCluster>;
  /** KSA subjects that exist (an annotation patches them; others are created). */
  ksas: Set<string>;
  /** gsa-shared proposals, by the shared account's email. */
  splits: Map<string, CsSplit>;
  /** Users of each key (`key:EMAIL/ID`) and key holder (`secret:…` / `configmap:…`) a selected workload uses. */
  usage: Map<string, CsUsage>;
};

/** One file of the change set, at its path in the user's repository. */
export type ChangeFile = { path: string; content: string };

/**
 * The changes STEPS.md links to the what-if page for (lib/whatif/changes.ts), with short answers
 * once the what-if engine gives them: keyed by changeKey().
 */
export type WhatIfAnswers = Map<string, string>;
