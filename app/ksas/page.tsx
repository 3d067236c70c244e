import type { Metadata } from "next";
import { TableView } from "../_components/table-view";

export const metadata: Metadata = { title: "Kubernetes service accounts" };

export default function Page() {
  return (
    <TableView
      table="ksas"
      title="Kubernetes service accounts"
      description="Every KSA with its iam.gke.io/gcp-service-account annotation exactly as written (stray whitespace and all), and the pods and workloads running as it."
    />
  );
}
