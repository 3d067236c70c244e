import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Workloads" };

export default function Page() {
  return (
    <TableView
      filters={["project", "cluster", "namespace", "owner", "q"]}
      table="workloads"
      title="Workloads"
      description="Deployments, StatefulSets, DaemonSets, CronJobs, Jobs and bare Pods, with the KSA they run as and the node pools their pods landed on."
    />
  );
}
