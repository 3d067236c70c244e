/**
 * A finding rule: one file per rule under lib/analysis/rules, each with an id (part of the product's
 * interface: CSV, API, URLs — keep them stable), a severity, a title, why it matters, and `evaluate`,
 * which reports subjects with evidence and fixes. Rules marked `absence` assert that something is
 * *not* there: they fire only when every source that could disprove them answered in full, and
 * otherwise report the subject `unverified` with the sources they lacked.
 */
import type { AnalysisContext } from "../context";
import type { BindingRow, FindingDraft, GsaUsage, Severity, WorkloadStatus } from "../model";

export type RuleContext = {
  ctx: AnalysisContext;
  /** Every workload's status (identity and steps), by subject. */
  statuses: Map<string, WorkloadStatus>;
  bindings: BindingRow[];
  usage: Map<string, GsaUsage>;
};

export type Rule = {
  id: string;
  /** The rule's severity: its findings' unless a finding says otherwise (see severityNote). */
  severity: Severity;
  /** When findings may carry their own severity, the condition, as the rule table in the README shows it ("low when …"). */
  severityNote?: string;
  title: string;
  /** Why it matters, in a sentence or two. */
  why: string;
  /** Asserts an absence (marked † in the docs). */
  absence: boolean;
  evaluate: (rc: RuleContext) => FindingDraft[];
};

export const DAY_MS = 86_400_000;
