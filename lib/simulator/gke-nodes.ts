/**
 * What GKE puts on the Kubernetes Node objects of a node pool, from the pool's container v1
 * NodeConfig — and what GKE's admission adds to pods so that they may use such nodes. Each label and
 * taint has its source beside it:
 * - `config.labels` and `config.taints` are applied to every node of the pool; the API's effects
 *   NO_SCHEDULE / PREFER_NO_SCHEDULE / NO_EXECUTE become NoSchedule / PreferNoSchedule / NoExecute
 *   (container v1 NodeTaint; https://cloud.google.com/kubernetes-engine/docs/how-to/node-taints).
 * - Spot and preemptible VMs are labelled `cloud.google.com/gke-spot=true` /
 *   `cloud.google.com/gke-preemptible=true` and `cloud.google.com/gke-provisioning=spot|preemptible`;
 *   Standard pools get no taint for it (only node auto-provisioning taints Spot pools)
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/spot-vms).
 * - Arm machine series (T2A, C4A, N4A, A4X) carry `kubernetes.io/arch=arm64` and the default taint
 *   `kubernetes.io/arch=arm64:NoSchedule` unless `taintConfig.architectureTaintBehavior` is NONE; a pod
 *   that selects arm64 by nodeSelector or required affinity gets the matching toleration from GKE
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-arm-workloads-for-deployment).
 * - Windows Server image types (WINDOWS_LTSC_CONTAINERD, WINDOWS_SAC_CONTAINERD, WINDOWS_LTSC, WINDOWS_SAC)
 *   carry `kubernetes.io/os=windows`, the kubelet's `node.kubernetes.io/windows-build`, and the taint
 *   `node.kubernetes.io/os=windows:NoSchedule`; GKE's webhook adds its toleration to pods whose
 *   nodeSelector asks for `kubernetes.io/os: windows` (GKE "Deploy a Windows Server application").
 * - GPU pools (`config.accelerators`) carry `cloud.google.com/gke-accelerator=TYPE`; when the cluster
 *   also has a pool without GPUs, their nodes are tainted `nvidia.com/gpu=present:NoSchedule`, and the
 *   ExtendedResourceToleration admission controller gives pods that request `nvidia.com/gpu` the
 *   matching toleration (https://cloud.google.com/kubernetes-engine/docs/how-to/gpus).
 * - `node.kubernetes.io/instance-type` is the machine type; `cloud.google.com/machine-family` its series.
 */
import type { Taint, TaintEffect } from "./schedule";

type Json = Record<string, unknown>;

const EFFECTS: Record<string, TaintEffect> = {
  NO_SCHEDULE: "NoSchedule",
  PREFER_NO_SCHEDULE: "PreferNoSchedule",
  NO_EXECUTE: "NoExecute",
  // Terraform and kubectl spell them the Kubernetes way; accept those too.
  NoSchedule: "NoSchedule",
  PreferNoSchedule: "PreferNoSchedule",
  NoExecute: "NoExecute",
};

/** Machine series built on Arm CPUs (Ampere Altra T2A, Google Axion C4A/N4A, Grace A4X). */
const ARM_SERIES = new Set(["t2a", "c4a", "n4a", "a4x"]);

export const WINDOWS_TAINT: Taint = { key: "node.kubernetes.io/os", value: "windows", effect: "NoSchedule" };
export const ARM_TAINT: Taint = { key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" };
export const GPU_TAINT: Taint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };

/** A pool's node shape: the labels and taints every node of it carries, and what its kubelet reports. */
export type PoolNodeShape = {
  labels: Record<string, string>;
  taints: Taint[];
  os: "linux" | "windows";
  arch: "amd64" | "arm64";
  /** status.nodeInfo.osImage as the kubelet reports it. */
  osImage: string;
  /** Allocatable extended resources: the pool's GPUs as `nvidia.com/gpu`. */
  extended: Record<string, number>;
};

export function isWindowsImage(imageType: unknown): boolean {
  return typeof imageType === "string" && /^WINDOWS_/i.test(imageType);
}

export function machineSeries(machineType: string): string {
  return machineType.split("-")[0].toLowerCase();
}

export function hasAccelerators(pool: Json): boolean {
  const acc = ((pool.config as Json | undefined)?.accelerators ?? []) as Json[];
  return acc.some((a) => Number(a.acceleratorCount ?? 1) > 0 && typeof a.acceleratorType === "string");
}

/** The taints of `config.taints` in the Kubernetes spelling (unknown effects are left out, as GKE refuses them). */
export function poolConfigTaints(config: Json): Taint[] {
  const out: Taint[] = [];
  for (const t of ((config.taints as Json[] | undefined) ?? []) as Json[]) {
    const effect = EFFECTS[String(t.effect ?? "")];
    if (!effect || typeof t.key !== "string") continue;
    out.push({ key: t.key, ...(t.value !== undefined && t.value !== "" ? { value: String(t.value) } : {}), effect });
  }
  return out;
}

/**
 * The labels and taints of a pool's nodes. `clusterHasNonGpuPool` decides GKE's GPU taint, which it adds
 * only beside pools without GPUs.
 */
