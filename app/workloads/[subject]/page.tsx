import type { Metadata } from "next";
import { ObjectView } from "../../_components/object-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: decodeURIComponent(subject).replace(/^workload:/, "") };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  return <ObjectView subject={decodeURIComponent(subject)} />;
}
