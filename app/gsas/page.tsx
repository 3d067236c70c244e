import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Google service accounts" };

export default function Page() {
  return (
    <TableView
      filters={["project", "cluster", "namespace", "owner", "q"]}
      table="gsas"
      title="Google service accounts"
      description="Every GSA in the scanned projects, with its user-managed keys, the KSAs annotated with it, and the Secrets that hold its keys. Filter by cluster or namespace to see the GSAs used there."
      emptyText="No service accounts match. If this is a fresh install, the first scan may still be running."
    />
  );
}
