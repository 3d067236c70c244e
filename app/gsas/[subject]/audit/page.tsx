import type { Metadata } from "next";
import { AuditView } from "../../../_components/audit-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: `Audit: ${decodeURIComponent(subject).replace(/^gsa:/, "")}` };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  return <AuditView subject={decodeURIComponent(subject)} />;
}
