/**
 * One scan's `get → transform`: discovers projects, then per project its IAM, keys, activity and
 * clusters, then per cluster its Kubernetes objects, each as a *source* (one API call family over
 * one scope) with its own outcome. Sources run concurrently; the per-API limits in the Caller bound
 * what is in flight. Nothing here touches the database.
 */
import { AsyncResource } from "node:async_hooks";
import PQueue from "p-queue";
import { subject, clusterKey } from "../ids";
import type { Caller } from "../sources/http/caller";
import { CancelledError } from "../sources/http/caller";
import { ApiError } from "../sources/http/api-error";
import { advanceTo, currentDepth, inFlow } from "../sources/http/chain";
import type { GoogleClients } from "../sources/gcp/clients";
import * as gcp from "../sources/gcp/get";
import { clusterClient, type ClusterEndpoint } from "../sources/k8s/clients";
import { getConfigMap, listRecords, ListBrokenError, type K8sListName } from "../sources/k8s/get";
import { pageDecoder, type PageDecoder } from "../sources/k8s/pages";
import type { DecodedPage } from "../sources/k8s/page-decode";
import { GAC, envSourcesFor, resolveEnv, type EnvLookup, type EnvSourceView } from "../inventory/pod-env";
import { ADC_WELL_KNOWN, fileSource, filesEndingWith, type KeysOf } from "../inventory/pod-files";
import { isPathLike } from "../inventory/secret-credentials";
import {
  transformActivity,
  transformCluster,
  transformCustomRole,
  transformDenyPolicy,
  transformFolder,
  transformKey,
  transformMembership,
  transformOrganization,
  transformPolicy,
  transformProject,
  transformResourcePolicy,
  transformServiceAccount,
} from "../inventory/transform-gcp";
import { ClusterTransformer } from "../inventory/transform-k8s";
import type { ClusterData, ConfigMapData, ContainerEssentials, CustomRoleData, FolderData, GsaData, IamPolicyData, InventoryRecord, OwnerRef, PodData, PodSpecEssentials, ProjectData, SecretData, WorkloadData, WorkloadKind } from "../inventory/model";
import type { Progress } from "./progress";
import { log } from "../log";
import { sanitiseText } from "../inventory/sanitise";
import { owns, poolProject, type ShardSlice } from "./shard-slice";
import { ASKED_DIRECTLY, NOT_USED, assetFailureCause, searchesAssets, type InventoryPathSetting } from "./inventory-path";

export type SourceStatus = "ok" | "partial" | "failed" | "skipped";

export type SourceOutcome = {
  source: string;
  family: string;
  scope: string;
  status: SourceStatus;
  httpStatus?: number;
  error?: string;
  permission?: string;
  requests: number;
  durationMs: number;
  /** Objects the source produced. */
  objects: number;
  /**
   * Its records, until they are staged (see lib/store/stage.ts): with a stage, a source's records
   * leave memory as soon as the source (or, for Kubernetes lists, its cluster) is done.
   */
  records: InventoryRecord[];
};

export type CollectScope = {
  organization?: string;
  folders: string[];
  projects: string[];
  /**
   * Cluster names or PROJECT/LOCATION/NAME whose Kubernetes objects are read; empty = every cluster
   * found. Clusters left out are still listed (their node pools and workload pool count for the
   * Google-side rules); their Kubernetes sources are recorded `skipped`, so absence rules that need
   * them say `unverified`.
   */
  clusters: string[];
  readSecrets: boolean;
  /**
   * Where GSA keys and GSA policies come from: `direct` asks IAM per account (2 requests per GSA);
   * `asset` asks Cloud Asset Inventory once per scope, page by page (needs cloudasset.assets.searchAll*
   * on the organisation or folders; its index lags by minutes, so accounts it does not know yet are
   * asked directly); `auto` searches only an organization or folder scope, and a search that fails is
   * `skipped` (optional) with everything asked directly — never worse than `direct`. See
   * inventory-path.ts. Absent: `direct`.
   */
  inventoryPath?: InventoryPathSetting;
  /**
   * This process's slice of a sharded scan (lib/scan/shard-slice.ts): only the sources it owns are
   * recorded and staged; the discovery and cluster lists every shard needs are read but left to
   * their owner. Absent: the whole estate.
   */
  shard?: ShardSlice;
};

/** What Cloud Asset Inventory said, by service account uniqueId; a part is undefined when its search failed. */
type AssetData = {
  /** Keys of every account the index knows (each has at least its system-managed key). */
  keys?: Map<string, Obj[]>;
  policies?: Map<string, Obj>;
  /** The chain depth the searches reached (what waits for them continues from there). */
  depth: number;
};

export type CollectDeps = {
  google: GoogleClients;
  caller: Caller;
  /** How to reach a cluster's Kubernetes API (GKE endpoint + CA, or the simulator's prefix). */
  endpointFor: (cluster: ClusterData, raw: Record<string, unknown>) => ClusterEndpoint;
  progress?: Progress;
  signal?: AbortSignal;
  /** Where finished sources' records go (the scan's stage table); without one they stay in the outcomes. */
  stage?: { add: (records: InventoryRecord[], complete: boolean) => { kind: string; subject: string; reason: string }[] };
  /** Kubernetes pages decoded on the page worker (default) or on this thread (WI_ATLAS_K8S_WORKER=false); see pages.ts. */
  k8sWorker?: boolean;
};

type Obj = Record<string, unknown>;

class SourceFailure extends Error {
  constructor(
    /** `skipped`: an optional source the caller may not read (the scan stays complete without it). */
    readonly status: "partial" | "failed" | "skipped",
    message: string,
    readonly httpStatus?: number,
    readonly permission?: string,
  ) {
    super(message);
  }
}

type SourceCtx = {
  caller: Pick<Caller, "call">;
  emit: (r: InventoryRecord | InventoryRecord[]) => void;
  /** Marks the source partial (it goes on), with the first problem kept as its message. */
  partial: (err: unknown) => void;
};

/** The Kubernetes lists read from each cluster (one source each). */
const K8S_LISTS = ["namespaces", "serviceaccounts", "nodes", "replicasets", "jobs", "pods", "deployments", "statefulsets", "daemonsets", "cronjobs", "secrets"] as const;

/**
 * Clusters listed at once. Each lists eleven resources, enough to keep the Kubernetes queue busy, and
 * a cluster's records stay in memory until the cluster is done: a bound here bounds the scan's memory
 * on estates of many clusters without slowing it (the per-API limit is what paces requests).
 */
const CLUSTERS_AT_ONCE = 3;

/** The IAM requests each listed account still costs: its keys and its policy, less what the asset index answered (none: the direct path, or searches that failed). */
export function requestsPerAccount(asset: Pick<AssetData, "keys" | "policies"> | undefined): number {
  return (asset?.keys ? 0 : 1) + (asset?.policies ? 0 : 1);
}

