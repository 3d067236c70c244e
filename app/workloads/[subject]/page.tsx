import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { serverDb } from "@/lib/store/db";
import { subjectKnown } from "@/lib/store/subject-known";
import { WorkloadView } from "../../_components/workload-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: decodeURIComponent(subject).replace(/^workload:/, "") };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  const value = safeDecode(subject);
  // An address that names no workload is a 404 with the way back, not an empty page.
  if (value === null || !/^workload:[^/]+\/[^/]+\/[^/]+\/[^/]+\/[A-Za-z]+\/[^/]+$/.test(value) || !(await subjectKnown(serverDb(), value))) notFound();
  return <WorkloadView subject={value} />;
}

function safeDecode(v: string): string | null {
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}
