import type { Metadata } from "next";
import { GsaView } from "../../_components/gsa-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: decodeURIComponent(subject).replace(/^gsa:/, "") };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  return <GsaView subject={decodeURIComponent(subject)} />;
}
