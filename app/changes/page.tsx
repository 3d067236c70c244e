import type { Metadata } from "next";
import { ChangesView } from "../_components/changes-view";

export const metadata: Metadata = { title: "Changes" };

export default function Page() {
  return <ChangesView />;
}
