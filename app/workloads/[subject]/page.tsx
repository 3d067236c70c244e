import type { Metadata } from "next";
import { WorkloadView } from "../../_components/workload-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: decodeURIComponent(subject).replace(/^workload:/, "") };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  return <WorkloadView subject={decodeURIComponent(subject)} />;
}
