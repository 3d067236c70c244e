import type { Metadata } from "next";
import { Suspense } from "react";
import { PageHeader, Spinner } from "../_components/ui";
import { FilterBar } from "../_components/filter-bar";
import { DataTable } from "../_components/data-table";
import { BindingStateFilter } from "../_components/binding-state-filter";

export const metadata: Metadata = { title: "Bindings" };

export default function Page() {
  return (
    <div>
      <PageHeader
        title="Bindings, reconciled"
        description="Every grant that lets a Kubernetes identity act as a GSA, checked against the clusters using its pool: ok (the KSA exists and is annotated), not-annotated, stale (the KSA exists nowhere: whoever creates it gets the GSA), unverified, broad, deleted (granted to a principal that no longer exists), inactive (a DISABLED or deleted custom role: it grants nothing)."
      />
      <Suspense fallback={<Spinner />}>
        <FilterBar extra={<BindingStateFilter />} />
        <DataTable table="bindings" />
      </Suspense>
    </div>
  );
}
