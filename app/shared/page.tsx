import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Shared accounts" };

export default function Page() {
  return (
    <TableView
      table="shared-accounts"
      title="Shared-account ranking"
      description={
        <>
          GSAs ranked by how widely they are used and how much they can do: KSAs ×1, namespaces ×3, clusters ×5, projects ×8, Secrets holding a key ×4,
          basic roles ×10, admin-like roles ×6. Open one for its audit report and the proposed split.
        </>
      }
    />
  );
}