/**
 * IAM's requests still to come for the projects whose account list has not answered: as many per
 * account as those listed, at their average; none before the first list, or while what each account
 * costs is unknown (the asset searches still running).
 */
export function expectedAccountRequests(l: { pending: number; listed: number; accounts: number; perAccount?: number }): number {
  return l.perAccount === undefined || !l.listed ? 0 : Math.round((l.pending * l.perAccount * l.accounts) / l.listed);
}
/** Records staged between two turns of the event loop (see stageSliced). */
const STAGE_SLICE = 250;

/** A custom role's name as bindings write it. */
const CUSTOM_ROLE = /^(projects\/[^/]+|organizations\/\d+)\/roles\/[^/]+$/;

export class Collector {
  readonly outcomes: SourceOutcome[] = [];
  private readonly clusterSlots = new PQueue({ concurrency: CLUSTERS_AT_ONCE });
  /** Custom roles named by the policies read so far, and those already read: each role is read once a scan. */
  private readonly roleRefs = new Set<string>();
  private readonly rolesRead = new Set<string>();
  /** The chain depth the policy reads reached: reading the roles they name continues from there. */
  private policyDepth = 0;
  /** Projects whose account list is still to answer, those listed, and the accounts they named (IAM's expected work, for pacing). */
  private readonly accountLists: { pending: number; listed: number; accounts: number; perAccount?: number } = { pending: 0, listed: 0, accounts: 0 };
  /** The projects discovery found (a sharded scan leaves a scanned project's roles to its own shard). */
  private projectIds = new Set<string>();

  /** Where Kubernetes list pages are inflated, parsed and transformed (a worker thread unless turned off). */
  private readonly pages: PageDecoder;

  constructor(
    private readonly scope: CollectScope,
    private readonly deps: CollectDeps,
  ) {
    this.pages = pageDecoder(deps.k8sWorker !== false);
    // Pacing (lib/sources/http/pacer.ts) counts the lists (a request each, at least) of the clusters still waiting for their turn.
    deps.caller.expectMore("k8s", () => this.clusterSlots.size * K8S_LISTS.length);
    // Each account a project's list names costs up to two requests (its keys, its policy: both on the
    // direct path, what the asset index did not answer on the other): the projects whose list has not
    // answered yet will queue about as many, per account, as those listed. Unknown (none counted)
    // until the first list, and while the asset searches have not answered.
    deps.caller.expectMore("iam", () => expectedAccountRequests(this.accountLists));
    // Loaded while discovery runs: it is needed once the first cluster is listed.
    this.pages.warm();
  }

  private checkCancelled() {
    if (this.deps.signal?.aborted) throw new CancelledError();
  }

  /** Runs one source, recording its outcome; returns its records (also on partial), or undefined when it failed. */
  async source(family: string, scope: string, fn: (ctx: SourceCtx) => Promise<void>, opts: { deferStage?: boolean; notMine?: boolean } = {}): Promise<InventoryRecord[] | undefined> {
    this.checkCancelled();
    // Read for what this shard needs to know (its slice), recorded and staged by the shard that owns it.
    if (opts.notMine) return this.readOnly(fn);
    const name = `${family}:${scope}`;
    const counter = { requests: 0 };
    const records: InventoryRecord[] = [];
    let partialErr: ApiError | Error | undefined;
    let partialCount = 0;
    const started = Date.now();
    this.deps.progress?.update((p) => p.sourcesTotal++);
    const outcome: SourceOutcome = { source: name, family, scope, status: "ok", requests: 0, durationMs: 0, objects: 0, records };
    try {
      await inFlow(() => fn({
        caller: this.deps.caller.counted(counter),
        emit: (r) => {
          if (Array.isArray(r)) records.push(...r);
          else records.push(r);
        },
        partial: (err) => {
          if (err instanceof CancelledError) throw err;
          partialCount++;
          partialErr ??= err as Error;
        },
      }), true);
      if (partialErr) {
        outcome.status = "partial";
        this.describe(outcome, partialErr, partialCount);
      }
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      if (err instanceof SourceFailure) {
        outcome.status = err.status;
        outcome.error = err.message;
        outcome.httpStatus = err.httpStatus;
        outcome.permission = err.permission;
      } else {
        outcome.status = records.length > 0 ? "partial" : "failed";
        this.describe(outcome, err as Error, 1);
      }
    }
    outcome.requests = counter.requests;
    outcome.durationMs = Date.now() - started;
    outcome.objects = records.length;
    this.noteRoles(records);
    if (family === "crm.iamPolicy" || family === "iam.serviceAccountPolicies" || family === "asset.iamPolicies") this.policyDepth = Math.max(this.policyDepth, currentDepth());
    this.outcomes.push(outcome);
    if (!opts.deferStage) this.stageOutcome(outcome);
    if (outcome.status === "ok") log.debug(`source ${name}: ok, ${records.length} objects, ${counter.requests} requests, ${outcome.durationMs} ms`);
    else log.warn(`source ${name}: ${outcome.status}: ${outcome.error}`);
    this.deps.progress?.update((p) => {
      p.sourcesDone++;
      p.objects += records.length;
      p.requests += counter.requests;
      if (outcome.status === "failed" || outcome.status === "partial") {
        p.sourcesFailed++;
        if (p.errors.length < 50) p.errors.push(`${name}: ${outcome.error}`);
      }
    });
    return outcome.status === "failed" ? undefined : records;
  }

  /** Runs a source another shard owns: its records, or undefined when it failed; no outcome, no stage, no progress. */
  private async readOnly(fn: (ctx: SourceCtx) => Promise<void>): Promise<InventoryRecord[] | undefined> {
    const records: InventoryRecord[] = [];
    try {
      await inFlow(() => fn({
        caller: this.deps.caller,
        emit: (r) => {
          if (Array.isArray(r)) records.push(...r);
          else records.push(r);
        },
        partial: (err) => {
          if (err instanceof CancelledError) throw err;
        },
      }), true);
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      if (err instanceof SourceFailure) return err.status === "partial" ? records : undefined;
      return records.length ? records : undefined;
    }
    return records;
  }

  /** Whether this process's shard owns the organisation-level sources, a project's, or a cluster's. */
  private mine(what: { org: true } | { project: string } | { cluster: string }): boolean {
    return owns(this.scope.shard, what);
  }

  /** Remembers the custom roles policies name and the roles read (before the records leave for the stage). */
  private noteRoles(records: InventoryRecord[]) {
    for (const r of records) {
      if (r.kind === "iam-policy") {
        for (const b of (r.data as IamPolicyData).bindings) if (CUSTOM_ROLE.test(b.role)) this.roleRefs.add(b.role);
      } else if (r.kind === "custom-role") this.rolesRead.add((r.data as CustomRoleData).name);
    }
  }

