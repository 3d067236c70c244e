import type { Metadata } from "next";
import { Suspense } from "react";
import { GraphView } from "../_components/graph/graph-view";
import { Spinner } from "../_components/ui";

export const metadata: Metadata = { title: "Graph" };

export default function Page() {
  return (
    <div>
      <h1 className="mb-2 text-2xl font-semibold tracking-tight">Who uses which service account</h1>
      <Suspense fallback={<Spinner />}>
        <GraphView />
      </Suspense>
    </div>
  );
}
