"use client";
import { Suspense, type ReactNode } from "react";
import { DataTable } from "./data-table";
import { FilterBar } from "./filter-bar";
import { PageHeader, Spinner } from "./ui";
import { SourceFailureBanner } from "./source-failure";

export function TableView({
  table,
  title,
  description,
  filters,
  emptyText,
  children,
}: {
  table: string;
  title: string;
  description?: ReactNode;
  filters?: string[];
  emptyText?: string;
  children?: ReactNode;
}) {
  return (
    <div>
      <PageHeader title={title} description={description} />
      <SourceFailureBanner what="This table" />
      {children}
      <Suspense fallback={<Spinner />}>
        <FilterBar show={filters} />
        <DataTable table={table} emptyText={emptyText} />
      </Suspense>
    </div>
  );
}