  /**
   * Finished sources wait here for the stage, one after another in the order they finished (a later
   * source's record still wins over an earlier one's for the same object).
   */
  private staging: Promise<void> = Promise.resolve();
  private stagingError: unknown;

  /** Hands a finished source's records to the stage (only what a source that answered saw counts). */
  private stageOutcome(o: SourceOutcome) {
    if (!this.deps.stage || (o.status !== "ok" && o.status !== "partial")) return;
    this.staging = this.staging.then(() => this.stageSliced(o)).catch((err: unknown) => {
      this.stagingError ??= err;
    });
  }

  /** Waits until every finished source is staged; throws what staging threw. */
  private async staged() {
    await this.staging;
    if (this.stagingError) throw this.stagingError;
  }

  /**
   * Stages a source's records a slice at a time, letting the event loop run between slices: a
   * cluster's thousands of objects are checked and serialised in one go otherwise, and the answers
   * of IAM's per-account requests — the scan's critical path, every slot full — wait for the whole
   * of it (blocks of 100–300 ms at `org-l`).
   */
  private async stageSliced(o: SourceOutcome) {
    const stage = this.deps.stage!;
    const records = o.records;
    o.objects = records.length;
    o.records = [];
    const refused: ReturnType<typeof stage.add> = [];
    for (let i = 0; i < records.length; i += STAGE_SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      // After a refusal the rest counts as incomplete too, as the stage does within one call.
      refused.push(...stage.add(records.slice(i, i + STAGE_SLICE), o.status === "ok" && !refused.length));
    }
    if (refused.length) {
      // The source answered, but some of what it read cannot be stored: it is partial, never the whole scan failed.
      const first = refused[0];
      const detail = `${refused.length} object${refused.length > 1 ? "s" : ""} could not be stored: ${sanitiseText(`${first.kind} ${first.subject}`)} (${first.reason})${refused.length > 1 ? ` and ${refused.length - 1} more` : ""}`;
      const wasOk = o.status === "ok";
      o.status = "partial";
      o.error = o.error ? `${o.error}; ${detail}` : detail;
      log.warn(`source ${o.source}: ${detail}`);
      if (wasOk) {
        this.deps.progress?.update((p) => {
          p.sourcesFailed++;
          if (p.errors.length < 50) p.errors.push(`${o.source}: ${o.error}`);
        });
      }
    }
  }

  private describe(outcome: SourceOutcome, err: Error, count: number) {
    const more = count > 1 ? ` (and ${count - 1} more failed call${count > 2 ? "s" : ""})` : "";
    outcome.error = sanitiseText(`${err.message}${more}`);
    if (err instanceof ApiError) {
      outcome.httpStatus = err.status || undefined;
      outcome.permission = err.opts.permission;
    }
  }

  private skip(family: string, scope: string, reason: string) {
    this.outcomes.push({ source: `${family}:${scope}`, family, scope, status: "skipped", error: reason, requests: 0, durationMs: 0, objects: 0, records: [] });
  }

  /** The whole scan. */
  private asset?: Promise<AssetData>;

  async run(): Promise<SourceOutcome[]> {
    try {
      return await this.collectAll();
    } finally {
      // The page worker's heap is returned before the analysis, the scan's peak (pages.ts).
      await this.pages.release();
    }
  }

  private async collectAll(): Promise<SourceOutcome[]> {
    this.deps.progress?.update((p) => (p.phase = "discovering"));
    // The asset searches need nothing discovered first: they start at once, beside discovery.
    if (searchesAssets(this.scope)) {
      this.asset = awaitedLater(inFlow(() => this.searchAssets()));
      // What the index answered decides how many requests each account listed will still cost.
      this.asset.then(
        (a) => (this.accountLists.perAccount = requestsPerAccount(a)),
        () => (this.accountLists.perAccount = requestsPerAccount(undefined)),
      );
    } else this.accountLists.perAccount = requestsPerAccount(undefined);
    // Discovery is a chain every later request waits for: no API is paced until it is done.
    this.deps.caller.holdPacing?.(true);
    const { projects, ancestorPolicies } = await this.discover().finally(() => this.deps.caller.holdPacing?.(false));
    this.deps.progress?.update((p) => (p.phase = "collecting"));
    this.poolScopes = this.assetScopes(projects);
    await Promise.all([ancestorPolicies, ...projects.map((p) => inFlow(() => this.project(p)))]);
    // Each pool's search started when its first cluster or membership was listed.
    await Promise.all(this.poolSearches);
    await this.asset;
    await this.referencedRoles();
    await this.staged();
    return this.outcomes;
  }

  // ---- custom roles and deny policies ------------------------------------------------------

  /** `iam.roles:P` / `iam.roles:organizations/N`: every custom role defined there, deleted ones included. */
  private customRoles(parent: string) {
    const scope = parent.startsWith("projects/") ? parent.slice(9) : parent;
    return this.source("iam.roles", scope, async (ctx) => {
      for (const r of await gcp.listCustomRoles(this.deps.google, ctx.caller, parent)) ctx.emit(transformCustomRole(r, `iam.roles:${scope}`));
    });
  }

  /**
   * Custom roles that policies grant but no list answered for (a role of a project outside the scan,
   * or of one whose list failed): each is read on its own, as source `iam.roles:ROLE_NAME`. A role
   * missing from a list that did answer does not exist: it grants nothing and is not asked again.
   */
  private async referencedRoles() {
    const listOk = (name: string) => {
      const parent = name.slice(0, name.indexOf("/roles/"));
      const scope = parent.startsWith("projects/") ? parent.slice(9) : parent;
      return this.outcomes.some((o) => o.source === `iam.roles:${scope}` && o.status === "ok");
    };
    // In a sharded scan the roles of a scanned project are listed by that project's shard, and the
    // organisation's by shard 0; a role outside the scan is read by every shard whose policies name it
    // (the same source, the same record: the applier keeps one).
    const listedElsewhere = (name: string) => {
      const parent = name.slice(0, name.indexOf("/roles/"));
      if (parent.startsWith("projects/")) return this.projectIds.has(parent.slice(9)) && !this.mine({ project: parent.slice(9) });
      return parent === `organizations/${this.scope.organization}` && !this.mine({ org: true });
    };
    const wanted = [...this.roleRefs].filter((n) => !this.rolesRead.has(n) && !listOk(n) && !listedElsewhere(n)).sort();
    if (wanted.length) advanceTo(this.policyDepth); // these reads waited for every policy
    await Promise.all(
      wanted.map((name) =>
        inFlow(() =>
          this.source("iam.roles", name, async (ctx) => {
            try {
              ctx.emit(transformCustomRole(await gcp.getCustomRole(this.deps.google, ctx.caller, name), `iam.roles:${name}`));
            } catch (err) {
              // Not found: the role is gone (deleted and purged), and a binding naming it grants nothing.
              if (err instanceof ApiError && err.status === 404) return;
              throw err;
            }
          }),
        ),
      ),
    );
  }

