import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Keys" };

export default function Page() {
  return (
    <TableView
      table="keys"
      title="User-managed keys"
      description="Downloadable JSON keys: when each was created, when it expires (the ten-year cliff), when it last authenticated, and how many Kubernetes Secrets hold it. System-managed keys are Google's own and are not listed."
      emptyText="No user-managed keys match — the goal of the migration."
    />
  );
}
