import type { Metadata } from "next";
import { CoverageView } from "../_components/coverage-view";

export const metadata: Metadata = { title: "Coverage" };

export default function Page() {
  return <CoverageView />;
}
