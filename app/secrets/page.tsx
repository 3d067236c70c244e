import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Key Secrets" };

export default function Page() {
  return (
    <TableView
      table="secrets"
      title="Secrets holding Google credentials"
      description="Kubernetes Secrets whose data is a Google credential file. Only the key id, account and project are kept — never the private key."
      emptyText="No Secrets with Google credentials match."
    />
  );
}
