import type { Metadata } from "next";
import { MatrixView } from "../_components/matrix-view";

export const metadata: Metadata = { title: "GSA × namespace" };

export default function Page() {
  return <MatrixView />;
}