  /** `iam.denyPolicies:RESOURCE`: the deny policies attached there, listed (no rules) then read one by one. */
  private denyPolicies(resource: string, attachedTo: string, project: string | null) {
    const { google } = this.deps;
    return this.source("iam.denyPolicies", resource, async (ctx) => {
      const list = await gcp.listDenyPolicies(google, ctx.caller, resource);
      await Promise.all(
        list.map(async (meta) => {
          try {
            ctx.emit(transformDenyPolicy(await gcp.getDenyPolicy(google, ctx.caller, String(meta.name)), `iam.denyPolicies:${resource}`, attachedTo, project));
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) return; // deleted between the list and the get
            ctx.partial(err);
          }
        }),
      );
    });
  }

  /** Scopes for Cloud Asset searches: the organisation, else each folder, else each project. */
  private assetScopes(discovered: ProjectData[] = []): string[] {
    if (this.scope.organization) return [`organizations/${this.scope.organization}`];
    if (this.scope.folders.length) return this.scope.folders.map((f) => `folders/${f}`);
    if (this.scope.projects.length) return this.scope.projects.map((p) => `projects/${p}`);
    return discovered.map((p) => `projects/${p.projectId}`);
  }

  /** Workload pools seen on clusters and fleet memberships: each gets one Cloud Asset search per scope. */
  private readonly pools = new Set<string>();
  private readonly poolSearches: Promise<unknown>[] = [];
  private poolScopes: string[] = [];

  /** Notes a workload pool; the first time, starts its searches (nothing else waits for them). */
  private notePool(pool: string) {
    if (this.pools.has(pool)) return;
    // Each pool's searches are the shard of the pool's project (every shard sees the clusters naming it).
    if (!this.mine({ project: poolProject(pool) })) return;
    this.pools.add(pool);
    for (const scope of this.poolScopes) this.poolSearches.push(awaitedLater(inFlow(() => this.searchPoolPolicies(scope, pool))));
  }

  /**
   * Which resources grant a workload pool's principals anything — buckets, topics, secrets… that no
   * project/folder policy shows: one paged `searchAllIamPolicies` per pool and scope (never one per
   * KSA: the API allows a few hundred requests a minute). The service matches words, so the analysis
   * matches members exactly. Optional: without `cloudasset.assets.searchAllIamPolicies`
   * (roles/cloudasset.viewer) the source is `skipped` with the permission named, and the scan stays
   * complete — only Google's preferred end state (a KSA with direct grants, no GSA) goes unseen.
   */
  private async searchPoolPolicies(scope: string, pool: string) {
    const { google } = this.deps;
    // Policies on service accounts, projects, folders and the organization are read directly.
    const readElsewhere = new Set(["iam.googleapis.com/ServiceAccount", "cloudresourcemanager.googleapis.com/Project", "cloudresourcemanager.googleapis.com/Folder", "cloudresourcemanager.googleapis.com/Organization"]);
    await this.source("asset.poolPolicies", `${scope}/${pool}`, async (ctx) => {
      const source = `asset.poolPolicies:${scope}/${pool}`;
      try {
        await gcp.searchIamPolicies(google, ctx.caller, scope, `policy:"${pool}"`, (results) => {
          for (const r of results) if (!readElsewhere.has(String(r.assetType))) ctx.emit(transformResourcePolicy(r, pool, source));
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) {
          throw new SourceFailure(
            "skipped",
            `not read (optional): ${err.message} — grants on buckets, topics, secrets… to ${pool}'s KSAs are not seen; roles/cloudasset.viewer on ${scope} shows them`,
            403,
            err.opts.permission ?? "cloudasset.assets.searchAllIamPolicies",
          );
        }
        throw err;
      }
    });
  }

  /**
   * One search's source. A part (keys, policies) is used only when its search answered in full over
   * every scope. On `auto` a search that fails is optional: `skipped`, with the cause (the permission
   * named on a 403), and the accounts are asked directly — the scan stays complete. On `asset`, which
   * was asked for, it is `failed` (the scan is partial so that it is noticed), and asked directly too.
   */
  private async assetSearch(family: "asset.keys" | "asset.iamPolicies", scope: string, search: (ctx: SourceCtx) => Promise<void>, opts?: Parameters<Collector["source"]>[3]): Promise<boolean> {
    let complete = false;
    await this.source(family, scope, async (ctx) => {
      try {
        await search(ctx);
      } catch (err) {
        if (this.scope.inventoryPath !== "auto" || err instanceof CancelledError) throw err;
        const c = assetFailureCause(err, scope);
        throw new SourceFailure("skipped", sanitiseText(`${NOT_USED}${c.cause}${ASKED_DIRECTLY}`), c.httpStatus, c.permission);
      }
      complete = true;
    }, opts);
    return complete;
  }

  private async searchAssets(): Promise<AssetData> {
    const { google } = this.deps;
    const scopes = this.assetScopes();
    const uniqueIdOf = (name: string) => /\/serviceAccounts\/([^/]+)/.exec(name)?.[1];
    const [keys, policies] = await Promise.all([
      (async () => {
        const byAccount = new Map<string, Obj[]>();
        const ok = await Promise.all(
          scopes.map((scope) =>
            this.assetSearch("asset.keys", scope, async (ctx) => {
              await gcp.searchAllResources(google, ctx.caller, scope, ["iam.googleapis.com/ServiceAccountKey"], (results) => {
                for (const r of results) {
                  const id = uniqueIdOf(String(r.name ?? ""));
                  if (!id) continue;
                  const keyId = String(r.name).split("/").pop()!;
                  const resource = ((r.versionedResources as Obj[] | undefined)?.[0]?.resource ?? {}) as Obj;
                  let list = byAccount.get(id);
                  if (!list) byAccount.set(id, (list = []));
                  list.push({ ...resource, keyId });
                }
              });
            }, { notMine: !this.mine({ org: true }) }),
          ),
        );
        return ok.every(Boolean) ? byAccount : undefined;
      })(),
      (async () => {
        const byAccount = new Map<string, Obj>();
        const ok = await Promise.all(
          scopes.map((scope) =>
            this.assetSearch("asset.iamPolicies", scope, async (ctx) => {
              await gcp.searchAllIamPolicies(google, ctx.caller, scope, ["iam.googleapis.com/ServiceAccount"], (results) => {
                for (const r of results) {
                  const id = uniqueIdOf(String(r.resource ?? ""));
                  if (id && r.policy) byAccount.set(id, r.policy as Obj);
                }
              });
            }, { notMine: !this.mine({ org: true }) }),
          ),
        );
        return ok.every(Boolean) ? byAccount : undefined;
      })(),
    ]);
    return { keys, policies, depth: currentDepth() };
  }

  // ---- discovery -------------------------------------------------------------------------

  private async discover(): Promise<{ projects: ProjectData[]; ancestorPolicies: Promise<unknown> }> {
    const { google } = this.deps;
    const found = new Map<string, ProjectData>();
    /** Folders whose record (and so parent) this scan has, by name. */
    const folders = new Map<string, FolderData>();
    const addRecords = (recs: InventoryRecord[] | undefined) => {
      for (const r of recs ?? []) {
        if (r.kind === "project") found.set((r.data as ProjectData).projectId, r.data as ProjectData);
        if (r.kind === "folder") folders.set((r.data as FolderData).name, r.data as FolderData);
      }
    };
    const policyTargets = new Set<string>();
    // Every shard discovers the projects (to know its slice); shard 0 records the discovery.
    const notMine = !this.mine({ org: true });

    const walkFolders = async (root: string) => {
      // Folders under `root`, recursively, and the projects directly under each.
      // Level by level: the folders of one level (and their projects) are listed at once.
      const recs = await this.source("crm.projects", root, async (ctx) => {
        let level = [root];
        while (level.length) {
          const next: string[] = [];
          await Promise.all(
            level.map(async (parent) => {
              const [folders, projects] = await Promise.allSettled([gcp.listFolders(google, ctx.caller, parent), gcp.listProjectsUnder(google, ctx.caller, parent)]);
              if (parent === root && folders.status === "rejected") throw folders.reason;
              if (parent === root && projects.status === "rejected") throw projects.reason;
              if (folders.status === "fulfilled") {
                for (const f of folders.value) {
                  const rec = transformFolder(f, `crm.projects:${root}`);
                  ctx.emit(rec);
                  next.push(rec.data.name);
                  policyTargets.add(rec.data.name);
                }
              } else ctx.partial(folders.reason);
              if (projects.status === "fulfilled") {
                for (const p of projects.value) {
                  if (p.state && p.state !== "ACTIVE") continue;
                  ctx.emit(transformProject(p, `crm.projects:${root}`));
                }
              } else ctx.partial(projects.reason);
            }),
          );
          level = next;
        }
      }, { notMine });
      addRecords(recs);
    };

    if (this.scope.organization) {
      const org = `organizations/${this.scope.organization}`;
      await this.source("crm.organization", org, async (ctx) => {
        ctx.emit(transformOrganization(await gcp.getOrganization(google, ctx.caller, this.scope.organization!), `crm.organization:${org}`));
      }, { notMine });
      policyTargets.add(org);
      await walkFolders(org);
    }
    for (const f of this.scope.folders) {
      const folder = `folders/${f}`;
      addRecords(
        await this.source("crm.folder", folder, async (ctx) => {
          const rec = transformFolder(await gcp.getFolder(google, ctx.caller, folder), `crm.folder:${folder}`);
          ctx.emit(rec);
        }, { notMine }),
      );
      policyTargets.add(folder);
      await walkFolders(folder);
    }
    if (this.scope.projects.length) {
      const recs = await this.source("crm.projects", "projects", async (ctx) => {
        for (const id of this.scope.projects) {
          try {
            ctx.emit(transformProject(await gcp.getProject(google, ctx.caller, id), "crm.projects:projects"));
          } catch (err) {
            ctx.partial(err);
          }
        }
      }, { notMine });
      addRecords(recs);
    }
    if (!this.scope.organization && !this.scope.folders.length && !this.scope.projects.length) {
      addRecords(await this.source("crm.projects", "search", async (ctx) => {
        for (const p of await gcp.searchProjects(google, ctx.caller)) ctx.emit(transformProject(p, "crm.projects:search"));
      }, { notMine }));
    }

    // Ancestors' policies (folders and organization) grant on every project below them; nothing
    // per project waits for them, so they run beside the projects.
    const readPolicies = new Map<string, Promise<unknown>>();
    const readPolicy = (resource: string) => {
      if (readPolicies.has(resource)) return;
      const subj = resource.startsWith("folders/") ? subject.folder(resource) : subject.organization(resource);
      readPolicies.set(
        resource,
        awaitedLater(Promise.all([
          inFlow(() =>
            this.source("crm.iamPolicy", resource, async (ctx) => {
              ctx.emit(transformPolicy(await gcp.getResourcePolicy(google, ctx.caller, resource), subj, `crm.iamPolicy:${resource}`, null));
            }),
          ),
          // Their deny policies, and the organization's custom roles, likewise.
          inFlow(() => this.denyPolicies(resource, subj, null)),
          ...(resource.startsWith("organizations/") ? [inFlow(() => this.customRoles(resource))] : []),
        ])),
      );
    };
    const projects = [...found.values()].sort((a, b) => a.projectId.localeCompare(b.projectId));
    this.projectIds = new Set(projects.map((p) => p.projectId));
    // The organisation's and folders' policies, roles and ancestry are shard 0's.
    if (notMine) return { projects, ancestorPolicies: Promise.resolve() };
    for (const p of found.values()) if (p.parent) policyTargets.add(p.parent);
    for (const t of policyTargets) readPolicy(t);
    const ancestry = inFlow(() => this.walkAncestry([...found.values()], folders, readPolicy));
    const ancestorPolicies = awaitedLater((async () => {
      await ancestry;
      // Everything the walk started is in the map by now (each folder starts its parent's read).
      await Promise.all(readPolicies.values());
    })());
    return { projects, ancestorPolicies };
  }

  /**
   * The ancestry above what discovery listed: in project and folder scopes a project's (or a root
   * folder's) parents are not walked from the organization down, yet their policies grant on every
   * project below. Each unknown parent folder is read (`crm.ancestry:folders/N`, its `parent`), up to
   * the organization, and every ancestor's policy is read. A folder that cannot be read leaves the
   * chain above it unknown: the analysis names it instead of assuming there is nothing there.
   */
  private async walkAncestry(projects: ProjectData[], folders: Map<string, FolderData>, readPolicy: (resource: string) => void) {
    const { google } = this.deps;
    const seen = new Set(folders.keys());
    const parents = [...new Set([...projects.map((p) => p.parent), ...[...folders.values()].map((f) => f.parent)])].filter((x): x is string => !!x);
    for (const o of parents) if (o.startsWith("organizations/")) readPolicy(o);
    let level = parents.filter((x) => x.startsWith("folders/") && !seen.has(x));
    for (const f of level) seen.add(f);
    while (level.length) {
      const next: string[] = [];
      await Promise.all(
        level.map(async (folder) => {
          readPolicy(folder);
          const recs = await this.source("crm.ancestry", folder, async (ctx) => {
            ctx.emit(transformFolder(await gcp.getFolder(google, ctx.caller, folder), `crm.ancestry:${folder}`));
          });
          const parent = (recs?.[0]?.data as FolderData | undefined)?.parent;
          if (!parent) return;
          if (parent.startsWith("organizations/")) readPolicy(parent);
          else if (!seen.has(parent)) {
            seen.add(parent);
            next.push(parent);
          }
        }),
      );
      level = next;
    }
  }

  // ---- per project -----------------------------------------------------------------------

  private async project(p: ProjectData) {
    const { google } = this.deps;
    const P = p.projectId;
    // Another shard's project: only its cluster list is read here, for the clusters this shard owns.
    const own = this.mine({ project: P });
    if (!own) return this.projectClusters(p, false);
    const policy = inFlow(() => this.source("crm.iamPolicy", `projects/${P}`, async (ctx) => {
      ctx.emit(transformPolicy(await gcp.getResourcePolicy(google, ctx.caller, `projects/${P}`), subject.project(P), `crm.iamPolicy:projects/${P}`, P));
    }));

    const iam = inFlow(async () => {
      this.accountLists.pending++;
      const gsas = await this.source("iam.serviceAccounts", P, async (ctx) => {
        for (const sa of await gcp.listServiceAccounts(google, ctx.caller, P)) ctx.emit(transformServiceAccount(sa, `iam.serviceAccounts:${P}`));
      }).finally(() => this.accountLists.pending--);
      if (gsas) {
        this.accountLists.listed++;
        this.accountLists.accounts += gsas.length;
      }
      if (!gsas) {
        const why = `not attempted: iam.serviceAccounts:${P} failed`;
        this.skip("iam.keys", P, why);
        this.skip("iam.serviceAccountPolicies", P, why);
        this.skip("policyanalyzer.serviceAccountLastAuthentication", P, why);
        this.skip("policyanalyzer.serviceAccountKeyLastAuthentication", P, why);
        return;
      }
      const accounts = gsas.map((r) => r.data as GsaData);
      const uniqueIds = new Map(accounts.map((a) => [a.uniqueId, a.email]));
      // On the asset path, what the index knows comes from it; accounts it does not know yet (created
      // within its lag) and everything, when a search failed, are asked directly.
      const asset = this.asset ? await this.asset : undefined;
      if (asset) advanceTo(asset.depth);
      const indexed = (a: GsaData) => asset?.keys?.has(a.uniqueId) === true;
      await Promise.all([
        this.source("iam.keys", P, async (ctx) => {
          await Promise.all(
            accounts.map(async (a) => {
              if (indexed(a)) {
                for (const k of asset!.keys!.get(a.uniqueId)!) {
                  if (k.keyType !== "USER_MANAGED") continue;
                  const { keyId, ...rest } = k;
                  ctx.emit(transformKey({ ...rest, name: `projects/${P}/serviceAccounts/${a.email}/keys/${keyId as string}` }, `iam.keys:${P}`));
                }
                return;
              }
              try {
                for (const k of await gcp.listUserManagedKeys(google, ctx.caller, P, a.email)) ctx.emit(transformKey(k, `iam.keys:${P}`));
              } catch (err) {
                // A GSA deleted between the list and this call is not a failure of the source.
                if (err instanceof ApiError && err.status === 404) return;
                ctx.partial(err);
              }
            }),
          );
        }),
        this.source("iam.serviceAccountPolicies", P, async (ctx) => {
          await Promise.all(
            accounts.map(async (a) => {
              if (asset?.policies && indexed(a)) {
                // Accounts without a policy are not in the search results: their policy is empty.
                ctx.emit(transformPolicy(asset.policies.get(a.uniqueId) ?? {}, subject.gsa(a.email), `iam.serviceAccountPolicies:${P}`, P));
                return;
              }
              try {
                ctx.emit(transformPolicy(await gcp.getServiceAccountPolicy(google, ctx.caller, P, a.email), subject.gsa(a.email), `iam.serviceAccountPolicies:${P}`, P));
              } catch (err) {
                if (err instanceof ApiError && err.status === 404) return;
                ctx.partial(err);
              }
            }),
          );
        }),
        ...(["serviceAccountLastAuthentication", "serviceAccountKeyLastAuthentication"] as const).map((type) =>
          this.source(`policyanalyzer.${type}`, P, async (ctx) => {
            for (const a of await gcp.queryActivities(google, ctx.caller, P, type)) {
              const rec = transformActivity(a, `policyanalyzer.${type}:${P}`, P, uniqueIds);
              if (rec) ctx.emit(rec);
            }
          }),
        ),
      ]);
    });

    const clusters = inFlow(() => this.projectClusters(p, true));

    // The fleet this project hosts: members elsewhere (other projects, other clouds, on-prem) share
    // its workload pool. A project with the GKE Hub API off has no fleet: that is an answer, not a gap.
    const memberships = inFlow(() =>
      this.source("gkehub.memberships", P, async (ctx) => {
        let list: { memberships: Obj[]; unreachable: string[] };
        try {
          list = await gcp.listMemberships(google, ctx.caller, P);
        } catch (err) {
          if (err instanceof ApiError && err.opts.reason === "SERVICE_DISABLED") {
            log.debug(`gkehub.memberships:${P}: the GKE Hub API is off, so the project hosts no fleet`);
            return;
          }
          throw err;
        }
        for (const m of list.memberships) {
          const rec = transformMembership(m, `gkehub.memberships:${P}`);
          if (rec.data.pool) this.notePool(rec.data.pool);
          ctx.emit(rec);
        }
        if (list.unreachable.length) {
          throw new SourceFailure("partial", `memberships.list projects/${P}: locations did not answer (unreachable): ${list.unreachable.join(", ")}`);
        }
      }),
    );

    const roles = inFlow(() => this.customRoles(`projects/${P}`));
    const deny = inFlow(() => this.denyPolicies(`projects/${P}`, subject.project(P), P));
    await Promise.all([policy, iam, clusters, memberships, roles, deny]);
  }

  /**
   * The project's cluster list and the Kubernetes sources of the clusters this shard owns. `own`:
   * this shard owns the project, so it records the list; otherwise it reads it only to find its clusters.
   */
  private async projectClusters(p: ProjectData, own: boolean) {
    const { google } = this.deps;
    const P = p.projectId;
    const raw = new Map<string, Obj>();
    const recs = await this.source("container.clusters", P, async (ctx) => {
      const { clusters, missingZones } = await gcp.listClusters(google, ctx.caller, P);
      for (const c of clusters) {
        // Every cluster is kept, filtered or not: its node pools and workload pool are Google-side
        // facts, and a pool's clusters must all be known before anything is called absent there.
        const { cluster, nodePools } = transformCluster(c, P, p.projectNumber, `container.clusters:${P}`);
        raw.set(cluster.subject, c);
        if (cluster.data.workloadPool) this.notePool(cluster.data.workloadPool);
        ctx.emit([cluster, ...nodePools]);
      }
      if (missingZones.length) {
        throw new SourceFailure("partial", `clusters.list projects/${P}: zones did not answer (missingZones): ${missingZones.join(", ")}`);
      }
      }, { notMine: !own });
    // Even on a partial list (missingZones), the clusters that did answer are scanned.
    const found = (recs ?? (own ? this.lastRecords(`container.clusters:${P}`) : [])).filter((r) => r.kind === "cluster").map((r) => r.data as ClusterData);
    const ours = found.filter((c) => this.mine({ cluster: clusterKey({ project: c.projectId, location: c.location, name: c.name }) }));
    for (const c of ours.filter((c) => !this.clusterInScope(c))) this.skipCluster(c);
    await Promise.all(
      ours
        .filter((c) => this.clusterInScope(c))
        .map((c) => inFlow(() => this.clusterSlots.add(AsyncResource.bind(() => this.cluster(c, raw.get(subject.cluster({ project: c.projectId, location: c.location, name: c.name })) ?? {}))))),
    );
  }

  private lastRecords(source: string): InventoryRecord[] {
    return this.outcomes.find((o) => o.source === source)?.records ?? [];
  }

  /** A cluster WI_ATLAS_CLUSTERS leaves out: listed, but none of its Kubernetes objects are read. */
  private skipCluster(c: ClusterData) {
    const key = clusterKey({ project: c.projectId, location: c.location, name: c.name });
    const why = `not read: WI_ATLAS_CLUSTERS (${this.scope.clusters.join(", ")}) does not name ${c.name}`;
    for (const resource of K8S_LISTS) this.skip(`k8s.${resource}`, key, why);
    this.skip("k8s.configmaps", key, why);
  }

  private clusterInScope(c: ClusterData): boolean {
    if (!this.scope.clusters.length) return true;
    const key = clusterKey({ project: c.projectId, location: c.location, name: c.name });
    return this.scope.clusters.some((s) => s === c.name || s === key);
  }

  // ---- per cluster -----------------------------------------------------------------------

  private async cluster(c: ClusterData, raw: Obj) {
    const ref = { project: c.projectId, location: c.location, name: c.name };
    const key = clusterKey(ref);
    const client = clusterClient(this.deps.endpointFor(c, raw), this.deps.google.accessToken);
    const t = new ClusterTransformer(ref, (resource) => `k8s.${resource}:${key}`);

    // Pods are tied to their workloads once the whole cluster is listed: the cluster's records are
    // staged together at the end. Pages are decoded off this thread (lib/sources/k8s/pages.ts).
    const list = (resource: K8sListName, each: (page: DecodedPage, ctx: SourceCtx) => void, onRestart?: () => void) =>
      this.source(
        `k8s.${resource}`,
        key,
        async (ctx) => {
          try {
            await listRecords(client, ctx.caller, this.pages, { ref, key }, resource, (page) => each(page, ctx), { onRestart });
          } catch (err) {
            // A list that cannot end fails its source whole: what it saw may be any part of the list.
            if (err instanceof ListBrokenError) throw new SourceFailure("failed", err.message);
            throw err;
          }
        },
        { deferStage: true },
      );
    const emitAll = (page: DecodedPage, ctx: SourceCtx) => ctx.emit(page.records);

    const rsOwners = new Map<string, OwnerRef | null>();
    const jobOwners = new Map<string, OwnerRef | null>();
    const podRecords: InventoryRecord<PodData>[] = [];

    const [, , , rs, jobs, pods] = await Promise.all([
      list("namespaces", emitAll),
      list("serviceaccounts", emitAll),
      list("nodes", emitAll),
      // ReplicaSets and Jobs are read to tie pods to Deployments and CronJobs; an ownerless one is a workload itself.
      list("replicasets", (page, ctx) => {
        for (const [k, owner] of page.owners ?? []) rsOwners.set(k, owner);
        ctx.emit(page.records);
      }),
      list("jobs", (page, ctx) => {
        for (const [k, owner] of page.owners ?? []) jobOwners.set(k, owner);
        ctx.emit(page.records);
      }),
      list(
        "pods",
        (page, ctx) => {
          for (const rec of page.records) if (rec.kind === "pod") podRecords.push(rec as InventoryRecord<PodData>);
          ctx.emit(page.records);
        },
        () => (podRecords.length = 0),
      ),
      list("deployments", emitAll),
      list("statefulsets", emitAll),
      list("daemonsets", emitAll),
      list("cronjobs", emitAll),
      this.scope.readSecrets
        ? list("secrets", emitAll)
        : Promise.resolve(this.skip("k8s.secrets", key, "not read: WI_ATLAS_READ_SECRETS=false")),
    ]);

    if (pods) {
      // Tie pods to workloads now that ReplicaSets and Jobs are known (or inferred from names when not).
      const podOutcome = this.outcomes.find((o) => o.source === `k8s.pods:${key}`);
      const podOwners = new Map(podRecords.map((r) => [`${r.data.namespace}/${r.data.name}`, r.data.owner] as const));
      const extraWorkloads = new Map<string, InventoryRecord<WorkloadData>>();
      const templatePhase = new Map<string, string | null>();
      for (const rec of podRecords) {
        t.resolvePodWorkload(rec, rs ? rsOwners : undefined, jobs ? jobOwners : undefined, podOwners);
        // A workload of a kind the scanner does not list (an Argo Rollout behind its ReplicaSets, a
        // Workflow, a SparkApplication, a RayCluster…) exists only through its pods: build it from them.
        const [wkind, wname] = rec.data.workload.split("/").slice(-2);
        if (LISTED_KINDS.has(wkind)) continue;
        // Its template is a running pod's spec (else the first pod's): it is read only when the pods are gone.
        if (extraWorkloads.has(rec.data.workload) && !(rec.data.phase === "Running" && templatePhase.get(rec.data.workload) !== "Running")) continue;
        const w = t.workload({ metadata: { name: wname, namespace: rec.data.namespace }, spec: {} }, wkind, "pods");
        w.data.template = { ...rec.data.spec, nodeName: null };
        extraWorkloads.set(rec.data.workload, w);
        templatePhase.set(rec.data.workload, rec.data.phase);
      }
      podOutcome?.records.push(...extraWorkloads.values());
    }
    await this.configMaps(client, t, key);
    for (const o of this.outcomes) if (o.family.startsWith("k8s.") && o.scope === key) this.stageOutcome(o);
  }

  /**
   * Reads the ConfigMaps a pod's credentials come from — and no others: those `envFrom` or
   * `valueFrom.configMapKeyRef` could set GOOGLE_APPLICATION_CREDENTIALS (or CLOUDSDK_CONFIG, or a
   * variable their `$(VAR)` references) from, then those holding the file the variable names, or
   * ADC's well-known file, on a configMap volume. One GET per ConfigMap (never a list); only the
   * path-like values of those keys and the credential summary of those files are kept.
   */
  private async configMaps(client: ReturnType<typeof clusterClient>, t: ClusterTransformer, key: string) {
    const recordsOf = <D>(resource: string, kind: string) =>
      (this.outcomes.find((o) => o.source === `k8s.${resource}:${key}`)?.records ?? []).filter((r) => r.kind === kind) as InventoryRecord<D>[];
    const specs: PodSpecEssentials[] = [];
    const namespaces: string[] = [];
    for (const r of recordsOf<PodData>("pods", "pod")) {
      specs.push(r.data.spec);
      namespaces.push(r.data.namespace);
    }
    for (const resource of ["pods", "deployments", "statefulsets", "daemonsets", "cronjobs", "jobs", "replicasets"]) {
      for (const r of recordsOf<WorkloadData>(resource, "workload")) {
        specs.push(r.data.template);
        namespaces.push(r.data.namespace);
      }
    }
    const containersOf = (s: PodSpecEssentials): ContainerEssentials[] => [...s.initContainers, ...s.containers, ...s.ephemeralContainers];

    // What is known of Secrets (listed) and ConfigMaps (read here), for Kubernetes' env rules.
    const secretsOk = this.outcomes.find((o) => o.source === `k8s.secrets:${key}`)?.status === "ok";
    const secrets = new Map(recordsOf<SecretData>("secrets", "secret").map((r) => [`${r.data.namespace}/${r.data.name}`, r.data]));
    type Read = { state: "read"; obj: Obj } | { state: "missing" } | { state: "unreadable" };
    const read = new Map<string, Read>();
    const wanted = new Map<string, { envKeys: Set<string>; fileKeys: Set<string> }>();
    const want = (ns: string, name: string, k: string, as: "env" | "file") => {
      const id = `${ns}/${name}`;
      let w = wanted.get(id);
      if (!w) wanted.set(id, (w = { envKeys: new Set(), fileKeys: new Set() }));
      (as === "env" ? w.envKeys : w.fileKeys).add(k);
    };
    const secretView = (ns: string, name: string): EnvSourceView => {
      const s = secrets.get(`${ns}/${name}`);
      if (s) return { state: "read", has: (k) => s.dataKeys.includes(k), value: () => undefined };
      return secretsOk ? { state: "missing" } : { state: "unreadable", lacking: [`k8s.secrets:${key}`] };
    };
    const configMapView = (ns: string, name: string): EnvSourceView => {
      const r = read.get(`${ns}/${name}`);
      if (!r || r.state === "unreadable") return { state: "unreadable", lacking: [`k8s.configmaps:${key}`] };
      if (r.state === "missing") return { state: "missing" };
      const data = (r.obj.data ?? {}) as Record<string, string>;
      return { state: "read", has: (k) => typeof data[k] === "string", value: (k) => (typeof data[k] === "string" && isPathLike(data[k]) ? data[k] : undefined) };
    };

    await this.source("k8s.configmaps", key, async (ctx) => {
      const fetchAll = async () => {
        const todo = [...wanted.keys()].filter((id) => !read.has(id));
        await Promise.all(
          todo.map(async (id) => {
            const [ns, name] = id.split("/");
            try {
              const obj = await getConfigMap(client, ctx.caller, ns, name);
              read.set(id, obj ? { state: "read", obj } : { state: "missing" });
            } catch (err) {
              read.set(id, { state: "unreadable" });
              ctx.partial(err);
            }
          }),
        );
      };
      // 1. The variable: the ConfigMaps GOOGLE_APPLICATION_CREDENTIALS (or a $(VAR) it uses) could come from.
      specs.forEach((spec, i) => {
        for (const c of containersOf(spec)) for (const src of envSourcesFor(c, GAC)) if (src.kind === "configMap") want(namespaces[i], src.name, src.key, "env");
      });
      // CLOUDSDK_CONFIG (where some libraries look for ADC's file) is looked up only in those: no ConfigMap is read for it alone.
      specs.forEach((spec, i) => {
        for (const c of containersOf(spec)) {
          for (const src of envSourcesFor(c, "CLOUDSDK_CONFIG")) if (src.kind === "configMap" && wanted.has(`${namespaces[i]}/${src.name}`)) want(namespaces[i], src.name, src.key, "env");
        }
      });
      await fetchAll();
      // 2. The files: a configMap volume holding the file the variable names, or ADC's well-known file.
      specs.forEach((spec, i) => {
        const ns = namespaces[i];
        const lookup: EnvLookup = { configMap: (n) => configMapView(ns, n), secret: (n) => secretView(ns, n) };
        const keysOf: KeysOf = (kind, n) => (kind === "secret" ? secrets.get(`${ns}/${n}`)?.dataKeys : undefined);
        for (const c of containersOf(spec)) {
          const gac = resolveEnv(c, GAC, lookup);
          const paths: string[] = [];
          if (gac.kind === "value" && gac.value) paths.push(gac.value);
          if (gac.kind === "unset" || (gac.kind === "value" && !gac.value)) {
            for (const f of filesEndingWith(spec.volumes, c.volumeMounts, ADC_WELL_KNOWN, keysOf)) if (f.source.kind === "configMap") want(ns, f.source.name, f.source.key, "file");
            const cfg = resolveEnv(c, "CLOUDSDK_CONFIG", lookup);
            if (cfg.kind === "value" && cfg.value) paths.push(`${cfg.value.replace(/\/+$/, "")}/application_default_credentials.json`);
          }
          for (const p of paths) {
            const f = fileSource(spec.volumes, c.volumeMounts, p, keysOf);
            if (f.kind === "configMap") want(ns, f.name, f.key, "file");
          }
        }
      });
      await fetchAll();
      for (const [id, r] of read) {
        if (r.state === "read") ctx.emit(t.configMap(r.obj, wanted.get(id)!));
        else if (r.state === "missing") ctx.emit(t.absentConfigMap(id.split("/")[0], id.split("/")[1], wanted.get(id)!));
      }
      read.clear();
    }, { deferStage: true });
  }
}

/** Workload kinds the scanner lists (or emits from their own objects). */
const LISTED_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet", "Pod"]);

/**
 * Marks a promise that starts now and is awaited later: when the scan stops early (cancelled, or a
 * discovery failure), nothing may be left to reject unobserved — an unhandled rejection ends a Node
 * process, the web server included. The later `await` still sees the rejection.
 */
function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export async function collect(scope: CollectScope, deps: CollectDeps): Promise<SourceOutcome[]> {
  // The scan is the root flow: every source and branch starts from it (see chain.ts).
  return inFlow(() => new Collector(scope, deps).run());
}
