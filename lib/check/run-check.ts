/**
 * The check before deploy: place the manifests into a cluster (place-manifests.ts), analyse the
 * inventory before and after with the product's own analysis (lib/analysis/run-analysis.ts, pure),
 * and report what the manifests' workloads will run as and which findings they would open. Findings
 * that were open before are not the manifests' fault: they are listed apart as already open.
 */
import { clusterKey, parseClusterKey, subject, type ClusterRef } from "../ids";
import { runAnalysis } from "../analysis/run-analysis";
import type { Finding, Severity, WorkloadStatus } from "../analysis/model";
import { SEVERITY_ORDER } from "../analysis/model";
import { placeManifests, OWN_CLUSTER } from "./place-manifests";
import type { LocatedManifest, ReadManifests } from "./read-manifests";
import { CheckInputError } from "./read-manifests";
import { CheckRunError, type Baseline } from "./baseline";

export const FAIL_ON = ["critical", "high", "medium"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Where a reported finding points in the input. */
export type CheckLocation = { file: string; line: number; helmSource: string | null; object: string };

/** A finding as the check reports it. */
export type CheckFinding = {
  rule: string;
  severity: Severity;
  /** `open`, or `unverified` (a source it needs was not read: the check cannot tell). */
  state: "open" | "unverified";
  title: string;
  subject: string;
  message: string;
  /** The manifest object it is about (for a GSA or key: the object that names it), else the first object read. */
  location: CheckLocation;
  /** Whether the subject itself is an object of the manifests (or a pod of one). */
  inManifests: boolean;
  lacking?: string[];
};

/** One identity a workload's pods will hold. */
export type CheckIdentityShare = { label: string; type: string; email: string | null; pods: number; containers: string[] };

export type CheckWorkload = {
  subject: string;
  kind: string;
  namespace: string;
  name: string;
  location: CheckLocation;
  /** Its Kubernetes service account (`NAMESPACE/NAME`). */
  ksa: string;
  /** The effective identity: an email, a principal, `mixed`, `pending`, `unknown`. */
  identity: string;
  /** key-file | node | workload-identity | federated | credential-file | external-account | unknown-key-file | pending | unknown | mixed */
  identitySource: string;
  shares: CheckIdentityShare[];
  /** The identity the same workload has in the scan, when it exists there. */
  before: { identity: string; identitySource: string } | null;
  migration: string;
  migrationReason: string;
  pods: number;
  pendingPods: number;
  nodePools: string[];
};

export type CheckReport = {
  format: "wi-atlas-check";
  version: 1;
  /** `PROJECT/LOCATION/NAME` the manifests were placed in. */
  cluster: string;
  /** `scanned`: a cluster of the latest scan; `own`: the check's own GKE-metadata cluster. */
  clusterMode: "scanned" | "own";
  baseline: { source: "database" | "snapshot" | "none"; scan: number | null; now: string };
  failOn: FailOn;
  /** Whether an opened finding is at or above `failOn` (exit 1). */
  failed: boolean;
  objects: { kind: string; namespace: string | null; name: string; file: string; line: number; helmSource: string | null }[];
  ignored: { kind: string; apiVersion: string; namespace: string | null; name: string | null; file: string; line: number }[];
  workloads: CheckWorkload[];
  /** New findings, open: the manifests' fault. */
  opened: CheckFinding[];
  /** New findings the check cannot decide (a source they need was not read). Not counted by --fail-on. */
  undecided: CheckFinding[];
  /** Findings on the manifests' subjects that were open in the scan and stay open. */
  alreadyOpen: CheckFinding[];
  /** Findings on the manifests' subjects open in the scan that the manifests resolve. */
  resolved: CheckFinding[];
  notes: string[];
};

/** Rules whose verdict depends on which project the cluster is in: not reported for the check's own cluster. */
const PROJECT_DEPENDENT_RULES = new Set(["ksa-cross-project-gsa"]);

const describe = (o: LocatedManifest) => `${o.manifest.kind} ${o.manifest.metadata.namespace ? `${o.manifest.metadata.namespace}/` : ""}${o.manifest.metadata.name}`;
const loc = (o: LocatedManifest): CheckLocation => ({ file: o.file, line: o.line, helmSource: o.helmSource, object: describe(o) });

export function atOrAbove(sev: Severity, failOn: FailOn): boolean {
  return SEVERITY_ORDER.indexOf(sev) <= SEVERITY_ORDER.indexOf(failOn);
}

export function parseClusterArg(value: string): ClusterRef {
  const ref = parseClusterKey(value);
  if (!ref) throw new CheckInputError(`--cluster ${value}: expected PROJECT/LOCATION/NAME (e.g. acme-prod/asia-northeast1/prod)`);
  return ref;
}

export function runCheck(args: {
  read: ReadManifests;
  /** The scan to place the manifests into; undefined: the check's own cluster. */
  baseline?: { data: Baseline; source: "database" | "snapshot"; cluster: ClusterRef };
  failOn: FailOn;
  /** The clock for the own cluster (tests pin it); the scan's clock otherwise. */
  now?: Date;
}): CheckReport {
  const { read, failOn } = args;
  if (read.objects.length === 0 && read.ignored.length === 0) throw new CheckInputError("The manifests hold no Kubernetes object");
  const b = args.baseline;
  if (b && !b.data.records.some((r) => r.kind === "cluster" && r.subject === subject.cluster(b.cluster))) {
    const known = b.data.records.filter((r) => r.kind === "cluster").map((r) => r.subject.slice(8)).sort();
    throw new CheckRunError(`No cluster ${clusterKey(b.cluster)} in scan #${b.data.scan.id}${known.length ? `; it has ${known.join(", ")}` : ""}`);
  }
  const now = b?.data.now ?? args.now ?? new Date();
  const placed = placeManifests({
    objects: read.objects,
    ignored: read.ignored,
    now,
    base: b ? { records: b.data.records, sources: b.data.sources, cluster: b.cluster } : undefined,
  });
  // The "before": the scan as it is, or the own cluster with nothing deployed.
  const beforeInput = b
    ? { now, records: b.data.records, sources: b.data.sources, firstSeen: b.data.firstSeen }
    : (() => {
        const empty = placeManifests({ objects: [], ignored: [], now });
        return { now, records: empty.records, sources: empty.sources };
      })();
  const before = runAnalysis(beforeInput);
  const after = runAnalysis({ now, records: placed.records, sources: placed.sources, firstSeen: b?.data.firstSeen });

  const key = (f: Finding) => `${f.rule}|${f.subject}`;
  // The own cluster's project is made up: a rule that compares it with a GSA's project would report the check, not the manifests.
  if (!b) after.findings = after.findings.filter((f) => !PROJECT_DEPENDENT_RULES.has(f.rule));
  const beforeOpen = new Map(before.findings.filter((f) => f.state === "open").map((f) => [key(f), f]));
  const beforeAny = new Set(before.findings.map(key));
  const afterOpen = new Set(after.findings.filter((f) => f.state === "open").map(key));

  // Which manifest object a finding is about: its subject (a pod: its workload), else the object naming its GSA.
  const annotatedBy = new Map<string, LocatedManifest>();
  for (const o of read.objects) {
    const email = o.manifest.kind === "ServiceAccount" ? o.manifest.metadata.annotations?.["iam.gke.io/gcp-service-account"] : undefined;
    if (email && !annotatedBy.has(email.trim().toLowerCase())) annotatedBy.set(email.trim().toLowerCase(), o);
  }
  const first = read.objects[0];
  const firstLoc: CheckLocation = first ? loc(first) : { file: read.ignored[0].file, line: read.ignored[0].line, helmSource: null, object: `${read.ignored[0].kind} ${read.ignored[0].name ?? ""}`.trim() };
  const statusAfter = new Map(after.statuses.map((s) => [s.subject, s]));
  const locate = (f: Finding): { location: CheckLocation; inManifests: boolean } => {
    const own = placed.touched.get(f.subject);
    if (own) return { location: loc(own), inManifests: true };
    if (f.gsa) {
      const a = annotatedBy.get(f.gsa);
      if (a) return { location: loc(a), inManifests: false };
      // A workload of the manifests that runs as it (a key file, a node's account).
      for (const [w, o] of placed.workloads) if (statusAfter.get(w)?.identity.shares.some((x) => "email" in x.identity && x.identity.email === f.gsa)) return { location: loc(o), inManifests: false };
    }
    return { location: firstLoc, inManifests: false };
  };
  const toCheck = (f: Finding): CheckFinding => ({
    rule: f.rule,
    severity: f.severity,
    state: f.state,
    title: f.title,
    subject: f.subject,
    message: f.message,
    ...locate(f),
    ...(f.lacking?.length ? { lacking: f.lacking } : {}),
  });

  const opened = after.findings.filter((f) => f.state === "open" && !beforeOpen.has(key(f))).map(toCheck);
  const undecided = after.findings.filter((f) => f.state === "unverified" && !beforeAny.has(key(f))).map(toCheck);
  const alreadyOpen = after.findings.filter((f) => f.state === "open" && beforeOpen.has(key(f)) && placed.touched.has(f.subject)).map(toCheck);
  const resolved = [...beforeOpen.values()].filter((f) => !afterOpen.has(key(f)) && placed.touched.has(f.subject)).map(toCheck);

  const statusBefore = new Map(before.statuses.map((s) => [s.subject, s]));
  const ksaOf = (s: WorkloadStatus) => `${s.namespace}/${s.ksa.split("/").pop()}`;
  const workloads: CheckWorkload[] = [...placed.workloads]
    .map(([w, o]): CheckWorkload | null => {
      const s = statusAfter.get(w);
      if (!s) return null;
      const was = statusBefore.get(w);
      return {
        subject: w,
        kind: s.kind,
        namespace: s.namespace,
        name: s.name,
        location: loc(o),
        ksa: ksaOf(s),
        identity: s.identity.label,
        identitySource: s.identity.source,
        shares: s.identity.shares.map((x) => ({ label: x.label, type: x.identity.type, email: "email" in x.identity ? (x.identity.email ?? null) : null, pods: x.pods, containers: x.containers })),
        before: was ? { identity: was.identity.label, identitySource: was.identity.source } : null,
        migration: s.migration,
        migrationReason: s.migrationReason,
        pods: s.pods,
        pendingPods: s.pendingPods,
        nodePools: s.nodePools,
      };
    })
    .filter((x): x is CheckWorkload => x !== null)
    .sort((a, c) => (a.subject < c.subject ? -1 : 1));

  return {
    format: "wi-atlas-check",
    version: 1,
    cluster: clusterKey(placed.cluster),
    clusterMode: b ? "scanned" : "own",
    baseline: { source: b ? b.source : "none", scan: b ? b.data.scan.id : null, now: now.toISOString() },
    failOn,
    failed: opened.some((f) => atOrAbove(f.severity, failOn)),
    objects: read.objects.map((o) => ({ kind: o.manifest.kind, namespace: o.manifest.metadata.namespace ?? null, name: o.manifest.metadata.name, file: o.file, line: o.line, helmSource: o.helmSource })),
    ignored: read.ignored.map((i) => ({ kind: i.kind, apiVersion: i.apiVersion, namespace: i.namespace, name: i.name, file: i.file, line: i.line })),
    workloads,
    opened,
    undecided,
    alreadyOpen,
    resolved,
    notes: [...read.notes, ...placed.notes, ...(b ? [] : [`no --cluster: placed into the check's own cluster ${clusterKey(OWN_CLUSTER)} (Workload Identity on, one GKE_METADATA node pool); the Google side (service accounts, bindings, keys) is not known, so links to a GSA are undecided`])],
  };
}