export function poolNodeShape(pool: Json, opts: { clusterHasNonGpuPool: boolean }): PoolNodeShape {
  const cfg = (pool.config ?? {}) as Json;
  const machineType = String(cfg.machineType ?? "e2-medium");
  const series = machineSeries(machineType);
  const windows = isWindowsImage(cfg.imageType);
  const arch: "amd64" | "arm64" = ARM_SERIES.has(series) ? "arm64" : "amd64";
  const imageType = String(cfg.imageType ?? "COS_CONTAINERD").toUpperCase();
  const ltsc2022 = /LTSC2022/.test(String((cfg.windowsNodeConfig as Json | undefined)?.osVersion ?? ""));
  const labels: Record<string, string> = {
    "beta.kubernetes.io/arch": arch,
    "beta.kubernetes.io/os": windows ? "windows" : "linux",
    "cloud.google.com/gke-boot-disk": String(cfg.diskType ?? "pd-balanced"),
    "cloud.google.com/gke-container-runtime": "containerd",
    "cloud.google.com/gke-nodepool": String(pool.name),
    ...(windows ? {} : { "cloud.google.com/gke-os-distribution": imageType.startsWith("UBUNTU") ? "ubuntu" : "cos" }),
    "cloud.google.com/machine-family": series,
    "kubernetes.io/arch": arch,
    "kubernetes.io/os": windows ? "windows" : "linux",
    "node.kubernetes.io/instance-type": machineType,
  };
  if (windows) labels["node.kubernetes.io/windows-build"] = ltsc2022 ? "10.0.20348" : "10.0.17763";
  if (cfg.spot === true) Object.assign(labels, { "cloud.google.com/gke-spot": "true", "cloud.google.com/gke-provisioning": "spot" });
  else if (cfg.preemptible === true) Object.assign(labels, { "cloud.google.com/gke-preemptible": "true", "cloud.google.com/gke-provisioning": "preemptible" });
  const accelerator = ((cfg.accelerators as Json[] | undefined) ?? []).find((a) => typeof a.acceleratorType === "string");
  if (accelerator && hasAccelerators(pool)) labels["cloud.google.com/gke-accelerator"] = String(accelerator.acceleratorType);
  // The pool's own labels last: they are what the user asked for.
  Object.assign(labels, (cfg.labels as Record<string, string> | undefined) ?? {});

  const taints = poolConfigTaints(cfg);
  const add = (t: Taint) => {
    if (!taints.some((x) => x.key === t.key && x.effect === t.effect)) taints.push(t);
  };
  if (windows) add(WINDOWS_TAINT);
  const archTaint = String((cfg.taintConfig as Json | undefined)?.architectureTaintBehavior ?? "ARM");
  if (arch === "arm64" && archTaint !== "NONE") add(ARM_TAINT);
  if (hasAccelerators(pool) && opts.clusterHasNonGpuPool) add(GPU_TAINT);

  const osImage = windows
    ? `Windows Server ${ltsc2022 ? "2022" : "2019"} Datacenter`
    : imageType.startsWith("UBUNTU")
      ? "Ubuntu 22.04.5 LTS"
      : "Container-Optimized OS from Google";
  const gpus = ((cfg.accelerators as Json[] | undefined) ?? []).reduce((sum, a) => sum + (Number(a.acceleratorCount ?? 1) || 0), 0);
  const extended: Record<string, number> = gpus > 0 && hasAccelerators(pool) ? { "nvidia.com/gpu": gpus } : {};
  return { labels, taints, os: windows ? "windows" : "linux", arch, osImage, extended };
}

function selectsLabel(spec: Json, key: string, value: string): boolean {
  if (((spec.nodeSelector ?? {}) as Record<string, string>)[key] === value) return true;
  const terms = ((((spec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)
    ?.nodeSelectorTerms ?? []) as { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[];
  return terms.some((t) => (t.matchExpressions ?? []).some((e) => e.key === key && e.operator === "In" && (e.values ?? []).includes(value)));
}

function requestsGpu(spec: Json): boolean {
  const containers = [...(((spec.containers as Json[] | undefined) ?? []) as Json[]), ...(((spec.initContainers as Json[] | undefined) ?? []) as Json[])];
  return containers.some((c) => {
    const r = (c.resources ?? {}) as { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
    return r.limits?.["nvidia.com/gpu"] !== undefined || r.requests?.["nvidia.com/gpu"] !== undefined;
  });
}

/** The tolerations GKE's admission adds to a pod (Arm and Windows selection, GPU requests), not already present. */
export function gkeAdmissionTolerations(spec: Json): Json[] {
  const have = ((spec.tolerations as Json[] | undefined) ?? []) as Json[];
  const out: Json[] = [];
  const addIfMissing = (t: Json) => {
    if (!have.some((h) => h.key === t.key && (h.effect === undefined || h.effect === "" || h.effect === t.effect) && (h.operator === "Exists" || h.value === t.value)))
      out.push(t);
  };
  if (selectsLabel(spec, "kubernetes.io/arch", "arm64")) addIfMissing({ key: ARM_TAINT.key, operator: "Equal", value: ARM_TAINT.value, effect: "NoSchedule" });
  if (selectsLabel(spec, "kubernetes.io/os", "windows")) addIfMissing({ key: WINDOWS_TAINT.key, operator: "Equal", value: WINDOWS_TAINT.value, effect: "NoSchedule" });
  if (requestsGpu(spec)) addIfMissing({ key: GPU_TAINT.key, operator: "Exists", effect: "NoSchedule" });
  return out;
}
