/**
 * Writes to a simulated cluster's Kubernetes API: POST, PUT, PATCH and DELETE on the objects the
 * printed fixes touch. (Filled in by the write-routes work of issue 12.)
 */
import type { K8sResource, SimCluster } from "./world";
import { k8sStatus, type SimRequest, type SimResponse } from "./http-types";

export type K8sTarget = { resource: K8sResource; namespace?: string; name?: string };

export function handleK8sWrite(_cluster: SimCluster, _target: K8sTarget, req: SimRequest): SimResponse {
  return k8sStatus(405, `the simulator does not accept ${req.method} here yet`, { reason: "MethodNotAllowed" });
}
