/**
 * Which shard of a sharded scan (issue 14) collects what: a deterministic slice, the same in every
 * process, so N processes on N machines split an estate without talking to each other.
 *
 * - shard 0 reads the organisation-level sources: the organisation, folders and their policies,
 *   deny policies and custom roles, ancestry, and the Cloud Asset searches;
 * - a project's sources (its policy, GSAs, keys, activity, cluster list, fleet, roles, deny
 *   policies) belong to the shard its project id hashes to;
 * - a cluster's Kubernetes sources belong to the shard its `PROJECT/LOCATION/NAME` hashes to, so a
 *   project with many clusters is spread too. Every shard lists projects and clusters (a handful of
 *   requests) to know its slice; only the owner records those lists.
 */
import { createHash } from "node:crypto";

export type ShardSlice = { index: number; count: number };

/** The shard (0 … count−1) a key belongs to: the first 32 bits of its SHA-1, modulo the count. */
export function shardOf(key: string, count: number): number {
  if (count <= 1) return 0;
  return createHash("sha1").update(key).digest().readUInt32BE(0) % count;
}

/** Whether `slice` owns an organisation-level source, a project's, or a cluster's. */
export function owns(slice: ShardSlice | undefined, what: { org: true } | { project: string } | { cluster: string }): boolean {
  if (!slice || slice.count <= 1) return true;
  if ("org" in what) return slice.index === 0;
  return shardOf("project" in what ? `project:${what.project}` : `cluster:${what.cluster}`, slice.count) === slice.index;
}

/** The project a workload pool (`PROJECT.svc.id.goog`) belongs to; its Cloud Asset search is that project's shard's. */
export function poolProject(pool: string): string {
  return pool.replace(/\.svc\.id\.goog$/, "");
}

/** Checks a slice read from flags or the environment; returns a message naming the problem, or undefined. */
export function sliceProblem(index: number, count: number): string | undefined {
  if (!Number.isInteger(count) || count < 1 || count > 1000) return `the shard count must be an integer from 1 to 1000, got ${count}`;
  if (!Number.isInteger(index) || index < 0 || index >= count) return `the shard index must be an integer from 0 to ${count - 1} (shards are numbered from 0), got ${index}`;
  return undefined;
}

/** A shard setting that cannot be used; its message names the flag or variable. */
export class ShardConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShardConfigError";
  }
}

export type ShardSetting = { slice?: ShardSlice; runKey?: string };

/**
 * This process's shard, from flags, then wi-atlas's variables, then the platform's:
 * - count: `--shards`, `WI_ATLAS_SCAN_SHARDS`, Cloud Run's `CLOUD_RUN_TASK_COUNT` (Kubernetes sets no
 *   count for an Indexed Job: pass `--shards` or `WI_ATLAS_SCAN_SHARDS`, as the manifest does);
 * - index: `--shard`, `WI_ATLAS_SCAN_SHARD`, an Indexed Job's `JOB_COMPLETION_INDEX`, Cloud Run's
 *   `CLOUD_RUN_TASK_INDEX`;
 * - run key (a retried shard rejoins the scan of its run): `--run-key`, `WI_ATLAS_SCAN_RUN_KEY` (the
 *   manifest sets it from the Job's controller-uid label), Cloud Run's `CLOUD_RUN_EXECUTION`.
 * A count of 1 is the single scan (no slice).
 */
export function resolveShard(flags: { shards?: string; shard?: string; runKey?: string }, env: NodeJS.ProcessEnv = process.env): ShardSetting {
  const pick = (pairs: [string, string | undefined][]) => pairs.find(([, v]) => v !== undefined && v.trim() !== "");
  const count = pick([["--shards", flags.shards], ["WI_ATLAS_SCAN_SHARDS", env.WI_ATLAS_SCAN_SHARDS], ["CLOUD_RUN_TASK_COUNT", env.CLOUD_RUN_TASK_COUNT]]);
  const index = pick([["--shard", flags.shard], ["WI_ATLAS_SCAN_SHARD", env.WI_ATLAS_SCAN_SHARD], ["JOB_COMPLETION_INDEX", env.JOB_COMPLETION_INDEX], ["CLOUD_RUN_TASK_INDEX", env.CLOUD_RUN_TASK_INDEX]]);
  const num = ([name, v]: [string, string | undefined]) => {
    const t = v!.trim();
    if (!/^\d+$/.test(t)) throw new ShardConfigError(`${name} must be a whole number, got "${v}"`);
    return Number(t);
  };
  const n = count ? num(count) : 1;
  const i = index ? num(index) : undefined;
  if (n < 1 || n > 1000) throw new ShardConfigError(`${count![0]} must be from 1 to 1000, got ${n}`);
  if (n === 1) {
    if (i !== undefined && i > 0) {
      throw new ShardConfigError(
        `${index![0]} is ${i} but no shard count is set: pass --shards N or set WI_ATLAS_SCAN_SHARDS (Kubernetes gives an Indexed Job's pods their index, not the number of shards)`,
      );
    }
    return {};
  }
  if (i === undefined) {
    throw new ShardConfigError(
      `${count![0]} is ${n} but this process's shard is unknown: pass --shard I or set WI_ATLAS_SCAN_SHARD (an Indexed Job sets JOB_COMPLETION_INDEX, a Cloud Run job CLOUD_RUN_TASK_INDEX)`,
    );
  }
  const problem = sliceProblem(i, n);
  if (problem) throw new ShardConfigError(`${index![0]}: ${problem}`);
  const key = pick([["--run-key", flags.runKey], ["WI_ATLAS_SCAN_RUN_KEY", env.WI_ATLAS_SCAN_RUN_KEY], ["CLOUD_RUN_EXECUTION", env.CLOUD_RUN_EXECUTION]]);
  return { slice: { index: i, count: n }, runKey: key?.[1]?.trim() };
}
