import type { Metadata } from "next";
import { Suspense } from "react";
import { Spinner } from "../_components/ui";
import { WhatIfView } from "../_components/what-if-view";

export const metadata: Metadata = { title: "What breaks if…" };

export default function Page() {
  return (
    <Suspense fallback={<Spinner />}>
      <WhatIfView />
    </Suspense>
  );
}
