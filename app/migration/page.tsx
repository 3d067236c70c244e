import type { Metadata } from "next";
import { MigrationView } from "../_components/migration-view";

export const metadata: Metadata = { title: "Migration" };

export default function Page() {
  return <MigrationView />;
}
