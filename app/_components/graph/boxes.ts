/**
 * "Group by" drawn: each cluster's nodes (group=cluster) or each namespace's (group=namespace) sit
 * inside one labelled box, so the picture says what runs where. The layout (ELK) keeps a box's
 * members together; large sets inside are still collapsed into counted groups by the server.
 */
import { clusterShortName } from "@/lib/analysis/graph-scope";

/** What drawingBoxes reads of a node. */
export type BoxableNode = { id: string; kind: string; cluster: string | null; namespace: string | null };

/** A box drawn around nodes. */
export type DrawingBox = {
  /** `box:` + the cluster's or namespace's subject. */
  id: string;
  /** What the box stands for, drawn at its top: `Cluster prod/asia-northeast1`. */
  label: string;
  /** The ids of the nodes drawn inside. */
  members: string[];
};

const IN_NAMESPACE = new Set(["namespace", "ksa", "workload", "secret"]);

/** The box each node goes into for `group` (cluster | namespace | none); boxes of one node are not drawn. */
export function drawingBoxes(nodes: BoxableNode[], group: string): { boxes: DrawingBox[]; boxOf: Map<string, string> } {
  const byBox = new Map<string, DrawingBox>();
  for (const n of nodes) {
    let id: string | null = null;
    let label = "";
    if (group === "cluster" && n.cluster) {
      id = `box:${n.cluster}`;
      label = `Cluster ${clusterShortName(n.cluster)}`;
    } else if (group === "namespace" && n.cluster && n.namespace && IN_NAMESPACE.has(n.kind)) {
      id = `box:namespace:${n.cluster.slice(n.cluster.indexOf(":") + 1)}/${n.namespace}`;
      label = `Namespace ${n.namespace} · ${clusterShortName(n.cluster)}`;
    }
    if (!id) continue;
    const b = byBox.get(id);
    if (b) b.members.push(n.id);
    else byBox.set(id, { id, label, members: [n.id] });
  }
  const boxes = [...byBox.values()].filter((b) => b.members.length > 1);
  const boxOf = new Map<string, string>();
  for (const b of boxes) for (const m of b.members) boxOf.set(m, b.id);
  return { boxes, boxOf };
}
