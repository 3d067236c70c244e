import type { Metadata } from "next";
import { Suspense } from "react";
import { DataTable } from "../_components/data-table";
import { FilterBar } from "../_components/filter-bar";
import { PageHeader, Spinner } from "../_components/ui";

export const metadata: Metadata = { title: "Clusters" };

export default function Page() {
  return (
    <div>
      <PageHeader
        title="Clusters and node pools"
        description="Workload Identity needs a workload pool on the cluster and node pools that serve the GKE metadata server. Pods on other pools act as the node's service account."
      />
      <Suspense fallback={<Spinner />}>
        <FilterBar show={["project", "cluster", "q"]} />
        <h2 className="mt-4 mb-2 text-lg font-semibold">Clusters</h2>
        <DataTable table="clusters" />
        <h2 className="mt-8 mb-2 text-lg font-semibold">Node pools</h2>
        <DataTable table="nodepools" paramPrefix="np_" />
      </Suspense>
    </div>
  );
}
